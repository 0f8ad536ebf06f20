/**
 * Targeted cases of the write semantics (docs: "table = all writes applied serially in token
 * order"): plain INSERT on a key, ON CONFLICT rules, UPDATE/DELETE at their position, expressions,
 * transactions, writes that cannot be applied, and the sandbox on write expressions.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';
import { errorOf, lastSeq, waitVisible } from './helpers.js';

type Server = Awaited<ReturnType<typeof startServer>>;

describe('write semantics', () => {
  let srv: Server;
  let c: pg.Client;

  beforeAll(async () => {
    // Small bus entries: a 25-row statement spans several entries of one logical write.
    srv = await startServer({ flags: { 'limits.rowsPerBusEntry': 4 } });
    c = await connect(srv.port);
  });

  afterAll(async () => {
    await c?.end().catch(() => undefined);
    await srv?.stop();
  });

  const rows = async (sql: string) => (await c.query(sql)).rows;

  it('a plain INSERT of an existing key replaces the row (no key is ever visible twice)', async () => {
    await c.query('CREATE TABLE kv (id INTEGER PRIMARY KEY, v TEXT)');
    await c.query(`INSERT INTO kv VALUES (1, 'a'), (2, 'b'), (1, 'c')`);
    await c.query(`INSERT INTO kv VALUES (2, 'd')`);
    expect(await rows('SELECT * FROM kv ORDER BY id')).toEqual([
      { id: 1, v: 'c' },
      { id: 2, v: 'd' },
    ]);
    // Composite keys too.
    await c.query('CREATE TABLE ck (a INTEGER, b TEXT, v INTEGER, PRIMARY KEY (a, b))');
    await c.query(`INSERT INTO ck VALUES (1, 'x', 1), (1, 'y', 2), (1, 'x', 3)`);
    expect(await rows('SELECT * FROM ck ORDER BY a, b')).toEqual([
      { a: 1, b: 'x', v: 3 },
      { a: 1, b: 'y', v: 2 },
    ]);
  });

  it('keyed-table files flag only writes that repeat a key; unflagged tables are read without the merge, with the same rows', async () => {
    await c.query('CREATE TABLE dim (id INTEGER PRIMARY KEY, name TEXT)');
    await c.query(`INSERT INTO dim VALUES (1, 'a'), (2, 'b')`);
    await c.query(`INSERT INTO dim VALUES (3, 'c')`);
    expect(await rows('SELECT * FROM dim ORDER BY id')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
      { id: 3, name: 'c' },
    ]);
    const node = srv.server.node;
    const flags = async () => {
      const snap = (await node.catalog.latestSnapshot())!;
      const contents = await node.catalog.snapshotContents('duckmesh', snap.snapshotId);
      const table = contents.tables.find((t) => t.name === 'dim')!;
      return (contents.files.get(table.tableId) ?? []).map((f) => f.mutations);
    };
    expect((await flags()).every((m) => !m)).toBe(true);
    const plan = (await c.query('EXPLAIN SELECT * FROM dim')).rows.map((r) => Object.values(r).join(' ')).join('\n');
    expect(plan).not.toMatch(/WINDOW|row_number/i);
    // A repeated key (a later file) is flagged, and the newest version wins.
    await c.query(`INSERT INTO dim VALUES (2, 'B')`);
    expect(await rows('SELECT * FROM dim ORDER BY id')).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: 'B' },
      { id: 3, name: 'c' },
    ]);
    expect((await flags()).some((m) => m)).toBe(true);
    const merged = (await c.query('EXPLAIN SELECT * FROM dim')).rows.map((r) => Object.values(r).join(' ')).join('\n');
    expect(merged).toMatch(/WINDOW|row_number/i);
  });

  it('INSERT … ON CONFLICT follows Postgres: target = the key, excluded.*, WHERE, DO NOTHING', async () => {
    await c.query('CREATE TABLE up (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, tag TEXT)');
    await c.query(`INSERT INTO up VALUES (1, 1, 'one'), (2, 2, 'two')`);
    await c.query(`INSERT INTO up VALUES (1, 10, 'x'), (3, 30, 'three') ON CONFLICT (id) DO UPDATE SET n = up.n + excluded.n`);
    await c.query(`INSERT INTO up AS u VALUES (2, 99, 'y') ON CONFLICT (id) DO UPDATE SET tag = excluded.tag WHERE u.n > 5`);
    await c.query(`INSERT INTO up VALUES (2, 0, 'z'), (4, 4, 'four'), (4, 44, 'dup') ON CONFLICT DO NOTHING`);
    await c.query(`INSERT INTO up VALUES (3, 33, 'new') ON CONFLICT (id) DO UPDATE SET n = excluded.n, tag = excluded.tag`);
    expect(await rows('SELECT * FROM up ORDER BY id')).toEqual([
      { id: 1, n: 11, tag: 'one' },
      { id: 2, n: 2, tag: 'two' },
      { id: 3, n: 33, tag: 'new' },
      { id: 4, n: 4, tag: 'four' },
    ]);
    expect((await errorOf(c, `INSERT INTO up VALUES (5, 5, 'a'), (5, 6, 'b') ON CONFLICT (id) DO UPDATE SET n = 0`))?.code).toBe('21000');
    expect((await errorOf(c, `INSERT INTO up VALUES (5, 5, 'a') ON CONFLICT (tag) DO NOTHING`))?.code).toBe('42P10');
    expect((await errorOf(c, `INSERT INTO up VALUES (5, 5, 'a') ON CONFLICT DO UPDATE SET n = 0`))?.code).toBe('42601');
    expect((await errorOf(c, `INSERT INTO up VALUES (5, 5, 'a') ON CONFLICT (id) DO UPDATE SET id = 6`))?.code).toBe('0A000');
    expect((await errorOf(c, `INSERT INTO kv VALUES (5, 'a') ON CONFLICT (id) DO UPDATE SET nope = 1`))?.code).toBe('42703');
    await c.query('CREATE TABLE nokey (x INTEGER)');
    expect((await errorOf(c, `INSERT INTO nokey VALUES (1) ON CONFLICT DO NOTHING`))?.code).toBe('42P10');
  });

  it('UPDATE and DELETE apply at their position: a later insert is not affected, an earlier one is', async () => {
    await c.query('CREATE TABLE pos (id INTEGER PRIMARY KEY, v INTEGER)');
    await c.query('SET duckmesh.read_your_writes = off'); // pile writes up before the worker applies them
    await c.query('INSERT INTO pos VALUES (1, 1), (2, 2)');
    await c.query('UPDATE pos SET v = v * 10');
    await c.query('INSERT INTO pos VALUES (3, 3)');
    await c.query('DELETE FROM pos WHERE v > 15');
    await c.query('INSERT INTO pos VALUES (4, 40)');
    await c.query('UPDATE pos SET id = id + 100 WHERE id = 1');
    await c.query('SET duckmesh.read_your_writes = on');
    expect(await rows('SELECT * FROM pos ORDER BY id')).toEqual([
      { id: 3, v: 3 },
      { id: 4, v: 40 },
      { id: 101, v: 10 },
    ]);
    // A table without a key: the predicate picks rows, duplicates stay distinct rows.
    await c.query('CREATE TABLE ev (k INTEGER, v TEXT)');
    await c.query(`INSERT INTO ev VALUES (1, 'a'), (1, 'a'), (2, 'b')`);
    await c.query(`UPDATE ev SET v = 'z' WHERE k = 1`);
    await c.query(`DELETE FROM ev WHERE v = 'b'`);
    await c.query(`INSERT INTO ev VALUES (2, 'b')`);
    expect(await rows('SELECT * FROM ev ORDER BY k, v')).toEqual([
      { k: 1, v: 'z' },
      { k: 1, v: 'z' },
      { k: 2, v: 'b' },
    ]);
    await c.query('DELETE FROM ev');
    expect(await rows('SELECT count(*)::int AS n FROM ev')).toEqual([{ n: 0 }]);
  });

  it('a transaction is one logical write applied in statement order; a large statement is atomic', async () => {
    await c.query('CREATE TABLE tx (id INTEGER PRIMARY KEY, v INTEGER)');
    await c.query('BEGIN');
    await c.query('INSERT INTO tx SELECT i, i FROM range(25) t(i)');
    await c.query('UPDATE tx SET v = v + 100 WHERE id < 5');
    await c.query('DELETE FROM tx WHERE id >= 20');
    await c.query('COMMIT');
    // 25 rows / 4 per entry = 7 entries + UPDATE + DELETE, all in one snapshot.
    const seq = await lastSeq(c);
    await waitVisible(c, seq);
    expect(await rows('SELECT count(*)::int AS n, sum(v)::int AS s FROM tx')).toEqual([{ n: 20, s: 690 }]);
    const partial = (
      await c.query(`SELECT count(*)::int AS n FROM duckmesh.snapshots WHERE watermark > ${seq - 9} AND watermark < ${seq}`)
    ).rows[0].n;
    expect(partial).toBe(0);
  });

  it('expressions: parameters are typed and inlined, now() is the statement time, the sandbox applies', async () => {
    await c.query('CREATE TABLE ex (id INTEGER PRIMARY KEY, n INTEGER, s TEXT, ts TIMESTAMPTZ)');
    await c.query(`INSERT INTO ex VALUES (1, 1, 'a', NULL), (2, 2, 'b', NULL)`);
    await c.query('PREPARE bump(int, text) AS UPDATE ex SET n = n + $1, s = s || $2, ts = now() WHERE id = $1');
    const t0 = Date.now();
    await c.query(`EXECUTE bump(1, '!')`);
    await waitVisible(c, await lastSeq(c));
    await new Promise((r) => setTimeout(r, 50));
    const row = (await c.query('SELECT n, s, ts FROM ex WHERE id = 1')).rows[0];
    expect([row.n, row.s]).toEqual([2, 'a!']);
    expect(Math.abs((row.ts as Date).getTime() - t0)).toBeLessThan(5000);
    expect((await errorOf(c, `UPDATE ex SET s = (SELECT 'x')`))?.code).toBe('0A000');
    expect((await errorOf(c, `DELETE FROM ex WHERE id IN (SELECT 1)`))?.code).toBe('0A000');
    expect((await errorOf(c, `UPDATE ex SET s = read_text('/etc/passwd')`))?.code).toBe('42501');
    expect((await errorOf(c, `UPDATE ex SET nope = 1`))?.code).toBe('42703');
    expect((await errorOf(c, `UPDATE ex SET n = 'abc'`))?.code).toBe('22P02');
    expect((await errorOf(c, `UPDATE ex SET n = n WHERE nope = 1`))?.code).toBe('42703');
    expect((await errorOf(c, `UPDATE ex SET n = NULL, id = NULL`))?.code).toBe('23502');
    expect((await errorOf(c, `UPDATE nope SET n = 1`))?.code).toBe('42P01');
  });

  it('a write that cannot be applied at its position has no effect, is recorded, and the pipeline goes on', async () => {
    await c.query('CREATE TABLE ov (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
    await c.query('INSERT INTO ov VALUES (1, 2000000000), (2, 1)');
    await c.query('UPDATE ov SET n = n * 2'); // integer overflow for id 1: all or nothing
    const failed = await lastSeq(c);
    await c.query('UPDATE ov SET n = CASE WHEN id = 2 THEN NULL ELSE n END'); // NOT NULL at apply time
    await c.query('UPDATE ov SET n = n + 1');
    await waitVisible(c, await lastSeq(c));
    expect(await rows('SELECT * FROM ov ORDER BY id')).toEqual([
      { id: 1, n: 2000000001 },
      { id: 2, n: 2 },
    ]);
    const f = await rows(`SELECT first_seq, sqlstate, message FROM duckmesh.write_failures ORDER BY first_seq`);
    expect(f.map((r) => [Number(r.first_seq), r.sqlstate])).toEqual([
      [failed, '22003'],
      [failed + 1, '23502'],
    ]);
  });

  it('UPDATE / DELETE / ON CONFLICT with bind parameters over the extended protocol', async () => {
    await c.query('CREATE TABLE xp (id INTEGER PRIMARY KEY, v INTEGER)');
    await c.query('INSERT INTO xp VALUES ($1, $2), ($3, $4)', [1, 10, 2, 20]);
    await c.query('UPDATE xp SET v = v + $1 WHERE id = $2', [5, 1]);
    await c.query('DELETE FROM xp WHERE id = $1', [2]);
    await c.query('INSERT INTO xp VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = xp.v + $3', [1, 0, 100]);
    expect(await rows('SELECT * FROM xp')).toEqual([{ id: 1, v: 115 }]);
    // Parameters inside INSERT value expressions take their type from context.
    await c.query('INSERT INTO xp VALUES ($1 + 1, $2 * 2)', [4, 21]);
    expect(await rows('SELECT * FROM xp WHERE id = 5')).toEqual([{ id: 5, v: 42 }]);
  });

  it('DELETE … WHERE and UPDATE report 0 rows in the tag (decided when applied)', async () => {
    const r = await c.query('DELETE FROM kv WHERE id = 1');
    expect([r.command, r.rowCount]).toEqual(['DELETE', 0]);
  });
});
