import { existsSync, rmSync, utimesSync } from 'node:fs';
import type pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { fencedCatalog } from '../../src/catalog/fenced-catalog.js';
import { DuckMeshError, SqlState } from '../../src/common/errors.js';
import type { Catalog, SnapshotCommit } from '../../src/catalog/types.js';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import type { DuckMeshNode } from '../../src/node/duckmesh-node.js';
import { runCheck } from '../../src/ops/check.js';
import { listDataFiles } from '../../src/ops/data-dir.js';
import type { RetentionPolicy } from '../../src/ops/retention.js';
import { DataLayout } from '../../src/storage/layout.js';
import { isCompactedFile } from '../../src/storage/parquet-writer.js';
import { CompactionWorker, type CompactionOptions } from '../../src/workers/compaction-worker.js';
import { GcWorker } from '../../src/workers/gc-worker.js';
import { connect, startServer, tempDataDir } from '../helpers/server.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';

const silent = pino({ level: 'silent' });
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Small enough that a few dozen tiny commits fill several tiers. */
const OPTIONS: CompactionOptions = {
  targetFileBytes: 1 << 20,
  maxFilesPerTable: 12,
  mergeFactor: 4,
  intervalMs: HOUR,
  timeColumn: null,
  maxBytesPerRun: 1 << 30,
  memoryLimit: '256MB',
};

