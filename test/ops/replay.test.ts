import Database from 'better-sqlite3';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteBus } from '../../src/bus/embedded/sqlite-bus.js';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import { runCheck } from '../../src/ops/check.js';
import { OpsError } from '../../src/ops/data-dir.js';
import { REPLAY_FILE_SUFFIX, runReplay, SimulatedCrash, type ReplayOptions } from '../../src/ops/replay.js';
import { DataLayout } from '../../src/storage/layout.js';
import { ParquetWriter } from '../../src/storage/parquet-writer.js';
import { decodeToken } from '../../src/visibility/token.js';
import { withSchema } from '../helpers/cluster.js';
import { connect, startServer, tempDataDir } from '../helpers/server.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';
import { runCli } from './replay-backfill-cli.js';

const QUERIES = {
  kv: 'SELECT k, v, n, extra FROM kv ORDER BY k',
  logs: 'SELECT id, msg FROM logs ORDER BY id, msg',
  other: 'SELECT id FROM other ORDER BY id',
};
type Results = Record<keyof typeof QUERIES, unknown[]>;

const FLAGS = { 'limits.rowsPerBusEntry': 3 };

describe('duckmesh replay', { timeout: 300_000 }, () => {
  const dataDir = tempDataDir('dm-replay-');
  const config = { dataDir, bus: 'embedded', catalog: 'embedded', nodeId: 'replay-test', lease: { ttlMs: 5000 } };
  /** Position of each write: [first seq, last seq]. */
  const writes: Record<string, [number, number]> = {};
  let original: Results & { snapshot: number };

  async function lastSeq(c: pg.Client): Promise<number> {
    return decodeToken(Object.values((await c.query('SHOW duckmesh.last_visibility_token')).rows[0] as Record<string, string>)[0]!);
  }

  /** Runs a write and records its bus position (entries = bus entries it takes). */
  async function write(c: pg.Client, name: string, sql: string | string[], entries = 1): Promise<void> {
    for (const s of Array.isArray(sql) ? sql : [sql]) await c.query(s);
    const last = await lastSeq(c);
    writes[name] = [last - entries + 1, last];
  }

  /** Makes the next write land in a new snapshot (and so a new file). */
  async function settle(c: pg.Client): Promise<void> {
    await c.query('SELECT count(*) FROM kv');
  }

  async function results(): Promise<Results & { snapshot: number }> {
    const srv = await startServer({ dataDir, flags: FLAGS });
    try {
      const c = await connect(srv.port);
      try {
        const out = {} as Results;
        for (const [k, sql] of Object.entries(QUERIES)) out[k as keyof Results] = (await c.query(sql)).rows;
        const snapshot = Number((await c.query('SELECT snapshot_id FROM duckmesh.snapshot')).rows[0].snapshot_id);
        return { ...out, snapshot };
      } finally {
        await c.end();
      }
    } finally {
      await srv.stop({ keepData: true });
    }
  }

  const replay = (o: Partial<ReplayOptions> & { fromSeq: number }) => runReplay(config, { tables: ['kv', 'logs'], ...o });

  beforeAll(async () => {
    const srv = await startServer({ dataDir, flags: FLAGS });
    const c = await connect(srv.port);
    try {
      await c.query('CREATE TABLE kv (k INTEGER PRIMARY KEY, v VARCHAR, n INTEGER)');
      await c.query('CREATE TABLE logs (id INTEGER, msg VARCHAR)');
      await c.query('CREATE TABLE other (id INTEGER)');
      await write(c, 'kv1', "INSERT INTO kv VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3), (4, 'd', 4), (5, 'e', 5), (6, 'f', 6), (7, 'g', 7)", 3);
      await write(c, 'logs1', "INSERT INTO logs VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four')", 2);
      await settle(c);
      await write(c, 'upsert1', "INSERT INTO kv VALUES (2, 'B', 20), (8, 'h', 8) ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = kv.n + excluded.n");
      await write(c, 'update1', "UPDATE logs SET msg = msg || '!' WHERE id >= 3");
      await write(c, 'other1', 'INSERT INTO other VALUES (1), (2)');
      // Same snapshot as the writes above: one file per table spans all of them.
      await write(c, 'delete1', 'DELETE FROM kv WHERE k IN (3, 4)');
      await settle(c);
      // A transaction across kv and logs (one logical write, several entries).
      await write(c, 'tx1', ['BEGIN', "INSERT INTO logs VALUES (5, 'five')", 'UPDATE kv SET n = n + 100 WHERE k = 1', 'COMMIT'], 2);
      await write(c, 'alter1', "ALTER TABLE kv ADD COLUMN extra VARCHAR DEFAULT 'x'");
      await write(c, 'kv2', "INSERT INTO kv (k, v, n, extra) VALUES (9, 'i', 9, 'y'), (10, 'j', 10, NULL)");
      await settle(c);
      // A transaction whose kv part fails when applied (integer overflow): its logs row must not appear.
      await write(c, 'txfail', ['BEGIN', "INSERT INTO logs VALUES (6, 'never')", 'UPDATE kv SET n = n * 2000000000 WHERE k = 1', 'COMMIT'], 2);
      await write(c, 'delete2', "DELETE FROM logs WHERE msg = 'two'");
      await write(c, 'upsert2', "INSERT INTO kv VALUES (5, 'E', 50, 'z') ON CONFLICT (k) DO NOTHING");
      await write(c, 'update2', "UPDATE logs SET id = id * 10 WHERE id = 1");
      await settle(c);
    } finally {
      await c.end();
      await srv.stop({ keepData: true });
    }
    original = await results();
    // Sanity: the history above did what it says.
    expect(original.kv).toEqual([
      { k: 1, v: 'a', n: 101, extra: 'x' },
      { k: 2, v: 'B', n: 22, extra: 'x' },
      { k: 5, v: 'e', n: 5, extra: 'x' },
      { k: 6, v: 'f', n: 6, extra: 'x' },
      { k: 7, v: 'g', n: 7, extra: 'x' },
      { k: 8, v: 'h', n: 8, extra: 'x' },
      { k: 9, v: 'i', n: 9, extra: 'y' },
      { k: 10, v: 'j', n: 10, extra: null },
    ]);
    expect(original.logs).toEqual([
      { id: 3, msg: 'three!' },
      { id: 4, msg: 'four!' },
      { id: 5, msg: 'five' },
      { id: 10, msg: 'one' },
    ]);
    expect(original.other).toEqual([{ id: 1 }, { id: 2 }]);
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('replays from several sequences: a new snapshot with the same watermark, the tables identical to the original materialization, check clean', async () => {
    let snapshot = original.snapshot;
    for (const from of ['kv1', 'upsert1', 'delete1', 'tx1', 'alter1', 'txfail', 'update2']) {
      const seq = writes[from]![0];
      const r = await replay({ fromSeq: seq });
      expect(r.from_seq).toBe(seq);
      expect(r.parent_snapshot_id).toBe(snapshot);
      expect(r.snapshot_id).toBe(snapshot + 1);
      expect(r.watermark).toBe(writes['update2']![1]);
      expect(r.tables.map((t) => t.table).sort()).toEqual(['kv', 'logs']);
      expect(r.tables.every((t) => t.files_added + t.files_kept > 0)).toBe(true);
      expect(r.tables.reduce((n, t) => n + t.files_removed, 0)).toBeGreaterThan(0);
      const now = await results();
      expect({ kv: now.kv, logs: now.logs, other: now.other }).toEqual({ kv: original.kv, logs: original.logs, other: original.other });
      expect(now.snapshot).toBe(r.snapshot_id);
      snapshot = r.snapshot_id;
      const report = await runCheck(config, { deep: true, safetyMs: 86_400_000 });
      expect(report.problems).toEqual([]);
      expect(report.ok).toBe(true);
    }
  });

  it('replays one table alone even when a transaction ties it to another (the other is applied, not published); --all replays every table', async () => {
    const r = await runReplay(config, { fromSeq: writes['tx1']![0], tables: ['duckmesh.public.logs'] });
    expect(r.tables.map((t) => t.table)).toEqual(['logs']);
    // tx1 … update2: 9 entries, all of logs or kv; kv's are applied too (tied to logs by tx1 and
    // txfail, whose failing kv part must drop its logs row).
    expect(r.entries).toBe(writes['update2']![1] - writes['tx1']![0] + 1);
    expect(r.entries).toBe(9);
    expect(r.entries_applied).toBe(9);
    const alone = await runReplay(config, { fromSeq: writes['upsert1']![0], tables: ['other'] });
    expect(alone.entries_applied).toBe(1);
    expect(alone.tables.map((t) => [t.table, t.files_kept, t.files_removed, t.files_added])).toEqual([['other', 0, 1, 1]]);
    const now = await results();
    expect({ kv: now.kv, logs: now.logs, other: now.other }).toEqual({ kv: original.kv, logs: original.logs, other: original.other });

    const all = await runReplay(config, { fromSeq: writes['upsert1']![0], all: true });
    expect(all.tables.map((t) => t.table).sort()).toEqual(['kv', 'logs', 'other']);
    const after = await results();
    expect({ kv: after.kv, logs: after.logs, other: after.other }).toEqual({ kv: original.kv, logs: original.logs, other: original.other });
    expect((await runCheck(config, { deep: true, safetyMs: 86_400_000 })).problems).toEqual([]);
  });

  it('a crash at any point leaves the newest snapshot untouched; running it again completes it', async () => {
    for (const point of ['base-written', 'applied', 'files-written', 'before-publish'] as const) {
      const layout = new DataLayout(dataDir);
      const catalog = new Database(layout.catalogFile, { readonly: true });
      const newest = () => (catalog.prepare('SELECT max(snapshot_id) AS id FROM snapshots').get() as { id: number }).id;
      const before = newest();
      const err = await replay({ fromSeq: writes['delete1']![0], crashAt: point }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SimulatedCrash);
      expect(newest()).toBe(before);
      catalog.close();
      // Orphans of the crashed run are listed as pending (young), never as damage.
      const report = await runCheck(config, { deep: true, safetyMs: 86_400_000 });
      expect(report.problems).toEqual([]);
      expect(report.pending.length).toBeGreaterThan(0);
      const now = await results();
      expect(now.kv).toEqual(original.kv);
      const again = await replay({ fromSeq: writes['delete1']![0] });
      expect(again.snapshot_id).toBe(before + 1);
      expect((await results()).logs).toEqual(original.logs);
    }
  });

  it('refuses: a sequence inside a logical write, above the watermark, a running server, unknown tables', async () => {
    const [first, last] = writes['kv1']!;
    expect(last).toBeGreaterThan(first);
    const inside = await replay({ fromSeq: first + 1 }).catch((e: unknown) => e);
    expect(inside).toBeInstanceOf(OpsError);
    expect((inside as Error).message).toBe(`seq ${first + 1} is inside a logical write (entries ${first}…${last}): replay from ${first} or from ${last + 1}`);

    const above = await replay({ fromSeq: 1_000_000 }).catch((e: unknown) => e);
    expect((above as Error).message).toMatch(/^nothing to replay: seq 1000000 is above the watermark \d+ of the newest snapshot \d+$/);

    const unknown = await replay({ fromSeq: 1, tables: ['nope'] }).catch((e: unknown) => e);
    expect((unknown as Error).message).toMatch(/^table nope does not exist at snapshot \d+$/);

    // A server of another, live process owns the directory (its pid in LOCK).
    const lockFile = new DataLayout(dataDir).lockFile;
    writeFileSync(lockFile, String(process.ppid));
    try {
      const busy = await replay({ fromSeq: writes['tx1']![0] }).catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(OpsError);
      expect((busy as Error).message).toBe(
        `data directory is in use by process ${process.ppid} (lock file ${lockFile}): replay of an embedded data directory runs offline — stop duckmesh serve first`,
      );
    } finally {
      rmSync(lockFile, { force: true });
    }
  });

  it('repairs a bad materialization from the bus; refuses to split a file a rewrite may have folded', async () => {
    // Start from a known file layout: kv = its first commit file (< upsert1) + replay's files.
    await replay({ fromSeq: writes['upsert1']![0], tables: ['kv'] });
    const layout = new DataLayout(dataDir);
    const catalog = new SqliteCatalog(layout.catalogFile);
    const writer = new ParquetWriter(layout, { threads: 1, memoryLimit: '256MB' });
    let rewritten: { minSeq: number; maxSeq: number };
    try {
      // A "buggy rewrite" (what a faulty compaction or applier would publish): kv's file holding
      // the upsert at upsert1 is replaced, at the same watermark, by a copy that lost key 8.
      const latest = (await catalog.latestSnapshot())!;
      const contents = await catalog.snapshotContents('duckmesh', latest.snapshotId);
      const kv = contents.tables.find((t) => t.name === 'kv')!;
      const f = contents.files.get(kv.tableId)!.find((x) => x.minSeq <= writes['upsert1']![0] && x.maxSeq >= writes['upsert1']![0])!;
      expect(f.maxSeq).toBeGreaterThanOrEqual(writes['delete1']![0]);
      const conn = await writer.connection();
      await conn.run(`CREATE TEMP TABLE lossy AS SELECT * FROM read_parquet('${layout.absolute(f.path)}') WHERE k IS DISTINCT FROM 8`);
      const r = await conn.runAndReadAll('SELECT count(*)::INTEGER, min(_dm_seq), max(_dm_seq) FROM lossy');
      const [count, min, max] = r.getRows()[0]! as [number, bigint, bigint];
      const nf = await writer.writeFile(conn, 'lossy', {
        tenant: 'duckmesh', tableId: kv.tableId, rowCount: count, minSeq: Number(min), maxSeq: Number(max), schemaVersion: f.schemaVersion, mutations: f.mutations,
      });
      rewritten = { minSeq: nf.minSeq, maxSeq: nf.maxSeq };
      await catalog.publish({ parentSnapshotId: latest.snapshotId, watermark: latest.watermark, addedFiles: [nf], removedFileIds: [f.fileId], tableWatermarks: [] });
    } finally {
      writer.close();
      await catalog.close();
    }
    const broken = await results();
    expect(broken.kv).toEqual(original.kv.filter((r) => (r as { k: number }).k !== 8));

    // Its rows below delete1 are not necessarily the state before delete1 (it may have folded versions).
    const refused = await replay({ fromSeq: writes['delete1']![0], tables: ['kv'] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpsError);
    expect((refused as Error).message).toContain(`holds entries ${rewritten.minSeq}…${rewritten.maxSeq} and was rewritten (by compaction) after they were applied`);
    expect((refused as Error).message).toContain(`replay from ${rewritten.minSeq} or from ${rewritten.maxSeq + 1} instead`);

    // From its first entry on, the bus has everything: the table is right again.
    const fixed = await replay({ fromSeq: rewritten.minSeq, tables: ['kv'] });
    expect(fixed.tables[0]!.files_removed).toBeGreaterThan(0);
    const now = await results();
    expect({ kv: now.kv, logs: now.logs }).toEqual({ kv: original.kv, logs: original.logs });
    expect((await runCheck(config, { deep: true, safetyMs: 86_400_000 })).problems).toEqual([]);
  });

  it('the CLI: --from takes a sequence or a token, --json prints the report; errors exit 2', async () => {
    const token = `dm1.${writes['alter1']![0].toString(16).padStart(16, '0')}`;
    const r = await runCli(['replay', '--from', token, '--table', 'kv', '--table', 'public.logs', '-D', dataDir, '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { from_seq: number; tables: { table: string }[]; watermark: number };
    expect(report.from_seq).toBe(writes['alter1']![0]);
    expect(report.tables.map((t) => t.table)).toEqual(['kv', 'logs']);
    expect(report.watermark).toBe(writes['update2']![1]);
    const now = await results();
    expect({ kv: now.kv, logs: now.logs }).toEqual({ kv: original.kv, logs: original.logs });

    const human = await runCli(['replay', '--from', String(writes['update2']![0]), '--all', '-D', dataDir, '--quiet']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^replayed entries ${writes['update2']![0]}…${writes['update2']![1]} \\(1 of 1 applied\\): snapshot \\d+ \\(parent \\d+, same watermark ${writes['update2']![1]}\\)\n`));
    expect(human.stdout).toContain('  duckmesh.public.logs: kept ');

    const none = await runCli(['replay', '--from', '5', '-D', dataDir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('duckmesh: name the tables to replay (--table), or pass --all\n');
    const badFrom = await runCli(['replay', '--from', 'yesterday', '--all', '-D', dataDir]);
    expect(badFrom.code).toBe(2);
    expect(badFrom.stderr).toBe('duckmesh: --from must be a bus sequence number or a visibility token, got "yesterday"\n');
  });

  it('refuses when the entries from N are pruned from the bus; replays from the oldest kept entry', async () => {
    const layout = new DataLayout(dataDir);
    const upto = writes['tx1']![1];
    const bus = new SqliteBus(layout.busFile);
    try {
      expect(await bus.prune(upto)).toBe(upto);
    } finally {
      await bus.close();
    }
    const err = await replay({ fromSeq: writes['upsert1']![0] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as Error).message).toContain(`bus entry ${writes['upsert1']![0]} is no longer on the bus (the oldest entry kept after it is ${upto + 1})`);
    expect((err as Error).message).toContain(`replay from a later sequence (>= ${upto + 1})`);

    const ok = await replay({ fromSeq: upto + 1 });
    expect(ok.from_seq).toBe(upto + 1);
    const now = await results();
    expect({ kv: now.kv, logs: now.logs }).toEqual({ kv: original.kv, logs: original.logs });
    // Every data file replay wrote carries its tag; check is clean.
    const files = readdirSync(path.join(dataDir, 'tenants', 'duckmesh', 'tables'), { recursive: true }) as string[];
    expect(files.some((f) => f.endsWith(REPLAY_FILE_SUFFIX))).toBe(true);
    expect((await runCheck(config, { deep: true, safetyMs: 86_400_000 })).problems).toEqual([]);
  });
});

const pgAvailable = await postgresAvailable();

describeService('Postgres', pgAvailable, () => {
  describe('duckmesh replay with a shared Postgres bus and catalog', { timeout: 180_000 }, () => {
    const schema = freshPgSchema('dmreplay');
    const dataDir = tempDataDir('dm-replay-pg-');
    const url = withSchema(PG_URL, schema);
    const config = { dataDir, bus: url, catalog: url, nodeId: 'replay-pg-test', lease: { ttlMs: 600 } };
    const flags = { bus: url, catalog: url, 'lease.ttlMs': 600 };

    afterAll(async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await dropPgSchemas([schema]);
    });

    it('refuses while a commit worker holds the lease; beside a running query node it publishes a snapshot that node serves', async () => {
      const node = await startServer({ dataDir, flags });
      let from: number;
      let before: unknown[];
      try {
        const c = await connect(node.port);
        await c.query('CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)');
        await c.query('INSERT INTO t VALUES (1, 1), (2, 2), (3, 3)');
        await c.query('SELECT count(*) FROM t');
        await c.query('UPDATE t SET v = v * 10 WHERE k >= 2');
        from = decodeToken(Object.values((await c.query('SHOW duckmesh.last_visibility_token')).rows[0] as Record<string, string>)[0]!);
        await c.query('DELETE FROM t WHERE k = 1');
        await c.query("INSERT INTO t VALUES (4, 4) ON CONFLICT (k) DO UPDATE SET v = t.v + 1");
        before = (await c.query('SELECT k, v FROM t ORDER BY k')).rows;
        await c.end();
        expect(before).toEqual([{ k: 2, v: 20 }, { k: 3, v: 30 }, { k: 4, v: 4 }]);
        const busy = await runReplay(config, { fromSeq: from, tables: ['t'] }).catch((e: unknown) => e);
        expect(busy).toBeInstanceOf(OpsError);
        expect((busy as Error).message).toMatch(/^another process holds the commit-worker lease/);
      } finally {
        await node.stop({ keepData: true });
      }

      // Ingest and queries go on without a worker; replay takes the lease and publishes (fenced).
      const query = await startServer({ dataDir, flags: { ...flags, roles: 'ingest,query' } });
      try {
        const c = await connect(query.port);
        const old = Number((await c.query('SELECT snapshot_id FROM duckmesh.snapshot')).rows[0].snapshot_id);
        const r = await runReplay(config, { fromSeq: from, tables: ['t'] });
        expect(r.parent_snapshot_id).toBe(old);
        expect(r.snapshot_id).toBe(old + 1);
        // The node follows the catalog: its next read with a fresh session runs on the replay's snapshot.
        let seen = old;
        for (let i = 0; i < 100 && seen !== r.snapshot_id; i++) {
          await new Promise((res) => setTimeout(res, 100));
          seen = Number((await c.query('SELECT snapshot_id FROM duckmesh.snapshot')).rows[0].snapshot_id);
        }
        expect(seen).toBe(r.snapshot_id);
        expect((await c.query('SELECT k, v FROM t ORDER BY k')).rows).toEqual(before);
        await c.end();
      } finally {
        await query.stop({ keepData: true });
      }
      const report = await runCheck(config, { deep: true, safetyMs: 86_400_000 });
      expect(report.problems).toEqual([]);
    });
  });
});
