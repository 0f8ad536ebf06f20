/**
 * Session-level protocol features: portal suspension (Execute with a row limit), SQL cursors,
 * SQL PREPARE/EXECUTE/DEALLOCATE, savepoints, read-only transactions, statements accepted for
 * compatibility, and statement_timeout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { connect, startServer } from '../helpers/server.js';
import { dataRowFields, errorOf, RawClient, serialize, tagOf } from './protocol-client.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let c: pg.Client;
let token = '';

/** A raw connection that reads at least what `c` wrote (another session has no read-your-writes). */
function raw(): Promise<RawClient> {
  return RawClient.connect(srv.port, { options: `-c duckmesh.min_visibility_token=${token}` });
}

beforeAll(async () => {
  srv = await startServer();
  c = await connect(srv.port);
  await c.query('CREATE TABLE nums (n INTEGER, label TEXT)');
  await c.query(`INSERT INTO nums SELECT i, 'n' || i FROM range(1, 5001) t(i)`);
  token = (await c.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token'];
});
afterAll(async () => {
  await c.end();
  await srv.stop();
});

describe('portal suspension', () => {
  it('Execute with maxRows returns PortalSuspended until the rows run out', async () => {
    const r = await raw();
    try {
      r.send(
        serialize.parse({ name: 's1', text: 'SELECT n FROM nums WHERE n <= $1 ORDER BY n' }),
        serialize.bind({ statement: 's1', portal: 'p1', values: ['2500'] }),
        serialize.execute({ portal: 'p1', rows: 1000 }),
        serialize.flush(),
      );
      let frames = await r.until('s');
      let rows = frames.filter((f) => f.type === 'D').map((f) => Number(dataRowFields(f.body)[0]!.toString()));
      expect(rows).toHaveLength(1000);
      expect(rows[0]).toBe(1);
      // Another statement on the same connection between two Executes of the portal.
      r.send(serialize.execute({ portal: 'p1', rows: 1000 }), serialize.flush());
      frames = await r.until('s');
      rows = frames.filter((f) => f.type === 'D').map((f) => Number(dataRowFields(f.body)[0]!.toString()));
      expect([rows[0], rows.at(-1)]).toEqual([1001, 2000]);
      r.send(serialize.execute({ portal: 'p1', rows: 1000 }), serialize.sync());
      frames = await r.until('Z');
      rows = frames.filter((f) => f.type === 'D').map((f) => Number(dataRowFields(f.body)[0]!.toString()));
      expect([rows.length, rows[0], rows.at(-1)]).toEqual([500, 2001, 2500]);
      expect(tagOf(frames)).toEqual(['SELECT 500']);
      expect(frames.some((f) => f.type === 's')).toBe(false);
    } finally {
      r.end();
    }
  });

  it('an exactly spent row budget suspends; the next Execute completes with SELECT 0 (as Postgres)', async () => {
    const r = await raw();
    try {
      r.send(serialize.parse({ text: 'SELECT n FROM nums WHERE n <= 5 ORDER BY n' }), serialize.bind({}), serialize.execute({ rows: 2 }), serialize.flush());
      expect((await r.until('s')).filter((f) => f.type === 'D')).toHaveLength(2);
      r.send(serialize.execute({ rows: 3 }), serialize.flush());
      expect((await r.until('s')).map((f) => f.type).join('')).toBe('DDDs');
      r.send(serialize.execute({ rows: 2 }), serialize.sync());
      const last = await r.until('Z');
      expect(last.map((f) => f.type).join('')).toBe('CZ');
      expect(tagOf(last)).toEqual(['SELECT 0']);
    } finally {
      r.end();
    }
  });
});

describe('SQL cursors', () => {
  it('DECLARE / FETCH / MOVE / CLOSE inside a transaction', async () => {
    await c.query('BEGIN');
    await c.query('DECLARE cur NO SCROLL CURSOR FOR SELECT n, label FROM nums ORDER BY n');
    const first = await c.query('FETCH FORWARD 3 FROM cur');
    expect(first.command).toBe('FETCH');
    expect(first.rows).toEqual([
      { n: 1, label: 'n1' },
      { n: 2, label: 'n2' },
      { n: 3, label: 'n3' },
    ]);
    // Other statements on the session do not disturb the cursor.
    expect((await c.query('SELECT count(*)::INTEGER AS k FROM nums')).rows).toEqual([{ k: 5000 }]);
    const moved = await c.query('MOVE 996 IN cur');
    expect([moved.command, moved.rowCount]).toEqual(['MOVE', 996]);
    expect((await c.query('FETCH NEXT FROM cur')).rows).toEqual([{ n: 1000, label: 'n1000' }]);
    const rest = await c.query('FETCH ALL FROM cur');
    expect([rest.rowCount, rest.rows[0], rest.rows.at(-1)]).toEqual([4000, { n: 1001, label: 'n1001' }, { n: 5000, label: 'n5000' }]);
    expect((await c.query('FETCH 5 FROM cur')).rowCount).toBe(0);
    await c.query('CLOSE cur');
    await expect(c.query('FETCH 1 FROM cur')).rejects.toMatchObject({ code: '34000' });
    await c.query('ROLLBACK');
  });

  it('needs a transaction unless WITH HOLD; a held cursor survives COMMIT; backward is refused', async () => {
    await expect(c.query('DECLARE nohold CURSOR FOR SELECT 1')).rejects.toMatchObject({ code: '25P01' });
    await c.query('BEGIN');
    await c.query('DECLARE held CURSOR WITH HOLD FOR SELECT n FROM nums WHERE n <= 3 ORDER BY n');
    await c.query('DECLARE gone CURSOR FOR SELECT 1');
    await c.query('COMMIT');
    expect((await c.query('FETCH 2 FROM held')).rows).toEqual([{ n: 1 }, { n: 2 }]);
    await expect(c.query('FETCH 1 FROM gone')).rejects.toMatchObject({ code: '34000' });
    await expect(c.query('FETCH BACKWARD 1 FROM held')).rejects.toMatchObject({ code: '55000' });
    await c.query('CLOSE ALL');
    await expect(c.query('FETCH 1 FROM held')).rejects.toMatchObject({ code: '34000' });
  });

  it('a BINARY cursor returns binary rows', async () => {
    const r = await raw();
    try {
      await r.rows('BEGIN');
      await r.rows('DECLARE b BINARY CURSOR FOR SELECT n FROM nums WHERE n = 258');
      const frames = await r.query('FETCH 1 FROM b');
      const v = dataRowFields(frames.find((f) => f.type === 'D')!.body)[0]!;
      expect(v.readInt32BE(0)).toBe(258);
      expect(tagOf(frames)).toEqual(['FETCH 1']);
    } finally {
      r.end();
    }
  });

  it('Describe of a cursor as a portal and FETCH through the extended protocol (psycopg 3 style)', async () => {
    const r = await raw();
    try {
      await r.rows('BEGIN');
      r.send(serialize.parse({ text: 'DECLARE "pc" CURSOR FOR SELECT n, label FROM nums ORDER BY n' }), serialize.bind({}), serialize.execute({}), serialize.sync());
      expect(tagOf(await r.until('Z'))).toEqual(['DECLARE CURSOR']);
      r.send(serialize.describe({ type: 'P', name: 'pc' }), serialize.sync());
      const desc = await r.until('Z');
      expect(desc.find((f) => f.type === 'T')!.body.toString('latin1')).toContain('label');
      r.send(serialize.parse({ text: 'FETCH FORWARD 2 FROM "pc"' }), serialize.bind({}), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync());
      const frames = await r.until('Z');
      expect(errorOf(frames)).toBeNull();
      expect(frames.filter((f) => f.type === 'D').map((f) => dataRowFields(f.body).map((b) => b!.toString()))).toEqual([
        ['1', 'n1'],
        ['2', 'n2'],
      ]);
      expect(tagOf(frames)).toEqual(['FETCH 2']);
    } finally {
      r.end();
    }
  });
});

describe('PREPARE / EXECUTE / DEALLOCATE', () => {
  it('typed parameters are validated and used', async () => {
    await c.query('PREPARE q(int, text) AS SELECT n, label FROM nums WHERE n = $1 AND label = $2');
    expect((await c.query(`EXECUTE q(7, 'n7')`)).rows).toEqual([{ n: 7, label: 'n7' }]);
    expect((await c.query(`EXECUTE q(7, 'nope')`)).rows).toEqual([]);
    await expect(c.query(`EXECUTE q('x', 'n7')`)).rejects.toMatchObject({ code: '22P02' });
    await expect(c.query(`EXECUTE q(1)`)).rejects.toMatchObject({ code: '42601' });
    await expect(c.query(`PREPARE q AS SELECT 1`)).rejects.toMatchObject({ code: '42P05' });
    await c.query('DEALLOCATE q');
    await expect(c.query(`EXECUTE q(7, 'n7')`)).rejects.toMatchObject({ code: '26000' });
  });

  it('prepared INSERT writes; expressions as arguments; DEALLOCATE ALL', async () => {
    await c.query('CREATE TABLE kv (k TEXT, v BIGINT)');
    await c.query('PREPARE ins(text, bigint) AS INSERT INTO kv VALUES ($1, $2)');
    const r = await c.query(`EXECUTE ins('a', 40 + 2)`);
    expect(r.command).toBe('INSERT');
    await c.query(`EXECUTE ins('b', -1)`);
    expect((await c.query('SELECT k, v FROM kv ORDER BY k')).rows).toEqual([
      { k: 'a', v: '42' },
      { k: 'b', v: '-1' },
    ]);
    await c.query('PREPARE two AS SELECT 2 AS x');
    await c.query('DEALLOCATE ALL');
    await expect(c.query('EXECUTE two')).rejects.toMatchObject({ code: '26000' });
  });
});

describe('transactions and accepted statements', () => {
  it('ROLLBACK TO discards writes after the savepoint and clears the aborted state', async () => {
    await c.query('CREATE TABLE sp (x INTEGER)');
    await c.query('BEGIN');
    await c.query('INSERT INTO sp VALUES (1)');
    await c.query('SAVEPOINT a');
    await c.query('INSERT INTO sp VALUES (2)');
    await expect(c.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ code: '42P01' });
    await expect(c.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
    await c.query('ROLLBACK TO SAVEPOINT a');
    await c.query('INSERT INTO sp VALUES (3)');
    await c.query('SAVEPOINT b');
    await c.query('RELEASE SAVEPOINT b');
    await expect(c.query('ROLLBACK TO b')).rejects.toMatchObject({ code: '3B001' });
    await c.query('ROLLBACK TO a');
    await c.query('INSERT INTO sp VALUES (4)');
    await c.query('COMMIT');
    expect((await c.query('SELECT x FROM sp ORDER BY x')).rows).toEqual([{ x: 1 }, { x: 4 }]);
    await expect(c.query('SAVEPOINT outside')).rejects.toMatchObject({ code: '25P01' });
  });

  it('BEGIN READ ONLY and SET SESSION CHARACTERISTICS refuse writes; SHOW reflects them', async () => {
    await c.query('BEGIN READ ONLY');
    expect((await c.query('SHOW transaction_read_only')).rows).toEqual([{ transaction_read_only: 'on' }]);
    await expect(c.query('INSERT INTO sp VALUES (9)')).rejects.toMatchObject({ code: '25006' });
    await c.query('ROLLBACK');
    await c.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    await c.query('BEGIN');
    await expect(c.query('INSERT INTO sp VALUES (9)')).rejects.toMatchObject({ code: '25006' });
    await c.query('ROLLBACK');
    await c.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE, ISOLATION LEVEL SERIALIZABLE');
    await c.query('BEGIN');
    expect((await c.query('SHOW transaction_isolation')).rows).toEqual([{ transaction_isolation: 'serializable' }]);
    await c.query('SET TRANSACTION READ ONLY');
    expect((await c.query('SHOW transaction_read_only')).rows).toEqual([{ transaction_read_only: 'on' }]);
    await c.query('COMMIT');
    await c.query('SET default_transaction_isolation = DEFAULT');
  });

  it('DISCARD ALL, UNLISTEN *, SET extra_float_digits are accepted with Postgres tags', async () => {
    const o = await connect(srv.port);
    try {
      expect((await o.query('SET extra_float_digits = 3')).command).toBe('SET');
      expect((await o.query('SHOW extra_float_digits')).rows).toEqual([{ extra_float_digits: '3' }]);
      expect((await o.query('UNLISTEN *')).command).toBe('UNLISTEN');
      await o.query('PREPARE gone AS SELECT 1');
      await o.query('SET application_name = changed');
      expect((await o.query('DISCARD ALL')).command).toBe('DISCARD');
      expect((await o.query('SHOW application_name')).rows).toEqual([{ application_name: '' }]);
      await expect(o.query('EXECUTE gone')).rejects.toMatchObject({ code: '26000' });
      await o.query('BEGIN');
      await expect(o.query('DISCARD ALL')).rejects.toMatchObject({ code: '25001' });
      await o.query('ROLLBACK');
    } finally {
      await o.end();
    }
  });

  it('statement_timeout cancels a long query with 57014 and the session stays usable', async () => {
    const o = await connect(srv.port);
    try {
      await o.query(`SET statement_timeout = '300ms'`);
      const started = Date.now();
      await expect(o.query('SELECT count(*) FROM range(100000000000) t(i) WHERE i % 7 = 3')).rejects.toMatchObject({
        code: '57014',
        message: expect.stringContaining('statement timeout'),
      });
      expect(Date.now() - started).toBeLessThan(5000);
      await o.query('SET statement_timeout = 0');
      expect((await o.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await o.end();
    }
  });
});
