import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteBus } from '../../src/bus/embedded/sqlite-bus.js';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import type { NewFile } from '../../src/catalog/types.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { OpsError } from '../../src/ops/data-dir.js';
import { parseDuration, retentionPolicy, type RetentionPolicy } from '../../src/ops/retention.js';
import { DataLayout } from '../../src/storage/layout.js';
import { GcWorker } from '../../src/workers/gc-worker.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('retention configuration', () => {
  it('defaults: 7 days of snapshots, 24 h file safety, 24 h of bus entries, hourly GC', () => {
    const config = loadConfig({ flags: {} });
    expect(config.retention).toMatchObject({ snapshotsDays: 7, fileSafetyHours: 24, busHours: 24, idempotencyKeyHours: 24, gcIntervalMinutes: 60, force: false });
    const p = retentionPolicy(config.retention, { longestQueryMs: config.http.queryTimeoutMs });
    expect(p).toMatchObject({ snapshotMs: 7 * DAY, fileSafetyMs: 24 * HOUR, busMs: 24 * HOUR, intervalMs: HOUR });
  });

  it('refuses windows shorter than 24 h without force, with a clear message', () => {
    expect(() => loadConfig({ flags: { 'retention.fileSafetyHours': '1' } })).toThrow(ConfigError);
    expect(() => loadConfig({ flags: { 'retention.fileSafetyHours': '1' } })).toThrow(/retention\.fileSafetyHours: is 1 hours, shorter than 24 hours: set retention\.force/);
    expect(() => loadConfig({ flags: { 'retention.snapshotsDays': '0.5' } })).toThrow(/retention\.snapshotsDays/);
    expect(() => loadConfig({ flags: { 'retention.busHours': '2' } })).toThrow(/retention\.busHours/);
    const forced = loadConfig({ flags: { 'retention.fileSafetyHours': '1', 'retention.force': 'true' } });
    expect(forced.retention.fileSafetyHours).toBe(1);
    // The policy re-checks (it is also built from flags by `duckmesh check`/`gc`).
    expect(() => retentionPolicy({ ...forced.retention, force: false })).toThrow(OpsError);
  });

  it('never allows a file safety window shorter than the longest allowed query, even forced', () => {
    const config = loadConfig({ flags: { 'retention.fileSafetyHours': '0.001', 'retention.force': 'true' } });
    expect(() => retentionPolicy(config.retention, { longestQueryMs: 60_000 })).toThrow(/shorter than the longest allowed query/);
    expect(retentionPolicy(config.retention, { longestQueryMs: 1000 }).fileSafetyMs).toBe(3600);
  });

  it('parses durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('24h')).toBe(DAY);
    expect(parseDuration('7d')).toBe(7 * DAY);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(() => parseDuration('24')).toThrow(/use a number and a unit/);
  });
});

/**
 * A catalog-level history with real files on disk:
 *   s1 +a(t1)   s2 +b(t1) +x(t2)   s3 +c(t1) −a −b (compaction)   [drop t2 @ seq 6]   s4 (w 6)   s5 +d(t1)
 */
async function history(dir: string) {
  const layout = new DataLayout(dir);
  layout.ensureBase();
  const catalog = new SqliteCatalog(layout.catalogFile);
  const bus = new SqliteBus(layout.busFile);
  for (let i = 0; i < 8; i++) await bus.append([{ tenant: 'acme', kind: 'rows', payload: '{}' }]);
  const t1 = await catalog.reserveTable({ tenant: 'acme', schema: 'public', name: 't1', columns: [], primaryKey: [] });
  const t2 = await catalog.reserveTable({ tenant: 'acme', schema: 'public', name: 't2', columns: [], primaryKey: [] });
  await catalog.markTableCreated(t1, 1);
  await catalog.markTableCreated(t2, 2);
  const file = (tableId: number, name: string, seq: number): NewFile => {
    const rel = layout.newDataFile('acme', tableId, `${name}.parquet`);
    mkdirSync(path.dirname(layout.absolute(rel)), { recursive: true });
    writeFileSync(layout.absolute(rel), `data ${name}`);
    return { tenant: 'acme', tableId, path: rel, rowCount: 1, byteSize: 6, checksum: '00000000', minSeq: seq, maxSeq: seq };
  };
  const pub = async (parent: number | null, watermark: number, added: NewFile[], removed: number[] = []) =>
    (await catalog.publish({ parentSnapshotId: parent, watermark, addedFiles: added, removedFileIds: removed, tableWatermarks: [] })).snapshotId;
  const s1 = await pub(null, 3, [file(t1, 'a', 3)]);
  const s2 = await pub(s1, 4, [file(t1, 'b', 4), file(t2, 'x', 4)]);
  const id = async (n: string) => (await catalog.allFiles()).find((f) => f.path.endsWith(`/${n}.parquet`))!.fileId;
  const s3 = await pub(s2, 5, [file(t1, 'c', 5)], [await id('a'), await id('b')]);
  await catalog.markTableDropped(t2, 6);
  const s4 = await pub(s3, 6, []);
  const s5 = await pub(s4, 7, [file(t1, 'd', 7)]);
  const present = () =>
    ['a', 'b', 'c', 'd'].map((n) => [n, layout.newDataFile('acme', t1, `${n}.parquet`)] as const).concat([['x', layout.newDataFile('acme', t2, 'x.parquet')]])
      .filter(([, rel]) => existsSync(layout.absolute(rel)))
      .map(([n]) => n)
      .sort();
  return { layout, catalog, bus, snapshots: [s1, s2, s3, s4, s5], present };
}

