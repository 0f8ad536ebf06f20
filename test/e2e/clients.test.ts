import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
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

const hasPsql = spawnSync('psql', ['--version']).status === 0;
if (!hasPsql && process.env['DUCKMESH_REQUIRE_SERVICES'] === '1') throw new Error('psql is required (DUCKMESH_REQUIRE_SERVICES=1)');

const run = promisify(execFile);

// psql must run asynchronously: the server under test lives in this process's event loop.
async function psql(args: string[], db = 'duckmesh'): Promise<string> {
  const { stdout } = await run('psql', ['-X', '-h', '127.0.0.1', '-p', String(srv.port), '-U', 'tester', '-d', db, '-v', 'ON_ERROR_STOP=1', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
  });
  return stdout;
}

describe.runIf(hasPsql)('psql', () => {
  it('creates, inserts and reads back in one session; a second session waits on the token', async () => {
    const out = await psql([
      '-At',
      '-c',
      'CREATE TABLE pets (id INTEGER PRIMARY KEY, name TEXT, born DATE, weight NUMERIC(6,2), vaccinated BOOLEAN)',
      '-c',
      `INSERT INTO pets VALUES (1, 'Rex', '2020-02-29', 12.5, true), (2, 'Tom', NULL, 4.25, false)`,
      '-c',
      'SELECT id, name, born, weight, vaccinated FROM pets ORDER BY id',
      '-c',
      'SHOW duckmesh.last_visibility_token',
    ]);
    const lines = out.trim().split('\n');
    expect(lines).toContain('1|Rex|2020-02-29|12.50|t');
    expect(lines).toContain('2|Tom||4.25|f');
    const token = lines[lines.length - 1]!;
    expect(token).toMatch(/^dm1\.[0-9a-f]{16}$/);
    const second = await psql(['-At', '-c', `SET duckmesh.min_visibility_token = '${token}'`, '-c', 'SELECT count(*) FROM pets']);
    expect(second.trim().split('\n').pop()).toBe('2');
  });

  it('runs several statements in one simple-query message and passes -c options at startup', async () => {
    const { stdout: out } = await run('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-c', `SELECT 1; SELECT 'two'; SHOW application_name`], {
      encoding: 'utf8',
      env: { ...process.env, PGHOST: '127.0.0.1', PGPORT: String(srv.port), PGUSER: 'tester', PGDATABASE: 'duckmesh', PGAPPNAME: 'dm-test', PGOPTIONS: '-c statement_timeout=5000' },
    });
    expect(out.trim().split('\n')).toEqual(['1', 'two', 'dm-test']);
  });

  it('shows errors with their SQLSTATE', async () => {
    const r = await run('psql', ['-X', '-h', '127.0.0.1', '-p', String(srv.port), '-U', 'tester', '-d', 'duckmesh', '-v', 'VERBOSITY=verbose', '-c', 'SELECT * FROM nowhere'], { encoding: 'utf8' }).then(
      () => ({ failed: false, stderr: '' }),
      (e: { stderr: string }) => ({ failed: true, stderr: e.stderr }),
    );
    expect(r.failed).toBe(true);
    expect(r.stderr).toContain('42P01');
    expect(r.stderr).toContain('relation "nowhere" does not exist');
  });
});

describe('node-postgres (extended protocol)', () => {
  let c: pg.Client;
  beforeAll(async () => {
    c = await connect(srv.port);
    await c.query('CREATE TABLE orders (id BIGINT PRIMARY KEY, customer TEXT, total DECIMAL(10,2), placed TIMESTAMPTZ, tags TEXT[])');
  });
  afterAll(async () => {
    await c.end();
  });

  it('inserts with parameters and reads them back with parameters', async () => {
    const ins = await c.query('INSERT INTO orders VALUES ($1, $2, $3, $4, $5)', [1, 'ann', '19.99', new Date('2024-05-01T12:00:00Z'), ['a', 'b c']]);
    expect(ins.rowCount).toBe(1);
    await c.query('INSERT INTO orders (id, customer, total) VALUES ($1, $2, $3), ($4, $5, $6)', [2, 'bob', 5, 3, null, '0.01']);
    const r = await c.query('SELECT id, customer, total, placed, tags FROM orders WHERE id >= $1 ORDER BY id', [1]);
    expect(r.rows.map((x) => [x.id, x.customer, x.total])).toEqual([
      ['1', 'ann', '19.99'],
      ['2', 'bob', '5.00'],
      ['3', null, '0.01'],
    ]);
    expect((r.rows[0].placed as Date).toISOString()).toBe('2024-05-01T12:00:00.000Z');
    expect(r.rows[0].tags).toEqual(['a', 'b c']);
  });

  it('reuses a named prepared statement across executions', async () => {
    for (const id of [1, 2, 3]) {
      const r = await c.query({ name: 'by-id', text: 'SELECT customer FROM orders WHERE id = $1', values: [id] });
      expect(r.rows.length).toBe(1);
    }
  });

  it('reports errors in the extended protocol and recovers at Sync', async () => {
    await expect(c.query('SELECT * FROM orders WHERE id = $1', ['not-a-number'])).rejects.toMatchObject({ code: '22P02' });
    const r = await c.query('SELECT count(*)::INTEGER AS n FROM orders WHERE customer = $1', ['ann']);
    expect(r.rows).toEqual([{ n: 1 }]);
  });

  it('cancels a running query with a CancelRequest (57014)', async () => {
    const other = await connect(srv.port);
    const q = other.query('SELECT count(*) FROM range(10000000000) a');
    await new Promise((r) => setTimeout(r, 300));
    const canceller = await connect(srv.port);
    // node-postgres' cancel path: a new connection carrying the BackendKeyData.
    const pgMod = await import('pg');
    await new Promise<void>((resolve, reject) => {
      const con = new (pgMod.default.Connection as unknown as new () => {
        connect: (port: number, host: string) => void;
        on: (e: string, f: (...a: unknown[]) => void) => void;
        cancel: (pid: number, key: number) => void;
        end: () => void;
      })();
      con.on('connect', () => {
        const o = other as unknown as { processID: number; secretKey: number };
        con.cancel(o.processID, o.secretKey);
        resolve();
      });
      con.on('error', reject);
      con.connect(srv.port, '127.0.0.1');
    });
    await expect(q).rejects.toMatchObject({ code: '57014' });
    await canceller.end();
    const alive = await other.query('SELECT 1 AS x');
    expect(alive.rows).toEqual([{ x: 1 }]);
    await other.end();
  });

  it('enforces statement_timeout with 57014', async () => {
    const o = await connect(srv.port);
    await o.query(`SET statement_timeout = '200ms'`);
    await expect(o.query('SELECT count(*) FROM range(10000000000) a')).rejects.toMatchObject({ code: '57014' });
    await o.end();
  });
});
