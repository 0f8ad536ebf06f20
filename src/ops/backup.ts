import Database from 'better-sqlite3';
import { constants as fsConstants, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { SqliteCatalog } from '../catalog/embedded/sqlite-catalog.js';
import type { FileRecord } from '../catalog/types.js';
import type { Config } from '../config/schema.js';
import { DataLayout } from '../storage/layout.js';
import { fileCrc32 } from '../storage/integrity.js';
import { readBusHead, readBusStats } from './bus-check.js';
import { mapLimit } from './check.js';
import { ALL_PAGES, OpsError } from './data-dir.js';
import { silentProgress, type ProgressSink } from './progress.js';

export const MANIFEST = 'manifest.json';
export const BACKUP_FORMAT = 'duckmesh-backup';
export const BACKUP_VERSION = 1;

export interface ManifestFile {
  /** Relative to the backup directory (and to the data directory it restores into). */
  path: string;
  size: number;
  /** CRC-32, 8 hex digits (as the catalog records data files). */
  checksum: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  created_at: string;
  /** Newest snapshot in the backup and its watermark. */
  snapshot_id: number | null;
  watermark: number;
  /** Highest bus entry in the backup: every write acknowledged before the backup's instant. */
  bus_head: number;
  oldest_retained_snapshot: number | null;
  /** How long appends waited while the backup's instant was fixed. */
  pause_ms: number;
  catalog: ManifestFile;
  bus: ManifestFile;
  files: (ManifestFile & { rows: number })[];
  totals: { files: number; bytes: number; rows: number };
}

export interface BackupOptions {
  /** Hard-link data files instead of copying them when on the same filesystem (files are immutable). */
  link?: boolean;
  progress?: ProgressSink;
  concurrency?: number;
}

/** How long fixing the backup's instant waits for an append in progress (the bus write lock). */
const LOCK_WAIT_MS = 10_000;

/**
 * A consistent online backup of an embedded data directory (catalog + bus + data files) while
 * `duckmesh serve` keeps ingesting.
 *
 * Consistency. The backup's instant is fixed in a few microseconds while holding the bus's SQLite
 * write lock (BEGIN IMMEDIATE; an append in progress finishes first, new ones wait):
 *   1. a read transaction on the bus is opened → the bus copy holds exactly the entries 1…H;
 *   2. a read transaction on the catalog is opened → the catalog copy is the catalog at that instant;
 *   3. the lock is released.
 * Both copies are then taken with SQLite's online backup API from those read transactions (WAL keeps
 * them stable however long the copy takes; writers are not blocked). Because nothing was appended
 * between (1) and (2):
 *   - every write acknowledged before the instant is in the bus copy (an acknowledgement follows the
 *     durable append), and so is everything above the catalog's watermark W — W <= H always;
 *   - everything the catalog says about bus positions (created/dropped tables, versions, receipts)
 *     refers to entries <= H, and whatever a writer registers before appending (table reservations)
 *     for an entry <= H is in the catalog copy. After restore the commit worker applies W+1…H and the
 *     restored node ends up exactly where the source was at the instant — nothing lost, nothing
 *     doubled, no phantom positions above H.
 * Data files: every file a retained snapshot of the catalog copy references is copied (or linked)
 * and its size and CRC-32 verified against the catalog. Files are immutable and GC deletes one only
 * after its last snapshot expired more than the safety window (>= 24 h) ago — after the instant —
 * so they are all still there unless the backup runs longer than that (reported as an error).
 * Catalog rows of files no retained snapshot references are dropped from the copy, so no snapshot
 * in the backup references a file the backup lacks. The manifest is written last: a backup without
 * one is incomplete.
 */
export async function runBackup(config: Pick<Config, 'dataDir' | 'bus' | 'catalog'>, toDir: string, opts: BackupOptions = {}): Promise<BackupManifest> {
  if (config.bus !== 'embedded' || config.catalog !== 'embedded') {
    throw new OpsError(
      'duckmesh backup copies an embedded data directory (SQLite bus and catalog); with a shared Postgres/NATS bus or catalog, back those up with their own tools and copy the data files',
    );
  }
  const layout = new DataLayout(config.dataDir);
  const progress = opts.progress ?? silentProgress;
  for (const f of [layout.catalogFile, layout.busFile]) {
    if (!existsSync(f)) throw new OpsError(`no ${path.basename(f)} at ${f}: ${layout.root} is not a DuckMesh data directory`);
  }
  const target = path.resolve(toDir);
  if (target === layout.root || target.startsWith(layout.root + path.sep)) throw new OpsError('the backup directory must be outside the data directory');
  const created = prepareEmptyDir(target, 'backup directory');

  try {
    return await backupInto(layout, target, opts, progress);
  } catch (err) {
    for (const name of ['catalog', 'bus', 'tenants', MANIFEST, `${MANIFEST}.tmp`]) rmSync(path.join(target, name), { recursive: true, force: true });
    if (created) rmSync(target, { recursive: true, force: true });
    throw err;
  }
}

async function backupInto(layout: DataLayout, target: string, opts: BackupOptions, progress: ProgressSink): Promise<BackupManifest> {
  const catalogRel = path.join('catalog', 'catalog.db');
  const busRel = path.join('bus', 'bus.db');
  const catalogCopy = path.join(target, catalogRel);
  const busCopy = path.join(target, busRel);
  mkdirSync(path.dirname(catalogCopy), { recursive: true });
  mkdirSync(path.dirname(busCopy), { recursive: true });

  // ---- fix the instant (see above), then copy both databases from their read transactions
  const lockConn = new Database(layout.busFile, { fileMustExist: true, timeout: LOCK_WAIT_MS });
  const busRead = new Database(layout.busFile, { readonly: true, fileMustExist: true });
  const catRead = new Database(layout.catalogFile, { readonly: true, fileMustExist: true });
  let busHead: number;
  let pauseMs: number;
  try {
    const t0 = performance.now();
    try {
      lockConn.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw new OpsError(`could not pause appends to take the backup's instant (bus busy for ${LOCK_WAIT_MS} ms): ${(err as Error).message}`);
    }
    try {
      busRead.exec('BEGIN');
      busHead = readBusHead(busRead);
      catRead.exec('BEGIN');
      catRead.prepare('SELECT max(snapshot_id) FROM snapshots').get();
    } finally {
      lockConn.exec('COMMIT');
      pauseMs = performance.now() - t0;
    }
    lockConn.close();
    progress.note(`backup instant fixed: bus head ${busHead} (appends paused ${pauseMs.toFixed(1)} ms)`);
    await catRead.backup(catalogCopy, { progress: () => ALL_PAGES });
    catRead.exec('COMMIT');
    await busRead.backup(busCopy, { progress: () => ALL_PAGES });
    busRead.exec('COMMIT');
  } finally {
    if (lockConn.open) lockConn.close();
    busRead.close();
    catRead.close();
  }

  // ---- what the catalog copy retains; drop rows of files no retained snapshot references
  const catalog = new SqliteCatalog(catalogCopy);
  let live: FileRecord[];
  let latest;
  let oldest: number | null;
  try {
    latest = await catalog.latestSnapshot();
    oldest = latest ? ((await catalog.oldestSnapshotLiveAt(Number.MAX_SAFE_INTEGER)) ?? latest.snapshotId) : null;
    if (oldest !== null) {
      const dead = await catalog.filesUnreferencedFrom(oldest);
      await catalog.forgetFiles(dead.map((f) => f.fileId), oldest);
    }
    live = await catalog.allFiles();
  } finally {
    await catalog.close();
  }
  const watermark = latest?.watermark ?? 0;
  if (watermark > busHead) {
    throw new OpsError(`the catalog's watermark ${watermark} is above the bus head ${busHead}: the data directory is inconsistent (run duckmesh check)`);
  }
  const bus = new Database(busCopy);
  try {
    const s = readBusStats(bus, watermark);
    if (s.head !== busHead || s.countAbove !== busHead - watermark) {
      throw new OpsError(
        `the bus does not hold every entry above the watermark ${watermark} (head ${s.head}, ${s.countAbove} of ${busHead - watermark} entries): run duckmesh check`,
      );
    }
  } finally {
    bus.close();
  }
  singleFile(catalogCopy);
  singleFile(busCopy);

  // ---- data files
  const totalBytes = live.reduce((n, f) => n + f.byteSize, 0);
  progress.phase(opts.link ? 'linking data files' : 'copying data files', totalBytes);
  const files = await mapLimit(live, opts.concurrency ?? 4, async (f) => {
    await copyDataFile(layout.absolute(f.path), path.join(target, f.path), f, opts.link ?? false);
    progress.advance(f.byteSize);
    return { path: f.path, size: f.byteSize, checksum: f.checksum, rows: f.rowCount };
  });
  progress.end();

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    created_at: new Date().toISOString(),
    snapshot_id: latest?.snapshotId ?? null,
    watermark,
    bus_head: busHead,
    oldest_retained_snapshot: oldest,
    pause_ms: Math.round(pauseMs * 1000) / 1000,
    catalog: await describe(target, catalogRel),
    bus: await describe(target, busRel),
    files,
    totals: { files: files.length, bytes: totalBytes, rows: files.reduce((n, f) => n + f.rows, 0) },
  };
  await syncFile(catalogCopy);
  await syncFile(busCopy);
  const tmp = path.join(target, `${MANIFEST}.tmp`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + '\n');
  await syncFile(tmp);
  renameSync(tmp, path.join(target, MANIFEST));
  await syncFile(target);
  return manifest;
}