const policy = (over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({
  snapshotMs: 7 * DAY,
  fileSafetyMs: DAY,
  busMs: DAY,
  idempotencyKeyMs: DAY,
  intervalMs: HOUR,
  force: false,
  ...over,
});

describe('GC worker', () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  // The catalog stamps expiry and commit times with Date.now(): move that clock (only Date is faked).
  const clock = () => {
    const start = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(start);
    return { start, at: (offsetMs: number) => vi.setSystemTime(start + offsetMs) };
  };
  const tmp = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'dm-ops-gc-'));
    dirs.push(d);
    return d;
  };

  it('keeps every snapshot inside the window and every file they use; the newest snapshot never expires', async () => {
    const h = await history(tmp());
    try {
      const t = clock();
      const gc = new GcWorker({ catalog: h.catalog, bus: h.bus, layout: h.layout, log: pino({ level: 'silent' }), policy: policy(), holder: 'n1' });
      // Inside the window: nothing expires, nothing is deleted.
      const r0 = (await gc.runOnce())!;
      expect(r0).toMatchObject({ expiredSnapshots: 0, deletedFiles: 0 });
      expect(h.present()).toEqual(['a', 'b', 'c', 'd', 'x']);

      // 8 days later: everything but the newest snapshot expires at once...
      t.at(8 * DAY);
      const r1 = (await gc.runOnce())!;
      expect(r1.keepFrom).toBe(h.snapshots[4]);
      expect(r1.expiredSnapshots).toBe(4);
      // ...but its files stay for the safety window after that expiry (queries may still read them).
      expect(r1.deletedFiles).toBe(0);
      expect(h.present()).toEqual(['a', 'b', 'c', 'd', 'x']);
      await expect(h.catalog.snapshotContents('acme', h.snapshots[1]!)).rejects.toThrow(/snapshot 2 has expired/);
      const latest = await h.catalog.snapshotContents('acme', h.snapshots[4]!);
      expect([...latest.files.values()].flat().map((f) => path.basename(f.path)).sort()).toEqual(['c.parquet', 'd.parquet']);
      // A day and a bit after the expiry, the files only expired snapshots used are deleted.
      t.at(9 * DAY + HOUR);
      expect((await gc.runOnce())!.deletedFiles).toBe(3);
      expect(h.present()).toEqual(['c', 'd']);
    } finally {
      await h.bus.close();
      await h.catalog.close();
    }
  });

  it('deletes files only after their last snapshot expired more than the safety window ago, never a retained one', async () => {
    const h = await history(tmp());
    try {
      const t = clock();
      const gc = new GcWorker({ catalog: h.catalog, bus: h.bus, layout: h.layout, log: pino({ level: 'silent' }), policy: policy(), holder: 'n1' });
      // Expire everything below s5 now (as retention would).
      await h.catalog.expireSnapshots(h.snapshots[4]!);
      // 23 h after the expiry: still within the safety window.
      t.at(23 * HOUR);
      expect((await gc.runOnce())!.deletedFiles).toBe(0);
      expect(h.present()).toEqual(['a', 'b', 'c', 'd', 'x']);
      // 25 h after: a and b (compacted away in s3) and x (table dropped) go; c and d (used by s5) stay.
      t.at(25 * HOUR);
      const r = (await gc.runOnce())!;
      expect(r.deletedFiles).toBe(3);
      expect(h.present()).toEqual(['c', 'd']);
      expect((await h.catalog.allFiles()).map((f) => path.basename(f.path)).sort()).toEqual(['c.parquet', 'd.parquet']);
      // Idempotent.
      expect((await gc.runOnce())!.deletedFiles).toBe(0);
    } finally {
      await h.bus.close();
      await h.catalog.close();
    }
  });

  it('never expires a snapshot a reader has pinned, so GC never deletes the files it uses', async () => {
    const h = await history(tmp());
    try {
      const t = clock();
      t.at(8 * DAY);
      const pinned = h.snapshots[1]!; // s2 uses a, b and x
      const gc = new GcWorker({
        catalog: h.catalog,
        bus: h.bus,
        layout: h.layout,
        log: pino({ level: 'silent' }),
        policy: policy(),
        holder: 'n1',
        pinnedFrom: () => pinned,
      });
      const r = (await gc.runOnce())!;
      expect(r.keepFrom).toBe(pinned);
      expect(r.expiredSnapshots).toBe(1);
      t.at(30 * DAY);
      await gc.runOnce();
      expect(h.present()).toEqual(['a', 'b', 'c', 'd', 'x']);
      const s2 = await h.catalog.snapshotContents('acme', pinned);
      expect([...s2.files.values()].flat().map((f) => path.basename(f.path)).sort()).toEqual(['a.parquet', 'b.parquet', 'x.parquet']);
      // s1 (only a) expired, but a is still used by the pinned s2.
      await expect(h.catalog.snapshotContents('acme', h.snapshots[0]!)).rejects.toThrow(/expired/);
    } finally {
      await h.bus.close();
      await h.catalog.close();
    }
  });

  it('sweeps orphans older than the safety window, never young or in-flight ones', async () => {
    const h = await history(tmp());
    try {
      const dir = path.dirname(h.layout.absolute(h.layout.newDataFile('acme', 1, 'x')));
      const old = Date.now() / 1000 - 2 * 86400;
      const write = (name: string, ageSec: number | null) => {
        writeFileSync(path.join(dir, name), 'junk');
        if (ageSec !== null) utimesSync(path.join(dir, name), old, old);
      };
      write('stray.parquet', 1);
      write('3-3-abc-def.parquet.tmp', 1);
      write('fresh.parquet', null);
      write('900-901-abc-def.parquet', 1); // named for entries above the watermark: a commit in progress
      const gc = new GcWorker({ catalog: h.catalog, bus: h.bus, layout: h.layout, log: pino({ level: 'silent' }), policy: policy(), holder: 'n1' });
      const r = (await gc.runOnce())!;
      expect(r.orphansDeleted).toBe(2);
      expect(existsSync(path.join(dir, 'stray.parquet'))).toBe(false);
      expect(existsSync(path.join(dir, '3-3-abc-def.parquet.tmp'))).toBe(false);
      expect(existsSync(path.join(dir, 'fresh.parquet'))).toBe(true);
      expect(existsSync(path.join(dir, '900-901-abc-def.parquet'))).toBe(true);
      expect(h.present()).toEqual(['a', 'b', 'c', 'd', 'x']);
    } finally {
      await h.bus.close();
      await h.catalog.close();
    }
  });

  it('prunes bus entries applied before the bus window, and only those', async () => {
    const h = await history(tmp());
    try {
      const t = clock();
      const gc = new GcWorker({ catalog: h.catalog, bus: h.bus, layout: h.layout, log: pino({ level: 'silent' }), policy: policy(), holder: 'n1' });
      expect((await gc.runOnce())!.busEntriesPruned).toBe(0);
      t.at(25 * HOUR);
      // Applied up to 7 (s5's watermark); entry 8 is acknowledged but not applied: it stays.
      expect((await gc.runOnce())!.busEntriesPruned).toBe(7);
      expect((await h.bus.read(0, { maxEntries: 100, maxBytes: 1 << 20 })).map((e) => e.seq)).toEqual([8]);
      expect(await h.bus.head()).toBe(8);
    } finally {
      await h.bus.close();
      await h.catalog.close();
    }
  });

  it('one GC at a time per catalog (lease)', async () => {
    const h = await history(tmp());
    try {
      await h.catalog.acquireLease('gc-worker', 'other-node', 60_000);
      const gc = new GcWorker({ catalog: h.catalog, bus: h.bus, layout: h.layout, log: pino({ level: 'silent' }), policy: policy(), holder: 'n1' });
      expect(await gc.runOnce()).toBeNull();
      await h.catalog.releaseLease('gc-worker', 'other-node');
      expect(await gc.runOnce()).not.toBeNull();
    } finally {
      await h.bus.close();
      await h.catalog.close();
    }
  });
});
