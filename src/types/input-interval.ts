/**
 * interval input with Postgres 15's rules (IntervalStyle postgres): "1 year 2 mons -3 days
 * 04:05:06.5", "1.5 hours", "1-2" (years-months), "3 4:05" (days time), "@ 1 day ago",
 * ISO 8601 "P1Y2M3DT4H5M6S" and "P0001-02-03T04:05:06". Fractional units spill down the
 * way Postgres does (a month is 30 days, a day 24 hours); each unit may appear once.
 * Interval field restrictions (`interval day to second`) are not applied.
 */
import { tokenize } from './datetime-tokens.js';
import { badDatetime, intervalFieldOverflow, intervalOutOfRange } from './input-errors.js';

export interface IntervalValue {
  months: number;
  days: number;
  micros: bigint;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

type Unit = 'year' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond' | 'microsecond'
  | 'decade' | 'century' | 'millennium';

/** Postgres' deltatktbl (tokens compare on their first 10 characters). */
const UNITS: ReadonlyMap<string, Unit> = new Map<string, Unit>([
  ['y', 'year'], ['year', 'year'], ['years', 'year'], ['yr', 'year'], ['yrs', 'year'],
  ['mon', 'month'], ['mons', 'month'], ['month', 'month'], ['months', 'month'],
  ['w', 'week'], ['week', 'week'], ['weeks', 'week'],
  ['d', 'day'], ['day', 'day'], ['days', 'day'],
  ['h', 'hour'], ['hour', 'hour'], ['hours', 'hour'], ['hr', 'hour'], ['hrs', 'hour'],
  ['m', 'minute'], ['min', 'minute'], ['mins', 'minute'], ['minute', 'minute'], ['minutes', 'minute'],
  ['s', 'second'], ['sec', 'second'], ['secs', 'second'], ['second', 'second'], ['seconds', 'second'],
  ['ms', 'millisecond'], ['msec', 'millisecond'], ['msecs', 'millisecond'], ['millisecon', 'millisecond'],
  ['us', 'microsecond'], ['usec', 'microsecond'], ['usecs', 'microsecond'], ['microsecon', 'microsecond'],
  ['dec', 'decade'], ['decade', 'decade'], ['decades', 'decade'], ['decs', 'decade'],
  ['c', 'century'], ['cent', 'century'], ['centuries', 'century'], ['century', 'century'],
  ['mil', 'millennium'], ['millennia', 'millennium'], ['millennium', 'millennium'], ['mils', 'millennium'],
]);

/** Field masks for duplicate detection; a time field claims hours, minutes and all second units. */
const ALL_SECONDS = 32 | 64 | 128;
const BIT: Record<Unit | 'time', number> = {
  year: 1, month: 2, day: 4, hour: 8, minute: 16, second: 32, millisecond: 64, microsecond: 128,
  week: 256, decade: 512, century: 1024, millennium: 2048, time: 8 | 16 | ALL_SECONDS,
};

class BadFormat extends Error {}
class FieldOverflow extends Error {}

/** Accumulated fields, like Postgres' pg_itm_in. Whole-unit values arrive as int64 (bigint). */
class Acc {
  years = 0;
  months = 0;
  days = 0;
  usec = 0n;

  addYears(val: bigint, scale: number): void {
    this.years = int32(this.years + int32(int32(Number(val)) * scale));
  }

  /** AdjustFractYears: fractional years become whole months (rint). */
  addFractYears(frac: number, scale: number): void {
    if (frac !== 0) this.months = int32(this.months + rint(frac * scale * 12));
  }

  addMonths(val: bigint): void {
    this.months = int32(this.months + int32(Number(val)));
  }

  addDays(val: bigint, scale: number): void {
    this.days = int32(this.days + int32(int32(Number(val)) * scale));
  }

  /** AdjustFractDays: whole days, remainder into microseconds. */
  addFractDays(frac: number, scale: number): void {
    if (frac === 0) return;
    const f = frac * scale;
    const whole = Math.trunc(f);
    this.days = int32(this.days + whole);
    this.addFractMicros(f - whole, 86_400_000_000);
  }

  /** AdjustFractMicroseconds: truncate, then round the leftover fraction of a µs. */
  addFractMicros(frac: number, scale: number): void {
    if (frac === 0) return;
    const f = frac * scale;
    const whole = Math.trunc(f);
    this.usec = int64(this.usec + BigInt(whole) + BigInt(rint(f - whole)));
  }

  addMicros(val: bigint, frac: number, scale: number): void {
    this.usec = int64(this.usec + int64(val * BigInt(scale)));
    this.addFractMicros(frac, scale);
  }
}

function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(r - x) === 0.5 && r % 2 !== 0 ? r - Math.sign(r - x) : r;
}

function int32(v: number): number {
  if (!Number.isFinite(v) || v < INT32_MIN || v > INT32_MAX) throw new FieldOverflow();
  return v;
}

