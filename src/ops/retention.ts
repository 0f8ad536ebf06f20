import { rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { IngestBus } from '../bus/types.js';
import type { Catalog } from '../catalog/types.js';
import { MIN_UNFORCED_WINDOW_HOURS, type Config } from '../config/schema.js';
import type { DataLayout } from '../storage/layout.js';
import { listDataFiles, OpsError, seqRangeOfName, type DiskFile } from './data-dir.js';

/**
 * Retention and garbage collection (DESIGN §7, issue 7 item 2).
 *
 * Snapshots. Snapshot S expires once it has not been the newest snapshot for longer than the
 * snapshot window: the snapshot that was current at `now − window` and every newer one are kept,
 * older ones are marked expired (the newest is never expired). So time travel "as of T" works for
 * every T inside the window. An expired snapshot stays listed; reading it fails with DM003
 * "snapshot N has expired …" (the catalog refuses its contents).
 *
 * Files. A file is deleted only when no snapshot that was still queryable `fileSafety` ago
 * references it: P = the oldest snapshot live at `now − fileSafety`; the files unreferenced from P
 * on (removed by a snapshot ≤ P, or of a table dropped at or below P's watermark) are referenced
 * only by snapshots that expired more than `fileSafety` ago — any query reading them started before
 * that, and the safety window is never shorter than the longest allowed query. Their catalog rows
 * are deleted first (re-checked in the deleting statement), then the files: a crash in between
 * leaves only an unreferenced file, which the orphan sweep removes later. A file a retained (or
 * pinned) snapshot uses is never deleted.
 *
 * Orphans. Files under `tenants/*\/tables/` that no catalog row names (a commit that crashed before
 * publishing, a `.tmp` leftover) are deleted once older than the safety window, and never while
 * they may belong to a commit in progress (named for bus entries above the watermark).
 *
 * The bus and idempotency keys have their own windows: bus entries are pruned up to the watermark of
 * the snapshot current `bus` ago (they were applied before then), idempotency keys reserved longer
 * than `idempotencyKeys` ago are deleted.
 */
export interface RetentionPolicy {
  snapshotMs: number;
  fileSafetyMs: number;
  busMs: number;
  idempotencyKeyMs: number;
  intervalMs: number;
  force: boolean;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The policy of `config.retention` (already validated: windows < 24 h only with force). The file
 * safety window must also cover the longest allowed query (`longestQueryMs`), force or not.
 */
export function retentionPolicy(
  r: Config['retention'],
  opts: { longestQueryMs?: number } = {},
): RetentionPolicy {
  const policy: RetentionPolicy = {
    snapshotMs: r.snapshotsDays * DAY,
    fileSafetyMs: r.fileSafetyHours * HOUR,
    busMs: r.busHours * HOUR,
    idempotencyKeyMs: r.idempotencyKeyHours * HOUR,
    intervalMs: r.gcIntervalMinutes * 60_000,
    force: r.force,
  };
  checkWindow('retention.snapshotsDays', policy.snapshotMs, policy.force);
  checkWindow('retention.fileSafetyHours', policy.fileSafetyMs, policy.force);
  checkWindow('retention.busHours', policy.busMs, policy.force);
  checkWindow('retention.idempotencyKeyHours', policy.idempotencyKeyMs, policy.force);
  const longest = opts.longestQueryMs ?? 0;
  if (policy.fileSafetyMs < longest) {
    throw new OpsError(
      `retention.fileSafetyHours (${formatDuration(policy.fileSafetyMs)}) is shorter than the longest allowed query (${formatDuration(longest)}): ` +
        'a running query could lose a file; raise it or lower the query timeout',
    );
  }
  return policy;
}

/** Refuses a window shorter than 24 h unless forced. */
export function checkWindow(name: string, ms: number, force: boolean): void {
  if (force) return;
  if (ms < MIN_UNFORCED_WINDOW_HOURS * HOUR) {
    throw new OpsError(
      `${name} is ${formatDuration(ms)}, shorter than ${MIN_UNFORCED_WINDOW_HOURS} hours: pass --force (retention.force) to allow a window that short`,
    );
  }
}

/** "90s", "15m", "24h", "7d", "250ms" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(text);
  if (!m) throw new OpsError(`invalid duration ${JSON.stringify(text)}: use a number and a unit, e.g. 90s, 15m, 24h, 7d`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: HOUR, d: DAY }[m[2]!.toLowerCase() as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(n * unit);
}

export function formatDuration(ms: number): string {
  if (ms % DAY === 0 && ms >= DAY) return `${ms / DAY} days`;
  if (ms % HOUR === 0 && ms >= HOUR) return `${ms / HOUR} hours`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  if (ms >= 1000) return `${+(ms / 1000).toFixed(3)} seconds`;
  return `${ms} ms`;
}

export interface ExpireResult {
  /** Every snapshot from this one on is retained (null when there is nothing old enough). */
  keepFrom: number | null;
  expired: number;
}

/**
 * Expires snapshots that stopped being the newest more than `snapshotMs` ago. `pinnedFrom` (the
 * oldest snapshot a reader of this process holds) is never expired either.
 */
export async function expireSnapshots(catalog: Catalog, policy: RetentionPolicy, now: number, pinnedFrom: number | null = null): Promise<ExpireResult> {
  const latest = await catalog.latestSnapshot();
  if (!latest) return { keepFrom: null, expired: 0 };
  const currentAtCutoff = await catalog.snapshotAsOf(now - policy.snapshotMs);
  if (!currentAtCutoff) return { keepFrom: null, expired: 0 };
  let keepFrom = Math.min(currentAtCutoff.snapshotId, latest.snapshotId);
  if (pinnedFrom !== null) keepFrom = Math.min(keepFrom, pinnedFrom);
  const expired = await catalog.expireSnapshots(keepFrom);
  return { keepFrom, expired };
}

export interface FileGcResult {
  /** Files unreferenced from this snapshot on were considered (null: nothing expired long enough). */
  protectedFrom: number | null;
  files: number;
  bytes: number;
}

/** Deletes files (rows, then data) no snapshot live `fileSafetyMs` ago references. */
export async function deleteUnreferencedFiles(catalog: Catalog, layout: DataLayout, policy: RetentionPolicy, now: number): Promise<FileGcResult> {
  const protectedFrom = await catalog.oldestSnapshotLiveAt(now - policy.fileSafetyMs);
  if (protectedFrom === null) return { protectedFrom, files: 0, bytes: 0 };
  const dead = await catalog.filesUnreferencedFrom(protectedFrom);
  let files = 0;
  let bytes = 0;
  const dirs = new Set<string>();
  for (let i = 0; i < dead.length; i += GC_BATCH) {
    const batch = dead.slice(i, i + GC_BATCH);
    const forgotten = new Set(await catalog.forgetFiles(batch.map((f) => f.fileId), protectedFrom));
    for (const f of batch) {
      if (!forgotten.has(f.fileId)) continue;
      const abs = layout.absolute(f.path);
      rmSync(abs, { force: true });
      dirs.add(path.dirname(abs));
      files++;
      bytes += f.byteSize;
    }
  }
  for (const d of dirs) removeIfEmpty(d);
  return { protectedFrom, files, bytes };
}

const GC_BATCH = 500;

/** Files that are young or named for entries above the watermark may belong to a commit in progress. */
export const IN_FLIGHT_MS = 5 * 60_000;

export interface OrphanScan {
  /** Unreferenced files that cannot be part of a commit in progress. */
  orphans: (DiskFile & { ageMs: number; temp: boolean })[];
  /** Unreferenced files that may still be published (young, or named for unapplied entries). */
  pending: (DiskFile & { ageMs: number })[];
}

/**
 * Sorts disk files that no catalog row names into orphans and possibly-in-flight ones. `known` must
 * be read AFTER `disk` was listed, so a file published in between counts as known.
 */
export function classifyOrphans(disk: readonly DiskFile[], known: ReadonlySet<string>, watermark: number, now: number): OrphanScan {
  const orphans: OrphanScan['orphans'] = [];
  const pending: OrphanScan['pending'] = [];
  for (const f of disk) {
    if (known.has(f.path)) continue;
    const ageMs = Math.max(0, now - f.mtimeMs);
    const range = seqRangeOfName(f.path);
    if (ageMs < IN_FLIGHT_MS || (range !== null && range.minSeq > watermark)) pending.push({ ...f, ageMs });
    else orphans.push({ ...f, ageMs, temp: f.path.endsWith('.tmp') });
  }
  return { orphans, pending };
}

/** Deletes orphans older than `safetyMs`; returns the deleted ones. */
export function deleteOrphans(scan: OrphanScan, layout: DataLayout, safetyMs: number): DiskFile[] {
  const deleted: DiskFile[] = [];
  for (const o of scan.orphans) {
    if (o.ageMs < safetyMs) continue;
    rmSync(layout.absolute(o.path), { force: true });
    deleted.push(o);
  }
  return deleted;
}

/** The orphan sweep of the GC: lists the disk, then the catalog (in that order), then deletes. */
export async function sweepOrphans(catalog: Catalog, layout: DataLayout, policy: RetentionPolicy, now: number): Promise<{ files: number; bytes: number }> {
  const disk = listDataFiles(layout);
  if (disk.length === 0) return { files: 0, bytes: 0 };
  const latest = await catalog.latestSnapshot();
  const known = new Set((await catalog.allFiles()).map((f) => f.path));
  const scan = classifyOrphans(disk, known, latest?.watermark ?? 0, now);
  const deleted = deleteOrphans(scan, layout, policy.fileSafetyMs);
  return { files: deleted.length, bytes: deleted.reduce((n, f) => n + f.size, 0) };
}

/** Prunes bus entries applied before `now − busMs`; returns how many were deleted. */
export async function pruneBus(bus: IngestBus, catalog: Catalog, policy: RetentionPolicy, now: number): Promise<{ upto: number; entries: number }> {
  const applied = await catalog.snapshotAsOf(now - policy.busMs);
  if (!applied || applied.watermark <= 0) return { upto: 0, entries: 0 };
  return { upto: applied.watermark, entries: await bus.prune(applied.watermark) };
}

export async function pruneIdempotencyKeys(catalog: Catalog, policy: RetentionPolicy, now: number): Promise<number> {
  return catalog.pruneIdempotencyKeys(now - policy.idempotencyKeyMs);
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (or already gone): keep it.
  }
}
