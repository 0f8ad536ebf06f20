/**
 * Idempotency keys (DESIGN §4): same key + same payload → the original receipt and nothing
 * written; a different payload → DM004; concurrent duplicates → exactly one write; kept in
 * DuckMesh's own catalog (so they survive a restart); recovery when a write reached the bus but
 * its receipt was never recorded.
 */
import { rmSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload, withWriteFields } from '../../src/ingest/payload.js';
import { fingerprintOf, WriteService } from '../../src/ingest/write-service.js';
import { connect, startServer } from '../helpers/server.js';
import { errorOf, lastSeq, waitVisible } from './helpers.js';

type Server = Awaited<ReturnType<typeof startServer>>;

describe('idempotency keys', () => {
  let srv: Server;
  let dataDir: string;
  let admin: pg.Client;

  beforeAll(async () => {
    srv = await startServer();
    dataDir = srv.dataDir;
    admin = await connect(srv.port);
    await admin.query('CREATE TABLE events (k TEXT, n INTEGER)');
  });

  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const tokenOf = async (c: pg.Client) => (await c.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token'] as string;

  it('32 clients replaying the same keys: every logical write exactly once, every client gets its receipt', async () => {
    const KEYS = 12;
    const clients = await Promise.all(Array.from({ length: 32 }, () => connect(srv.port)));
    const receipts = new Map<string, Set<string>>();
    await Promise.all(
      clients.map(async (c, i) => {
        for (let j = 0; j < KEYS; j++) {
          const k = (j + i) % KEYS; // every client walks the keys from a different start
          await c.query(`SET duckmesh.idempotency_key = 'load-${k}'`);
          await c.query(`INSERT INTO events VALUES ('load-${k}', ${k}), ('load-${k}', ${k * 10})`);
          const t = await tokenOf(c);
          if (!receipts.has(`load-${k}`)) receipts.set(`load-${k}`, new Set());
          receipts.get(`load-${k}`)!.add(t);
        }
      }),
    );
    await Promise.all(clients.map((c) => c.end()));
    // One receipt per key, shared by all 32 clients.
    expect([...receipts.values()].map((s) => s.size)).toEqual(Array(KEYS).fill(1));
    const head = Math.max(...[...receipts.values()].map((s) => parseInt([...s][0]!.slice(4), 16)));
    await waitVisible(admin, head);
    const rows = (await admin.query(`SELECT k, count(*)::int AS n FROM events WHERE k LIKE 'load-%' GROUP BY k ORDER BY k`)).rows;
    expect(rows.length).toBe(KEYS);
    expect(rows.every((r) => r.n === 2)).toBe(true);
  });

  it('a reused key with a different payload fails with DM004 and writes nothing', async () => {
    await admin.query(`SET duckmesh.idempotency_key = 'k-mismatch'`);
    await admin.query(`INSERT INTO events VALUES ('mismatch', 1)`);
    const first = await lastSeq(admin);
    await admin.query(`SET duckmesh.idempotency_key = 'k-mismatch'`);
    const err = await errorOf(admin, `INSERT INTO events VALUES ('mismatch', 2)`);
    expect(err?.code).toBe('DM004');
    expect(err?.message).toMatch(/k-mismatch.*different write/);
    // The key is consumed by the write statement that used it, failed or not.
    expect((await admin.query('SHOW duckmesh.idempotency_key')).rows[0]['duckmesh.idempotency_key']).toBe('');
    // An identical replay (whitespace aside) returns the first receipt.
    await admin.query(`SET duckmesh.idempotency_key = 'k-mismatch'`);
    await admin.query(`INSERT INTO   events VALUES ('mismatch', 1)`);
    expect(await lastSeq(admin)).toBe(first);
    await waitVisible(admin, first);
    expect((await admin.query(`SELECT n FROM events WHERE k = 'mismatch'`)).rows).toEqual([{ n: 1 }]);
  });

  it('keys cover UPDATE/DELETE and whole transactions (one key per COMMIT)', async () => {
    await admin.query(`INSERT INTO events VALUES ('tx', 0)`);
    const run = async () => {
      await admin.query('BEGIN');
      await admin.query(`SET duckmesh.idempotency_key = 'k-tx'`);
      await admin.query(`INSERT INTO events VALUES ('tx', 1)`);
      await admin.query(`UPDATE events SET n = n + 100 WHERE k = 'tx'`);
      await admin.query('COMMIT');
      return lastSeq(admin);
    };
    const a = await run();
    const b = await run();
    expect(b).toBe(a);
    await admin.query(`SET duckmesh.idempotency_key = 'k-del'`);
    await admin.query(`DELETE FROM events WHERE k = 'tx' AND n = 100`);
    const d = await lastSeq(admin);
    await admin.query(`SET duckmesh.idempotency_key = 'k-del'`);
    await admin.query(`DELETE FROM events WHERE k = 'tx' AND n = 100`);
    expect(await lastSeq(admin)).toBe(d);
    await waitVisible(admin, d);
    expect((await admin.query(`SELECT n FROM events WHERE k = 'tx' ORDER BY n`)).rows).toEqual([{ n: 101 }]);
  });

  it('a write whose receipt was never recorded (crash after the append) is completed from the bus, once', async () => {
    const node = srv.server.node;
    const table = (await node.ingest.schemas.lookup('duckmesh', 'public', 'events'))!;
    const rows = [{ k: 'crash', n: 7 }];
    const fp = fingerprintOf({ schema: 'public', name: 'events', op: 'append', rows });
    // What a crashed writer leaves behind: the entry (key in its payload) but no receipt; and a
    // second copy of the same keyed write (a takeover that raced the original).
    const payload = encodePayload({ op: 'insert', tableId: table.tableId, schemaVersion: table.schemaVersion, columns: ['k', 'n'], rows: [['crash', '7']] });
    const stamped = withWriteFields(payload, { idem: { key: 'k-crash', fp, rows: 1 } });
    const seq = await node.bus.append([{ tenant: 'duckmesh', kind: 'rows', payload: stamped }]);
    const dup = await node.bus.append([{ tenant: 'duckmesh', kind: 'rows', payload: stamped }]);
    await waitVisible(admin, dup);
    const writes = new WriteService(node.ingest);
    const receipt = await writes.write({ tenant: 'duckmesh', table: 'events', op: 'append', rows, idempotencyKey: 'k-crash' });
    expect(receipt).toMatchObject({ firstSeq: seq, lastSeq: seq, rows: 1, replayed: true });
    expect((await admin.query(`SELECT n FROM events WHERE k = 'crash'`)).rows).toEqual([{ n: 7 }]);
    // A different request under that key is a conflict there too.
    await expect(writes.write({ tenant: 'duckmesh', table: 'events', op: 'append', rows: [{ k: 'crash', n: 8 }], idempotencyKey: 'k-crash' })).rejects.toMatchObject({
      sqlstate: 'DM004',
    });
  });

  it('a tenant policy can require a key on every write (DM009)', async () => {
    const c = await connect(srv.port, 'strict');
    try {
      await c.query('CREATE TABLE t (x INTEGER)');
      await c.query('ALTER DATABASE strict SET duckmesh.require_idempotency_key = on');
      expect(await srv.server.node.catalog.tenantSettings('strict')).toEqual({ require_idempotency_key: 'on' });
      // Only the session's own database, and only this setting.
      expect((await errorOf(c, 'ALTER DATABASE other SET duckmesh.require_idempotency_key = on'))?.code).toBe('42501');
      expect((await errorOf(c, `ALTER DATABASE strict SET work_mem = '1GB'`))?.code).toBe('0A000');
      await new Promise((r) => setTimeout(r, 2100)); // the policy is cached for 2 s
      const err = await errorOf(c, 'INSERT INTO t VALUES (1)');
      expect(err?.code).toBe('DM009');
      await c.query(`SET duckmesh.idempotency_key = 'p-1'`);
      await c.query('INSERT INTO t VALUES (1)');
      // Other tenants are not affected.
      await admin.query('INSERT INTO events VALUES (\'free\', 1)');
      await c.query('ALTER DATABASE strict RESET duckmesh.require_idempotency_key');
      expect(await srv.server.node.catalog.tenantSettings('strict')).toEqual({});
    } finally {
      await srv.server.node.catalog.setTenantSetting('strict', 'require_idempotency_key', null);
      await c.end();
    }
  });

  it('keys live in the catalog: a replay after a restart returns the original receipt', async () => {
    await admin.query(`SET duckmesh.idempotency_key = 'k-restart'`);
    await admin.query(`INSERT INTO events VALUES ('restart', 1)`);
    const first = await lastSeq(admin);
    await admin.end();
    await srv.stop({ keepData: true });
    srv = await startServer({ dataDir });
    admin = await connect(srv.port);
    await admin.query(`SET duckmesh.idempotency_key = 'k-restart'`);
    await admin.query(`INSERT INTO events VALUES ('restart', 1)`);
    expect(await lastSeq(admin)).toBe(first);
    await waitVisible(admin, first);
    expect((await admin.query(`SELECT count(*)::int AS n FROM events WHERE k = 'restart'`)).rows[0].n).toBe(1);
  });
});
