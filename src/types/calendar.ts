/**
 * Proleptic Gregorian calendar arithmetic on day numbers, shared by the formatters and the
 * input parsers. Years are astronomical (year 0 = 1 BC), which is what both DuckDB and
 * Postgres use internally; only the text forms differ ("0044-03-15 BC" vs "(BC)").
 */

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60_000_000;
export const MICROS_PER_HOUR = 3_600_000_000;
export const MICROS_PER_DAY = 86_400_000_000;

/** Days from 1970-01-01 (DuckDB's epoch) to 2000-01-01 (Postgres' epoch). */
export const PG_EPOCH_DAYS = 10957;
export const PG_EPOCH_MICROS = 946_684_800_000_000n;

/** DuckDB's special values for DATE and TIMESTAMP (and Postgres' binary ones). */
export const DUCK_DATE_POS_INF = 2 ** 31 - 1;
export const DUCK_DATE_NEG_INF = -(2 ** 31 - 1);
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);
export const DUCK_TS_POS_INF = INT64_MAX;
export const DUCK_TS_NEG_INF = -INT64_MAX;
export const INT32_MAX = 2 ** 31 - 1;
export const INT32_MIN = -(2 ** 31);

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1];
}

/**
 * Days since 1970-01-01 for a civil date. Works on 400-year eras (146097 days) so the
 * arithmetic is exact for every year DuckDB or Postgres can represent.
 */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12; // March = 0
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Scratch output of civilFromDays (avoids an allocation per call on the hot path). */
export const civil = { year: 0, month: 0, day: 0 };

/** Inverse of daysFromCivil; writes into `civil`. */
export function civilFromDays(days: number): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  civil.day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  civil.month = mp < 10 ? mp + 3 : mp - 9;
  civil.year = yoe + era * 400 + (civil.month <= 2 ? 1 : 0);
}

/** Scratch output of splitMicros. */
export const split = { days: 0, micros: 0 };

/**
 * Split microseconds since 1970 into whole days (floor) and microseconds of day, using
 * plain doubles when exact (|µs| < 2^53, roughly years 1685–2255) and BigInt otherwise.
 */
export function splitMicros(us: bigint): void {
  const n = Number(us);
  if (n > -9e15 && n < 9e15) {
    let days = Math.floor(n / MICROS_PER_DAY);
    let rem = n - days * MICROS_PER_DAY;
    // The division may round across a day boundary; the subtraction is exact, so fix up.
    if (rem < 0) { days -= 1; rem += MICROS_PER_DAY; } else if (rem >= MICROS_PER_DAY) { days += 1; rem -= MICROS_PER_DAY; }
    split.days = days;
    split.micros = rem;
    return;
  }
  let d = us / 86_400_000_000n;
  let r = us % 86_400_000_000n;
  if (r < 0n) { d -= 1n; r += 86_400_000_000n; }
  split.days = Number(d);
  split.micros = Number(r);
}
