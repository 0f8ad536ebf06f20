/**
 * `duckmesh replay`: re-materializes tables from the bus, from sequence N on — after a bug in the
 * applier, or a fix that changes how entries apply.
 *
 * Result: a new snapshot with the SAME watermark W as the newest one, in which each replayed table
 * holds exactly
 *   (the existing materialization's row versions with seq < N)  +  (bus entries N…W re-applied)
 * The re-application is the commit worker's own code (workers/batch-applier.ts), fed the bus
 * entries in order, with the table's state before N as its base instead of the parent snapshot's
 * files. Other tables keep their files.
 *
 * How the files change, per replayed table T (files of the newest snapshot S):
 * - files whose rows are all < N are kept as they are;
 * - files holding rows on both sides of N are rewritten keeping only the rows < N (every row
 *   version is a row of the file: a file the commit worker wrote holds every version its entries
 *   produced, so "rows < N" is exactly the state before N). A file that a rewrite may have folded
 *   (compaction drops superseded versions) is refused when it straddles N: its rows < N are not
 *   the state before N. Replay's own files are tagged (`….replay.parquet`) and never fold;
 * - files whose rows are all ≥ N are dropped; the re-applied entries make one new file.
 * The removed files stay referenced by S and older snapshots: time travel to them still works and
 * retention/GC deletes them when those snapshots expire.
 *
 * Writes are applied all or nothing as logical writes, and a logical write can span tables (a
 * transaction). So entries of every table that shares a logical write with a replayed table in
 * N…W (transitively) are applied too — a failure of such a write at its position drops T's part of
 * it — but only the replayed tables' results are published. N must be the first entry of a
 * logical write. Entries N…W must still be on the bus (retention prunes applied entries after
 * `retention.busHours`); entries below N may be gone.
 *
 * Runs offline on an embedded data directory (takes the data-directory lock: stop `duckmesh
 * serve` first). With a shared Postgres catalog and bus it runs beside live nodes by holding the
 * commit-worker lease (fenced publication): stop the worker role meanwhile (ingest and queries go
 * on; new entries wait above W and are applied once a worker runs again).
 *
 * Crash safety: new files are written under a temporary name, fsynced and renamed (ParquetWriter),
 * then renamed to their tagged name (directory fsynced); only then one catalog transaction
 * publishes the snapshot. A crash before it leaves S the newest snapshot, untouched, and some
 * unreferenced files (orphans for GC; `check` lists them). Catalog bookkeeping the applier repeats
 * (table created/dropped marks, schema versions, idempotency receipts, write failures) is
 * idempotent. So a failed or interrupted replay is resumed by running it again.
 */
import { rename, rm, open } from 'node:fs/promises';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { BusEntry, IngestBus } from '../bus/types.js';
import { fencedCatalog } from '../catalog/fenced-catalog.js';
import type { Catalog, FileRecord, NewFile, SnapshotInfo, TableDef } from '../catalog/types.js';
import { DuckMeshError } from '../common/errors.js';
import { quoteLiteral } from '../common/sql-text.js';
import type { Config } from '../config/schema.js';
import type { FileRef } from '../engine/table-state.js';
import { decodeDdlPayload, decodeRowsPayload } from '../ingest/payload.js';
import { openBus, openCatalog, usesEmbeddedStorage } from '../node/backends.js';
import { DataLayout } from '../storage/layout.js';
import { DataDirLock } from '../storage/lock.js';
import { ParquetWriter } from '../storage/parquet-writer.js';
import { decodeToken } from '../visibility/token.js';
import { BatchApplier } from '../workers/batch-applier.js';
import { LeaderLease } from '../workers/lease.js';
import { OpsError } from './data-dir.js';
import { silentProgress, type ProgressSink } from './progress.js';

/** Suffix of the data files replay writes (they hold every row version: safe to split again). */
export const REPLAY_FILE_SUFFIX = '.replay.parquet';

