/**
 * Postgres binary forms written straight into an output buffer, for the result hot path
 * (src/wire/server/vector-encoders.ts); each produces exactly the bytes of its Buffer-returning
 * counterpart in binary-encode.ts / format-numeric.ts for the values it accepts.
 */
import { POW10 } from './text-write.js';

const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
/** Largest numeric_send of a safe integer: 8-byte header + 5 base-10000 digits. */
export const MAX_NUMERIC_SAFE_BINARY = 18;

const groups = new Float64Array(8);

/** int32 big-endian (two's complement of any int32-range number). */
export function writeInt32BE(b: Uint8Array, p: number, v: number): number {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v;
  return p + 4;
}

/** int64 big-endian from a safe integer. */
export function writeSafeInt64BE(b: Uint8Array, p: number, v: number): number {
  const hi = Math.floor(v / 4294967296);
  writeInt32BE(b, p, hi);
  return writeInt32BE(b, p + 4, v - hi * 4294967296);
}

/**
 * numeric_send of scaled / 10^scale (encodeNumericBinary) for a safe integer `scaled`; returns
 * -1 (nothing written) when scaled × 10^(padding to a whole base-10000 digit) is not safe.
 * Reserve MAX_NUMERIC_SAFE_BINARY bytes.
 */
export function writeNumericBinary(b: Uint8Array, p: number, scaled: number, scale: number): number {
  const negative = scaled < 0;
  let f = negative ? -scaled : scaled;
  const trail = (4 - (scale % 4)) % 4;
  if (trail > 0) {
    if (f > Number.MAX_SAFE_INTEGER / POW10[trail]!) return -1;
    f *= POW10[trail]!;
  }
  const fracGroups = (scale + trail) / 4;
  let n = 0;
  while (f > 0) {
    const q = Math.floor(f / 10000);
    groups[n++] = f - q * 10000;
    f = q;
  }
  let lo = 0;
  while (lo < n && groups[lo] === 0) lo++;
  const ndigits = n - lo;
  const weight = ndigits === 0 ? 0 : n - 1 - fracGroups;
  const sign = ndigits === 0 || !negative ? NUMERIC_POS : NUMERIC_NEG;
  b[p] = ndigits >>> 8;
  b[p + 1] = ndigits;
  b[p + 2] = weight >> 8;
  b[p + 3] = weight;
  b[p + 4] = sign >>> 8;
  b[p + 5] = sign;
  b[p + 6] = scale >>> 8;
  b[p + 7] = scale;
  p += 8;
  for (let i = n - 1; i >= lo; i--) {
    const g = groups[i]!;
    b[p++] = g >>> 8;
    b[p++] = g;
  }
  return p;
}
