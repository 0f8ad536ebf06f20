/**
 * float4/float8 text output as Postgres ≥ 12 prints it with extra_float_digits ≥ 1 (the
 * default, and what drivers set): Ryu's shortest decimal that reads back to the same
 * value, in fixed notation when the decimal exponent is in [-4, 15) for float8 or [-4, 6)
 * for float4, otherwise "d.ddde+XX" with at least two exponent digits.
 *
 * Postgres builds Ryu with STRICTLY_SHORTEST = 0: a decimal lying exactly on the midpoint
 * between two floats is never printed (the reader would need round-half-even to get it
 * back). Among the shortest candidates strictly inside the rounding interval it picks the
 * nearest, ties to even.
 *
 * float8: JavaScript's Number→string is also shortest/nearest/ties-to-even but accepts
 * exact midpoints. Below 2^53 a shortest candidate can never be a midpoint (a midpoint
 * needs more significant digits than the value itself), so String(n) is exact there; above,
 * candidates are checked exactly with BigInt. float4: searched with toExponential(p),
 * checking each candidate against the float32 rounding interval, whose bounds are exact
 * doubles.
 */

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Exact binary decomposition of a positive finite double: value = m × 2^e. */
function decompose(x: number): { m: bigint; e: number } {
  f64[0] = x;
  const bits = u64[0];
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xf_ffff_ffff_ffffn;
  return biased === 0 ? { m: frac, e: -1074 } : { m: frac | (1n << 52n), e: biased - 1075 };
}

/** Sign of (d × 10^k) − (m × 2^e), exactly. */
function compareExact(d: bigint, k: number, m: bigint, e: number): number {
  let left = d;
  let right = m;
  if (k >= 0) left *= 10n ** BigInt(k);
  else right *= 10n ** BigInt(-k);
  if (e >= 0) right <<= BigInt(e);
  else left <<= BigInt(-e);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * A rounding interval (lo, hi) around `value`. Exact bounds are m × 2^e; for float4 they are
 * also plain doubles (`lo`/`hi`, else NaN) and the exact form is only derived when needed.
 */
interface Interval {
  value: number;
  lo: number;
  hi: number;
  exact?: { loM: bigint; loE: number; hiM: bigint; hiE: number };
}

function exactBounds(iv: Interval): { loM: bigint; loE: number; hiM: bigint; hiE: number } {
  if (iv.exact === undefined) {
    const l = decompose(iv.lo);
    const h = decompose(iv.hi);
    iv.exact = { loM: l.m, loE: l.e, hiM: h.m, hiE: h.e };
  }
  return iv.exact;
}

function strictlyInside(d: string, k: number, iv: Interval): boolean {
  if (iv.lo === iv.lo) {
    // Fast path: the bounds are doubles and rounding is monotonic, so only a tie with a bound is ambiguous.
    const n = Number(`${d}e${k}`);
    if (n > iv.lo && n < iv.hi) return true;
    if (n < iv.lo || n > iv.hi) return false;
  }
  const big = BigInt(d);
  const b = exactBounds(iv);
  return compareExact(big, k, b.loM, b.loE) > 0 && compareExact(big, k, b.hiM, b.hiE) < 0;
}

interface Decimal {
  /** The significand's digits (an integer, up to 17 digits, kept as text to stay exact). */
  digits: string;
  /** value = digits × 10^exp10 */
  exp10: number;
}

/** Parse "d.ddde±x" into integer significand digits and exponent. */
function parseExponential(s: string): Decimal {
  const e = s.indexOf('e');
  const mant = s.slice(0, e);
  const dot = mant.indexOf('.');
  if (dot < 0) return { digits: mant, exp10: Number(s.slice(e + 1)) };
  return { digits: mant.slice(0, dot) + mant.slice(dot + 1), exp10: Number(s.slice(e + 1)) - (mant.length - dot - 1) };
}

/** Is `a` exactly halfway between (m − 1) × 10^k and m × 10^k? */
function isTieBelow(a: number, m: bigint, k: number): boolean {
  const { m: am, e: ae } = decompose(a);
  return compareExact((2n * m - 1n) * 5n, k - 1, am, ae) === 0;
}

/** Neighbouring significand (±1), exactly: plain numbers while they are safe integers. */
function stepDigits(digits: string, up: boolean): string {
  if (digits.length <= 15) return `${Number(digits) + (up ? 1 : -1)}`;
  return `${BigInt(digits) + (up ? 1n : -1n)}`;
}

/**
 * The p-digit decimal Ryu would print if p digits suffice, else undefined. Only the nearest
 * p-digit decimal on each side of the value can be inside the interval; toExponential(p − 1)
 * gives the nearest overall (ties away from zero), so check it, then its neighbour across.
 */
function candidate(a: number, iv: Interval, p: number): Decimal | undefined {
  const near = parseExponential(a.toExponential(p - 1));
  const { digits, exp10: k } = near;
  if (strictlyInside(digits, k, iv)) {
    // JS rounds ties up; Ryu rounds them to even. Only an odd last digit can be the wrong choice.
    if ((digits.charCodeAt(digits.length - 1) & 1) === 1) {
      const more = a.toExponential(p);
      if (more.charCodeAt(more.indexOf('e') - 1) === 53 /* '5' */) {
        const m = BigInt(digits);
        const lower = `${m - 1n}`;
        if (isTieBelow(a, m, k) && strictlyInside(lower, k, iv)) return { digits: lower, exp10: k };
      }
    }
    return near;
  }
  const other = stepDigits(digits, Number(`${digits}e${k}`) < a);
  if (other !== '0' && strictlyInside(other, k, iv)) return { digits: other, exp10: k };
  return undefined;
}

/**
 * The shortest decimal strictly inside the rounding interval, nearest to the value, ties to
 * even. If p digits suffice so do p + 1 (append a zero), so binary-search the length.
 */
function shortestInside(a: number, iv: Interval, maxDigits: number, minDigits = 1): Decimal {
  let lo = minDigits;
  let hi = maxDigits;
  let best: Decimal | undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = candidate(a, iv, mid);
    if (c === undefined) lo = mid + 1;
    else {
      best = c;
      hi = mid;
    }
  }
  return best ?? candidate(a, iv, hi) ?? parseExponential(a.toExponential(maxDigits - 1));
}

