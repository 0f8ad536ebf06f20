/**
 * SASLprep (RFC 4013) for SCRAM passwords, to the extent Postgres' pg_saslprep() matters in
 * practice:
 *  - Pure-ASCII passwords are used unchanged. This is exactly what Postgres does (it returns
 *    ASCII input untouched, control characters included), and it covers nearly every password.
 *  - Otherwise: map non-ASCII spaces (RFC 3454 C.1.2) to U+0020, delete "commonly mapped to
 *    nothing" characters (B.1), normalize to NFKC, and if the result contains a prohibited
 *    character (C.2–C.9) fall back to the raw password — Postgres also falls back to the raw
 *    bytes when SASLprep fails, so such passwords still work with libpq.
 *  - Not implemented: the unassigned-code-point check (A.1) and the bidirectional rule (RFC 3454
 *    section 6). In Postgres both make SASLprep fail, i.e. fall back to the raw password; here the
 *    NFKC-mapped form is used instead. Only passwords with unassigned or mixed-direction
 *    characters can differ, and node-postgres' client makes the same simplification.
 */

const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
// eslint-disable-next-line no-misleading-character-class -- B.1 is a set of combining/joiner code points on purpose
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
// C.1.2 (after mapping none remain), C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9.
const PROHIBITED =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is prohibited
  /[\u0000-\u001F\u007F-\u009F\u06DD\u070F\u180E\u200C-\u200F\u2028-\u202E\u2060-\u2063\u206A-\u206F\uFEFF\uFFF9-\uFFFD\uFFFE\uFFFF\uFDD0-\uFDEF\uE000-\uF8FF\u2FF0-\u2FFB\u0340\u0341\uD800-\uDFFF]|[\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}\u{F0000}-\u{FFFFD}\u{100000}-\u{10FFFD}\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}]/u;

export function saslprep(password: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007F]*$/.test(password)) return password;
  const mapped = password.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '').normalize('NFKC');
  if (mapped.length === 0 || PROHIBITED.test(mapped)) return password;
  return mapped;
}
