import { existsSync } from 'node:fs';
import path from 'node:path';
import type { FileRecord, TableDef } from '../catalog/types.js';
import type { Config } from '../config/schema.js';
import { DataLayout } from '../storage/layout.js';
import { ParquetInspector, verifyFile, type FileProblemKind } from '../storage/integrity.js';
import { checkBus, type BusProblem } from './bus-check.js';
import { listDataFiles, openCatalogView, RESTORE_MARKER } from './data-dir.js';
import { silentProgress, type ProgressSink } from './progress.js';
import { classifyOrphans, deleteOrphans } from './retention.js';

export type ProblemKind =
  | FileProblemKind
  | BusProblem['kind']
  | 'orphan_file'
  | 'temp_file'
  | 'unknown_table'
  | 'file_seq_range'
  | 'catalog_error'
  | 'restore_incomplete';

export interface CheckProblem {
  kind: ProblemKind;
  path?: string;
  detail: string;
}

export interface TableSummary {
  tenant: string;
  schema: string;
  table: string;
  files: number;
  rows: number;
  bytes: number;
}

/** What `duckmesh check --json` prints. */
export interface CheckReport {
  ok: boolean;
  /** Newest snapshot (null: nothing published yet). */
  snapshot_id: number | null;
  watermark: number;
  oldest_retained_snapshot: number | null;
  bus_head: number | null;
  /** Tables of the newest snapshot. */
  tables: TableSummary[];
  problems: CheckProblem[];
  /** Unreferenced files that may belong to a commit in progress (not problems). */
  pending: { path: string; detail: string }[];
  /** What --repair deleted (no longer problems). */
  repaired: { path: string; detail: string }[];
  checked: { files: number; bytes: number; deep: boolean };
}

export interface CheckOptions {
  /** Re-read every file for its checksum and footer row count (default true). */
  deep?: boolean;
  /** Delete orphans older than `safetyMs` (the only repair that is always safe). */
  repair?: boolean;
  safetyMs: number;
  progress?: ProgressSink;
  /** Files verified concurrently. */
  concurrency?: number;
}

/**
 * The integrity checker (DESIGN §7):
 * - every file a retained snapshot references exists and matches its recorded size, CRC-32 and
 *   row count (the Parquet footer), and holds only entries the snapshot that added it covers;
 * - the bus accounts for the watermark (see bus-check.ts);
 * - orphans: files under `tenants/*\/tables/` no catalog row names, and `.tmp` leftovers.
 *
 * Safe on a live data directory: the disk is listed first, then a point-in-time copy of the catalog
 * is read (data-dir.ts), then the bus — each later look can only know more, so nothing published
 * meanwhile is mistaken for an orphan or a gap. No lock is taken and nothing live is written except
 * what `repair` deletes: orphans older than the safety window, which no commit can still publish.
 */
