/**
 * WriteService: JSON row writes (the HTTP API's entry point) with the same semantics and receipts
 * as SQL — append, upsert (columns a row leaves out keep their value), delete by key.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteService } from '../../src/ingest/write-service.js';
import { connect, startServer } from '../helpers/server.js';
import { waitVisible } from './helpers.js';

type Server = Awaited<ReturnType<typeof startServer>>;

describe('WriteService (JSON rows)', () => {
  let srv: Server;
  let c: pg.Client;
  let writes: WriteService;
  const tenant = 'duckmesh';

  beforeAll(async () => {
    srv = await startServer();
    c = await connect(srv.port);
    await c.query(`CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, plan TEXT DEFAULT 'free', logins INTEGER DEFAULT 0)`);
    await c.query('CREATE TABLE clicks (page TEXT, n INTEGER)');
    writes = new WriteService(srv.server.node.ingest);
  });

  afterAll(async () => {
    await c?.end().catch(() => undefined);
    await srv?.stop();
  });

  it('append, partial upsert, full upsert and delete by key, each one receipt', async () => {
    const a = await writes.write({ tenant, table: 'users', op: 'append', rows: [{ id: 1, name: 'ann' }, { id: 2, name: 'bob', plan: 'pro', logins: 3 }] });
    expect(a).toMatchObject({ rows: 2 });
    expect(a.token).toMatch(/^dm1\./);
    // Partial rows: only the given columns change; a new key takes the defaults; rows for one key merge in order.
    await writes.write({
      tenant,
      table: 'public.users',
      op: 'upsert',
      rows: [{ id: 1, logins: 5 }, { id: 3, name: 'cid' }, { id: 1, plan: 'team' }],
    });
    const d = await writes.write({ tenant, table: 'users', op: 'delete', rows: [{ id: 2 }, { id: 99 }] });
    await waitVisible(c, d.lastSeq);
    expect((await c.query('SELECT * FROM users ORDER BY id')).rows).toEqual([
      { id: 1, name: 'ann', plan: 'team', logins: 5 },
      { id: 3, name: 'cid', plan: 'free', logins: 0 },
    ]);
    // A partial row for a NEW key lacking a NOT NULL column cannot be applied: the write fails as a whole.
    const missing = await writes.write({ tenant, table: 'users', op: 'upsert', rows: [{ id: 1, logins: 6 }, { id: 50, logins: 1 }] });
    await waitVisible(c, missing.lastSeq);
    expect((await c.query(`SELECT sqlstate FROM duckmesh.write_failures WHERE first_seq = ${missing.firstSeq}`)).rows).toEqual([{ sqlstate: '23502' }]);
    const full = await writes.write({ tenant, table: 'users', op: 'upsert', rows: [{ id: 3, name: 'cyd', plan: 'pro', logins: 1 }] });
    await waitVisible(c, full.lastSeq);
    expect((await c.query('SELECT * FROM users WHERE id IN (1, 3, 50) ORDER BY id')).rows).toEqual([
      { id: 1, name: 'ann', plan: 'team', logins: 5 },
      { id: 3, name: 'cyd', plan: 'pro', logins: 1 },
    ]);
  });

  it('bad rows name the row and column; nothing is written', async () => {
    const bad = (p: Promise<unknown>) => p.then(() => null, (e: { sqlstate: string; detail?: string }) => [e.sqlstate, e.detail]);
    expect(await bad(writes.write({ tenant, table: 'users', op: 'append', rows: [{ id: 5, name: 'x' }, { id: 6, name: 'y', nope: 1 }] }))).toEqual([
      '42703',
      'row 2, column "nope"',
    ]);
    expect(await bad(writes.write({ tenant, table: 'users', op: 'append', rows: [{ id: 'seven', name: 'x' }] }))).toEqual(['22P02', 'row 1, column "id"']);
    expect(await bad(writes.write({ tenant, table: 'users', op: 'append', rows: [{ id: 8 }] }))).toEqual(['23502', 'row 1, column "name"']);
    expect(await bad(writes.write({ tenant, table: 'users', op: 'delete', rows: [{ name: 'x' }] }))).toEqual(['23502', 'row 1, column "id"']);
    expect((await bad(writes.write({ tenant, table: 'clicks', op: 'upsert', rows: [{ page: 'a', n: 1 }] })))?.[0]).toBe('0A000');
    expect((await bad(writes.write({ tenant, table: 'nope', op: 'append', rows: [] })))?.[0]).toBe('42P01');
    expect((await c.query('SELECT count(*)::int AS n FROM users WHERE id >= 5')).rows[0].n).toBe(0);
  });

  it('the Idempotency-Key path: same request → same receipt; different request → DM004', async () => {
    const req = { tenant, table: 'clicks', op: 'append' as const, rows: [{ page: '/', n: 1 }], idempotencyKey: 'http-1' };
    const r1 = await writes.write(req);
    const r2 = await writes.write({ ...req, rows: [{ page: '/', n: 1 }] });
    expect(r2).toMatchObject({ firstSeq: r1.firstSeq, replayed: true });
    await expect(writes.write({ ...req, rows: [{ page: '/', n: 2 }] })).rejects.toMatchObject({ sqlstate: 'DM004' });
    await waitVisible(c, r1.lastSeq);
    expect((await c.query(`SELECT count(*)::int AS n FROM clicks`)).rows[0].n).toBe(1);
  });
});
