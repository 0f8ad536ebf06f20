/**
 * Text input for booleans, integers, floats and numerics, following Postgres' input
 * functions (boolin, int4in, float8in, numeric_in): what they accept, how they round, and
 * which error they raise. Each parser returns canonical text DuckDB casts to the same value.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { formatFloat4, formatFloat8 } from './format-float.js';
import { floatOutOfRange, intOutOfRange, invalidSyntax, numericOverflow } from './input-errors.js';

/** C isspace(): space, \t \n \v \f \r. */
export function isSpaceCode(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function trimStart(s: string): number {
  let i = 0;
  while (i < s.length && isSpaceCode(s.charCodeAt(i))) i++;
  return i;
}

function trimEnd(s: string): number {
  let j = s.length;
  while (j > 0 && isSpaceCode(s.charCodeAt(j - 1))) j--;
  return j;
}

// ---------------------------------------------------------------------------------------
// boolean

/** boolin: trimmed, case-insensitive, and any unambiguous prefix of true/false/yes/no/on/off. */
export function parseBool(text: string): boolean {
  const v = text.slice(trimStart(text), trimEnd(text)).toLowerCase();
  const n = v.length;
  if (n > 0) {
    switch (v[0]) {
      case 't': if ('true'.startsWith(v)) return true; break;
      case 'f': if ('false'.startsWith(v)) return false; break;
      case 'y': if ('yes'.startsWith(v)) return true; break;
      case 'n': if ('no'.startsWith(v)) return false; break;
      case 'o':
        // "o" alone is ambiguous between on and off.
        if (n >= 2 && 'on'.startsWith(v)) return true;
        if (n >= 2 && 'off'.startsWith(v)) return false;
        break;
      case '1': if (n === 1) return true; break;
      case '0': if (n === 1) return false; break;
      default: break;
    }
  }
  throw invalidSyntax('boolean', text);
}

// ---------------------------------------------------------------------------------------
// integers

export interface IntegerKind {
  /** Name used in error messages (Postgres' for int2/4/8, DuckDB's lower-cased otherwise). */
  name: string;
  min: bigint;
  max: bigint;
}

export const INT2: IntegerKind = { name: 'smallint', min: -32768n, max: 32767n };
export const INT4: IntegerKind = { name: 'integer', min: -2147483648n, max: 2147483647n };
export const INT8: IntegerKind = { name: 'bigint', min: -(2n ** 63n), max: 2n ** 63n - 1n };

/**
 * pg_strtoint*: optional whitespace, optional sign, decimal digits, optional whitespace.
 * Like Postgres, overflow is reported as soon as the digits overflow, even if garbage follows.
 */
export function parseInteger(text: string, kind: IntegerKind): string {
  let i = trimStart(text);
  let negative = false;
  const c0 = text.charCodeAt(i);
  if (c0 === 45 /* - */) { negative = true; i++; } else if (c0 === 43 /* + */) i++;
  const start = i;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  if (i === start) throw invalidSyntax(kind.name, text);
  let digits = text.slice(start, i);
  // Fast path for values that are certainly in range of every kind we parse.
  let value: bigint | undefined;
  if (digits.length <= 15) {
    const n = Number(digits);
    const v = negative ? -n : n;
    if (v >= Number(kind.min) && v <= Number(kind.max)) {
      for (; i < text.length; i++) if (!isSpaceCode(text.charCodeAt(i))) throw invalidSyntax(kind.name, text);
      return `${v === 0 ? 0 : v}`;
    }
  }
  value = BigInt(digits);
  if (negative) value = -value;
  if (value < kind.min || value > kind.max) throw intOutOfRange(kind.name, text);
  for (; i < text.length; i++) if (!isSpaceCode(text.charCodeAt(i))) throw invalidSyntax(kind.name, text);
  digits = `${value}`;
  return digits;
}

// ---------------------------------------------------------------------------------------
// floats

const DECIMAL_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const SPECIAL_FLOAT = /^([+-]?)(?:(infinity|inf)|(nan))/i;

/**
 * float4in/float8in: strtod syntax (decimal; inf/infinity/nan in any case), surrounding
 * whitespace allowed. Results that overflow to ±∞ or underflow to 0 from non-zero digits are
 * out of range, as in Postgres. Hexadecimal floats are not accepted.
 */
function parseFloatValue(text: string, typeName: 'real' | 'double precision', single: boolean): number {
  const start = trimStart(text);
  const rest = text.slice(start);
  if (rest.length === 0) throw invalidSyntax(typeName, text);
  let value: number;
  let len: number;
  const m = DECIMAL_FLOAT.exec(rest);
  if (m !== null) {
    len = m[0].length;
    const num = m[0];
    value = Number(num);
    if (single) value = toFloat32(num, value);
    const nonZeroDigits = /[1-9]/.test(num.replace(/[eE].*$/, ''));
    if (!Number.isFinite(value) || (value === 0 && nonZeroDigits)) throw floatOutOfRange(typeName, num);
  } else {
    const s = SPECIAL_FLOAT.exec(rest);
    if (s === null) throw invalidSyntax(typeName, text);
    len = s[0].length;
    if (s[3] !== undefined) {
      value = NaN;
      // glibc strtod also takes "nan(chars)".
      const paren = /^\([0-9A-Za-z_]*\)/.exec(rest.slice(len));
      if (paren !== null) len += paren[0].length;
    } else {
      value = s[1] === '-' ? -Infinity : Infinity;
    }
  }
  for (let i = len; i < rest.length; i++) if (!isSpaceCode(rest.charCodeAt(i))) throw invalidSyntax(typeName, text);
  return value;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Round a decimal to float32 the way strtof does. Going through a double can round twice;
 * that only matters when the double lands exactly on the midpoint between two floats, in
 * which case the decimal text decides.
 */
function toFloat32(num: string, asDouble: number): number {
  const f = Math.fround(asDouble);
  if (f === asDouble || !Number.isFinite(f) || f === 0) return f;
  f32[0] = f;
  const bits = u32[0];
  // The float on the other side of the double.
  u32[0] = Math.abs(asDouble) > Math.abs(f) ? bits + 1 : bits - 1;
  const other = f32[0];
  if ((f + other) / 2 !== asDouble) return f;
  // Exact midpoint as a double: compare the decimal itself with it.
  const cmp = compareDecimalText(num, asDouble);
  if (cmp === 0) return f; // a true tie: fround already rounded to even
  const decimalIsBeyond = (cmp > 0) === (asDouble > 0);
  const fIsBeyond = Math.abs(f) > Math.abs(asDouble);
  return decimalIsBeyond === fIsBeyond ? f : other;
}

/** Sign of (decimal text) − x, exactly. */
function compareDecimalText(num: string, x: number): number {
  const m = /^([+-]?)(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(num);
  if (m === null) return 0;
  const digits = BigInt((m[2] + m[3]) || '0') * (m[1] === '-' ? -1n : 1n);
  const exp10 = Number(m[4] ?? 0) - m[3].length;
  const f64 = new Float64Array([x]);
  const bits = new BigUint64Array(f64.buffer)[0];
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xf_ffff_ffff_ffffn;
  let mant = biased === 0 ? frac : frac | (1n << 52n);
  if (negative) mant = -mant;
  const e2 = biased === 0 ? -1074 : biased - 1075;
  let left = digits;
  let right = mant;
  if (exp10 >= 0) left *= 10n ** BigInt(exp10);
  else right *= 10n ** BigInt(-exp10);
  if (e2 >= 0) right <<= BigInt(e2);
  else left <<= BigInt(-e2);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** float8 input → canonical text (Postgres' own output form, which DuckDB reads back exactly). */
export function parseFloat8(text: string): string {
  return formatFloat8(parseFloatValue(text, 'double precision', false));
}

export function parseFloat4(text: string): string {
  return formatFloat4(parseFloatValue(text, 'real', true));
}

/** The numeric value of float input (for callers that need the number, e.g. binary params). */
export function parseFloatNumber(text: string, single: boolean): number {
  return parseFloatValue(text, single ? 'real' : 'double precision', single);
}

// ---------------------------------------------------------------------------------------
// numeric

export interface ParsedNumeric {
  kind: 'finite' | 'nan' | 'inf' | '-inf';
  negative: boolean;
  /** Significant digits without leading zeros ('' for zero). */
  digits: string;
  /** value = digits × 10^exp10 */
  exp10: number;
  /** Fractional digits as written (Postgres' display scale for unconstrained numeric). */
  dscale: number;
}

const NUMERIC_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const NUMERIC_SPECIAL = /^([+-]?)(?:(infinity|inf)|(nan))$/i;

/** numeric_in's syntax: [sign] digits [. digits] [e [sign] digits], NaN, [±]Infinity/inf; whitespace around. */
export function parseNumericText(text: string): ParsedNumeric {
  const body = text.slice(trimStart(text), trimEnd(text));
  const m = NUMERIC_RE.exec(body);
  if (m !== null && (m[2].length > 0 || (m[3] ?? '').length > 0)) {
    const intPart = m[2];
    const fracPart = m[3] ?? '';
    const exp = m[4] === undefined ? 0 : Number(m[4]);
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 100_000) throw invalidSyntax('numeric', text);
    let digits = (intPart + fracPart).replace(/^0+/, '');
    let exp10 = exp - fracPart.length;
    // Normalise trailing zeros into the exponent (keeps strings short for 1e50-style input).
    let t = digits.length;
    while (t > 0 && digits.charCodeAt(t - 1) === 48) t--;
    exp10 += digits.length - t;
    digits = digits.slice(0, t);
    return { kind: 'finite', negative: m[1] === '-' && digits.length > 0, digits, exp10, dscale: Math.max(0, fracPart.length - exp) };
  }
  const s = NUMERIC_SPECIAL.exec(body);
  if (s === null) throw invalidSyntax('numeric', text);
  if (s[3] !== undefined) return { kind: 'nan', negative: false, digits: '', exp10: 0, dscale: 0 };
  return { kind: s[1] === '-' ? '-inf' : 'inf', negative: s[1] === '-', digits: '', exp10: 0, dscale: 0 };
}

/** Round half away from zero to `scale` fractional digits; returns the scaled integer's digits. */
function roundToScale(p: ParsedNumeric, scale: number): string {
  if (p.digits.length === 0) return '0';
  const shift = p.exp10 + scale; // digits × 10^shift is the scaled value
  if (shift >= 0) return p.digits + '0'.repeat(shift);
  const keep = p.digits.length + shift;
  if (keep < 0) return '0';
  const roundUp = p.digits.charCodeAt(keep) >= 53; // first dropped digit ≥ 5
  const kept = keep === 0 ? '0' : p.digits.slice(0, keep);
  return roundUp ? `${BigInt(kept) + 1n}` : kept;
}

/**
 * numeric_in + apply_typmod for DECIMAL(precision, scale): round to the scale, then reject
 * values needing more than precision − scale integer digits (22003, Postgres' detail).
 */
export function parseDecimal(text: string, precision: number, scale: number, pgName: string): string {
  const p = parseNumericText(text);
  if (p.kind === 'nan') {
    throw new DuckMeshError(SqlState.featureNotSupported, `NaN cannot be stored in a column of type ${pgName}`,
      { detail: 'DuckDB decimals have no NaN value.', hint: 'Use double precision to store NaN.' });
  }
  if (p.kind !== 'finite') {
    throw numericOverflow(`A field with precision ${precision}, scale ${scale} cannot hold an infinite value.`);
  }
  const maxInt = precision - scale;
  // Cheap overflow test before building long strings: integer digits = len + exp10.
  if (p.digits.length > 0 && p.digits.length + p.exp10 > maxInt + 1) throw overflow(precision, scale);
  const scaled = roundToScale(p, scale);
  if (scaled !== '0' && scaled.length > precision) throw overflow(precision, scale);
  return formatScaled(p.negative && scaled !== '0', scaled, scale);
}

function overflow(precision: number, scale: number): DuckMeshError {
  const maxInt = precision - scale;
  return numericOverflow(
    `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${maxInt === 0 ? '1' : `10^${maxInt}`}.`,
  );
}

function formatScaled(negative: boolean, scaled: string, scale: number): string {
  let s = scaled;
  if (scale > 0) {
    if (s.length <= scale) s = '0'.repeat(scale - s.length + 1) + s;
    s = `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  }
  return negative ? `-${s}` : s;
}

/** Canonical text of an unconstrained numeric (its written display scale), e.g. for parameters. */
export function formatParsedNumeric(p: ParsedNumeric): string {
  if (p.kind === 'nan') return 'NaN';
  if (p.kind === 'inf') return 'Infinity';
  if (p.kind === '-inf') return '-Infinity';
  const scale = Math.max(p.dscale, 0);
  return formatScaled(p.negative && p.digits.length > 0, roundToScale(p, scale), scale);
}