export async function runCheck(config: Pick<Config, 'dataDir' | 'catalog' | 'bus' | 'nodeId'>, opts: CheckOptions): Promise<CheckReport> {
  const layout = new DataLayout(config.dataDir);
  const progress = opts.progress ?? silentProgress;
  const deep = opts.deep ?? true;
  const problems: CheckProblem[] = [];
  if (existsSync(path.join(layout.root, RESTORE_MARKER))) {
    problems.push({ kind: 'restore_incomplete', path: RESTORE_MARKER, detail: 'a restore into this directory did not finish: restore again into an empty directory' });
  }

  const disk = listDataFiles(layout);
  const view = await openCatalogView(config, layout);
  const inspector = deep ? new ParquetInspector() : null;
  try {
    const catalog = view.catalog;
    const latest = await catalog.latestSnapshot();
    const watermark = latest?.watermark ?? 0;
    const oldest = latest ? ((await catalog.oldestSnapshotLiveAt(view.takenAt)) ?? latest.snapshotId) : null;

    // Files retained snapshots reference = all rows − rows unreferenced from the oldest retained.
    const all = await catalog.allFiles();
    const dead = new Set(oldest !== null ? (await catalog.filesUnreferencedFrom(oldest)).map((f) => f.fileId) : []);
    const live = all.filter((f) => !dead.has(f.fileId));

    const tables = new Map<number, TableDef | null>();
    const snapshots = new Map<number, number | null>();
    for (const f of live) {
      if (!tables.has(f.tableId)) tables.set(f.tableId, await catalog.getTable(f.tableId));
      if (!tables.get(f.tableId)) problems.push({ kind: 'unknown_table', path: f.path, detail: `table id ${f.tableId} is not in the catalog` });
      if (!snapshots.has(f.addedSnapshot)) snapshots.set(f.addedSnapshot, (await catalog.getSnapshot(f.addedSnapshot))?.watermark ?? null);
      const w = snapshots.get(f.addedSnapshot)!;
      if (w === null || f.maxSeq > w || f.minSeq > f.maxSeq) {
        problems.push({
          kind: 'file_seq_range',
          path: f.path,
          detail: `holds entries ${f.minSeq}…${f.maxSeq} but was added by snapshot ${f.addedSnapshot}` + (w === null ? ', which does not exist' : ` (watermark ${w})`),
        });
      }
    }

    const totalBytes = live.reduce((n, f) => n + f.byteSize, 0);
    progress.phase(deep ? 'verifying files' : 'checking files', deep ? totalBytes : live.length, deep ? 'bytes' : 'items');
    const fileProblems = await mapLimit(live, opts.concurrency ?? 4, async (f: FileRecord) => {
      const found = await verifyFile(layout, f, { deep, inspector: inspector ?? undefined });
      progress.advance(deep ? f.byteSize : 1);
      return found;
    });
    progress.end();
    for (const list of fileProblems) problems.push(...list);

    const summaries: TableSummary[] = [];
    if (latest) {
      for (const tenant of await catalog.listTenants()) {
        try {
          const contents = await catalog.snapshotContents(tenant, latest.snapshotId);
          for (const t of contents.tables) {
            const files = contents.files.get(t.tableId) ?? [];
            summaries.push({
              tenant,
              schema: t.schema,
              table: t.name,
              files: files.length,
              rows: files.reduce((n, f) => n + f.rowCount, 0),
              bytes: files.reduce((n, f) => n + f.byteSize, 0),
            });
          }
        } catch (err) {
          problems.push({ kind: 'catalog_error', detail: `cannot read snapshot ${latest.snapshotId} of tenant ${tenant}: ${(err as Error).message}` });
        }
      }
    }

    const bus = await checkBus(config, layout, watermark);
    problems.push(...bus.problems);

    const known = new Set(all.map((f) => f.path));
    const scan = classifyOrphans(disk, known, watermark, Date.now());
    // Deleted by GC (its row went first) while we looked: not an orphan any more.
    scan.orphans = scan.orphans.filter((o) => existsSync(layout.absolute(o.path)));
    const repaired: CheckReport['repaired'] = [];
    if (opts.repair) {
      for (const f of deleteOrphans(scan, layout, opts.safetyMs)) repaired.push({ path: f.path, detail: `deleted unreferenced ${f.size}-byte file` });
    }
    const repairedPaths = new Set(repaired.map((r) => r.path));
    for (const o of scan.orphans) {
      if (repairedPaths.has(o.path)) continue;
      const age = `${Math.round(o.ageMs / 1000)}s old`;
      const when = o.ageMs >= opts.safetyMs ? '--repair deletes it' : 'younger than the safety window: --repair keeps it for now';
      problems.push({
        kind: o.temp ? 'temp_file' : 'orphan_file',
        path: o.path,
        detail: `${o.temp ? 'leftover temporary file' : 'no catalog row references this file'} (${o.size} bytes, ${age}; ${when})`,
      });
    }

    return {
      ok: problems.length === 0,
      snapshot_id: latest?.snapshotId ?? null,
      watermark,
      oldest_retained_snapshot: oldest,
      bus_head: bus.head,
      tables: summaries,
      problems,
      pending: scan.pending.map((p) => ({ path: p.path, detail: `unreferenced, ${Math.round(p.ageMs / 1000)}s old: may belong to a commit in progress` })),
      repaired,
      checked: { files: live.length, bytes: totalBytes, deep },
    };
  } finally {
    await inspector?.close();
    await view.close();
  }
}

/** Human-readable form of a report (what `duckmesh check` prints without --json). */
export function formatCheckReport(r: CheckReport): string {
  const lines: string[] = [];
  lines.push(
    `snapshot ${r.snapshot_id ?? '-'} (watermark ${r.watermark}, oldest retained ${r.oldest_retained_snapshot ?? '-'}), bus head ${r.bus_head ?? '-'}`,
  );
  lines.push(`checked ${r.checked.files} files, ${r.checked.bytes} bytes${r.checked.deep ? ' (size, checksum, row count)' : ' (size only)'}`);
  for (const t of r.tables) lines.push(`  ${t.tenant}.${t.schema}.${t.table}: ${t.files} files, ${t.rows} rows, ${t.bytes} bytes`);
  for (const p of r.pending) lines.push(`pending: ${p.path}: ${p.detail}`);
  for (const p of r.repaired) lines.push(`repaired: ${p.path}: ${p.detail}`);
  for (const p of r.problems) lines.push(`PROBLEM ${p.kind}${p.path ? ` ${p.path}` : ''}: ${p.detail}`);
  lines.push(r.ok ? 'OK: healthy' : `NOT OK: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`);
  return lines.join('\n') + '\n';
}

export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}
