/**
 * Date/time values as text: Postgres' output (DateStyle ISO, TimeZone UTC,
 * IntervalStyle postgres) for result rows, and DuckDB-castable literals for canonical
 * input text. Inputs are DuckDB's native units (days or µs since 1970-01-01).
 */
import {
  MICROS_PER_HOUR, MICROS_PER_MINUTE, MICROS_PER_SECOND, DUCK_DATE_NEG_INF, DUCK_DATE_POS_INF,
  DUCK_TS_NEG_INF, DUCK_TS_POS_INF, civil, civilFromDays, split, splitMicros,
} from './calendar.js';

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? `0${i}` : `${i}`));

function pad4(n: number): string {
  return n >= 1000 ? `${n}` : n >= 100 ? `0${n}` : n >= 10 ? `00${n}` : `000${n}`;
}

/** ".ffffff" with trailing zeros removed, or "" for a whole second (Postgres' AppendSeconds). */
function fraction(us: number): string {
  if (us === 0) return '';
  let s = `${us + 1_000_000}`; // "1ffffff": keeps leading zeros
  let end = 7;
  while (s.charCodeAt(end - 1) === 48) end--;
  s = s.slice(1, end);
  return `.${s}`;
}

/** "HH:MM:SS[.f]" for microseconds of day (0 … 24:00:00 inclusive). */
export function formatTimeMicros(us: number): string {
  const h = Math.floor(us / MICROS_PER_HOUR);
  let rem = us - h * MICROS_PER_HOUR;
  const m = Math.floor(rem / MICROS_PER_MINUTE);
  rem -= m * MICROS_PER_MINUTE;
  const s = Math.floor(rem / MICROS_PER_SECOND);
  rem -= s * MICROS_PER_SECOND;
  return `${h < 100 ? PAD2[h] : h}:${PAD2[m]}:${PAD2[s]}${fraction(rem)}`;
}

/**
 * Postgres' EncodeTimezone: sign, hours, then minutes and seconds only when non-zero.
 * `offsetSeconds` is east of UTC (DuckDB's convention; Postgres stores the negation).
 */
export function formatUtcOffset(offsetSeconds: number): string {
  const sign = offsetSeconds >= 0 ? '+' : '-';
  let a = Math.abs(offsetSeconds);
  const h = Math.floor(a / 3600);
  a -= h * 3600;
  const m = Math.floor(a / 60);
  const s = a - m * 60;
  if (s !== 0) return `${sign}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}`;
  if (m !== 0) return `${sign}${PAD2[h]}:${PAD2[m]}`;
  return `${sign}${PAD2[h]}`;
}

export function formatTimeTZ(us: number, offsetSeconds: number): string {
  return formatTimeMicros(us) + formatUtcOffset(offsetSeconds);
}

/** "YYYY-MM-DD" with Postgres' " BC" suffix; "infinity"/"-infinity" for DuckDB's specials. */
export function formatDateDays(days: number): string {
  if (days === DUCK_DATE_POS_INF) return 'infinity';
  if (days === DUCK_DATE_NEG_INF) return '-infinity';
  civilFromDays(days);
  const y = civil.year;
  const ymd = `${pad4(y > 0 ? y : 1 - y)}-${PAD2[civil.month]}-${PAD2[civil.day]}`;
  return y > 0 ? ymd : `${ymd} BC`;
}

function timestampText(us: bigint, tz: string): string {
  if (us === DUCK_TS_POS_INF) return 'infinity';
  if (us === DUCK_TS_NEG_INF) return '-infinity';
  splitMicros(us);
  const tod = split.micros;
  civilFromDays(split.days);
  const y = civil.year;
  const text = `${pad4(y > 0 ? y : 1 - y)}-${PAD2[civil.month]}-${PAD2[civil.day]} ${formatTimeMicros(tod)}${tz}`;
  return y > 0 ? text : `${text} BC`;
}

/** timestamp output: "2024-01-05 13:04:05.5", BC as "... BC". */
export function formatTimestampMicros(us: bigint): string {
  return timestampText(us, '');
}

/** timestamptz output with TimeZone = UTC: "2024-01-05 13:04:05.5+00". */
export function formatTimestampTZMicros(us: bigint): string {
  return timestampText(us, '+00');
}

/**
 * Interval in IntervalStyle "postgres": "1 year 2 mons -3 days +04:05:06.5". Each non-zero
 * field after a negative one gets an explicit "+" (Postgres' is_before rule), and the time
 * part is printed when non-zero or when nothing else was.
 */
export function formatInterval(months: number, days: number, micros: bigint): string {
  const year = Math.trunc(months / 12);
  const mon = months - year * 12;
  let out = '';
  let isBefore = false;
  let isZero = true;
  const part = (value: number, unit: string): void => {
    if (value === 0) return;
    out += `${isZero ? '' : ' '}${isBefore && value > 0 ? '+' : ''}${value} ${unit}${value !== 1 ? 's' : ''}`;
    isBefore = value < 0;
    isZero = false;
  };
  part(year, 'year');
  part(mon, 'mon');
  part(days, 'day');
  if (isZero || micros !== 0n) {
    const minus = micros < 0n;
    const abs = minus ? -micros : micros;
    let h: number | bigint;
    let rest: number;
    const n = Number(abs);
    if (n < 9e15) {
      h = Math.floor(n / MICROS_PER_HOUR);
      rest = n - h * MICROS_PER_HOUR;
    } else {
      h = abs / 3_600_000_000n;
      rest = Number(abs - h * 3_600_000_000n);
    }
    const m = Math.floor(rest / MICROS_PER_MINUTE);
    rest -= m * MICROS_PER_MINUTE;
    const s = Math.floor(rest / MICROS_PER_SECOND);
    rest -= s * MICROS_PER_SECOND;
    const hh = typeof h === 'number' && h < 100 ? PAD2[h] : `${h}`;
    out += `${isZero ? '' : ' '}${minus ? '-' : isBefore ? '+' : ''}${hh}:${PAD2[m]}:${PAD2[s]}${fraction(rest)}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// DuckDB-castable literals (canonical text handed to CAST(? AS <type>)).

function duckYmd(days: number): string {
  civilFromDays(days);
  const y = civil.year;
  const ymd = `${pad4(y > 0 ? y : 1 - y)}-${PAD2[civil.month]}-${PAD2[civil.day]}`;
  // DuckDB ignores a bare "BC" (reads it as AD); only "(BC)" directly after the date works.
  return y > 0 ? ymd : `${ymd} (BC)`;
}

export function duckDateLiteral(days: number): string {
  if (days === DUCK_DATE_POS_INF) return 'infinity';
  if (days === DUCK_DATE_NEG_INF) return '-infinity';
  return duckYmd(days);
}

export function duckTimestampLiteral(us: bigint, withTimeZone: boolean): string {
  if (us === DUCK_TS_POS_INF) return 'infinity';
  if (us === DUCK_TS_NEG_INF) return '-infinity';
  splitMicros(us);
  const tod = split.micros;
  return `${duckYmd(split.days)} ${formatTimeMicros(tod)}${withTimeZone ? '+00' : ''}`;
}

/** DuckDB parses "N months N days N microseconds" exactly, whatever the signs. */
export function duckIntervalLiteral(months: number, days: number, micros: bigint): string {
  return `${months} months ${days} days ${micros} microseconds`;
}
