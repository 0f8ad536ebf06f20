import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { RetentionPolicy } from '../../src/ops/retention.js';
import { GcWorker } from '../../src/workers/gc-worker.js';
import { connect, startServer } from '../helpers/server.js';
import { catalogFiles, insertBatches } from './helpers.js';

const HOUR = 3_600_000;

describe('time travel and retention over pg-wire', { timeout: 180_000 }, () => {
  it('an expired snapshot gives a clear DM003 error (by id and by time); retained ones and their files stay', async () => {
    const s = await startServer();
    try {
      const c = await connect(s.port);
      await c.query('CREATE TABLE t (id INTEGER, batch INTEGER, payload TEXT)');
      // Writes without reads in between: the snapshots they produce are never bound by a session.
      await insertBatches(c, 't', 6, 10);
      expect((await c.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(60);
      const node = s.server.node;
      const listed = await node.catalog.listSnapshots(Number.MAX_SAFE_INTEGER, 100);
      const newest = listed[0]!;
      const oldTime = new Date(listed[listed.length - 1]!.committedAt).toISOString();
      await new Promise((r) => setTimeout(r, 20));

      // Retention with a (forced) 10 ms window: everything but the newest snapshot expires.
      const policy: RetentionPolicy = { snapshotMs: 10, fileSafetyMs: 24 * HOUR, busMs: 24 * HOUR, idempotencyKeyMs: 24 * HOUR, intervalMs: HOUR, force: true };
      const gc = new GcWorker({ catalog: node.catalog, bus: node.bus, layout: node.layout, log: pino({ level: 'silent' }), policy, holder: 'tt' });
      const report = (await gc.runOnce())!;
      expect(report.keepFrom).toBe(newest.snapshotId);
      expect(report.expiredSnapshots).toBe(listed.length - 1);
      expect(report.deletedFiles).toBe(0);

      const old = listed.find((x) => x.snapshotId < newest.snapshotId - 1)!.snapshotId;
      await c.query(`SET duckmesh.snapshot_id = ${old}`);
      const err = (await c.query('SELECT count(*) FROM t').catch((e: unknown) => e)) as { code: string; message: string };
      expect(err.code).toBe('DM003');
      expect(err.message).toMatch(new RegExp(`snapshot ${old} has expired \\(older than the retention window\\); the oldest available snapshot is ${newest.snapshotId}`));
      await c.query('RESET duckmesh.snapshot_id');
      await c.query(`SET duckmesh.as_of = '${oldTime}'`);
      const err2 = (await c.query('SELECT count(*) FROM t').catch((e: unknown) => e)) as { code: string; message: string };
      expect(err2.code).toBe('DM003');
      expect(err2.message).toMatch(/has expired/);
      await c.query('RESET duckmesh.as_of');
      // The newest snapshot (never expired) still answers, and every file is still on disk.
      await c.query(`SET duckmesh.snapshot_id = ${newest.snapshotId}`);
      expect((await c.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(60);
      expect(catalogFiles(s.dataDir).length).toBeGreaterThanOrEqual(1);
      await c.end();
    } finally {
      await s.stop();
    }
  });

  it('a snapshot a session already read expires under it: the next statement gets DM003, not stale rows', async () => {
    const s = await startServer();
    try {
      const c = await connect(s.port);
      await c.query('CREATE TABLE u (id INTEGER, batch INTEGER, payload TEXT)');
      await c.query('INSERT INTO u SELECT i, 0, NULL FROM range(5) t(i)');
      expect((await c.query('SELECT count(*)::int AS n FROM u')).rows[0].n).toBe(5);
      const old = Number((await c.query('SHOW duckmesh.last_snapshot_id')).rows[0]['duckmesh.last_snapshot_id']);
      await c.query('INSERT INTO u SELECT i, 1, NULL FROM range(10) t(i)');
      expect((await c.query('SELECT count(*)::int AS n FROM u')).rows[0].n).toBe(15);
      const node = s.server.node;
      await c.query(`SET duckmesh.snapshot_id = ${old}`);
      expect((await c.query('SELECT count(*)::int AS n FROM u')).rows[0].n).toBe(5);
      await new Promise((r) => setTimeout(r, 20));
      const policy: RetentionPolicy = { snapshotMs: 10, fileSafetyMs: 24 * HOUR, busMs: 24 * HOUR, idempotencyKeyMs: 24 * HOUR, intervalMs: HOUR, force: true };
      const gc = new GcWorker({ catalog: node.catalog, bus: node.bus, layout: node.layout, log: pino({ level: 'silent' }), policy, holder: 'tt2' });
      expect((await gc.runOnce())!.expiredSnapshots).toBeGreaterThan(0);
      const err = (await c.query('SELECT count(*) FROM u').catch((e: unknown) => e)) as { code: string; message: string };
      expect(err.code).toBe('DM003');
      expect(err.message).toMatch(new RegExp(`snapshot ${old} has expired`));
      await c.query('RESET duckmesh.snapshot_id');
      expect((await c.query('SELECT count(*)::int AS n FROM u')).rows[0].n).toBe(15);
      await c.end();
    } finally {
      await s.stop();
    }
  });
});
