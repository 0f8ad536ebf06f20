import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, type Dirent } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteCatalog } from '../catalog/embedded/sqlite-catalog.js';
import type { Catalog } from '../catalog/types.js';
import type { Config } from '../config/schema.js';
import { openCatalog } from '../node/backends.js';
import type { DataLayout } from '../storage/layout.js';

/** An operator-facing failure (bad arguments, wrong directory): the CLI prints it and exits 2. */
export class OpsError extends Error {}

/** Left in a data directory while `duckmesh restore` fills it; removed when the restore is complete. */
export const RESTORE_MARKER = 'RESTORE_IN_PROGRESS';

/** A file under `<data>/tenants/<t>/tables/` as found on disk. */
export interface DiskFile {
  /** Relative to the data directory, as the catalog stores paths. */
  path: string;
  size: number;
  mtimeMs: number;
}

/** Every regular file under `<data>/tenants/*\/tables/` (data files, `.tmp` leftovers, strays). */
export function listDataFiles(layout: DataLayout): DiskFile[] {
  const out: DiskFile[] = [];
  const tenantsDir = path.join(layout.root, 'tenants');
  for (const tenant of readDir(tenantsDir)) {
    if (!tenant.isDirectory()) continue;
    walk(path.join(tenantsDir, tenant.name, 'tables'), layout.root, out);
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function walk(dir: string, root: string, out: DiskFile[]): void {
  for (const e of readDir(dir)) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) walk(abs, root, out);
    else if (e.isFile()) {
      try {
        const st = statSync(abs);
        out.push({ path: path.relative(root, abs), size: st.size, mtimeMs: st.mtimeMs });
      } catch {
        // Deleted while we looked (GC, a finished commit renaming its .tmp): not there any more.
      }
    }
  }
}

function readDir(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}

/** Data file names are `<minSeq>-<maxSeq>-<time>-<random>.parquet` (storage/parquet-writer.ts). */
export function seqRangeOfName(relative: string): { minSeq: number; maxSeq: number } | null {
  const m = /^(\d+)-(\d+)-[^/\\]*\.parquet(\.tmp)?$/.exec(path.basename(relative));
  return m ? { minSeq: Number(m[1]), maxSeq: Number(m[2]) } : null;
}

/**
 * A read-only, point-in-time view of the catalog for operator commands.
 *
 * Embedded: the live catalog file is opened read-only (no data-directory LOCK is taken, so this
 * works while `duckmesh serve` runs; WAL lets readers and the writer proceed together) and copied
 * with SQLite's online backup API into a temporary file, read in ONE read transaction, so every
 * query of the command sees the same instant. The live file is never written.
 * Postgres: the shared catalog itself (queries are individually consistent).
 */
export interface CatalogView {
  catalog: Catalog;
  /** When the view was taken (ms since the epoch). */
  takenAt: number;
  close(): Promise<void>;
}

export async function openCatalogView(config: Pick<Config, 'catalog' | 'bus' | 'nodeId'>, layout: DataLayout): Promise<CatalogView> {
  if (config.catalog !== 'embedded') {
    const catalog = await openCatalog(config, layout);
    return { catalog, takenAt: Date.now(), close: () => catalog.close() };
  }
  if (!existsSync(layout.catalogFile)) {
    throw new OpsError(`no catalog at ${layout.catalogFile}: ${layout.root} is not a DuckMesh data directory (or uses --catalog postgres://…)`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duckmesh-catalog-view-'));
  const copy = path.join(dir, 'catalog.db');
  try {
    const takenAt = await copySqliteConsistently(layout.catalogFile, copy);
    const catalog = new SqliteCatalog(copy);
    return {
      catalog,
      takenAt,
      close: async () => {
        await catalog.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Copies a live SQLite database with the online backup API, all remaining pages in one step, so
 * the copy is one consistent state even while another process writes. Returns when it was taken.
 */
export async function copySqliteConsistently(source: string, dest: string): Promise<number> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    db.exec('BEGIN');
    // The first read fixes the transaction's WAL snapshot: the copy is this instant.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    const takenAt = Date.now();
    await db.backup(dest, { progress: () => ALL_PAGES });
    db.exec('COMMIT');
    return takenAt;
  } finally {
    db.close();
  }
}

/** Pages per backup step: everything, so the copy is not restarted by concurrent writers. */
export const ALL_PAGES = 1 << 30;