export type ReplayPoint = 'base-written' | 'applied' | 'files-written' | 'before-publish';

export interface ReplayOptions {
  /** First sequence to re-apply (N); also accepted as a visibility token by the CLI. */
  fromSeq: number;
  /** `[tenant.]schema.table` or `[tenant.]table` (with `tenant`); empty with `all`. */
  tables?: string[];
  /** Every table (of `tenant`, or of all tenants). */
  all?: boolean;
  tenant?: string;
  progress?: ProgressSink;
  log?: Logger;
  /** Bus entries read per step. */
  readBatch?: number;
  /**
   * Tests: behave as if the process were killed at this point — stop at once, no cleanup of the
   * files written so far (only handles and the lock are released).
   */
  crashAt?: ReplayPoint;
}

export interface ReplayTableReport {
  tenant: string;
  schema: string;
  table: string;
  table_id: number;
  files_kept: number;
  files_removed: number;
  files_added: number;
  /** Stored row versions (including update versions and delete markers) before and after. */
  stored_rows_before: number;
  stored_rows_after: number;
}

/** What `duckmesh replay --json` prints. */
export interface ReplayReport {
  ok: true;
  from_seq: number;
  watermark: number;
  parent_snapshot_id: number;
  snapshot_id: number;
  /** Bus entries in N…W, and how many of them were applied (the rest concern other tables). */
  entries: number;
  entries_applied: number;
  tables: ReplayTableReport[];
}

/** Thrown at `crashAt` (tests). */
export class SimulatedCrash extends Error {}

export async function runReplay(config: Pick<Config, 'dataDir' | 'bus' | 'catalog' | 'nodeId' | 'lease'>, opts: ReplayOptions): Promise<ReplayReport> {
  const from = opts.fromSeq;
  if (!Number.isSafeInteger(from) || from < 1) throw new OpsError(`--from must be a bus sequence >= 1 (or a visibility token), got ${from}`);
  if (!opts.all && (opts.tables ?? []).length === 0) throw new OpsError('name the tables to replay (--table), or pass --all');
  const layout = new DataLayout(config.dataDir);
  const log = opts.log ?? pino({ level: 'silent' });
  const lock = usesEmbeddedStorage(config) ? new DataDirLock(layout.lockFile) : null;
  try {
    lock?.acquire();
  } catch (err) {
    throw new OpsError(`${(err as Error).message}: replay of an embedded data directory runs offline — stop duckmesh serve first`);
  }
  let bus: IngestBus | null = null;
  let catalog: Catalog | null = null;
  let lease: LeaderLease | null = null;
  let writer: ParquetWriter | null = null;
  try {
    bus = await openBus(config, layout);
    catalog = await openCatalog(config, layout);
    let publisher = catalog;
    if (!lock) {
      const held = new LeaderLease(catalog, { holder: `${config.nodeId}/replay`, ttlMs: config.lease.ttlMs });
      lease = held;
      await held.start();
      // A worker that was just stopped may hold its grant until it expires: wait up to two TTLs.
      const deadline = Date.now() + 2 * config.lease.ttlMs;
      while (!held.isLeader && Date.now() < deadline) await new Promise((r) => setTimeout(r, Math.max(50, config.lease.ttlMs / 6)));
      if (!held.isLeader) {
        throw new OpsError('another process holds the commit-worker lease: stop the processes running the worker role (e.g. restart them with --roles ingest,query) while replaying');
      }
      publisher = fencedCatalog(catalog, () => held.fence());
    }
    writer = new ParquetWriter(layout, { threads: 2, memoryLimit: '1GB' });
    return await new Replay(bus, catalog, publisher, writer, layout, log, opts).run();
  } finally {
    writer?.close();
    await lease?.stop();
    await bus?.close().catch(() => undefined);
    await catalog?.close().catch(() => undefined);
    lock?.release();
  }
}

