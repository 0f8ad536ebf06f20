/**
 * The per-snapshot result cache: a deterministic SELECT that already ran on a snapshot is answered
 * from memory, never across snapshots, never for volatile queries or views, never when too large.
 */
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultCache, isDeterministicQuery, isSmallResult, volatileViewNames } from '../../src/engine/result-cache.js';
import { parseSql } from '../../src/sql/parser.js';
import { connect, startServer } from '../helpers/server.js';

type Server = Awaited<ReturnType<typeof startServer>>;

describe('result cache (per snapshot)', () => {
  let srv: Server;
  let c: Client;
  const stats = async () => (await srv.server.node.engines.get('duckmesh')).results.stats();
  const lastSnapshot = async (cl: Client) => Number((await cl.query('SHOW duckmesh.last_snapshot_id')).rows[0]['duckmesh.last_snapshot_id']);

  beforeAll(async () => {
    srv = await startServer({ flags: { 'engine.resultCacheMaxRowsPerResult': 100 } });
    c = await connect(srv.port);
    await c.query('CREATE TABLE ev (id INTEGER, kind TEXT, amount DOUBLE)');
    await c.query(`INSERT INTO ev SELECT i, CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, i * 1.5 FROM range(500) t(i)`);
    await c.query('SELECT 1 FROM ev LIMIT 1'); // read-your-writes: wait for the data
  });
  afterAll(async () => {
    await c?.end();
    await srv?.stop();
  });

  it('answers a repeated query on the same snapshot from the cache, with identical rows, for every session', async () => {
    const q = 'SELECT kind, count(*)::int AS n, sum(amount) AS s FROM ev GROUP BY kind ORDER BY kind';
    const before = await stats();
    const first = (await c.query(q)).rows;
    const other = await connect(srv.port);
    const second = (await other.query(q)).rows;
    expect(second).toEqual(first);
    expect(first).toEqual([
      { kind: 'a', n: 250, s: 93375 },
      { kind: 'b', n: 250, s: 93750 },
    ]);
    const after = await stats();
    expect(after.hits - before.hits).toBe(1);
    expect(await lastSnapshot(other)).toBe(await lastSnapshot(c));
    await other.end();
  });

  it('never serves a result across snapshots: a new write is visible at once', async () => {
    const q = 'SELECT count(*)::int AS n FROM ev';
    expect((await c.query(q)).rows[0].n).toBe(500);
    const old = await lastSnapshot(c);
    await c.query('INSERT INTO ev VALUES (1000, $1, 1)', ['c']);
    expect((await c.query(q)).rows[0].n).toBe(501);
    // Time travel still answers the old snapshot's result.
    await c.query(`SET duckmesh.snapshot_id = ${old}`);
    expect((await c.query(q)).rows[0].n).toBe(500);
    await c.query('RESET duckmesh.snapshot_id');
    expect((await c.query(q)).rows[0].n).toBe(501);
  });

  it('keys on parameters and their declared types (extended protocol)', async () => {
    const q = 'SELECT count(*)::int AS n FROM ev WHERE kind = $1';
    expect((await c.query(q, ['a'])).rows[0].n).toBe(250);
    expect((await c.query(q, ['b'])).rows[0].n).toBe(250);
    expect((await c.query(q, ['c'])).rows[0].n).toBe(1);
    const hits = (await stats()).hits;
    expect((await c.query(q, ['c'])).rows[0].n).toBe(1);
    expect((await stats()).hits).toBe(hits + 1);
    // A session can opt out (benchmarks measuring the engine do).
    await c.query('SET duckmesh.result_cache = off');
    expect((await c.query(q, ['c'])).rows[0].n).toBe(1);
    expect((await stats()).hits).toBe(hits + 1);
    await c.query('RESET duckmesh.result_cache');
  });

  it('does not cache volatile queries, volatile views, or results over the size limit', async () => {
    const base = await stats();
    const r1 = (await c.query('SELECT random() AS r FROM ev LIMIT 1')).rows[0].r;
    const r2 = (await c.query('SELECT random() AS r FROM ev LIMIT 1')).rows[0].r;
    expect(r1).not.toBe(r2);
    await c.query('CREATE VIEW noisy AS SELECT id, random() AS r FROM ev');
    await c.query('CREATE VIEW noisier AS SELECT * FROM noisy');
    const v1 = (await c.query('SELECT max(r) AS m FROM noisier')).rows[0].m;
    const v2 = (await c.query('SELECT max(r) AS m FROM noisier')).rows[0].m;
    expect(v1).not.toBe(v2);
    const big = 'SELECT id FROM ev ORDER BY id';
    expect((await c.query(big)).rows).toHaveLength(501);
    expect((await c.query(big)).rows).toHaveLength(501);
    expect((await stats()).hits).toBe(base.hits);
  });

  it('is off with engine.resultCacheRows = 0', async () => {
    const off = await startServer({ flags: { 'engine.resultCacheRows': 0 } });
    try {
      const k = await connect(off.port);
      await k.query('CREATE TABLE t (x INTEGER)');
      await k.query('INSERT INTO t VALUES (1)');
      for (let i = 0; i < 3; i++) expect((await k.query('SELECT sum(x)::int AS s FROM t')).rows[0].s).toBe(1);
      const st = (await off.server.node.engines.get('duckmesh')).results.stats();
      expect([st.hits, st.entries]).toEqual([0, 0]);
      await k.end();
    } finally {
      await off.stop();
    }
  });
});

