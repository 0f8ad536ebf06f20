/**
 * Text input for date, time, timetz, timestamp and timestamptz with Postgres' rules
 * (DateStyle ISO, MDY; TimeZone UTC): what date_in/time_in/timestamp_in accept, how
 * fractional seconds round (rint to µs), and which error each mistake raises.
 *
 * Accepted: ISO 8601 ("2024-01-05", "2024-01-05T13:04:05.5Z", "20240105 130405"), MDY
 * ("01/05/2024", "1-5-24"), month names ("Jan 5, 2024", "5 January 2024", "2024-Jan-05"),
 * day names (ignored), AM/PM, BC/AD, UTC offsets ("+02", "+0530", "-05:30:15"), Postgres'
 * zone abbreviations ("EST"), IANA zone names ("Europe/Berlin"), and the special values
 * epoch, infinity, -infinity, now, today, tomorrow, yesterday, allballs.
 * Not accepted: Julian day numbers, ISO week dates, year-day ("2024.005"), POSIX zone specs.
 *
 * timestamp (without time zone) ignores any zone given, as Postgres does.
 */
import {
  MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND, DUCK_DATE_NEG_INF, DUCK_DATE_POS_INF,
  DUCK_TS_NEG_INF, DUCK_TS_POS_INF, daysFromCivil, daysInMonth,
} from './calendar.js';
import { tokenize, type Field } from './datetime-tokens.js';
import { duckDateLiteral, duckTimestampLiteral } from './format-datetime.js';
import {
  badDatetime, datetimeFieldOverflow, datetimeOutOfRange, timezoneOverflow, unknownTimezone,
} from './input-errors.js';
import { abbreviationOffset, namedZone, offsetForLocal, type NamedZone } from './timezones.js';

export type DatetimeType = 'date' | 'time' | 'time with time zone' | 'timestamp' | 'timestamp with time zone';

const MONTHS: ReadonlyMap<string, number> = new Map([
  ['jan', 1], ['january', 1], ['feb', 2], ['february', 2], ['mar', 3], ['march', 3], ['apr', 4], ['april', 4],
  ['may', 5], ['jun', 6], ['june', 6], ['jul', 7], ['july', 7], ['aug', 8], ['august', 8], ['sep', 9], ['sept', 9],
  ['september', 9], ['oct', 10], ['october', 10], ['nov', 11], ['november', 11], ['dec', 12], ['december', 12],
]);

const DAYS = new Set([
  'sun', 'sunday', 'mon', 'monday', 'tue', 'tues', 'tuesday', 'wed', 'wednes', 'wednesday', 'thu', 'thur', 'thurs',
  'thursday', 'fri', 'friday', 'sat', 'saturday',
]);

const SPECIALS = new Set(['epoch', 'infinity', '-infinity', 'now', 'today', 'tomorrow', 'yesterday', 'allballs']);

const KEYWORDS = new Set([...MONTHS.keys(), ...DAYS, ...SPECIALS, 'am', 'pm', 'bc', 'ad', 't', 'on', 'at', 'z', 'zulu']);

/** The decoded fields; date parts may be missing for time input. */
interface Parsed {
  year?: number;
  /** The year was written with one or two digits (Postgres adds 1900/2000). */
  year2?: boolean;
  month?: number;
  day?: number;
  /** The month/day came from a numeric M/D/Y field (so loose numbers cannot be a day or year). */
  mdy?: boolean;
  bc: boolean;
  hour?: number;
  minute: number;
  second: number;
  micros: number;
  meridiem?: 'am' | 'pm';
  /** Seconds east of UTC from an explicit offset or abbreviation. */
  offset?: number;
  zone?: NamedZone;
  special?: string;
}

/** rint(): round half to even, as Postgres rounds fractional seconds. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ".123456789" → µs, rounded like ParseFractionalSecond (strtod then rint(frac × 1e6)). */
function fractionMicros(frac: string): number {
  if (frac.length <= 1) return 0;
  return rint(Number(`0${frac}`) * 1_000_000);
}

