/**
 * Postgres text forms written straight into an output buffer, for the result hot path
 * (src/wire/server/vector-encoders.ts). Each writer takes the buffer and an offset, returns the
 * offset after the last byte written, and produces exactly the bytes of its string counterpart
 * (text-encode.ts, format-*.ts); callers reserve at least the MAX_* bound first. Values outside
 * what a writer handles with plain doubles go through the string formatter instead, so every
 * value still prints identically.
 */
import { civil, civilFromDays, DUCK_DATE_NEG_INF, DUCK_DATE_POS_INF, MICROS_PER_DAY } from './calendar.js';
import { formatFloat8 } from './format-float.js';

/** ASCII digit pairs "00".."99". */
const DIGITS2 = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  DIGITS2[2 * i] = 48 + Math.floor(i / 10);
  DIGITS2[2 * i + 1] = 48 + (i % 10);
}
const HEX = new Uint8Array(Array.from('0123456789abcdef', (c) => c.charCodeAt(0)));

/** Exact powers of ten 10^0 … 10^22 (every one is a double). */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Longest text of a safe integer ("-9007199254740991"). */
export const MAX_SAFE_INT_TEXT = 17;
/** Longest timestamp text: "294247-01-10 04:00:54.775807+00 BC" and a little slack. */
export const MAX_TIMESTAMP_TEXT = 40;
/** Longest time text (hours may exceed 24 only for intervals; 24:00:00 for time). */
export const MAX_TIME_TEXT = 24;
export const MAX_DATE_TEXT = 24;
export const UUID_TEXT = 36;

/** Decimal digits of a non-negative safe integer. */
export function decimalLength(n: number): number {
  if (n < 100000000) {
    if (n < 10000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
    return n < 100000 ? 5 : n < 1000000 ? 6 : n < 10000000 ? 7 : 8;
  }
  let len = 9;
  let p = 1000000000;
  while (n >= p && len < 16) {
    len++;
    p *= 10;
  }
  return len;
}

/** Digits of `n` (non-negative safe integer) ending exactly at `end`; returns nothing. */
function digitsBackward(b: Uint8Array, end: number, n: number): void {
  let q = end;
  while (n >= 100) {
    const t = n < 4294967296 ? (n / 100) >>> 0 : Math.floor(n / 100);
    const d = (n - t * 100) * 2;
    b[--q] = DIGITS2[d + 1]!;
    b[--q] = DIGITS2[d]!;
    n = t;
  }
  if (n >= 10) {
    b[--q] = DIGITS2[n * 2 + 1]!;
    b[--q] = DIGITS2[n * 2]!;
  } else {
    b[--q] = 48 + n;
  }
}

/** A non-negative safe integer as decimal digits. */
export function writeUInt(b: Uint8Array, p: number, n: number): number {
  const end = p + decimalLength(n);
  digitsBackward(b, end, n);
  return end;
}

/** Digits of 0 ≤ n < 2^31 in int32 arithmetic (V8 turns the divisions into multiplications). */
function writeUInt31(b: Uint8Array, p: number, n: number): number {
  const end = p + (n < 100000
    ? n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 10000 ? 4 : 5
    : n < 10000000 ? (n < 1000000 ? 6 : 7) : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10);
  let q = end;
  while (n >= 100) {
    const t = (n / 100) | 0;
    const d = (n - t * 100) << 1;
    b[q - 1] = DIGITS2[d + 1]!;
    b[q - 2] = DIGITS2[d]!;
    q -= 2;
    n = t;
  }
  if (n >= 10) {
    b[q - 1] = DIGITS2[2 * n + 1]!;
    b[q - 2] = DIGITS2[2 * n]!;
  } else {
    b[q - 1] = 48 + n;
  }
  return end;
}

/** A safe integer as Postgres (and String()) print it. */
export function writeInt(b: Uint8Array, p: number, n: number): number {
  if (n < 0) {
    b[p++] = 45; /* - */
    n = -n;
  }
  if (n < 2147483648) return writeUInt31(b, p, n | 0);
  const end = p + decimalLength(n);
  digitsBackward(b, end, n);
  return end;
}

/** A non-negative safe integer zero-padded to at least `width` digits. */
export function writeUIntPadded(b: Uint8Array, p: number, n: number, width: number): number {
  const len = decimalLength(n);
  while (width > len) {
    b[p++] = 48;
    width--;
  }
  const end = p + len;
  digitsBackward(b, end, n);
  return end;
}

function write2(b: Uint8Array, p: number, n: number): number {
  b[p] = DIGITS2[n * 2]!;
  b[p + 1] = DIGITS2[n * 2 + 1]!;
  return p + 2;
}

/** A string known to be ASCII, one byte per UTF-16 unit. */
export function writeAscii(b: Uint8Array, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) b[p + i] = s.charCodeAt(i);
  return p + s.length;
}