/** Accepts a sequence number or a visibility token (`dm1.…`). */
export function parseFromSeq(text: string): number {
  const t = text.trim();
  if (t.startsWith('dm1.')) {
    try {
      return decodeToken(t);
    } catch (err) {
      throw new OpsError((err as Error).message);
    }
  }
  if (!/^\d+$/.test(t)) throw new OpsError(`--from must be a bus sequence number or a visibility token, got ${JSON.stringify(text)}`);
  return Number(t);
}

export function formatReplayReport(r: ReplayReport): string {
  const lines = [
    `replayed entries ${r.from_seq}…${r.watermark} (${r.entries_applied} of ${r.entries} applied): snapshot ${r.snapshot_id} (parent ${r.parent_snapshot_id}, same watermark ${r.watermark})`,
  ];
  for (const t of r.tables) {
    lines.push(
      `  ${t.tenant}.${t.schema}.${t.table}: kept ${t.files_kept} files, replaced ${t.files_removed} by ${t.files_added}; stored rows ${t.stored_rows_before} → ${t.stored_rows_after}`,
    );
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

interface Selected {
  tenant: string;
  def: TableDef;
  files: FileRecord[];
}

interface Plan {
  /** Tables whose entries are applied: the selected ones plus those sharing logical writes with them. */
  closure: Set<number>;
  entries: number;
  applied: number;
}

class Replay {
  private readonly written: string[] = [];
  private readonly progress: ProgressSink;
  private readonly from: number;

  constructor(
    private readonly bus: IngestBus,
    private readonly catalog: Catalog,
    private readonly publisher: Catalog,
    private readonly writer: ParquetWriter,
    private readonly layout: DataLayout,
    private readonly log: Logger,
    private readonly opts: ReplayOptions,
  ) {
    this.progress = opts.progress ?? silentProgress;
    this.from = opts.fromSeq;
  }

  async run(): Promise<ReplayReport> {
    const parent = await this.catalog.latestSnapshot();
    if (!parent || parent.watermark === 0) throw new OpsError('nothing has been materialized yet: there is nothing to replay');
    const w = parent.watermark;
    if (this.from > w) throw new OpsError(`nothing to replay: seq ${this.from} is above the watermark ${w} of the newest snapshot ${parent.snapshotId}`);
    const selected = await this.selectTables(parent);
    await this.checkBus(w);

    let applier: BatchApplier | null = null;
    try {
      const plan = await this.plan(parent, selected);
      const all = await this.filesOf(parent, plan.closure, selected);
      const base = await this.writeBase(all, selected);
      await this.point('base-written');

      applier = new BatchApplier(this.catalog, this.writer, this.layout, this.log, parent.snapshotId, { baseFiles: base.refs });
      this.progress.phase(`replaying entries ${this.from}…${w}`, w - this.from + 1, 'items');
      await this.forEachEntry(w, async (e) => {
        if (this.relevant(e, plan.closure)) {
          await applier!.apply(e);
          plan.applied++;
        }
        this.progress.advance(1);
      });
      this.progress.end();
      await this.point('applied');
      const written = await applier.finish();
      for (const f of written) this.written.push(this.layout.absolute(f.path));
      await this.point('files-written');

      // Only the selected tables' results are published; the others were applied for their effect
      // on shared writes and are discarded.
      const added: NewFile[] = [...base.added];
      for (const f of written) {
        if (selected.has(f.tableId)) added.push(await this.tag(f));
        else await rm(this.layout.absolute(f.path), { force: true });
      }
      // Base rewrites of tables that are not published were only the applier's input.
      for (const p of base.scratch) await rm(p, { force: true });
      const removed: number[] = [];
      for (const t of selected.values()) for (const f of t.files) if (f.maxSeq >= this.from) removed.push(f.fileId);
      await this.point('before-publish');
      const busHead = await this.bus.head().catch(() => undefined);
      const snapshot = await this.publisher.publish({
        parentSnapshotId: parent.snapshotId,
        watermark: w,
        addedFiles: added,
        removedFileIds: removed,
        tableWatermarks: [],
        ...(busHead !== undefined ? { busHead: Math.max(busHead, w) } : {}),
      });
      return this.report(parent, snapshot, plan, selected, added, removed);
    } catch (err) {
      if (err instanceof SimulatedCrash) throw err;
      // Nothing published: remove what this run wrote (a crash would leave it to GC instead).
      await applier?.abort(false).catch(() => undefined);
      for (const p of this.written) await rm(p, { force: true }).catch(() => undefined);
      if (err instanceof DuckMeshError && /publication rejected: expected parent/.test(err.message)) {
        throw new OpsError(`${err.message}: another snapshot was published while replaying (is a commit worker or compaction running?); nothing was changed — run the replay again`);
      }
      throw err;
    }
  }

  private async point(p: ReplayPoint): Promise<void> {
    if (this.opts.crashAt === p) throw new SimulatedCrash(`simulated crash at ${p}`);
  }

  // ---------------------------------------------------------------- tables

  private async selectTables(parent: SnapshotInfo): Promise<Map<number, Selected>> {
    const tenants = this.opts.tenant ? [this.opts.tenant] : await this.catalog.listTenants();
    const all: Selected[] = [];
    for (const tenant of tenants) {
      const contents = await this.catalog.snapshotContents(tenant, parent.snapshotId);
      for (const def of contents.tables) all.push({ tenant, def, files: contents.files.get(def.tableId) ?? [] });
    }
    const out = new Map<number, Selected>();
    if (this.opts.all) {
      for (const t of all) out.set(t.def.tableId, t);
      if (out.size === 0) throw new OpsError(`no tables${this.opts.tenant ? ` in tenant ${this.opts.tenant}` : ''} at snapshot ${parent.snapshotId}`);
      return out;
    }
    for (const name of this.opts.tables ?? []) {
      const want = parseQualified(name, this.opts.tenant);
      const matches = all.filter(
        (t) => (want.tenant === null || t.tenant === want.tenant) && (want.schema === null || t.def.schema === want.schema) && t.def.name === want.table,
      );
      if (matches.length === 0) throw new OpsError(`table ${name} does not exist at snapshot ${parent.snapshotId}${this.opts.tenant ? ` in tenant ${this.opts.tenant}` : ''}`);
      if (matches.length > 1) {
        throw new OpsError(`table name ${name} is ambiguous: ${matches.map((m) => `${m.tenant}.${m.def.schema}.${m.def.name}`).join(', ')} (name it as tenant.schema.table)`);
      }
      out.set(matches[0]!.def.tableId, matches[0]!);
    }
    return out;
  }

  // ---------------------------------------------------------------- bus

  /** Entries N…W must all be on the bus (N: not pruned; no gap). */
  private async checkBus(w: number): Promise<void> {
    const [first] = await this.bus.read(this.from - 1, { maxEntries: 1, maxBytes: 1 });
    if (!first || first.seq !== this.from) {
      const found = first ? (first.seq <= w ? `the oldest entry kept after it is ${first.seq}` : 'no applied entry after it is kept') : 'the bus holds no entry after it';
      throw new OpsError(
        `bus entry ${this.from} is no longer on the bus (${found}): entries ${this.from}…${w} are needed to replay from ${this.from}. ` +
          `Applied entries are pruned after retention.busHours; replay from a later sequence${first && first.seq <= w ? ` (>= ${first.seq})` : ''}, or restore a backup that still has them`,
      );
    }
    const span = writeSpan(first);
    if (span && span[0] > 0) {
      const start = first.seq - span[0];
      throw new OpsError(`seq ${this.from} is inside a logical write (entries ${start}…${start + span[1] - 1}): replay from ${start} or from ${start + span[1]}`);
    }
  }

  /** Calls `fn` for every entry N…W in order; refuses a gap (entries pruned meanwhile). */
  private async forEachEntry(w: number, fn: (e: BusEntry) => Promise<void>): Promise<void> {
    let next = this.from;
    while (next <= w) {
      const batch = await this.bus.read(next - 1, { maxEntries: Math.min(this.opts.readBatch ?? 2000, w - next + 1), maxBytes: 64 << 20 });
      if (batch.length === 0 || batch[0]!.seq !== next) {
        throw new OpsError(`bus entry ${next} disappeared while replaying (pruned by GC?); nothing was changed — replay from a later sequence`);
      }
      for (const e of batch) {
        if (e.seq > w) return;
        if (e.seq !== next) throw new OpsError(`bus entry ${next} is missing (next found: ${e.seq}); nothing was changed`);
        await fn(e);
        next++;
      }
    }
  }

  /** Which tables must be applied: the selected ones, closed over logical writes shared in N…W. */
  private async plan(parent: SnapshotInfo, selected: Map<number, Selected>): Promise<Plan> {
    const w = parent.watermark;
    const uf = new UnionFind();
    const ops = new Map<number, Set<string>>();
    /** The logical write being read: its last sequence and the tables it wrote so far. */
    const open: { write: { last: number; tables: Set<number> } | null } = { write: null };
    let entries = 0;
    this.progress.phase(`reading entries ${this.from}…${w}`, w - this.from + 1, 'items');
    await this.forEachEntry(w, async (e) => {
      entries++;
      this.progress.advance(1);
      if (e.kind !== 'rows') return;
      const p = decodeRowsPayload(e.payload);
      const kinds = ops.get(p.tableId) ?? new Set<string>();
      kinds.add(p.op === 'delete' && p.keys ? 'deleteKeys' : p.op);
      ops.set(p.tableId, kinds);
      const [index, count] = p.w ?? [0, 1];
      if (index === 0) open.write = { last: e.seq + count - 1, tables: new Set() };
      const write = open.write;
      if (write && e.seq <= write.last) {
        for (const t of write.tables) uf.union(t, p.tableId);
        write.tables.add(p.tableId);
      }
      uf.add(p.tableId);
    });
    this.progress.end();
    const closure = new Set<number>(selected.keys());
    for (const t of uf.members()) if ([...selected.keys()].some((s) => uf.same(s, t))) closure.add(t);
    // A table sharing writes with a replayed one but dropped since: its state before N is not in
    // the newest snapshot. Harmless when its part of those writes cannot fail (inserts, key deletes).
    const live = new Set<number>();
    for (const tenant of new Set([...selected.values()].map((s) => s.tenant))) {
      for (const t of (await this.catalog.snapshotContents(tenant, parent.snapshotId)).tables) live.add(t.tableId);
    }
    for (const t of closure) {
      if (live.has(t)) continue;
      const risky = [...(ops.get(t) ?? [])].filter((k) => k !== 'insert' && k !== 'deleteKeys');
      if (risky.length > 0) {
        throw new OpsError(
          `table id ${t} shares transactions with a replayed table in ${this.from}…${w} and has been dropped since; its ${risky.join('/')} writes there cannot be re-evaluated — replay from a later sequence`,
        );
      }
    }
    return { closure, entries, applied: 0 };
  }

  private relevant(e: BusEntry, closure: Set<number>): boolean {
    if (e.kind === 'rows') return closure.has(decodeRowsPayload(e.payload).tableId);
    const d = decodeDdlPayload(e.payload);
    return d.op !== 'objects' && closure.has(d.tableId);
  }

  // ---------------------------------------------------------------- base state

  /** Files of the closure tables at the parent snapshot (the selected ones are already known). */
  private async filesOf(parent: SnapshotInfo, closure: Set<number>, selected: Map<number, Selected>): Promise<Map<number, { tenant: string; files: FileRecord[] }>> {
    const out = new Map<number, { tenant: string; files: FileRecord[] }>();
    for (const [id, s] of selected) out.set(id, { tenant: s.tenant, files: s.files });
    const missing = [...closure].filter((id) => !out.has(id));
    if (missing.length === 0) return out;
    for (const tenant of await this.catalog.listTenants()) {
      const contents = await this.catalog.snapshotContents(tenant, parent.snapshotId);
      for (const id of missing) {
        const files = contents.files.get(id);
        if (files && contents.tables.some((t) => t.tableId === id)) out.set(id, { tenant, files });
      }
    }
    return out;
  }

  /**
   * Each closure table's state before N as files: kept files (all rows < N) plus, for files that
   * straddle N, a rewrite holding their rows < N. Rewrites of selected tables are published.
   */
  private async writeBase(
    tables: Map<number, { tenant: string; files: FileRecord[] }>,
    selected: Map<number, Selected>,
  ): Promise<{ refs: Map<number, FileRef[]>; added: NewFile[]; scratch: string[] }> {
    const refs = new Map<number, FileRef[]>();
    const added: NewFile[] = [];
    const scratch: string[] = [];
    const parentWatermarks = new Map<number, number | null>();
    for (const [tableId, t] of tables) {
      const list: FileRef[] = [];
      for (const f of t.files) {
        if (f.maxSeq < this.from) {
          list.push(refOf(this.layout, f));
          continue;
        }
        if (f.minSeq >= this.from) continue;
        await this.checkUnfolded(f, parentWatermarks);
        const part = await this.rowsBefore(t.tenant, f);
        if (!part) continue;
        const file = selected.has(tableId) ? await this.tag(part) : part;
        if (selected.has(tableId)) added.push(file);
        else scratch.push(this.layout.absolute(file.path));
        list.push({ path: this.layout.absolute(file.path), schemaVersion: f.schemaVersion, mutations: f.mutations, rowCount: file.rowCount });
      }
      refs.set(tableId, list);
    }
    return { refs, added, scratch };
  }

  /**
   * A file that straddles N can be split only if it holds every row version its entries produced:
   * true for the commit worker's files (their rows all come from entries above the parent
   * snapshot's watermark) and replay's (tagged); not for rewrites that fold versions (compaction).
   */
  private async checkUnfolded(f: FileRecord, parentWatermarks: Map<number, number | null>): Promise<void> {
    if (f.path.endsWith(REPLAY_FILE_SUFFIX)) return;
    if (!parentWatermarks.has(f.addedSnapshot)) {
      const [prev] = await this.catalog.listSnapshots(f.addedSnapshot - 1, 1);
      parentWatermarks.set(f.addedSnapshot, prev ? prev.watermark : f.addedSnapshot === 1 ? 0 : null);
    }
    const pw = parentWatermarks.get(f.addedSnapshot);
    if (pw !== null && pw !== undefined && f.minSeq > pw) return;
    throw new OpsError(
      `${f.path} holds entries ${f.minSeq}…${f.maxSeq} and was rewritten (by compaction) after they were applied, so it may no longer hold the row versions ` +
        `before ${this.from}: replay from ${f.minSeq} or from ${f.maxSeq + 1} instead (the bus must still hold the entries from there)`,
    );
  }

  /** A new file with the rows of `f` below N (null when there are none). */
  private async rowsBefore(tenant: string, f: FileRecord): Promise<NewFile | null> {
    const conn = await this.writer.connection();
    const rel = `replay_base_${f.fileId}`;
    await conn.run(`CREATE OR REPLACE TEMP TABLE ${rel} AS SELECT * FROM read_parquet(${quoteLiteral(this.layout.absolute(f.path))}) WHERE _dm_seq < ${this.from}`);
    try {
      const r = await conn.runAndReadAll(`SELECT count(*)::BIGINT, min(_dm_seq), max(_dm_seq) FROM ${rel}`);
      const [count, min, max] = r.getRows()[0]! as [bigint, bigint | null, bigint | null];
      if (count === 0n) return null;
      const file = await this.writer.writeFile(conn, rel, {
        tenant,
        tableId: f.tableId,
        rowCount: Number(count),
        minSeq: Number(min),
        maxSeq: Number(max),
        schemaVersion: f.schemaVersion,
        mutations: f.mutations,
      });
      this.written.push(this.layout.absolute(file.path));
      return file;
    } finally {
      await conn.run(`DROP TABLE IF EXISTS temp.${rel}`);
    }
  }

  /** Renames a new file to its replay name (`….replay.parquet`), durably. */
  private async tag(f: NewFile): Promise<NewFile> {
    if (f.path.endsWith(REPLAY_FILE_SUFFIX)) return f;
    const relative = f.path.replace(/\.parquet$/, REPLAY_FILE_SUFFIX);
    const from = this.layout.absolute(f.path);
    const to = this.layout.absolute(relative);
    await rename(from, to);
    const i = this.written.indexOf(from);
    if (i >= 0) this.written[i] = to;
    else this.written.push(to);
    const dir = await open(path.dirname(to), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    return { ...f, path: relative };
  }

  private report(parent: SnapshotInfo, snapshot: SnapshotInfo, plan: Plan, selected: Map<number, Selected>, added: NewFile[], removed: number[]): ReplayReport {
    const removedSet = new Set(removed);
    return {
      ok: true,
      from_seq: this.from,
      watermark: snapshot.watermark,
      parent_snapshot_id: parent.snapshotId,
      snapshot_id: snapshot.snapshotId,
      entries: plan.entries,
      entries_applied: plan.applied,
      tables: [...selected.values()].map((t) => {
        const gone = t.files.filter((f) => removedSet.has(f.fileId));
        const kept = t.files.filter((f) => !removedSet.has(f.fileId));
        const mine = added.filter((f) => f.tableId === t.def.tableId);
        const sum = (xs: { rowCount: number }[]) => xs.reduce((n, f) => n + f.rowCount, 0);
        return {
          tenant: t.tenant,
          schema: t.def.schema,
          table: t.def.name,
          table_id: t.def.tableId,
          files_kept: kept.length,
          files_removed: gone.length,
          files_added: mine.length,
          stored_rows_before: sum(t.files),
          stored_rows_after: sum(kept) + sum(mine),
        };
      }),
    };
  }
}

function refOf(layout: DataLayout, f: FileRecord): FileRef {
  return { path: layout.absolute(f.path), schemaVersion: f.schemaVersion, mutations: f.mutations, rowCount: f.rowCount };
}

/** [index, count] of a rows entry inside its logical write, or null. */
function writeSpan(e: BusEntry): [number, number] | null {
  if (e.kind !== 'rows') return null;
  return decodeRowsPayload(e.payload).w ?? null;
}

function parseQualified(name: string, tenant: string | undefined): { tenant: string | null; schema: string | null; table: string } {
  const parts = name.split('.');
  if (parts.some((p) => p === '') || parts.length > 3) throw new OpsError(`invalid table name ${JSON.stringify(name)}: use [tenant.]schema.table or table`);
  if (parts.length === 3) {
    if (tenant && tenant !== parts[0]) throw new OpsError(`table ${name} is not in tenant ${tenant}`);
    return { tenant: parts[0]!, schema: parts[1]!, table: parts[2]! };
  }
  if (parts.length === 2) return { tenant: tenant ?? null, schema: parts[0]!, table: parts[1]! };
  return { tenant: tenant ?? null, schema: null, table: parts[0]! };
}

class UnionFind {
  private readonly parent = new Map<number, number>();
  add(x: number): void {
    if (!this.parent.has(x)) this.parent.set(x, x);
  }
  find(x: number): number {
    this.add(x);
    let r = x;
    while (this.parent.get(r) !== r) r = this.parent.get(r)!;
    this.parent.set(x, r);
    return r;
  }
  union(a: number, b: number): void {
    this.parent.set(this.find(a), this.find(b));
  }
  same(a: number, b: number): boolean {
    return this.find(a) === this.find(b);
  }
  members(): number[] {
    return [...this.parent.keys()];
  }
}
