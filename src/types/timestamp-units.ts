/**
 * DuckDB's second/millisecond/nanosecond timestamp variants converted to microseconds
 * (Postgres' resolution), keeping ±infinity, and rounding the way DuckDB's own CASTs do
 * (TIMESTAMP_NS → TIMESTAMP truncates toward zero, TIME_NS → TIME rounds).
 */
import { DUCK_TS_NEG_INF, DUCK_TS_POS_INF } from './calendar.js';

export function secondsToMicros(s: bigint): bigint {
  if (s === DUCK_TS_POS_INF || s === DUCK_TS_NEG_INF) return s;
  return s * 1_000_000n;
}

export function millisToMicros(ms: bigint): bigint {
  if (ms === DUCK_TS_POS_INF || ms === DUCK_TS_NEG_INF) return ms;
  return ms * 1000n;
}

export function nanosToMicros(ns: bigint): bigint {
  if (ns === DUCK_TS_POS_INF || ns === DUCK_TS_NEG_INF) return ns;
  return ns / 1000n;
}

export function timeNanosToMicros(ns: bigint): number {
  return Number((ns + 500n) / 1000n);
}
