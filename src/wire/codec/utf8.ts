/**
 * Strict UTF-8 decoding for protocol strings.
 *
 * Postgres verifies every client string against the server encoding and rejects bad bytes with
 * SQLSTATE 22021. Node's decoder never throws: it substitutes U+FFFD. Because the decoder is the
 * strict WHATWG one (overlongs, surrogates and > U+10FFFF all become U+FFFD), "no U+FFFD in the
 * output" proves the input was valid, so the common path costs one native decode plus one
 * string scan. Only when U+FFFD shows up (either a real, validly encoded U+FFFD or an error) do we
 * pay for a byte-level check.
 */
import { isUtf8 } from 'node:buffer';
import { DuckMeshError } from '../../common/errors.js';

/** SQLSTATE character_not_in_repertoire; not (yet) in the shared SqlState table. */
export const SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE = '22021';

export function decodeUtf8Strict(buf: Buffer, start: number, end: number): string {
  if (start === end) return '';
  const s = buf.toString('utf8', start, end);
  if (s.indexOf('\uFFFD') !== -1 && !isUtf8(buf.subarray(start, end))) {
    throw invalidUtf8Error(buf, start, end);
  }
  return s;
}

/** Builds the same message Postgres uses: the offending sequence's bytes, e.g. `0xc3 0x28`. */
export function invalidUtf8Error(buf: Buffer, start: number, end: number): DuckMeshError {
  const bad = firstInvalidUtf8Offset(buf, start, end);
  const at = bad < 0 ? start : bad;
  const lead = buf[at]!;
  // Postgres prints as many bytes as the lead byte announces (pg_encoding_mblen), capped by what is left.
  const want = lead < 0x80 ? 1 : lead >= 0xf0 && lead <= 0xf7 ? 4 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xc0 && lead <= 0xdf ? 2 : 1;
  const bytes: string[] = [];
  for (let i = 0; i < want && at + i < end; i++) bytes.push('0x' + buf[at + i]!.toString(16).padStart(2, '0'));
  return new DuckMeshError(SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE, `invalid byte sequence for encoding "UTF8": ${bytes.join(' ')}`);
}

/** Offset of the lead byte of the first ill-formed sequence (RFC 3629 table 3-7), or -1 if valid. */
export function firstInvalidUtf8Offset(buf: Buffer, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const b0 = buf[i]!;
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) n = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      n = 2;
      if (b0 === 0xe0) lo = 0xa0; // overlong
      else if (b0 === 0xed) hi = 0x9f; // UTF-16 surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      n = 3;
      if (b0 === 0xf0) lo = 0x90; // overlong
      else if (b0 === 0xf4) hi = 0x8f; // > U+10FFFF
    } else return i;
    if (i + n >= end) return i;
    const b1 = buf[i + 1]!;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k <= n; k++) {
      const b = buf[i + k]!;
      if (b < 0x80 || b > 0xbf) return i;
    }
    i += n + 1;
  }
  return -1;
}