/**
 * `scaled / 10^scale` with exactly `scale` fractional digits (formatDecimal for a safe
 * integer); `pow` is 10^scale.
 */
export function writeDecimal(b: Uint8Array, p: number, scaled: number, scale: number, pow: number): number {
  if (scaled < 0) {
    b[p++] = 45;
    scaled = -scaled;
  }
  if (scale === 0) return writeUInt(b, p, scaled);
  let int = Math.floor(scaled / pow);
  let frac = scaled - int * pow;
  if (frac < 0) {
    int -= 1;
    frac += pow;
  }
  p = writeUInt(b, p, int);
  b[p++] = 46; /* . */
  return writeUIntPadded(b, p, frac, scale);
}

/** Doubles below this (times the decimal scale) are checked exactly by the fast float path. */
const FAST_FLOAT_LIMIT = 2 ** 40;

/**
 * float8 text (formatFloat8). Fast path for values whose shortest round-trip decimal has few
 * digits: for the smallest k such that a k-fractional-digit decimal reads back as |n|, that
 * decimal is what String(n) prints. With |n|·10^k < 2^40 the candidate is unique and exact:
 * m = round(|n|·10^k) is within 2^-12 of the true product whenever any candidate exists, and
 * m / 10^k (two exact doubles, one correctly rounded division) is the double that decimal
 * reads as. Postgres' fixed-notation range [1e-4, 1e15) and JS's agree there. Anything else
 * goes through formatFloat8.
 */
export function writeFloat8(b: Uint8Array, p: number, n: number): number {
  const a = n < 0 ? -n : n;
  if (a >= 1e-4 && a < 1e12) {
    for (let k = 0; k < 16; k++) {
      const pow = POW10[k]!;
      const x = a * pow;
      if (x >= FAST_FLOAT_LIMIT) break;
      const m = Math.round(x);
      // A candidate needs x within 2^-12 of m (see above): skip the division otherwise.
      if (x - m < 0.001 && m - x < 0.001 && m / pow === a) {
        if (n < 0) b[p++] = 45;
        if (k === 0) return writeUInt(b, p, m);
        const int = Math.floor(m / pow);
        p = writeUInt(b, p, int);
        b[p++] = 46;
        return writeUIntPadded(b, p, m - int * pow, k);
      }
    }
  }
  return writeAscii(b, p, formatFloat8(n));
}
/** Longest float8 text ("-2.2250738585072014e-308"). */
export const MAX_FLOAT8_TEXT = 26;

// Civil dates of 1900-01-01 … 2100-12-31 (where nearly all data lives) come from a table built
// on first use (~290 KB, y·512 + m·32 + d); others are computed.
const TABLE_BASE = -25567; /* 1900-01-01 */
const TABLE_SPAN = 73415;
let ymdTable: Int32Array | null = null;
let cy = 0;
let cm = 0;
let cd = 0;

function buildTable(): Int32Array {
  const t = new Int32Array(TABLE_SPAN);
  for (let i = 0; i < TABLE_SPAN; i++) {
    civilFromDays(TABLE_BASE + i);
    t[i] = civil.year * 512 + civil.month * 32 + civil.day;
  }
  return t;
}

/** Sets cy/cm/cd to the civil date of `days` since 1970-01-01. */
function setCivil(days: number): void {
  const k = days - TABLE_BASE;
  if (k >= 0 && k < TABLE_SPAN) {
    const v = (ymdTable ??= buildTable())[k]!;
    cy = v >> 9;
    cm = (v >> 5) & 15;
    cd = v & 31;
  } else {
    civilFromDays(days);
    cy = civil.year;
    cm = civil.month;
    cd = civil.day;
  }
}

