/**
 * numeric values in Postgres' text and binary wire formats. DuckDB hands out DECIMAL as a
 * scaled bigint (value / 10^scale) and HUGEINT/UBIGINT as plain bigints (scale 0).
 */

/** Text with exactly `scale` fractional digits, like numeric_out for numeric(p,scale). */
export function formatDecimal(value: bigint, scale: number): string {
  if (scale === 0) return `${value}`;
  const negative = value < 0n;
  let s = `${negative ? -value : value}`;
  if (s.length <= scale) s = '0'.repeat(scale - s.length + 1) + s;
  const cut = s.length - scale;
  return `${negative ? '-' : ''}${s.slice(0, cut)}.${s.slice(cut)}`;
}

const NUMERIC_POS = 0x0000;
const NUMERIC_NEG = 0x4000;
const NUMERIC_NAN = 0xc000;
const NUMERIC_PINF = 0xd000;
const NUMERIC_NINF = 0xf000;

/**
 * numeric_send: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then ndigits base-10000
 * digits; weight is the power of 10000 of the first digit. Leading and trailing zero digits are
 * stripped (as Postgres stores them) and zero is {0 digits, weight 0, positive}.
 */
export function encodeNumericBinary(value: bigint, scale: number): Buffer {
  const negative = value < 0n;
  let s = `${negative ? -value : value}`;
  if (s.length <= scale) s = '0'.repeat(scale - s.length + 1) + s;
  const intLen = s.length - scale;
  // Align so the decimal point falls on a group boundary.
  const lead = (4 - (intLen % 4)) % 4;
  const trail = (4 - (scale % 4)) % 4;
  const padded = '0'.repeat(lead) + s + '0'.repeat(trail);
  const groups = padded.length / 4;
  let weight = (intLen + lead) / 4 - 1;
  let first = 0;
  let last = groups - 1;
  const group = (i: number): number => {
    const o = i * 4;
    return (padded.charCodeAt(o) - 48) * 1000 + (padded.charCodeAt(o + 1) - 48) * 100
      + (padded.charCodeAt(o + 2) - 48) * 10 + (padded.charCodeAt(o + 3) - 48);
  };
  while (first <= last && group(first) === 0) { first++; weight--; }
  while (last >= first && group(last) === 0) last--;
  const ndigits = last - first + 1;
  const buf = Buffer.allocUnsafe(8 + ndigits * 2);
  buf.writeInt16BE(ndigits, 0);
  buf.writeInt16BE(ndigits === 0 ? 0 : weight, 2);
  buf.writeUInt16BE(ndigits === 0 || !negative ? NUMERIC_POS : NUMERIC_NEG, 4);
  buf.writeInt16BE(scale, 6);
  for (let i = 0; i < ndigits; i++) buf.writeInt16BE(group(first + i), 8 + i * 2);
  return buf;
}

/** Special values (NaN, ±Infinity) in numeric binary form. */
export function encodeNumericSpecial(kind: 'NaN' | 'Infinity' | '-Infinity'): Buffer {
  const buf = Buffer.alloc(8);
  buf.writeUInt16BE(kind === 'NaN' ? NUMERIC_NAN : kind === 'Infinity' ? NUMERIC_PINF : NUMERIC_NINF, 4);
  return buf;
}

/** numeric_recv → decimal text with exactly dscale fractional digits ("NaN", "Infinity", "-Infinity" for specials). */
export function decodeNumericBinary(buf: Buffer): string {
  if (buf.length < 8) throw new RangeError('numeric value is too short');
  const ndigits = buf.readInt16BE(0);
  const weight = buf.readInt16BE(2);
  const sign = buf.readUInt16BE(4);
  const dscale = buf.readInt16BE(6);
  if (sign === NUMERIC_NAN) return 'NaN';
  if (sign === NUMERIC_PINF) return 'Infinity';
  if (sign === NUMERIC_NINF) return '-Infinity';
  if ((sign !== NUMERIC_POS && sign !== NUMERIC_NEG) || ndigits < 0 || dscale < 0 || buf.length !== 8 + ndigits * 2) {
    throw new RangeError('invalid numeric binary value');
  }
  const digit = (i: number): number => {
    if (i < 0 || i >= ndigits) return 0;
    const d = buf.readInt16BE(8 + i * 2);
    if (d < 0 || d > 9999) throw new RangeError('invalid digit in external "numeric" value');
    return d;
  };
  let int = '';
  if (weight < 0) int = '0';
  else {
    for (let i = 0; i <= weight; i++) {
      const d = digit(i);
      int += i === 0 ? `${d}` : `${d}`.padStart(4, '0');
    }
  }
  let frac = '';
  for (let i = weight + 1; frac.length < dscale; i++) frac += `${digit(i)}`.padStart(4, '0');
  frac = frac.slice(0, dscale);
  const negative = sign === NUMERIC_NEG && /[1-9]/.test(int + frac);
  return `${negative ? '-' : ''}${int}${dscale > 0 ? `.${frac}` : ''}`;
}