/** Copies (or links) one data file and verifies the copy against the catalog's size and CRC-32. */
async function copyDataFile(src: string, dest: string, f: FileRecord, link: boolean): Promise<void> {
  mkdirSync(path.dirname(dest), { recursive: true });
  try {
    let linked = false;
    if (link) {
      try {
        linkSync(src, dest);
        linked = true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
      }
    }
    if (!linked) {
      await copyFile(src, dest, fsConstants.COPYFILE_EXCL);
      await syncFile(dest);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(src)) {
      throw new OpsError(
        `${f.path} (referenced by a retained snapshot) disappeared during the backup: did the backup run longer than the file safety window? Run duckmesh check, then back up again`,
      );
    }
    throw err;
  }
  const size = (await stat(dest)).size;
  const sum = size === f.byteSize ? await fileCrc32(dest) : null;
  if (size !== f.byteSize || sum !== f.checksum) {
    throw new OpsError(
      `${f.path} does not match the catalog (catalog: ${f.byteSize} bytes, CRC-32 ${f.checksum}; file: ${size} bytes${sum ? `, CRC-32 ${sum}` : ''}): the source is damaged — run duckmesh check`,
    );
  }
}

/** A database copy as one self-contained file (no -wal/-shm next to it). */
function singleFile(file: string): void {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = DELETE');
    const ok = db.pragma('quick_check', { simple: true });
    if (ok !== 'ok') throw new OpsError(`the copy ${file} fails SQLite's quick_check: ${String(ok)}`);
  } finally {
    db.close();
  }
}

export async function describe(root: string, relative: string): Promise<ManifestFile> {
  const abs = path.join(root, relative);
  return { path: relative, size: (await stat(abs)).size, checksum: await fileCrc32(abs) };
}

/** Creates `dir` or accepts it empty; refuses anything else. Returns whether it was created. */
export function prepareEmptyDir(dir: string, what: string): boolean {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return true;
  }
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    throw new OpsError(`${what} ${dir} exists and is not a directory`);
  }
  if (entries.length > 0) throw new OpsError(`${what} ${dir} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): use a new or empty directory`);
  return false;
}

export async function syncFile(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories; the data files themselves were synced.
  } finally {
    await fh.close();
  }
}