class BadFormat extends Error {}
class FieldOverflow extends Error {
  constructor(readonly monthDay = false) {
    super('field overflow');
  }
}
class TzOverflow extends Error {}

function bad(): never {
  throw new BadFormat();
}

/** "h:m", "h:m:s", "h:m:s.f", or "m:s.f" (Postgres reads two fields with a fraction as minutes:seconds). */
function decodeTime(text: string, p: Parsed): void {
  if (p.hour !== undefined) bad();
  const m = /^(\d+):(\d+)(?::(\d+))?(\.\d*)?$/.exec(text);
  if (m === null) bad();
  let h = Number(m[1]);
  let mi = Number(m[2]);
  let s = m[3] === undefined ? 0 : Number(m[3]);
  const us = m[4] === undefined ? 0 : fractionMicros(m[4]);
  if (m[3] === undefined && m[4] !== undefined) {
    s = mi;
    mi = h;
    h = 0;
  }
  p.hour = h;
  p.minute = mi;
  p.second = s;
  p.micros = us;
}

/** Run-together ISO time after "T" or after a complete date: hh, hhmm, hhmmss, each with optional fraction. */
function decodeConcatenatedTime(text: string, p: Parsed): void {
  if (p.hour !== undefined) bad();
  const m = /^(\d+)(\.\d*)?$/.exec(text);
  if (m === null) bad();
  const d = m[1];
  const us = m[2] === undefined ? 0 : fractionMicros(m[2]);
  if (d.length === 6) {
    p.hour = Number(d.slice(0, 2)); p.minute = Number(d.slice(2, 4)); p.second = Number(d.slice(4)); p.micros = us;
  } else if (d.length === 4 && m[2] === undefined) {
    p.hour = Number(d.slice(0, 2)); p.minute = Number(d.slice(2)); p.second = 0; p.micros = 0;
  } else if (d.length === 2 && m[2] === undefined) {
    p.hour = Number(d); p.minute = 0; p.second = 0; p.micros = 0;
  } else bad();
}

/** DecodeTimezone: "+h", "+hh", "+hhmm", "+hh:mm", "+hh:mm:ss"; at most 15:59:59. */
export function decodeOffset(text: string): number {
  const m = /^([+-])(\d+)(?::(\d+)(?::(\d+))?)?$/.exec(text);
  if (m === null) throw new BadFormat();
  let h = Number(m[2]);
  let mi = m[3] === undefined ? 0 : Number(m[3]);
  const s = m[4] === undefined ? 0 : Number(m[4]);
  if (m[3] === undefined && text.length > 3) {
    mi = h % 100;
    h = Math.floor(h / 100);
  }
  if (h > 15 || mi >= 60 || s >= 60) throw new TzOverflow();
  const off = (h * 60 + mi) * 60 + s;
  return m[1] === '-' ? -off : off;
}

function setZoneWord(word: string, p: Parsed): boolean {
  const off = abbreviationOffset(word);
  if (off !== undefined) {
    if (p.offset !== undefined || p.zone !== undefined) bad();
    p.offset = off;
    return true;
  }
  const z = namedZone(word);
  if (z !== undefined) {
    if (p.offset !== undefined || p.zone !== undefined) bad();
    p.zone = z;
    return true;
  }
  return false;
}

interface PendingNumber {
  text: string;
}

function setYear(p: Parsed, text: string): void {
  if (p.year !== undefined) bad();
  p.year = Number(text);
  p.year2 = text.length <= 2;
}

