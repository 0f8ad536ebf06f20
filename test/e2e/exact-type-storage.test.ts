/**
 * INTERVAL columns go through the commit worker's appender, which has no VARCHAR → INTERVAL cast:
 * a regression test for a write that used to stop the worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from 'pg';
import { connect, startServer } from '../helpers/server.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let c: Client;

beforeAll(async () => {
  srv = await startServer();
  c = await connect(srv.port);
});
afterAll(async () => {
  await c?.end();
  await srv?.stop();
});

describe('types Parquet cannot hold exactly', () => {
  it('are stored and read back, alone and in lists, and later writes keep flowing', async () => {
    await c.query('CREATE TABLE waits (id INTEGER PRIMARY KEY, d INTERVAL, ds INTERVAL[])');
    await c.query(`INSERT INTO waits VALUES (1, '1 day 02:00:00', ARRAY['1 hour'::interval, '-3 days'::interval]), (2, NULL, NULL), (3, '-1 year 2 mons', '{}')`);
    await c.query(`INSERT INTO waits VALUES ($1, $2, NULL)`, [4, '00:00:01.5']);
    await c.query(`UPDATE waits SET d = d + interval '1 minute' WHERE id = 1`);
    await c.query('CREATE TABLE after_waits (n INTEGER)');
    await c.query('INSERT INTO after_waits VALUES (7)');
    // Raw wire text (no client-side parsing): the Postgres output format of interval and interval[].
    const raw = { getTypeParser: () => (v: string) => v } as never;
    const rows = (await c.query({ text: 'SELECT id, d, ds FROM waits ORDER BY id', types: raw })).rows;
    expect(rows).toEqual([
      { id: '1', d: '1 day 02:01:00', ds: '{01:00:00,"-3 days"}' },
      { id: '2', d: null, ds: null },
      { id: '3', d: '-10 mons', ds: '{}' },
      { id: '4', d: '00:00:01.5', ds: null },
    ]);
    expect((await c.query('SELECT n FROM after_waits')).rows).toEqual([{ n: 7 }]);
  });

  it('HUGEINT, UHUGEINT and TIME WITH TIME ZONE keep every digit and their offset (stored as text in Parquet)', async () => {
    await c.query('CREATE TABLE exact (id INTEGER, h HUGEINT, u UHUGEINT, t TIMETZ, hs HUGEINT[])');
    await c.query(`INSERT INTO exact VALUES (1, 170141183460469231731687303715884105727, 340282366920938463463374607431768211455, '10:30:00+02', ARRAY[-170141183460469231731687303715884105728]), (2, NULL, 0, '23:59:59.999999-05:30', NULL)`);
    const raw = { getTypeParser: () => (v: string) => v } as never;
    const rows = (await c.query({ text: 'SELECT id, h, u, t, hs FROM exact ORDER BY id', types: raw })).rows;
    expect(rows).toEqual([
      { id: '1', h: '170141183460469231731687303715884105727', u: '340282366920938463463374607431768211455', t: '10:30:00+02', hs: '{-170141183460469231731687303715884105728}' },
      { id: '2', h: null, u: '0', t: '23:59:59.999999-05:30', hs: null },
    ]);
    expect((await c.query('SELECT sum(h)::text AS s FROM exact')).rows[0].s).toBe('170141183460469231731687303715884105727');
  });
});
