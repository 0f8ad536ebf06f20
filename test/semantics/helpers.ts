import type pg from 'pg';
import { decodeToken } from '../../src/visibility/token.js';

/** The bus sequence of the session's last write (tokens are `dm1.<16 hex seq>`). */
export async function lastSeq(c: pg.Client): Promise<number> {
  const r = await c.query('SHOW duckmesh.last_visibility_token');
  return decodeToken(r.rows[0]['duckmesh.last_visibility_token']);
}

/** Runs `sql` and returns the SQLSTATE it fails with (throws if it succeeds). */
export async function sqlstateOf(c: pg.Client, sql: string, params?: unknown[]): Promise<string> {
  try {
    await c.query(sql, params);
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code';
  }
  throw new Error(`expected an error from: ${sql}`);
}

/** Error (code and message) of `sql`, or null. */
export async function errorOf(c: pg.Client, sql: string, params?: unknown[]): Promise<{ code: string; message: string } | null> {
  try {
    await c.query(sql, params);
    return null;
  } catch (err) {
    return { code: (err as { code?: string }).code ?? '', message: (err as Error).message };
  }
}

/** Waits (on this session) until everything up to `seq` is visible. */
export async function waitVisible(c: pg.Client, seq: number): Promise<void> {
  await c.query("SET duckmesh.visibility_timeout = '60s'");
  await c.query(`SET duckmesh.min_visibility_token = 'dm1.${seq.toString(16).padStart(16, '0')}'`);
  await c.query('SELECT 1');
  await c.query('RESET duckmesh.min_visibility_token');
}

/** Rows of `sql` at snapshot `id` (time travel), then back to the newest. */
export async function at<T = Record<string, unknown>>(c: pg.Client, id: number, sql: string): Promise<T[]> {
  await c.query(`SET duckmesh.snapshot_id = ${id}`);
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.query('RESET duckmesh.snapshot_id');
  }
}

/** A small deterministic PRNG (mulberry32): failing seeds can be replayed. */
export function rng(seed: number): { int: (lo: number, hi: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)]!,
    chance: (p) => next() < p,
  };
}