/** "HH:MM:SS[.ffffff]" for microseconds of day (formatTimeMicros), trailing zeros trimmed. */
export function writeTimeMicros(b: Uint8Array, p: number, us: number): number {
  const secs = Math.floor(us / 1_000_000);
  const frac = us - secs * 1_000_000;
  if (secs < 360_000) {
    const h = (secs / 3600) | 0;
    const rest = secs - h * 3600;
    const m = (rest / 60) | 0;
    p = write2(b, p, h);
    b[p++] = 58; /* : */
    p = write2(b, p, m);
    b[p++] = 58;
    p = write2(b, p, rest - m * 60);
  } else {
    const h = Math.floor(secs / 3600);
    const rest = secs - h * 3600;
    const m = Math.floor(rest / 60);
    p = writeUInt(b, p, h);
    b[p++] = 58;
    p = write2(b, p, m);
    b[p++] = 58;
    p = write2(b, p, rest - m * 60);
  }
  if (frac === 0) return p;
  // ".ffffff" with trailing zeros dropped (frac ≠ 0, so a digit stays).
  b[p] = 46; /* . */
  const hi = (frac / 10000) | 0;
  const lo = frac - hi * 10000;
  const mid = (lo / 100) | 0;
  write2(b, p + 1, hi);
  write2(b, p + 3, mid);
  write2(b, p + 5, lo - mid * 100);
  let end = p + 7;
  while (b[end - 1] === 48) end--;
  return end;
}

/** A year as at least four digits. */
function writeYear(b: Uint8Array, p: number, y: number): number {
  if (y >= 1000 && y <= 9999) {
    const hi = (y / 100) | 0;
    write2(b, p, hi);
    return write2(b, p + 2, y - hi * 100);
  }
  return writeUIntPadded(b, p, y, 4);
}

/** "YYYY-MM-DD" (year without sign) for days since 1970-01-01; leaves the civil date in cy/cm/cd. */
function writeCivilDate(b: Uint8Array, p: number, days: number): number {
  setCivil(days);
  p = writeYear(b, p, cy > 0 ? cy : 1 - cy);
  b[p++] = 45;
  p = write2(b, p, cm);
  b[p++] = 45;
  return write2(b, p, cd);
}

/** "YYYY-MM-DD" (+ " BC") for days since 1970-01-01, or ±infinity (formatDateDays). */
export function writeDateDays(b: Uint8Array, p: number, days: number): number {
  if (days === DUCK_DATE_POS_INF) return writeAscii(b, p, 'infinity');
  if (days === DUCK_DATE_NEG_INF) return writeAscii(b, p, '-infinity');
  p = writeCivilDate(b, p, days);
  return cy > 0 ? p : writeAscii(b, p, ' BC');
}

/**
 * timestamp / timestamptz text for a finite safe-integer count of µs since 1970
 * (formatTimestampMicros / formatTimestampTZMicros; infinities are the caller's).
 */
export function writeTimestampMicros(b: Uint8Array, p: number, us: number, tz: boolean): number {
  let days = Math.floor(us / MICROS_PER_DAY);
  let rem = us - days * MICROS_PER_DAY;
  if (rem < 0) {
    days -= 1;
    rem += MICROS_PER_DAY;
  } else if (rem >= MICROS_PER_DAY) {
    days += 1;
    rem -= MICROS_PER_DAY;
  }
  p = writeCivilDate(b, p, days);
  const y = cy;
  b[p++] = 32;
  p = writeTimeMicros(b, p, rem);
  if (tz) {
    b[p++] = 43; /* + */
    b[p++] = 48;
    b[p++] = 48;
  }
  return y > 0 ? p : writeAscii(b, p, ' BC');
}

/** Lowercase hex of src[start, start + len). */
export function writeHex(b: Uint8Array, p: number, src: Uint8Array, start: number, len: number): number {
  for (let i = 0; i < len; i++) {
    const v = src[start + i]!;
    b[p++] = HEX[v >>> 4]!;
    b[p++] = HEX[v & 15]!;
  }
  return p;
}

/**
 * UUID text (8-4-4-4-12 lowercase hex) from DuckDB's storage: a little-endian hugeint whose
 * top bit is flipped, so byte j of the UUID is src[start + 15 - j] (the first one XOR 0x80).
 */
export function writeUuidText(b: Uint8Array, p: number, src: Uint8Array, start: number): number {
  for (let j = 0; j < 16; j++) {
    if (j === 4 || j === 6 || j === 8 || j === 10) b[p++] = 45;
    let v = src[start + 15 - j]!;
    if (j === 0) v ^= 0x80;
    b[p++] = HEX[v >>> 4]!;
    b[p++] = HEX[v & 15]!;
  }
  return p;
}
