import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { DataLayout } from '../storage/layout.js';
import { fileCrc32 } from '../storage/integrity.js';
import { BACKUP_FORMAT, BACKUP_VERSION, MANIFEST, prepareEmptyDir, syncFile, type BackupManifest, type ManifestFile } from './backup.js';
import { mapLimit } from './check.js';
import { OpsError, RESTORE_MARKER } from './data-dir.js';
import { silentProgress, type ProgressSink } from './progress.js';

export interface RestoreOptions {
  progress?: ProgressSink;
  concurrency?: number;
}

/** Reads and validates a backup's manifest. */
export function readManifest(fromDir: string): BackupManifest {
  const file = path.join(fromDir, MANIFEST);
  if (!existsSync(file)) {
    throw new OpsError(`${fromDir} has no ${MANIFEST}: not a DuckMesh backup, or the backup did not complete`);
  }
  let m: BackupManifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new OpsError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (m.format !== BACKUP_FORMAT) throw new OpsError(`${file} is not a DuckMesh backup manifest`);
  if (m.version !== BACKUP_VERSION) throw new OpsError(`${file} has backup format version ${m.version}; this duckmesh reads version ${BACKUP_VERSION}`);
  for (const f of [m.catalog, m.bus, ...m.files]) {
    if (path.isAbsolute(f.path) || f.path.split(/[\\/]/).includes('..')) throw new OpsError(`${file} names an unsafe path ${JSON.stringify(f.path)}`);
  }
  return m;
}

/** Checks every file of a backup against its manifest (size and CRC-32); returns the mismatches. */
export async function verifyBackup(fromDir: string, m: BackupManifest, progress: ProgressSink = silentProgress, concurrency = 4): Promise<string[]> {
  const all: ManifestFile[] = [m.catalog, m.bus, ...m.files];
  progress.phase('verifying backup', all.reduce((n, f) => n + f.size, 0));
  const found = await mapLimit(all, concurrency, async (f) => {
    const abs = path.join(fromDir, f.path);
    let problem: string | null = null;
    try {
      const size = (await stat(abs)).size;
      if (size !== f.size) problem = `${f.path}: ${size} bytes, manifest says ${f.size}`;
      else {
        const sum = await fileCrc32(abs);
        if (sum !== f.checksum) problem = `${f.path}: CRC-32 ${sum}, manifest says ${f.checksum}`;
      }
    } catch (err) {
      problem = `${f.path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (err as Error).message}`;
    }
    progress.advance(f.size);
    return problem;
  });
  progress.end();
  return found.filter((p): p is string => p !== null);
}

export interface RestoreResult {
  manifest: BackupManifest;
  dataDir: string;
}

/**
 * Restores a backup into an EMPTY (or new) data directory. The backup is verified first; data files
 * and the bus are copied, the catalog last, each synced; a marker file (RESTORE_IN_PROGRESS) sits in
 * the directory until everything is in place, so an interrupted restore is recognizable (`duckmesh
 * check` reports it) and never mistaken for a complete one. Start `duckmesh serve` on the directory
 * afterwards: the commit worker applies the bus entries above the backup's watermark.
 */
export async function runRestore(fromDir: string, dataDir: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const progress = opts.progress ?? silentProgress;
  const from = path.resolve(fromDir);
  const manifest = readManifest(from);
  const layout = new DataLayout(dataDir);
  if (layout.root === from || layout.root.startsWith(from + path.sep)) throw new OpsError('the data directory must be outside the backup directory');
  const created = prepareEmptyDir(layout.root, 'data directory');

  const bad = await verifyBackup(from, manifest, progress, opts.concurrency);
  if (bad.length > 0) {
    if (created) rmSync(layout.root, { recursive: true, force: true });
    throw new OpsError(`the backup in ${from} is damaged; nothing was restored:\n  ${bad.slice(0, 20).join('\n  ')}${bad.length > 20 ? `\n  … and ${bad.length - 20} more` : ''}`);
  }

  const marker = path.join(layout.root, RESTORE_MARKER);
  writeFileSync(marker, `restore from ${from} started ${new Date().toISOString()}\n`);
  layout.ensureBase();
  progress.phase('restoring data files', manifest.totals.bytes);
  await mapLimit(manifest.files, opts.concurrency ?? 4, async (f) => {
    await copyInto(from, layout.root, f);
    progress.advance(f.size);
  });
  progress.end();
  await copyInto(from, layout.root, manifest.bus);
  // The catalog last: until it is in place the directory cannot pass for a complete data directory.
  await copyInto(from, layout.root, manifest.catalog);
  await syncFile(layout.root);
  rmSync(marker, { force: true });
  await syncFile(layout.root);
  return { manifest, dataDir: layout.root };
}

async function copyInto(fromRoot: string, toRoot: string, f: ManifestFile): Promise<void> {
  const dest = path.join(toRoot, f.path);
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.restore-tmp`;
  await copyFile(path.join(fromRoot, f.path), tmp);
  const size = (await stat(tmp)).size;
  if (size !== f.size) throw new OpsError(`copying ${f.path}: wrote ${size} bytes, expected ${f.size}`);
  await syncFile(tmp);
  renameSync(tmp, dest);
  await syncFile(path.dirname(dest));
}