function int64(v: bigint): bigint {
  if (v < INT64_MIN || v > INT64_MAX) throw new FieldOverflow();
  return v;
}

function bad(): never {
  throw new BadFormat();
}

/** ParseFraction: "." alone is 0, otherwise the whole text must be a decimal fraction. */
function fraction(text: string): number {
  if (text === '.') return 0;
  if (!/^\.\d+$/.test(text)) bad();
  return Number(text);
}

/** Interval time field "h:m", "h:m:s[.f]" or "m:s.f" → µs (hours unbounded). */
function timeField(text: string): bigint {
  const m = /^(\d+):(\d+)(?::(\d+))?(\.\d*)?$/.exec(text);
  if (m === null) bad();
  let h = BigInt(m[1]);
  let mi = Number(m[2]);
  let s = m[3] === undefined ? 0 : Number(m[3]);
  const frac = m[4] === undefined ? 0 : fraction(m[4]);
  if (m[3] === undefined && m[4] !== undefined) {
    s = mi;
    mi = Number(h);
    h = 0n;
  }
  const us = rint(frac * 1_000_000);
  if (mi > 59 || s > 60 || us > 1_000_000) throw new FieldOverflow();
  return int64(h * 3_600_000_000n + BigInt(mi) * 60_000_000n + BigInt(s) * 1_000_000n + BigInt(us));
}

function applyUnit(acc: Acc, unit: Unit, val: bigint, fval: number): void {
  switch (unit) {
    case 'microsecond': acc.addMicros(val, fval, 1); break;
    case 'millisecond': acc.addMicros(val, fval, 1000); break;
    case 'second': acc.addMicros(val, fval, 1_000_000); break;
    case 'minute': acc.addMicros(val, fval, 60_000_000); break;
    case 'hour': acc.addMicros(val, fval, 3_600_000_000); break;
    case 'day': acc.addDays(val, 1); acc.addFractMicros(fval, 86_400_000_000); break;
    case 'week': acc.addDays(val, 7); acc.addFractDays(fval, 7); break;
    case 'month': acc.addMonths(val); acc.addFractDays(fval, 30); break;
    case 'year': acc.addYears(val, 1); acc.addFractYears(fval, 1); break;
    case 'decade': acc.addYears(val, 10); acc.addFractYears(fval, 10); break;
    case 'century': acc.addYears(val, 100); acc.addFractYears(fval, 100); break;
    case 'millennium': acc.addYears(val, 1000); acc.addFractYears(fval, 1000); break;
  }
}

/** DecodeInterval: fields are read right to left so a unit applies to the number before it. */
function decodeFields(input: string): Acc {
  const fields = tokenize(input, (w) => UNITS.has(w.slice(0, 10)) || w === 'ago');
  if (fields === null) bad();
  const acc = new Acc();
  let fmask = 0;
  let unit: Unit | undefined;
  let parsingUnit = false;
  let ago = false;
  for (let i = fields.length - 1; i >= 0; i--) {
    const f = fields[i];
    let tmask = 0;
    let text = f.text;
    if (f.kind === 'time' || (f.kind === 'tz' && text.slice(1).includes(':'))) {
      const signed = f.kind === 'tz';
      let us = timeField(signed ? text.slice(1) : text);
      if (signed && text[0] === '-') us = -us;
      acc.usec = int64(acc.usec + us);
      tmask = BIT.time;
      unit = 'day';
      parsingUnit = false;
    } else if (f.kind === 'number' || f.kind === 'date' || f.kind === 'tz') {
      const u: Unit = unit ?? 'second';
      const m = /^([+-]?)(\d*)(.*)$/.exec(text);
      if (m === null || m[2] === '') {
        if (m === null || !m[3].startsWith('.')) bad();
      }
      const negative = m[1] === '-';
      if (m[2].length > 19) throw new FieldOverflow();
      let val = m[2] === '' ? 0n : BigInt(m[2]);
      if (negative) val = -val;
      int64(val);
      const rest = m[3];
      let fval = 0;
      let effective: Unit = u;
      if (rest.startsWith('-')) {
        // SQL "years-months"
        const mm = /^-(\d+)$/.exec(rest);
        if (mm === null) bad();
        let months = BigInt(mm[1]);
        if (months > 11n) throw new FieldOverflow();
        if (negative) months = -months;
        val = int64(val * 12n + months);
        effective = 'month';
      } else if (rest.startsWith('.')) {
        fval = fraction(rest);
        if (negative) fval = -fval;
      } else if (rest !== '') {
        bad();
      }
      applyUnit(acc, effective, val, fval);
      tmask = effective === 'second' && fval !== 0 ? ALL_SECONDS : BIT[effective];
      if (effective === 'hour') unit = 'day';
      parsingUnit = false;
    } else {
      // string: a unit for the number to its left, or "ago" at the very end
      if (parsingUnit) bad();
      const u = UNITS.get(text.slice(0, 10));
      if (u !== undefined) {
        unit = u;
        parsingUnit = true;
      } else if (text === 'ago') {
        if (i !== fields.length - 1) bad();
        ago = true;
      } else {
        bad();
      }
    }
    if ((tmask & fmask) !== 0) bad();
    fmask |= tmask;
  }
  if (fmask === 0 || parsingUnit) bad();
  if (ago) {
    acc.years = -acc.years;
    acc.months = -acc.months;
    acc.days = -acc.days;
    acc.usec = -acc.usec;
  }
  return acc;
}

