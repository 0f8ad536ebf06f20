import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { connect, startServer } from '../helpers/server.js';

let srv: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.stop();
});

async function withClient<T>(fn: (c: pg.Client) => Promise<T>, db = 'duckmesh'): Promise<T> {
  const c = await connect(srv.port, db);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('write → token → snapshot → read', () => {
  it('creates a table, inserts, and reads its own writes in the same session', async () => {
    await withClient(async (c) => {
      await c.query('CREATE TABLE events (id BIGINT PRIMARY KEY, name TEXT NOT NULL, amount DOUBLE PRECISION, ts TIMESTAMP)');
      const ins = await c.query(`INSERT INTO events VALUES (1, 'a', 1.5, '2024-01-01 10:00:00'), (2, 'b', NULL, NULL)`);
      expect(ins.command).toBe('INSERT');
      expect(ins.rowCount).toBe(2);
      const r = await c.query('SELECT id, name, amount, ts FROM events ORDER BY id');
      expect(r.rows.map((x) => [String(x.id), x.name, x.amount])).toEqual([
        ['1', 'a', 1.5],
        ['2', 'b', null],
      ]);
      expect(r.rows[0].ts).toBeInstanceOf(Date);
    });
  });

  it('gives each write a token that another session can wait for', async () => {
    const token = await withClient(async (c) => {
      await c.query('CREATE TABLE t2 (k INTEGER, v TEXT)');
      await c.query(`INSERT INTO t2 VALUES (1, 'x')`);
      const t = await c.query('SHOW duckmesh.last_visibility_token');
      return t.rows[0]['duckmesh.last_visibility_token'] as string;
    });
    expect(token).toMatch(/^dm1\.[0-9a-f]{16}$/);
    await withClient(async (c) => {
      await c.query(`SET duckmesh.min_visibility_token = '${token}'`);
      const r = await c.query('SELECT k, v FROM t2');
      expect(r.rows).toEqual([{ k: 1, v: 'x' }]);
      const snap = await c.query('SHOW duckmesh.last_snapshot_id');
      expect(Number(snap.rows[0]['duckmesh.last_snapshot_id'])).toBeGreaterThan(0);
    });
  });

  it('reports a visibility timeout with DM001 naming the token and the watermark', async () => {
    await withClient(async (c) => {
      await c.query(`SET duckmesh.visibility_timeout = '200ms'`);
      await c.query(`SET duckmesh.min_visibility_token = 'dm1.00000000ffffffff'`);
      const err = await c.query('SELECT 1').catch((e: unknown) => e as pg.DatabaseError);
      expect((err as pg.DatabaseError).code).toBe('DM001');
      expect((err as pg.DatabaseError).message).toContain('dm1.00000000ffffffff');
      expect((err as pg.DatabaseError).message).toMatch(/current watermark is dm1\.[0-9a-f]{16}/);
    });
  });

  it('rejects malformed tokens and unknown duckmesh settings', async () => {
    await withClient(async (c) => {
      const bad = await c.query(`SET duckmesh.min_visibility_token = 'nope'`).catch((e: pg.DatabaseError) => e);
      expect((bad as pg.DatabaseError).code).toBe('DM002');
      const unk = await c.query(`SET duckmesh.nonsense = 1`).catch((e: pg.DatabaseError) => e);
      expect((unk as pg.DatabaseError).code).toBe('42704');
      // Custom placeholders with a dot are accepted like Postgres does.
      await c.query(`SET myapp.user_id = '42'`);
      const r = await c.query('SHOW myapp.user_id');
      expect(r.rows[0]['myapp.user_id']).toBe('42');
      const pgUnknown = await c.query(`SET not_a_setting = 1`).catch((e: pg.DatabaseError) => e);
      expect((pgUnknown as pg.DatabaseError).code).toBe('42704');
    });
  });

  it('waits for visibility before acknowledging when wait_for_visibility is on', async () => {
    await withClient(async (c) => {
      await c.query('CREATE TABLE wv (x INTEGER)');
      await c.query('SET duckmesh.wait_for_visibility = on');
      await c.query('SET duckmesh.read_your_writes = off');
      await c.query('INSERT INTO wv VALUES (7)');
      const r = await c.query('SELECT x FROM wv');
      expect(r.rows).toEqual([{ x: 7 }]);
    });
  });

  it('sees one snapshot for every read inside BEGIN … COMMIT', async () => {
    await withClient(async (writer) => {
      await writer.query('CREATE TABLE tx (x INTEGER)');
      await writer.query('INSERT INTO tx VALUES (1)');
      const token = (await writer.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token'];
      await withClient(async (reader) => {
        await reader.query(`SET duckmesh.min_visibility_token = '${token}'`);
        await reader.query('BEGIN');
        const a = await reader.query('SELECT count(*)::INTEGER AS n FROM tx');
        await writer.query('SET duckmesh.wait_for_visibility = on');
        await writer.query('INSERT INTO tx VALUES (2)');
        const b = await reader.query('SELECT count(*)::INTEGER AS n FROM tx');
        expect(a.rows[0].n).toBe(1);
        expect(b.rows[0].n).toBe(1);
        await reader.query('COMMIT');
        await reader.query(`SET duckmesh.min_visibility_token = '${(await writer.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token']}'`);
        const c2 = await reader.query('SELECT count(*)::INTEGER AS n FROM tx');
        expect(c2.rows[0].n).toBe(2);
      });
    });
  });

  it('buffers writes in a transaction: ROLLBACK writes nothing, COMMIT writes all at once', async () => {
    await withClient(async (c) => {
      await c.query('CREATE TABLE txw (x INTEGER)');
      await c.query('BEGIN');
      await c.query('INSERT INTO txw VALUES (1)');
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await c.query('INSERT INTO txw VALUES (2)');
      await c.query('INSERT INTO txw VALUES (3)');
      await c.query('COMMIT');
      const r = await c.query('SELECT x FROM txw ORDER BY x');
      expect(r.rows.map((x) => x.x)).toEqual([2, 3]);
    });
  });

  it('puts a failed transaction into the aborted state until ROLLBACK', async () => {
    await withClient(async (c) => {
      await c.query('BEGIN');
      await expect(c.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
      await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
      const r = await c.query('COMMIT');
      expect(r.command).toBe('ROLLBACK');
      const ok = await c.query('SELECT 1 AS one');
      expect(ok.rows).toEqual([{ one: 1 }]);
    });
  });

  it('keeps tenants apart: a table in one database is invisible in another', async () => {
    await withClient(async (c) => {
      await c.query('CREATE TABLE secret (x INTEGER)');
      await c.query('INSERT INTO secret VALUES (1)');
    }, 'tenant_a');
    await withClient(async (c) => {
      await expect(c.query('SELECT * FROM secret')).rejects.toMatchObject({ code: '42P01' });
    }, 'tenant_b');
  });

  it('runs DuckDB-dialect SELECTs (GROUP BY ALL, EXCLUDE, QUALIFY)', async () => {
    await withClient(async (c) => {
      await c.query('CREATE TABLE dd (g TEXT, v INTEGER)');
      await c.query(`INSERT INTO dd VALUES ('a', 1), ('a', 2), ('b', 5)`);
      const r = await c.query('SELECT g, sum(v)::INTEGER AS s FROM dd GROUP BY ALL ORDER BY ALL');
      expect(r.rows).toEqual([
        { g: 'a', s: 3 },
        { g: 'b', s: 5 },
      ]);
      const e = await c.query('SELECT * EXCLUDE (v) FROM dd ORDER BY g LIMIT 1');
      expect(e.rows).toEqual([{ g: 'a' }]);
      const q = await c.query('SELECT g, v FROM dd QUALIFY row_number() OVER (PARTITION BY g ORDER BY v DESC) = 1 ORDER BY g');
      expect(q.rows).toEqual([
        { g: 'a', v: 2 },
        { g: 'b', v: 5 },
      ]);
    });
  });
});