/** A date field: numeric y-m-d / m-d-y / m/d/y / m.d.y, or with a month name in any position. */
function decodeDateField(text: string, p: Parsed): void {
  const delim = /[-/.]/.exec(text)?.[0];
  if (delim === undefined) bad();
  const parts = text.split(delim);
  if (parts.some((x) => x.length === 0)) bad();
  const monthIdx = parts.findIndex((x) => /^[a-z]/.test(x));
  if (monthIdx >= 0) {
    const mon = MONTHS.get(parts[monthIdx]);
    if (mon === undefined || p.month !== undefined) bad();
    p.month = mon;
    const nums = parts.filter((_, i) => i !== monthIdx);
    if (nums.length !== 2 || !nums.every((x) => /^\d+$/.test(x))) bad();
    for (const x of nums) {
      if (x.length > 2 || p.day !== undefined) setYear(p, x);
      else p.day = Number(x);
    }
    return;
  }
  if (parts.length !== 3 || !parts.every((x) => /^\d+$/.test(x))) bad();
  if (p.year !== undefined || p.month !== undefined || p.day !== undefined) bad();
  if (parts[0].length > 2) {
    setYear(p, parts[0]);
    p.month = Number(parts[1]);
    p.day = Number(parts[2]);
  } else {
    p.month = Number(parts[0]);
    p.day = Number(parts[1]);
    setYear(p, parts[2]);
    p.mdy = true;
  }
}

function decodeFields(fields: Field[]): Parsed {
  const p: Parsed = { bc: false, minute: 0, second: 0, micros: 0 };
  const pending: PendingNumber[] = [];
  let isoTime = false;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (isoTime && f.kind !== 'time' && f.kind !== 'number') bad();
    switch (f.kind) {
      case 'date':
        if (/^[a-z]/.test(f.text) && !MONTHS.has(f.text.split(/[-/.]/)[0])) {
          // A zone name such as "europe/berlin" or "etc/gmt-3".
          if (!setZoneWord(f.text, p)) throw unknownTimezone(f.text);
        } else decodeDateField(f.text, p);
        break;
      case 'time':
        decodeTime(f.text, p);
        isoTime = false;
        break;
      case 'number':
        if (isoTime) {
          decodeConcatenatedTime(f.text, p);
          isoTime = false;
        } else if (f.text.includes('.')) {
          bad();
        } else if (p.year === undefined && p.month === undefined && p.day === undefined && (f.text.length === 8 || f.text.length === 6)) {
          // yyyymmdd or yymmdd
          const y = f.text.length === 8 ? 4 : 2;
          setYear(p, f.text.slice(0, y));
          p.month = Number(f.text.slice(y, y + 2));
          p.day = Number(f.text.slice(y + 2));
        } else if (p.year !== undefined && p.month !== undefined && p.day !== undefined && p.hour === undefined
          && (f.text.length === 6 || f.text.length === 4)) {
          decodeConcatenatedTime(f.text, p);
        } else {
          pending.push({ text: f.text });
        }
        break;
      case 'tz': {
        if (p.offset !== undefined || p.zone !== undefined) bad();
        p.offset = decodeOffset(f.text);
        break;
      }
      case 'string': {
        const w = f.text;
        const mon = MONTHS.get(w);
        if (mon !== undefined) {
          if (p.month !== undefined) bad();
          p.month = mon;
        } else if (DAYS.has(w) || w === 'on' || w === 'at' || w === 'ad') {
          // ignored noise words
        } else if (w === 'am' || w === 'pm') {
          if (p.meridiem !== undefined) bad();
          p.meridiem = w;
        } else if (w === 'bc') {
          if (p.bc) bad();
          p.bc = true;
        } else if (w === 't') {
          isoTime = true;
        } else if (SPECIALS.has(w)) {
          if (p.special !== undefined) bad();
          p.special = w;
        } else if (!setZoneWord(w, p)) {
          bad();
        }
        break;
      }
      default:
        bad();
    }
  }
  if (isoTime) bad();
  // Loose numbers only make sense with a month name: the first short one is the day, others the year.
  if (pending.length > 0) {
    if (p.month === undefined || p.mdy) bad();
    for (const n of pending) {
      if (n.text.length > 2 || p.day !== undefined) setYear(p, n.text);
      else p.day = Number(n.text);
    }
  }
  return p;
}

function nowMicros(): bigint {
  return BigInt(Date.now()) * 1000n;
}

