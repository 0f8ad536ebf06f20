/**
 * Text input for uuid, bytea, json, character types and bit strings, following Postgres'
 * input functions, plus the DuckDB literal forms the canonical text uses.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { invalidSyntax } from './input-errors.js';

// ---------------------------------------------------------------------------------------
// text

const SUSPICIOUS = /[\u0000\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Postgres text cannot hold NUL, and UTF-8 cannot hold unpaired surrogates (22021). */
export function checkText(s: string): void {
  if (!SUSPICIOUS.test(s)) return;
  if (s.includes('\u0000')) {
    throw new DuckMeshError('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
  }
  if (LONE_SURROGATE.test(s)) {
    throw new DuckMeshError('22021', 'invalid byte sequence for encoding "UTF8": unpaired surrogate');
  }
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** First `n` code points of s. */
function codePointPrefix(s: string, n: number): [string, string] {
  let i = 0;
  for (let k = 0; k < n && i < s.length; k++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }
  return [s.slice(0, i), s.slice(i)];
}

/**
 * varchar(n)/char(n) on assignment: longer values are an error (22001) unless the excess is
 * all spaces, which is silently cut. char(n) is then blank-padded to n, as Postgres stores it.
 */
export function checkLength(s: string, n: number, padded: boolean): string {
  checkText(s);
  let out = s;
  if (s.length > n) {
    const len = codePointLength(s);
    if (len > n) {
      const [head, tail] = codePointPrefix(s, n);
      if (!/^ *$/.test(tail)) {
        throw new DuckMeshError(SqlState.stringDataRightTruncation,
          `value too long for type ${padded ? 'character' : 'character varying'}(${n})`);
      }
      out = head;
    }
  }
  if (padded) {
    const len = out.length < n ? codePointLength(out) : n;
    if (len < n) out += ' '.repeat(n - len);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// uuid

const HEX = /^[0-9a-fA-F]$/;

/**
 * uuid_in: 32 hex digits, optionally in braces, with an optional '-' after any group of
 * four digits. Returns the canonical lower-case 8-4-4-4-12 form.
 */
const CANONICAL_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function parseUuid(text: string): string {
  if (CANONICAL_UUID.test(text)) return text.toLowerCase();
  let i = 0;
  const braces = text[0] === '{';
  if (braces) i++;
  let hex = '';
  for (let b = 0; b < 16; b++) {
    const a = text[i];
    const c = text[i + 1];
    if (a === undefined || c === undefined || !HEX.test(a) || !HEX.test(c)) throw invalidSyntax('uuid', text);
    hex += a + c;
    i += 2;
    if (text[i] === '-' && b % 2 === 1 && b < 15) i++;
  }
  if (braces) {
    if (text[i] !== '}') throw invalidSyntax('uuid', text);
    i++;
  }
  if (i !== text.length) throw invalidSyntax('uuid', text);
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// ---------------------------------------------------------------------------------------
// bytea

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * byteain: "\x" followed by hex pairs (whitespace allowed between pairs), or the escape
 * format where "\\" is a backslash, "\ooo" an octal byte, and other characters their UTF-8 bytes.
 */
export function parseBytea(text: string): Buffer {
  if (text.startsWith('\\x')) {
    const out = Buffer.allocUnsafe((text.length - 2) >> 1);
    let n = 0;
    for (let i = 2; i < text.length;) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 10 || c === 9 || c === 13) {
        i++;
        continue;
      }
      const hi = hexValue(c);
      if (hi < 0) throw badHexDigit(text, i);
      if (i + 1 >= text.length) {
        throw new DuckMeshError(SqlState.invalidParameterValue, 'invalid hexadecimal data: odd number of digits');
      }
      const lo = hexValue(text.charCodeAt(i + 1));
      if (lo < 0) throw badHexDigit(text, i + 1);
      out[n++] = (hi << 4) | lo;
      i += 2;
    }
    return out.subarray(0, n);
  }
  const bytes = Buffer.from(text, 'utf8');
  if (!bytes.includes(92)) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    if (b !== 92) {
      out[n++] = b;
      i++;
    } else if (bytes[i + 1] >= 48 && bytes[i + 1] <= 51 && bytes[i + 2] >= 48 && bytes[i + 2] <= 55
      && bytes[i + 3] >= 48 && bytes[i + 3] <= 55) {
      out[n++] = ((bytes[i + 1] - 48) << 6) | ((bytes[i + 2] - 48) << 3) | (bytes[i + 3] - 48);
      i += 4;
    } else if (bytes[i + 1] === 92) {
      out[n++] = 92;
      i += 2;
    } else {
      throw new DuckMeshError(SqlState.invalidTextRepresentation, 'invalid input syntax for type bytea');
    }
  }
  return out.subarray(0, n);
}

function badHexDigit(text: string, i: number): DuckMeshError {
  const cp = text.codePointAt(i) ?? 0;
  return new DuckMeshError(SqlState.invalidParameterValue, `invalid hexadecimal digit: "${String.fromCodePoint(cp)}"`);
}

/**
 * Bytes as text DuckDB's VARCHAR→BLOB cast reads back exactly: printable ASCII as is,
 * everything else (and the backslash) as \xHH.
 */
export function duckBlobLiteral(bytes: Uint8Array): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b >= 32 && b <= 126 && b !== 92) continue;
    if (i > plainFrom) out += Buffer.from(bytes.buffer, bytes.byteOffset + plainFrom, i - plainFrom).toString('latin1');
    out += `\\x${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
    plainFrom = i + 1;
  }
  if (plainFrom < bytes.length) {
    out += Buffer.from(bytes.buffer, bytes.byteOffset + plainFrom, bytes.length - plainFrom).toString('latin1');
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// json

/** json_in: any RFC 8259 JSON text (kept verbatim, like Postgres' json type). */
export function checkJson(text: string): string {
  checkText(text);
  try {
    JSON.parse(text);
  } catch (e) {
    throw new DuckMeshError(SqlState.invalidTextRepresentation, 'invalid input syntax for type json',
      { detail: (e as Error).message });
  }
  if (text.includes('\\u') && hasLoneSurrogateEscape(text)) {
    // Postgres' json keeps "\ud800" as written; DuckDB's JSON parser rejects it.
    throw new DuckMeshError(SqlState.featureNotSupported, 'JSON with an unpaired Unicode surrogate escape cannot be stored',
      { detail: 'DuckDB requires \\uD800-\\uDBFF escapes to be followed by a \\uDC00-\\uDFFF escape.' });
  }
  return text;
}

/** Scan JSON escapes for a high surrogate not followed by a low one, or a stray low one. */
function hasLoneSurrogateEscape(text: string): boolean {
  const re = /\\(?:u([0-9a-fA-F]{4})|[^u])/g;
  let pendingHighEnd = -1;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const code = m[1] === undefined ? -1 : parseInt(m[1], 16);
    const isLow = code >= 0xdc00 && code <= 0xdfff;
    if (pendingHighEnd >= 0) {
      if (!(isLow && m.index === pendingHighEnd)) return true;
      pendingHighEnd = -1;
      continue;
    }
    if (isLow) return true;
    if (code >= 0xd800 && code <= 0xdbff) pendingHighEnd = m.index + m[0].length;
  }
  return pendingHighEnd >= 0;
}

// ---------------------------------------------------------------------------------------
// bit strings (DuckDB BIT)

/** varbit_in: binary digits, or "B…"/"X…" prefixed binary/hex. Returns the 0/1 string. */
export function parseBitString(text: string): string {
  const bits = bitDigits(text);
  if (bits.length === 0) {
    throw new DuckMeshError(SqlState.featureNotSupported, 'empty bit strings are not supported',
      { detail: 'DuckDB BIT values hold at least one bit.' });
  }
  return bits;
}

function bitDigits(text: string): string {
  let body = text;
  let hex = false;
  if (body[0] === 'b' || body[0] === 'B') body = body.slice(1);
  else if (body[0] === 'x' || body[0] === 'X') {
    body = body.slice(1);
    hex = true;
  }
  if (!hex) {
    for (const ch of body) {
      if (ch !== '0' && ch !== '1') throw new DuckMeshError(SqlState.invalidTextRepresentation, `"${ch}" is not a valid binary digit`);
    }
    return body;
  }
  let out = '';
  for (const ch of body) {
    const v = hexValue(ch.charCodeAt(0));
    if (v < 0 || ch.length !== 1) throw new DuckMeshError(SqlState.invalidTextRepresentation, `"${ch}" is not a valid hexadecimal digit`);
    out += v.toString(2).padStart(4, '0');
  }
  return out;
}
