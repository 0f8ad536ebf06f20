import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { connect, startServer } from '../helpers/server.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let c: pg.Client;

beforeAll(async () => {
  srv = await startServer({ flags: { 'limits.maxMessageBytes': 1024 * 1024 } });
  c = await connect(srv.port);
  await c.query('CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(5), qty SMALLINT, at DATE)');
  await c.query(`INSERT INTO items VALUES (1, 'ok', 1, '2024-01-01')`);
});
afterAll(async () => {
  await c.end();
  await srv.stop();
});

async function count(): Promise<number> {
  const r = await c.query('SELECT count(*)::INTEGER AS n FROM items');
  return r.rows[0].n;
}

describe('bad writes are rejected with Postgres SQLSTATEs and write nothing', () => {
  const cases: [string, string, RegExp][] = [
    [`INSERT INTO items VALUES (2, 'x', 'abc', '2024-01-01')`, '22P02', /invalid input syntax for type smallint: "abc"/],
    [`INSERT INTO items VALUES (2, 'x', 99999, '2024-01-01')`, '22003', /out of range for type smallint/],
    [`INSERT INTO items VALUES (2, 'toolong', 1, '2024-01-01')`, '22001', /value too long/],
    [`INSERT INTO items VALUES (2, 'x', 1, '2024-13-45')`, '22008', /out of range|invalid/],
    [`INSERT INTO items VALUES (2, 'x', 1, '2024-01-01', 5)`, '42601', /more expressions than target columns/],
    [`INSERT INTO items (id, nope) VALUES (2, 1)`, '42703', /column "nope" of relation "items" does not exist/],
    [`INSERT INTO missing VALUES (1)`, '42P01', /relation "missing" does not exist/],
    [`INSERT INTO items VALUES (NULL, 'x', 1, '2024-01-01')`, '23502', /null value in column "id"/],
  ];
  for (const [sql, code, message] of cases) {
    it(`${code}: ${sql}`, async () => {
      const before = await count();
      const err = (await c.query(sql).catch((e: unknown) => e)) as pg.DatabaseError;
      expect(err.code).toBe(code);
      expect(err.message).toMatch(message);
      expect(await count()).toBe(before);
    });
  }

  it('rejects a multi-row insert as a whole when one row is bad, naming the row and column', async () => {
    const before = await count();
    const err = (await c.query(`INSERT INTO items VALUES (10, 'a', 1, NULL), (11, 'b', 'x', NULL)`).catch((e) => e)) as pg.DatabaseError;
    expect(err.code).toBe('22P02');
    expect(err.detail).toBe('row 2, column "qty"');
    expect(await count()).toBe(before);
  });

  it('answers unsupported statements with 0A000 naming the statement', async () => {
    for (const [sql, name] of [
      ['CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql', 'CREATE FUNCTION'],
      ['LISTEN chan', 'LISTEN'],
      ['GRANT SELECT ON items TO bob', 'GRANT'],
    ]) {
      const err = (await c.query(sql!).catch((e) => e)) as pg.DatabaseError;
      expect(err.code).toBe('0A000');
      expect(err.message).toContain(name);
    }
  });

  it('rejects duplicate tables and reports syntax errors with a position', async () => {
    await expect(c.query('CREATE TABLE items (x INTEGER)')).rejects.toMatchObject({ code: '42P07' });
    const err = (await c.query('SELEC 1').catch((e) => e)) as pg.DatabaseError;
    expect(err.code).toBe('42601');
    expect(Number(err.position)).toBe(1);
  });
});

describe('malformed protocol traffic', () => {
  function rawExchange(bytes: Buffer, expectClose = true): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const s = net.connect(srv.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      s.on('data', (d) => chunks.push(d));
      s.on('error', reject);
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('connect', () => s.write(bytes));
      if (!expectClose) setTimeout(() => s.destroy(), 500);
    });
  }

  it('closes a connection that sends an oversized message and keeps serving others', async () => {
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8, 0);
    startup.writeInt32BE(0x7fffffff & 0x12345678, 4);
    const reply = await rawExchange(startup);
    expect(reply[0]).toBe('E'.charCodeAt(0));
    expect(reply.toString('utf8')).toContain('08P01');

    const huge = Buffer.alloc(8);
    huge.writeInt32BE(2_000_000_000, 0);
    huge.writeInt32BE(196608, 4);
    const reply2 = await rawExchange(huge);
    expect(reply2[0]).toBe('E'.charCodeAt(0));

    const r = await c.query('SELECT 1 AS alive');
    expect(r.rows).toEqual([{ alive: 1 }]);
  });

  it('closes a connection that sends garbage after startup', async () => {
    const other = await connect(srv.port);
    // Reach into the socket of a live client and write an unknown message type.
    const sock = (other as unknown as { connection: { stream: net.Socket } }).connection.stream;
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    other.on('error', () => undefined);
    sock.write(Buffer.from([0x01, 0, 0, 0, 4]));
    await closed;
    const r = await c.query('SELECT 2 AS alive');
    expect(r.rows).toEqual([{ alive: 2 }]);
  });
});