/** Validate the date fields (ValidateDate) and return days since 1970-01-01. */
function dateDays(p: Parsed): number {
  if (p.year === undefined || p.month === undefined || p.day === undefined) bad();
  let year = p.year;
  if (p.bc) {
    if (year <= 0) throw new FieldOverflow();
    year = 1 - year;
  } else if (p.year2) {
    year += year < 70 ? 2000 : 1900;
  } else if (year <= 0) {
    throw new FieldOverflow();
  }
  if (p.month < 1 || p.month > 12) throw new FieldOverflow(true);
  if (p.day < 1 || p.day > 31) throw new FieldOverflow(true);
  if (p.day > daysInMonth(year, p.month)) throw new FieldOverflow();
  if (year > 5_874_897 || year < -4713 || (year === -4713 && (p.month < 11 || (p.month === 11 && p.day < 24)))) {
    throw new DateOutOfRange();
  }
  return daysFromCivil(year, p.month, p.day);
}

class DateOutOfRange extends Error {}

/** Validate the time fields and return µs of day (24:00:00 allowed, like Postgres). */
function timeMicros(p: Parsed): number {
  let h = p.hour ?? 0;
  if (p.meridiem !== undefined) {
    if (h > 12) throw new FieldOverflow();
    if (p.meridiem === 'am' && h === 12) h = 0;
    else if (p.meridiem === 'pm' && h !== 12) h += 12;
  }
  const { minute: mi, second: s, micros: us } = p;
  if (h < 0 || mi < 0 || mi > 59 || s < 0 || s > 60 || h > 24 || us < 0 || us > 1_000_000
    || (h === 24 && (mi > 0 || s > 0 || us > 0))) {
    throw new FieldOverflow();
  }
  return h * MICROS_PER_HOUR + mi * MICROS_PER_MINUTE + s * MICROS_PER_SECOND + us;
}

// Postgres' timestamp range: 4714-11-24 00:00:00 BC up to (not including) 294277-01-01; DuckDB
// stops earlier, at 294247-01-10 04:00:54.775806, so that is our upper limit.
const MIN_TIMESTAMP = BigInt(daysFromCivil(-4713, 11, 24)) * 86_400_000_000n;
const MAX_TIMESTAMP = 2n ** 63n - 2n;

/** Result of parsing timestamp-ish input, in DuckDB's units. */
export interface TimestampValue {
  /** µs since 1970-01-01 (UTC for timestamptz); DuckDB's ±infinity sentinels for infinities. */
  micros: bigint;
}

function errorFor(e: unknown, type: DatetimeType, input: string): Error {
  if (e instanceof BadFormat) return badDatetime(type, input);
  if (e instanceof FieldOverflow) return datetimeFieldOverflow(input, e.monthDay);
  if (e instanceof TzOverflow) return timezoneOverflow(input);
  if (e instanceof DateOutOfRange) return datetimeOutOfRange(type === 'date' ? 'date' : 'timestamp', input);
  return e as Error;
}

function parseFields(input: string): Parsed {
  const fields = tokenize(input, (w) => KEYWORDS.has(w));
  if (fields === null || fields.length === 0) bad();
  return decodeFields(fields);
}

/** Seconds east of UTC for a zone/offset given with a local wall time (µs since 1970 as if UTC). */
function offsetOf(p: Parsed, localMicros: bigint): number {
  if (p.offset !== undefined) return p.offset;
  if (p.zone !== undefined) return offsetForLocal(p.zone, Number(localMicros / 1000n));
  return 0;
}

// ---------------------------------------------------------------------------------------
// Fast path for the ISO forms machines produce: "2024-01-05", "2024-01-05 13:04:05.123",
// "2024-01-05T13:04:05Z", "... +02:00". Anything unusual (or invalid) takes the general path,
// which also produces the errors.

const ISO = /^\s*(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(\.\d{1,9})?)?)?\s*(Z|[+-]\d\d(?::?\d\d)?)?\s*$/i;