describe('result cache (unit)', () => {
  const ast = (sql: string) => parseSql(sql)[0]!.ast;

  it('tells deterministic queries from volatile ones', () => {
    expect(isDeterministicQuery(ast('SELECT kind, count(*) FROM ev WHERE ts > $1 GROUP BY 1'))).toBe(true);
    expect(isDeterministicQuery(ast(`SELECT date_trunc('hour', ts) FROM ev`))).toBe(true);
    for (const sql of [
      'SELECT now()',
      "SELECT * FROM ev WHERE ts > current_timestamp - interval '1 hour'",
      'SELECT current_date',
      'SELECT random()',
      'SELECT gen_random_uuid()',
      `SELECT current_setting('TimeZone')`,
      'SELECT pg_catalog.now()',
      'SELECT * FROM ev FOR UPDATE',
    ]) {
      expect([sql, isDeterministicQuery(ast(sql))]).toEqual([sql, false]);
    }
  });

  it('recognizes results that are small by shape (computed in one engine call)', () => {
    for (const sql of ['SELECT count(*) FROM ev', 'SELECT sum(a)::bigint AS s, max(b) FROM ev WHERE x > 1', 'SELECT * FROM ev ORDER BY ts DESC LIMIT 100']) {
      expect([sql, isSmallResult(ast(sql))]).toEqual([sql, true]);
    }
    for (const sql of ['SELECT * FROM ev', 'SELECT kind, count(*) FROM ev GROUP BY kind', 'SELECT * FROM ev LIMIT 1000000', 'SELECT count(*) FROM a UNION ALL SELECT count(*) FROM b', 'SELECT rank() OVER () FROM ev']) {
      expect([sql, isSmallResult(ast(sql))]).toEqual([sql, false]);
    }
  });

  it('propagates volatility through views', () => {
    const names = volatileViewNames([
      { schema: 'public', name: 'a', sql: 'SELECT now() AS t', dependsOn: [] },
      { schema: 'public', name: 'b', sql: 'SELECT * FROM a', dependsOn: [{ schema: 'public', name: 'a' }] },
      { schema: 'public', name: 'c', sql: 'SELECT 1 AS x', dependsOn: [] },
    ]);
    expect([...names].sort()).toEqual(['public.a', 'public.b']);
  });

  it('evicts least recently used entries beyond the row budget', () => {
    const cache = new ResultCache({ maxRows: 10, maxRowsPerResult: 5 });
    const entry = (rows: number) => ({ fields: [], chunks: [], rows });
    cache.put('1\u0001a', entry(4));
    cache.put('1\u0001b', entry(4));
    expect(cache.get('1\u0001a')?.rows).toBe(4); // a is now the most recent
    cache.put('1\u0001c', entry(4));
    expect(cache.get('1\u0001b')).toBeUndefined();
    expect(cache.get('1\u0001a')?.rows).toBe(4);
    cache.put('1\u0001d', entry(6)); // over the per-result limit: not kept
    expect(cache.get('1\u0001d')).toBeUndefined();
    cache.dropBelow(2);
    expect(cache.stats().entries).toBe(0);
  });
});
