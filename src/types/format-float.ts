/**
 * float4/float8 text output as Postgres ≥ 12 prints it with extra_float_digits ≥ 1 (the
 * default, and what drivers set): the shortest decimal that reads back to the same value
 * (Ryu), in fixed notation when the decimal exponent is in [-4, 15) for float8 or
 * [-4, 6) for float4, otherwise "d.ddde+XX" with at least two exponent digits.
 *
 * JavaScript's Number→string conversion is also "shortest round-trip, nearest, ties to
 * even", so float8 can reuse it; float4 needs its own shortest search against Math.fround.
 */

/** Render shortest digits `digits` (no leading/trailing zeros) with decimal exponent `exp` (value = d.ddd × 10^exp). */
function render(negative: boolean, digits: string, exp: number, fixedLimit: number): string {
  let out: string;
  if (exp < -4 || exp >= fixedLimit) {
    const mant = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const e = Math.abs(exp);
    out = `${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  } else if (exp < 0) {
    out = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    out = digits + '0'.repeat(exp + 1 - digits.length);
  } else {
    out = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return negative ? `-${out}` : out;
}

/** Split JS exponential notation "d.ddde±x" into digits and exponent. */
function renderExponential(negative: boolean, s: string, fixedLimit: number): string {
  const e = s.indexOf('e');
  const mant = s.slice(0, e);
  const digits = mant.length > 1 ? mant[0] + mant.slice(2) : mant;
  return render(negative, digits, Number(s.slice(e + 1)), fixedLimit);
}

export function formatFloat8(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  if (n !== n) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  const a = n < 0 ? -n : n;
  // JS prints fixed notation for 1e-7 ≤ |n| < 1e21, a superset of Postgres' range.
  if (a >= 1e-4 && a < 1e15) return `${n}`;
  return renderExponential(n < 0, a.toExponential(), 15);
}

/**
 * Shortest digits that round-trip through float32. toExponential(p) gives the nearest
 * p-digit decimal; at a power of two the rounding interval is lopsided, so when the nearest
 * candidate misses, its neighbour on the wide side may still hit.
 */
function shortestFloat32(a: number): string {
  for (let p = 1; p <= 9; p++) {
    const s = a.toExponential(p - 1);
    const v = Number(s);
    if (Math.fround(v) === a) return s;
    const e = s.indexOf('e');
    const exp = Number(s.slice(e + 1));
    const mant = Number(s.slice(0, e).replace('.', ''));
    const other = `${v < a ? mant + 1 : mant - 1}e${exp - (p - 1)}`;
    if (Math.fround(Number(other)) === a) return Number(other).toExponential();
  }
  return a.toExponential(8);
}

export function formatFloat4(n: number): string {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  if (n !== n) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  const a = n < 0 ? -n : n;
  return renderExponential(n < 0, shortestFloat32(a), 6);
}