function isoFast(text: string, withTime: boolean): { days: number; tod: number; offset: number; hasOffset: boolean } | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (y === 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  let tod = 0;
  if (m[4] !== undefined) {
    if (!withTime && m[8] !== undefined) return undefined;
    const h = Number(m[4]);
    const mi = Number(m[5]);
    const s = m[6] === undefined ? 0 : Number(m[6]);
    const us = m[7] === undefined ? 0 : fractionMicros(m[7]);
    if (h > 23 || mi > 59 || s > 59) return undefined;
    tod = h * MICROS_PER_HOUR + mi * MICROS_PER_MINUTE + s * MICROS_PER_SECOND + us;
  }
  let offset = 0;
  const z = m[8];
  if (z !== undefined && z !== 'Z' && z !== 'z') {
    const sign = z[0] === '-' ? -1 : 1;
    const digits = z.slice(1).replace(':', '');
    const h = Number(digits.slice(0, 2));
    const mi = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (h > 15 || mi > 59) return undefined;
    offset = sign * (h * 3600 + mi * 60);
  }
  return { days: daysFromCivil(y, mo, d), tod, offset, hasOffset: z !== undefined };
}

// ---------------------------------------------------------------------------------------
// Canonical text straight from the ISO fields, skipping the µs round trip. This is the ingest
// hot path, so it avoids BigInt: whole seconds stay exact in doubles for any 4-digit year.

const ISO_TS = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,6}))?)?(Z|z|[+-]\d\d(?::?\d\d)?)?$/;
const ISO_DATE = /^(\d{4})-(\d\d)-(\d\d)$/;