/** ParseISO8601Number: a signed decimal, split into integer and fractional parts. */
function isoNumber(s: string, pos: number): { val: bigint; frac: number; end: number } {
  const m = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(s.slice(pos));
  if (m === null) bad();
  const v = Number(m[0]);
  if (!(v >= -(2 ** 63) && v < 2 ** 63)) throw new FieldOverflow();
  const val = Math.trunc(v);
  return { val: BigInt(val), frac: v - val, end: pos + m[0].length };
}

/** DecodeISO8601Interval: designators (PnYnMnWnDTnHnMnS) or the extended alternative format. */
function decodeIso(s: string): Acc {
  if (s.length < 2 || s[0] !== 'P') bad();
  const acc = new Acc();
  let pos = 1;
  let datePart = true;
  let haveField = false;
  while (pos < s.length) {
    if (s[pos] === 'T') {
      datePart = false;
      haveField = false;
      pos++;
      continue;
    }
    let n = isoNumber(s, pos);
    pos = n.end;
    const unitChar = pos < s.length ? s[pos++] : '';
    if (datePart) {
      switch (unitChar) {
        case 'Y': acc.addYears(n.val, 1); acc.addFractYears(n.frac, 1); break;
        case 'M': acc.addMonths(n.val); acc.addFractDays(n.frac, 30); break;
        case 'W': acc.addDays(n.val, 7); acc.addFractDays(n.frac, 7); break;
        case 'D': acc.addDays(n.val, 1); acc.addFractMicros(n.frac, 86_400_000_000); break;
        case 'T': case '': case '-': {
          if (haveField) bad();
          acc.addYears(n.val, 1);
          acc.addFractYears(n.frac, 1);
          if (unitChar === '') return acc;
          if (unitChar === 'T') { datePart = false; haveField = false; continue; }
          n = isoNumber(s, pos);
          pos = n.end;
          acc.addMonths(n.val);
          acc.addFractDays(n.frac, 30);
          if (pos >= s.length) return acc;
          if (s[pos] === 'T') { pos++; datePart = false; haveField = false; continue; }
          if (s[pos] !== '-') bad();
          n = isoNumber(s, pos + 1);
          pos = n.end;
          acc.addDays(n.val, 1);
          acc.addFractMicros(n.frac, 86_400_000_000);
          if (pos >= s.length) return acc;
          if (s[pos] === 'T') { pos++; datePart = false; haveField = false; continue; }
          bad();
          break;
        }
        default: bad();
      }
    } else {
      switch (unitChar) {
        case 'H': acc.addMicros(n.val, n.frac, 3_600_000_000); break;
        case 'M': acc.addMicros(n.val, n.frac, 60_000_000); break;
        case 'S': acc.addMicros(n.val, n.frac, 1_000_000); break;
        case '': case ':': {
          if (haveField) bad();
          acc.addMicros(n.val, n.frac, 3_600_000_000);
          if (unitChar === '') return acc;
          n = isoNumber(s, pos);
          pos = n.end;
          acc.addMicros(n.val, n.frac, 60_000_000);
          if (pos >= s.length) return acc;
          if (s[pos] !== ':') bad();
          n = isoNumber(s, pos + 1);
          pos = n.end;
          acc.addMicros(n.val, n.frac, 1_000_000);
          if (pos >= s.length) return acc;
          bad();
          break;
        }
        default: bad();
      }
    }
    haveField = true;
  }
  return acc;
}

function finish(acc: Acc): IntervalValue {
  const months = acc.years * 12 + acc.months;
  if (months < INT32_MIN || months > INT32_MAX) throw intervalOutOfRange();
  return { months, days: acc.days, micros: acc.usec };
}

/** interval_in → months, days, µs. */
export function parseInterval(text: string): IntervalValue {
  let acc: Acc;
  try {
    try {
      acc = decodeFields(text);
    } catch (e) {
      if (!(e instanceof BadFormat)) throw e;
      acc = decodeIso(text.trim());
    }
  } catch (e) {
    if (e instanceof BadFormat) throw badDatetime('interval', text);
    if (e instanceof FieldOverflow) throw intervalFieldOverflow(text);
    throw e;
  }
  return finish(acc);
}