/** Every value as the server's text, so "identical" means byte-identical. */
const RAW = { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig;

async function raw(c: pg.Client, sql: string): Promise<string[][]> {
  return (await c.query({ text: sql, rowMode: 'array', types: RAW })).rows as string[][];
}

/** Queries whose answers must not change across compaction. */
const QUERIES = [
  'SELECT * FROM ev ORDER BY id',
  'SELECT tag, count(*), sum(amount), min(ts), max(ts), sum(id) FROM ev GROUP BY tag ORDER BY tag',
  'SELECT * FROM kv ORDER BY id',
  'SELECT count(*), sum(v), string_agg(s, \',\' ORDER BY id) FROM kv',
  'SELECT * FROM nk ORDER BY a, b',
  'SELECT count(*), count(DISTINCT b) FROM nk',
  'SELECT * FROM al ORDER BY id',
  'SELECT * FROM kd ORDER BY id',
  'SELECT id, d, d::VARCHAR FROM iv ORDER BY id',
  'SELECT e.tag, count(*) FROM ev e JOIN kv k ON k.id = e.id GROUP BY e.tag ORDER BY 1',
];

async function answers(c: pg.Client): Promise<Record<string, string[][]>> {
  const out: Record<string, string[][]> = {};
  for (const q of QUERIES) {
    out[q] = await raw(c, q).catch((err: Error) => {
      throw new Error(`${q}: ${err.message}`);
    });
  }
  return out;
}

/** Files per table at the session's snapshot. */
async function filesPerTable(c: pg.Client): Promise<Record<string, number>> {
  const rows = await raw(c, 'SELECT table_name, files FROM duckmesh.tables ORDER BY table_name');
  return Object.fromEntries(rows.map(([t, n]) => [t!, Number(n)]));
}

async function snapshotNow(c: pg.Client): Promise<{ id: number; watermark: number }> {
  const [row] = await raw(c, 'SELECT snapshot_id, watermark FROM duckmesh.snapshot');
  return { id: Number(row![0]), watermark: Number(row![1]) };
}

/** Runs `fn` on snapshot `id` (time travel). */
async function at<T>(c: pg.Client, id: number, fn: () => Promise<T>): Promise<T> {
  await c.query(`SET duckmesh.snapshot_id = ${id}`);
  try {
    return await fn();
  } finally {
    await c.query('RESET duckmesh.snapshot_id');
  }
}

/**
 * Many small commits (one bus entry each) into: an append-only table with a time column, a table
 * with a primary key and upserts/updates/deletes, a keyless table with updates and deletes, a
 * table altered between commits (ADD COLUMN, RENAME COLUMN, a widening type change), and a small
 * keyed table with deletes.
 */
async function seed(c: pg.Client): Promise<void> {
  await c.query('CREATE TABLE ev (id INTEGER, ts TIMESTAMP, amount DECIMAL(12,2), tag TEXT)');
  await c.query('CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT)');
  await c.query('CREATE TABLE nk (a INTEGER, b TEXT)');
  await c.query('CREATE TABLE al (id INTEGER, x TEXT)');
  await c.query('CREATE TABLE kd (id INTEGER PRIMARY KEY, v INTEGER)');
  await c.query('CREATE TABLE iv (id INTEGER PRIMARY KEY, d INTERVAL)');
  for (let i = 0; i < 6; i++) {
    await c.query(`INSERT INTO iv VALUES (${i}, INTERVAL '${i} days ${i} hours 0.000${i + 1} seconds'), (${i + 10}, INTERVAL '-${i + 1} months 3 microseconds')`);
  }
  let id = 0;
  for (let i = 0; i < 36; i++) {
    const rows: string[] = [];
    for (let r = 0; r < 5; r++, id++) {
      // Not in time order: compaction sorts by `ts`.
      const t = new Date(Date.UTC(2024, 0, 1) + ((id * 7919) % 500) * 60_000 + id * 1000).toISOString().replace('T', ' ').slice(0, 19);
      rows.push(`(${id}, '${t}', ${(id * 37) % 1000}.${id % 100}, 'tag${id % 4}')`);
    }
    await c.query(`INSERT INTO ev VALUES ${rows.join(', ')}`);
  }
  for (let i = 0; i < 30; i++) {
    const rows = Array.from({ length: 4 }, (_, j) => `(${(i * 3 + j * 5) % 25}, ${i + j}, 's${i}-${j}')`);
    await c.query(`INSERT INTO kv VALUES ${rows.join(', ')} ON CONFLICT (id) DO UPDATE SET v = kv.v + excluded.v, s = excluded.s`);
    if (i % 5 === 4) await c.query(`DELETE FROM kv WHERE id % 7 = ${i % 7}`);
    if (i % 6 === 5) await c.query('UPDATE kv SET v = v + 1000 WHERE id % 5 = 0');
  }
  for (let i = 0; i < 24; i++) {
    await c.query(`INSERT INTO nk VALUES (${i}, 'b${i}'), (${i + 100}, 'b${i}x'), (${i % 5}, 'dup${i}')`);
    if (i % 4 === 3) await c.query(`UPDATE nk SET b = b || '!' WHERE a % 4 = ${i % 4}`);
    if (i % 7 === 6) await c.query(`DELETE FROM nk WHERE a % 9 = ${i % 9}`);
  }
  for (let i = 0; i < 8; i++) await c.query(`INSERT INTO al VALUES (${i}, 'x${i}')`);
  await c.query('ALTER TABLE al ADD COLUMN y INTEGER DEFAULT 7');
  for (let i = 8; i < 16; i++) await c.query(`INSERT INTO al VALUES (${i}, 'x${i}', ${i * 2})`);
  await c.query('ALTER TABLE al RENAME COLUMN x TO x2');
  for (let i = 16; i < 22; i++) await c.query(`INSERT INTO al (id, x2) VALUES (${i}, 'r${i}')`);
  await c.query('ALTER TABLE al ALTER COLUMN id TYPE BIGINT');
  for (let i = 22; i < 28; i++) await c.query(`INSERT INTO al VALUES (${i * 1_000_000_000}, 'w${i}', ${i})`);
  await c.query(`INSERT INTO kd VALUES ${Array.from({ length: 20 }, (_, i) => `(${i}, ${i * 10})`).join(', ')}`);
  await c.query('UPDATE kd SET v = v + 1 WHERE id < 10');
  await c.query('DELETE FROM kd WHERE id % 3 = 0');
  await c.query('INSERT INTO kd VALUES (3, 333) ON CONFLICT (id) DO NOTHING');
}

function manualWorker(node: DuckMeshNode, catalog: Catalog = node.catalog, options: Partial<CompactionOptions> = {}, now?: () => number): CompactionWorker {
  return new CompactionWorker({
    ...(now ? { now } : {}),
    catalog,
    layout: node.layout,
    log: silent,
    options: { ...OPTIONS, ...options },
    // Reads of this process see the compaction snapshot at once.
    onJob: (r) => r.snapshot && node.tracker.publish(r.snapshot),
  });
}

async function tableId(c: pg.Client, name: string): Promise<number> {
  return Number((await raw(c, `SELECT table_id FROM duckmesh.tables WHERE table_name = '${name}'`))[0]![0]);
}

/** Data files on disk that no catalog row names. */
async function unreferencedOnDisk(dataDir: string, catalog: Catalog): Promise<string[]> {
  const known = new Set((await catalog.allFiles()).map((f) => f.path));
  return listDataFiles(new DataLayout(dataDir)).map((f) => f.path).filter((p) => !known.has(p));
}

const checkConfig = (dataDir: string, backends: { bus?: string; catalog?: string } = {}) => ({
  dataDir,
  bus: backends.bus ?? 'embedded',
  catalog: backends.catalog ?? 'embedded',
  nodeId: 'compaction-test',
});

describe('compaction over pg-wire (embedded)', { timeout: 300_000 }, () => {
  it('keeps every query result byte-identical, cuts the file count, keeps time travel, and check stays clean', async () => {
    const s = await startServer({ flags: { 'worker.maxEntriesPerCommit': 1, 'compaction.enabled': false } });
    const node = s.server.node;
    expect(node.compaction).toBeNull();
    const c = await connect(s.port);
    try {
      await seed(c);
      const before = await answers(c); // read-your-writes: waits for every commit
      const s0 = await snapshotNow(c);
      const files0 = await filesPerTable(c);
      expect(files0['ev']).toBe(36);
      expect(Object.values(files0).every((n) => n >= 4)).toBe(true);

      let clock = 0;
      const worker = manualWorker(node, node.catalog, {}, () => clock);
      const passes = await worker.runUntilIdle();
      expect(passes.at(-1)!.jobsPlanned).toBe(0);
      const published = passes.reduce((n, p) => n + p.published, 0);
      expect(published).toBeGreaterThan(0);
      expect(passes.reduce((n, p) => n + p.abandoned, 0)).toBe(0);

      const s1 = await snapshotNow(c);
      expect(s1.id).toBe(s0.id + published);
      expect(s1.watermark).toBe(s0.watermark);
      expect(await answers(c)).toEqual(before);
      const files1 = await filesPerTable(c);
      for (const [t, n] of Object.entries(files1)) {
        expect(n, t).toBeLessThan(OPTIONS.maxFilesPerTable);
        expect(n, t).toBeLessThanOrEqual(files0[t]!);
      }
      expect(files1['ev']).toBeLessThan(12);
      // al: four schema versions, no two of which read exactly alike: each version's files were
      // merged among themselves (older versions completely), the current one by the tiers.
      expect(files1['al']).toBeLessThan(files0['al']!);
      const compacted = await raw(c, "SELECT sum(compacted_files), sum(committed_files) FROM duckmesh.compaction");
      expect(Number(compacted[0]![0])).toBeGreaterThan(0);
      expect(Number(compacted[0]![0]) + Number(compacted[0]![1])).toBe(Object.values(files1).reduce((a, b) => a + b, 0));

      // Time travel: the old snapshot still answers from its own (old) files.
      expect(await at(c, s0.id, () => answers(c))).toEqual(before);
      expect(await at(c, s0.id, () => filesPerTable(c))).toEqual(files0);

      // Two more commits: too few to fill a tier, they stay small files…
      for (let i = 0; i < 2; i++) await c.query(`INSERT INTO ev VALUES (${10_000 + i}, '2024-02-01 00:00:0${i}', 1.00, 'late')`);
      const current = await answers(c);
      expect(current).not.toEqual(before);
      await worker.runUntilIdle();
      expect((await filesPerTable(c))['ev']).toBeGreaterThan(1);
      // …until the table has had no commit for a whole pass interval: then it settles.
      clock += OPTIONS.intervalMs;
      const settled = await worker.runUntilIdle();
      expect(settled.reduce((n, p) => n + p.published, 0)).toBeGreaterThan(0);
      expect((await filesPerTable(c))['ev']).toBe(1);
      expect(await answers(c)).toEqual(current);

      // Everything of one table at once: superseded versions and delete markers are gone.
      for (const t of ['kd', 'kv', 'nk', 'ev', 'iv']) {
        const reports = await worker.compactTable('duckmesh', await tableId(c, t));
        expect(reports.every((r) => r.outcome === 'published')).toBe(true);
      }
      expect(await answers(c)).toEqual(current);
      const stored = Object.fromEntries((await raw(c, "SELECT table_name, files, stored_rows FROM duckmesh.tables WHERE table_name IN ('kd','kv','nk','ev')")).map(([t, f, r]) => [t!, { files: Number(f), rows: Number(r) }]));
      for (const t of ['kd', 'kv', 'nk', 'ev']) {
        const visible = Number((await raw(c, `SELECT count(*) FROM ${t}`))[0]![0]);
        expect(stored[t], t).toEqual({ files: 1, rows: visible });
      }
      // Folded completely: readers need no newest-version merge any more (the file is not flagged).
      const latest = (await node.catalog.latestSnapshot())!.snapshotId;
      const contents = await node.catalog.snapshotContents('duckmesh', latest);
      for (const t of ['kd', 'kv', 'nk']) expect(contents.files.get(await tableId(c, t))!.map((f) => f.mutations), t).toEqual([false]);
      // The one file of ev is sorted by its time column.
      const scanned = (await raw(c, 'SELECT ts FROM ev')).map((r) => r[0]);
      expect(scanned).toEqual((await raw(c, 'SELECT ts FROM ev ORDER BY ts, id')).map((r) => r[0]));
      expect(scanned).not.toEqual((await raw(c, 'SELECT ts FROM ev ORDER BY id')).map((r) => r[0]));

      // Later writes land on top of compacted files as usual.
      await c.query("INSERT INTO kv VALUES (3, 1, 'late') ON CONFLICT (id) DO UPDATE SET v = kv.v + 1, s = 'late'");
      await c.query('DELETE FROM nk WHERE a = 101');
      expect(await raw(c, 'SELECT s FROM kv WHERE id = 3')).toEqual([['late']]);
      expect(await raw(c, 'SELECT count(*) FROM nk WHERE a = 101')).toEqual([['0']]);
      await worker.stop();

      const report = await runCheck(checkConfig(s.dataDir), { safetyMs: DAY });
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
      expect(await unreferencedOnDisk(s.dataDir, node.catalog)).toEqual([]);
    } finally {
      await c.end();
      await s.stop();
    }
  });

  it('runs in the node under sustained ingest: files stay below the ceiling, commits never fail, amplification is measured', async () => {
    const s = await startServer({
      flags: {
        'worker.maxEntriesPerCommit': 1,
        'compaction.mergeFactor': 4,
        'compaction.maxFilesPerTable': 12,
        'compaction.targetFileBytes': 1 << 20,
        'compaction.intervalMs': HOUR,
      },
    });
    const node = s.server.node;
    const compaction = node.compaction!;
    expect(compaction).not.toBeNull();
    const c = await connect(s.port);
    try {
      await c.query('CREATE TABLE ev2 (id INTEGER, ts TIMESTAMPTZ, v BIGINT)');
      await c.query('CREATE TABLE kv2 (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
      const model = new Map<number, number>();
      let maxFiles = 0;
      // One writer, every commit observed: after each, the reads wait for it (read-your-writes).
      for (let i = 0; i < 48; i++) {
        await c.query(`INSERT INTO ev2 VALUES (${i}, '2024-05-01 00:${String((i * 37) % 48).padStart(2, '0')}:00+00', ${i * i})`);
        const k = (i * 7) % 10;
        await c.query(`INSERT INTO kv2 VALUES (${k}, 1) ON CONFLICT (id) DO UPDATE SET n = kv2.n + 1`);
        model.set(k, (model.get(k) ?? 0) + 1);
        const files = await filesPerTable(c);
        maxFiles = Math.max(maxFiles, files['ev2']!, files['kv2']!);
        // The background worker runs after every mergeFactor publications; make that deterministic.
        if (i % 2 === 1) await compaction.runUntilIdle();
      }
      expect(maxFiles).toBeLessThan(12);

      // Now concurrent writers with the worker in the background only.
      const writer = async (from: number) => {
        const w = await connect(s.port);
        for (let i = from; i < from + 40; i++) await w.query(`INSERT INTO ev2 VALUES (${i}, '2024-05-02 10:00:00+00', ${i})`);
        await w.end();
      };
      await Promise.all([writer(1000), writer(2000), writer(3000)]);
      // A later write of this session: reads wait for it, hence for every earlier one (bus order).
      await c.query('CREATE TABLE barrier (x INTEGER)');
      await c.query('INSERT INTO barrier VALUES (1)');
      await compaction.runUntilIdle();
      const sums = await raw(c, 'SELECT count(*), sum(id), sum(v) FROM ev2');
      const expectIds = [...Array(48).keys()].reduce((a, b) => a + b, 0) + [1000, 2000, 3000].reduce((a, f) => a + 40 * f + 780, 0);
      const expectV = [...Array(48).keys()].reduce((a, i) => a + i * i, 0) + [1000, 2000, 3000].reduce((a, f) => a + 40 * f + 780, 0);
      expect(sums).toEqual([['168', String(expectIds), String(expectV)]]);
      expect(await raw(c, 'SELECT id, n FROM kv2 ORDER BY id')).toEqual([...model].sort((a, b) => a[0] - b[0]).map(([k, n]) => [String(k), String(n)]));
      const files = await filesPerTable(c);
      expect(files['ev2']).toBeLessThan(12);
      expect(files['kv2']).toBeLessThan(12);

      // A commit that raced a compaction was moved on top of it, not failed.
      expect((await node.metrics.commitFailures.get()).values[0]?.value ?? 0).toBe(0);
      const jobs = (await node.metrics.compactionJobs.get()).values;
      expect(jobs.find((v) => v.labels['outcome'] === 'published')!.value).toBeGreaterThan(0);
      expect(jobs.find((v) => v.labels['outcome'] === 'failed')).toBeUndefined();
      const written = (await node.metrics.compactionWrittenBytes.get()).values[0]!.value;
      const ingested = (await node.metrics.compactionIngestedBytes.get()).values[0]!.value;
      expect(written).toBe(compaction.totals.bytesWritten);
      expect(ingested).toBe(compaction.totals.bytesIngested);
      expect(written).toBeGreaterThan(0);
      expect(ingested).toBeGreaterThan(0);
      expect((await node.metrics.compactionAmplification.get()).values[0]!.value).toBeCloseTo(written / ingested, 10);
      const exposition = await node.metrics.registry.metrics();
      expect(exposition).toMatch(/^duckmesh_compaction_amplification \d/m);
      expect(exposition).toMatch(/^duckmesh_table_files_max \d+/m);
      expect(Number((await raw(c, "SELECT compacted_files FROM duckmesh.compaction WHERE table_name = 'ev2'"))[0]![0])).toBeGreaterThan(0);

      const report = await runCheck(checkConfig(s.dataDir), { safetyMs: DAY });
      expect(report.problems).toEqual([]);
    } finally {
      await c.end();
      await s.stop();
    }
  });

  it('a commit published meanwhile: the job is re-checked and published on top of it; one whose inputs went is dropped', async () => {
    const s = await startServer({ flags: { 'worker.maxEntriesPerCommit': 1, 'compaction.enabled': false } });
    const node = s.server.node;
    const c = await connect(s.port);
    try {
      await c.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      for (let i = 0; i < 8; i++) await c.query(`INSERT INTO t VALUES (${i}, 'v${i}'), (${i + 1}, 'w${i}') ON CONFLICT (id) DO UPDATE SET v = excluded.v`);
      const before = await raw(c, 'SELECT * FROM t ORDER BY id');
      const tid = await tableId(c, 't');

      // 1. A commit lands between the job's planning and its publication.
      let injected = false;
      const racing = withPublish(node.catalog, async (commit, publish) => {
        if (!injected) {
          injected = true;
          await c.query("INSERT INTO t VALUES (100, 'meanwhile')");
          await c.query('SELECT count(*) FROM t'); // waits until that commit is published
        }
        return publish(commit);
      });
      const worker = manualWorker(node, racing);
      const [job, ...more] = await worker.compactTable('duckmesh', tid);
      expect(more).toEqual([]);
      expect(job).toMatchObject({ outcome: 'published', retries: 1, inputFiles: 8 });
      expect(await raw(c, 'SELECT * FROM t ORDER BY id')).toEqual([...before, ['100', 'meanwhile']]);
      expect(await filesPerTable(c)).toEqual({ t: 2 }); // the compacted file + the commit's file
      await worker.stop();

      // 2. Another compaction takes the job's inputs first: the job is dropped, its file deleted.
      for (let i = 0; i < 8; i++) await c.query(`INSERT INTO t VALUES (${200 + i}, 'x')`);
      const before2 = await raw(c, 'SELECT * FROM t ORDER BY id');
      const other = manualWorker(node);
      let stolen = false;
      const losing = withPublish(node.catalog, async (commit, publish) => {
        if (!stolen) {
          stolen = true;
          const r = await other.compactTable('duckmesh', tid);
          expect(r.map((x) => x.outcome)).toEqual(['published']);
        }
        return publish(commit);
      });
      const loser = manualWorker(node, losing);
      const lost = await loser.compactTable('duckmesh', tid);
      expect(lost.map((r) => [r.outcome, r.inputFiles])).toEqual([['abandoned', 10]]);
      expect(await raw(c, 'SELECT * FROM t ORDER BY id')).toEqual(before2);
      expect(await filesPerTable(c)).toEqual({ t: 1 });
      expect(await unreferencedOnDisk(s.dataDir, node.catalog)).toEqual([]);
      await loser.stop();
      await other.stop();
    } finally {
      await c.end();
      await s.stop();
    }
  });

  it('a crash between writing the file and publishing: every snapshot stays complete; GC removes the orphan', async () => {
    const dataDir = tempDataDir('dm-compaction-crash-');
    try {
      let s = await startServer({ dataDir, flags: { 'worker.maxEntriesPerCommit': 1, 'compaction.enabled': false } });
      let c = await connect(s.port);
      await c.query('CREATE TABLE t (id INTEGER, ts DATE, v TEXT)');
      for (let i = 0; i < 8; i++) await c.query(`INSERT INTO t VALUES (${i}, DATE '2024-01-01' + ${(i * 5) % 8}, 'v${i}'), (${i + 50}, NULL, NULL)`);
      const before = await raw(c, 'SELECT * FROM t ORDER BY id');
      await c.end();
      await s.stop({ keepData: true });

      // The process "dies" at the publication: it never lands, and what the worker knows of it is
      // what a restarted process knows — nothing (DM008: outcome unknown, so the file is kept).
      const layout = new DataLayout(dataDir);
      const catalog = new SqliteCatalog(layout.catalogFile);
      const dying = withPublish(catalog, () => Promise.reject(new DuckMeshError(SqlState.writeOutcomeUnknown, 'simulated crash while publishing')));
      const worker = new CompactionWorker({ catalog: dying, layout, log: silent, options: OPTIONS });
      const crashed = (await worker.compactTable('duckmesh', (await catalog.liveTables('duckmesh'))[0]!.tableId).catch((e: unknown) => e)) as DuckMeshError;
      expect(crashed.sqlstate).toBe('DM008');
      await worker.stop();
      const orphans = await unreferencedOnDisk(dataDir, catalog);
      expect(orphans).toHaveLength(1);
      expect(isCompactedFile(orphans[0]!)).toBe(true);
      await catalog.close();

      // No snapshot references a missing file; the orphan is first "pending" (young), then a problem.
      const fresh = await runCheck(checkConfig(dataDir), { safetyMs: DAY });
      expect(fresh.problems).toEqual([]);
      expect(fresh.pending.map((p) => p.path)).toEqual(orphans);
      const old = (Date.now() - 2 * HOUR) / 1000;
      utimesSync(layout.absolute(orphans[0]!), old, old);
      const aged = await runCheck(checkConfig(dataDir), { safetyMs: DAY });
      expect(aged.problems.map((p) => [p.kind, p.path])).toEqual([['orphan_file', orphans[0]]]);

      // Restart: same answers; GC (forced short windows) deletes the orphan; check is clean.
      s = await startServer({ dataDir, flags: { 'compaction.enabled': false } });
      c = await connect(s.port);
      expect(await raw(c, 'SELECT * FROM t ORDER BY id')).toEqual(before);
      const policy: RetentionPolicy = { snapshotMs: 7 * DAY, fileSafetyMs: HOUR, busMs: DAY, idempotencyKeyMs: DAY, intervalMs: HOUR, force: true };
      const node = s.server.node;
      const gc = new GcWorker({ catalog: node.catalog, bus: node.bus, layout: node.layout, log: silent, policy, holder: 'compaction-test' });
      expect((await gc.runOnce())!.orphansDeleted).toBe(1);
      expect(existsSync(layout.absolute(orphans[0]!))).toBe(false);
      await c.end();
      await s.stop({ keepData: true });
      const clean = await runCheck(checkConfig(dataDir), { safetyMs: DAY });
      expect(clean.problems).toEqual([]);
      expect(clean.ok).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('publishes only with the lease: without it the job is refused (DM007) and its file removed', async () => {
    const s = await startServer({ flags: { 'worker.maxEntriesPerCommit': 1, 'compaction.enabled': false } });
    const node = s.server.node;
    const c = await connect(s.port);
    try {
      await c.query('CREATE TABLE t (id INTEGER)');
      for (let i = 0; i < 4; i++) await c.query(`INSERT INTO t VALUES (${i})`);
      const s0 = await snapshotNow(c);
      const worker = manualWorker(node, fencedCatalog(node.catalog, () => null));
      const err = (await worker.compactTable('duckmesh', await tableId(c, 't')).catch((e: unknown) => e)) as { sqlstate?: string };
      expect(err.sqlstate).toBe('DM007');
      expect((await node.catalog.latestSnapshot())!.snapshotId).toBe(s0.id);
      expect(await unreferencedOnDisk(s.dataDir, node.catalog)).toEqual([]);
      await worker.stop();
    } finally {
      await c.end();
      await s.stop();
    }
  });
});

/** `catalog` whose publish goes through `fn` (which may call the real publish). */
function withPublish(catalog: Catalog, fn: (commit: SnapshotCommit, publish: (c: SnapshotCommit) => Promise<Awaited<ReturnType<Catalog['publish']>>>) => ReturnType<Catalog['publish']>): Catalog {
  const publish = (commit: SnapshotCommit) => fn(commit, (x) => catalog.publish(x));
  return new Proxy(catalog, {
    get(target, prop) {
      if (prop === 'publish') return publish;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const pg15 = await postgresAvailable();
const schemas: string[] = [];
afterAll(async () => {
  if (pg15.ok) await dropPgSchemas(schemas);
});

describeService('compaction with the Postgres bus and catalog (lease-fenced)', pg15, () => {
  it('the lease holder compacts in the background: answers match the serial model, time travel keeps old answers, check is clean', { timeout: 300_000 }, async () => {
    const schema = freshPgSchema('dmcompact');
    schemas.push(schema);
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    const s = await startServer({
      flags: {
        bus: url,
        catalog: url,
        'worker.maxEntriesPerCommit': 1,
        'compaction.mergeFactor': 4,
        'compaction.maxFilesPerTable': 12,
        'compaction.targetFileBytes': 1 << 20,
        'compaction.intervalMs': HOUR,
      },
    });
    const node = s.server.node;
    const c = await connect(s.port);
    try {
      expect((await node.readiness()).checks['worker']).toMatch(/^leader/);
      await c.query('CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT)');
      await c.query('CREATE TABLE ev (id INTEGER, ts TIMESTAMP)');
      // The background worker compacts while this runs (a pass after every 4 publications).
      const model = new Map<number, { v: number; s: string }>();
      const upsert = (k: number, v: number, text: string) => model.set(k, { v: (model.get(k)?.v ?? 0) + v, s: text });
      const q = ['SELECT * FROM kv ORDER BY id', 'SELECT count(*), sum(id), min(ts), max(ts) FROM ev'];
      let early: { id: number; answers: string[][][] } | null = null;
      for (let i = 0; i < 24; i++) {
        await c.query(`INSERT INTO kv VALUES (${i % 6}, ${i}, 's${i}'), (${6 + ((i * 5) % 11)}, 1, 'u${i}') ON CONFLICT (id) DO UPDATE SET v = kv.v + excluded.v, s = excluded.s`);
        upsert(i % 6, i, `s${i}`);
        upsert(6 + ((i * 5) % 11), 1, `u${i}`);
        await c.query(`INSERT INTO ev VALUES (${i}, '2024-01-01 ${String((i * 13) % 20).padStart(2, '0')}:00:00')`);
        if (i % 7 === 6) {
          await c.query(`DELETE FROM kv WHERE id = ${i % 17}`);
          model.delete(i % 17);
        }
        if (i === 9) early = { id: (await snapshotNow(c)).id, answers: [await raw(c, q[0]!), await raw(c, q[1]!)] };
      }
      const expected = [...model].sort((x, y) => x[0] - y[0]).map(([k, r]) => [String(k), String(r.v), r.s]);
      expect(await raw(c, q[0]!)).toEqual(expected);
      await node.compaction!.runUntilIdle();
      await c.query('SELECT 1');
      expect(await raw(c, q[0]!)).toEqual(expected);
      expect(await raw(c, q[1]!)).toEqual([['24', '276', '2024-01-01 00:00:00', '2024-01-01 19:00:00']]);
      expect(await at(c, early!.id, async () => [await raw(c, q[0]!), await raw(c, q[1]!)])).toEqual(early!.answers);
      const jobs = (await node.metrics.compactionJobs.get()).values;
      expect(jobs.find((v) => v.labels['outcome'] === 'published')!.value).toBeGreaterThan(0);
      expect((await node.metrics.commitFailures.get()).values[0]?.value ?? 0).toBe(0);
      const files = await filesPerTable(c);
      expect(files['kv']).toBeLessThan(12);
      expect(files['ev']).toBeLessThan(12);
      const report = await runCheck(checkConfig(s.dataDir, { bus: url, catalog: url }), { safetyMs: DAY });
      expect(report.problems).toEqual([]);
    } finally {
      await c.end();
      await s.stop();
    }
  });
});