function validYmd(y: number, mo: number, d: number): boolean {
  return y > 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

const PAD2: readonly string[] = Array.from({ length: 60 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));

/** DuckDB literal for ISO input already in (or trivially close to) canonical form, else undefined. */
function fastCanonicalTimestamp(text: string, withTimeZone: boolean): string | undefined {
  const m = ISO_TS.exec(text);
  if (m === null) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const sec = m[6] === undefined ? 0 : Number(m[6]);
  if (!validYmd(y, mo, d) || h > 23 || mi > 59 || sec > 59) return undefined;
  const frac = m[7] === undefined ? '' : `.${m[7]}`;
  const zone = m[8];
  let offset = 0;
  if (withTimeZone && zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const oh = Number(zone.slice(1, 3));
    const om = zone.length > 3 ? Number(zone.slice(-2)) : 0;
    if (oh > 15 || om > 59) return undefined;
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  if (offset === 0) {
    return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6] ?? '00'}${frac}${withTimeZone ? '+00' : ''}`;
  }
  const utc = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  const days = Math.floor(utc / 86400);
  let sod = utc - days * 86400;
  const hh = Math.floor(sod / 3600);
  sod -= hh * 3600;
  const mm = Math.floor(sod / 60);
  return `${duckDateLiteral(days)} ${PAD2[hh]}:${PAD2[mm]}:${PAD2[sod - mm * 60]}${frac}+00`;
}

/** Canonical DuckDB text for timestamp/timestamptz input (the validator's entry point). */
export function canonicalTimestamp(text: string, withTimeZone: boolean): string {
  return fastCanonicalTimestamp(text, withTimeZone) ?? duckTimestampLiteral(parseTimestamp(text, withTimeZone), withTimeZone);
}

/** Canonical DuckDB text for date input. */
export function canonicalDate(text: string): string {
  const m = ISO_DATE.exec(text);
  if (m !== null && validYmd(Number(m[1]), Number(m[2]), Number(m[3]))) return text;
  return duckDateLiteral(parseDate(text));
}

// ---------------------------------------------------------------------------------------
// Public parsers

/** date_in → days since 1970-01-01 (DuckDB's ±infinity sentinels for infinities). */
export function parseDate(text: string): number {
  const fast = isoFast(text, true);
  if (fast !== undefined) return fast.days;
  try {
    const p = parseFields(text);
    if (p.special !== undefined) {
      switch (p.special) {
        case 'infinity': return DUCK_DATE_POS_INF;
        case '-infinity': return DUCK_DATE_NEG_INF;
        case 'epoch': return 0;
        case 'now': case 'today': case 'tomorrow': case 'yesterday': {
          const today = Math.floor(Date.now() / 86_400_000);
          return today + (p.special === 'tomorrow' ? 1 : p.special === 'yesterday' ? -1 : 0);
        }
        default: bad();
      }
    }
    if (p.hour !== undefined) timeMicros(p); // a time part is allowed (and ignored) but must be valid
    return dateDays(p);
  } catch (e) {
    throw errorFor(e, 'date', text);
  }
}

function specialTimestamp(p: Parsed, withTz: boolean): bigint | undefined {
  if (p.special === undefined) return undefined;
  switch (p.special) {
    case 'infinity': return DUCK_TS_POS_INF;
    case '-infinity': return DUCK_TS_NEG_INF;
    case 'epoch': return 0n;
    case 'now': return nowMicros();
    case 'today': case 'tomorrow': case 'yesterday': {
      const today = Math.floor(Date.now() / 86_400_000) + (p.special === 'tomorrow' ? 1 : p.special === 'yesterday' ? -1 : 0);
      const local = BigInt(today) * 86_400_000_000n + BigInt(p.hour === undefined ? 0 : timeMicros(p));
      return withTz ? local - BigInt(offsetOf(p, local)) * 1_000_000n : local;
    }
    default:
      return bad();
  }
}

/** timestamp_in / timestamptz_in → µs since 1970 (UTC for timestamptz). */
export function parseTimestamp(text: string, withTimeZone: boolean): bigint {
  const type: DatetimeType = withTimeZone ? 'timestamp with time zone' : 'timestamp';
  const fast = isoFast(text, true);
  if (fast !== undefined) {
    let us = BigInt(fast.days) * 86_400_000_000n + BigInt(fast.tod);
    if (withTimeZone && fast.offset !== 0) us -= BigInt(fast.offset) * 1_000_000n;
    if (us >= MIN_TIMESTAMP && us <= MAX_TIMESTAMP) return us;
  }
  try {
    const p = parseFields(text);
    const special = specialTimestamp(p, withTimeZone);
    if (special !== undefined) {
      if (p.year !== undefined || p.month !== undefined || p.day !== undefined) bad();
      return special;
    }
    const days = dateDays(p);
    const tod = timeMicros(p);
    const local = BigInt(days) * 86_400_000_000n + BigInt(tod);
    const us = withTimeZone ? local - BigInt(offsetOf(p, local)) * 1_000_000n : local;
    if (us < MIN_TIMESTAMP || us > MAX_TIMESTAMP) throw new DateOutOfRange();
    return us;
  } catch (e) {
    throw errorFor(e, type, text);
  }
}

/** time_in → µs of day (a date and zone may be present and are ignored). */
export function parseTime(text: string): number {
  try {
    const p = parseFields(text);
    if (p.special === 'allballs') {
      if (p.hour !== undefined) bad();
      return 0;
    }
    if (p.special !== undefined || p.hour === undefined) bad();
    // A named zone's offset depends on the date; without one Postgres rejects it.
    if (p.zone !== undefined && p.year === undefined) bad();
    if (p.year !== undefined || p.month !== undefined || p.day !== undefined) {
      // A date is allowed but must be valid.
      if (p.year === undefined || p.month === undefined || p.day === undefined) bad();
      dateDays(p);
    }
    return timeMicros(p);
  } catch (e) {
    throw errorFor(e, 'time', text);
  }
}

/** timetz_in → µs of day and offset (seconds east of UTC; session zone UTC when none is given). */
export function parseTimeTZ(text: string): { micros: number; offset: number } {
  try {
    const p = parseFields(text);
    let micros: number;
    if (p.special === 'allballs') {
      if (p.hour !== undefined) bad();
      micros = 0;
    } else {
      if (p.special !== undefined || p.hour === undefined) bad();
      micros = timeMicros(p);
    }
    let offset = p.offset ?? 0;
    if (p.zone !== undefined) {
      // A named zone's offset depends on the date; without one Postgres rejects it.
      if (p.year === undefined) bad();
      const days = dateDays(p);
      offset = offsetForLocal(p.zone, days * 86_400_000 + micros / 1000);
    } else if (p.year !== undefined) {
      dateDays(p);
    }
    return { micros, offset };
  } catch (e) {
    throw errorFor(e, 'time with time zone', text);
  }
}