/** Render significand/exponent in Postgres' layout; fixed notation for exponents in [-4, fixedLimit). */
function render(negative: boolean, dec: Decimal, fixedLimit: number): string {
  let digits = dec.digits;
  let k = dec.exp10;
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) end--;
  k += digits.length - end;
  digits = digits.slice(0, end);
  const exp = k + digits.length - 1;
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

function special(n: number): string | undefined {
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  if (n !== n) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  return undefined;
}

/** Rounding interval of a positive double ≥ 2^53 (its neighbours are ulp and, at a power of two, ulp/2 away). */
function float64Interval(a: number): Interval {
  const { m, e } = decompose(a);
  const lowerGapHalved = m === 1n << 52n; // power of two: the next lower double is closer
  return {
    value: a,
    lo: NaN,
    hi: NaN,
    exact: {
      hiM: 2n * m + 1n, hiE: e - 1,
      loM: lowerGapHalved ? 4n * m - 1n : 2n * m - 1n, loE: lowerGapHalved ? e - 2 : e - 1,
    },
  };
}

export function formatFloat8(n: number): string {
  const sp = special(n);
  if (sp !== undefined) return sp;
  const a = n < 0 ? -n : n;
  // JS prints fixed notation for 1e-7 ≤ |n| < 1e21, a superset of Postgres' range.
  if (a >= 1e-4 && a < 1e15) return `${n}`;
  const shortest = parseExponential(a.toExponential());
  if (a < 2 ** 53) return render(n < 0, shortest, 15);
  const iv = float64Interval(a);
  if (strictlyInside(shortest.digits, shortest.exp10, iv)) return render(n < 0, shortest, 15);
  // The JS answer is an exact midpoint; Postgres prints the next longer candidate.
  return render(n < 0, shortestInside(a, iv, 17, shortest.digits.length + 1), 15);
}

function float32Interval(a: number): Interval {
  f32[0] = a;
  const bits = u32[0];
  u32[0] = bits + 1;
  const up = f32[0];
  u32[0] = bits - 1;
  const down = f32[0];
  // Float32 neighbours and their midpoints are exact doubles.
  const hi = up === Infinity ? a + (a - down) / 2 : (a + up) / 2;
  return { value: a, lo: (a + down) / 2, hi };
}

/** Correctly rounded powers of ten 10^-60 … 10^60 (indexed by exponent + 60). */
const POW10: readonly number[] = Array.from({ length: 121 }, (_, i) => Number(`1e${i - 60}`));

/**
 * Fast float4 path in plain doubles: at each decimal scale 10^-j (coarse to fine), the only
 * candidates are floor(a·10^j) and the next integer; the first scale where the nearest of
 * them (or else the other) lies strictly inside (lo, hi) gives the answer. Scaling rounds,
 * so any decision closer than TOL to a bound or to a tie is handed to the exact search.
 */
const TOL = 1e-6;
function fastShortest32(a: number, lo: number, hi: number): Decimal | undefined {
  let j = -Math.ceil(Math.log10(a)) - 1;
  for (let iter = 0; iter < 12; iter++, j++) {
    let x: number;
    let l: number;
    let h: number;
    if (j < 0 && j >= -22) {
      // Dividing by an exact power of ten rounds once.
      const d = POW10[60 - j];
      x = a / d; l = lo / d; h = hi / d;
    } else {
      const m = POW10[60 + j];
      x = a * m; l = lo * m; h = hi * m;
    }
    const d1 = Math.floor(x);
    const frac = x - d1;
    if (Math.abs(frac - 0.5) < TOL) return undefined;
    const near = frac < 0.5 ? d1 : d1 + 1;
    const far = frac < 0.5 ? d1 + 1 : d1;
    if (near !== 0) {
      if (near > l + TOL && near < h - TOL) return { digits: `${near}`, exp10: -j };
      if (!(near < l - TOL || near > h + TOL)) return undefined;
    }
    if (far !== 0) {
      if (far > l + TOL && far < h - TOL) return { digits: `${far}`, exp10: -j };
      if (!(far < l - TOL || far > h + TOL)) return undefined;
    }
  }
  return undefined;
}

export function formatFloat4(n: number): string {
  const sp = special(n);
  if (sp !== undefined) return sp;
  const a = n < 0 ? -n : n;
  // Integers below 2^24 print exactly (Ryu's small-integer path); no shorter candidate fits.
  if (a < 16777216 && Number.isInteger(a)) return render(n < 0, { digits: `${a}`, exp10: 0 }, 6);
  const iv = float32Interval(a);
  return render(n < 0, fastShortest32(a, iv.lo, iv.hi) ?? shortestInside(a, iv, 9), 6);
}
