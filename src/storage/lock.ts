import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { DuckMeshError, SqlState } from '../common/errors.js';

/**
 * One process owns an embedded data directory: the embedded bus keeps its next sequence in
 * memory, so a second writer would corrupt ordering. A pid file with O_EXCL is enough; a stale
 * file from a killed process (its pid no longer alive) is taken over.
 */
export class DataDirLock {
  private held = false;

  constructor(private readonly file: string) {}

  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.file, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.held = true;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = Number(readFileSync(this.file, 'utf8').trim());
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
          throw new DuckMeshError(
            SqlState.internalError,
            `data directory is in use by process ${owner} (lock file ${this.file})`,
          );
        }
        unlinkSync(this.file);
      }
    }
    throw new DuckMeshError(SqlState.internalError, `could not acquire data directory lock ${this.file}`);
  }

  release(): void {
    if (!this.held) return;
    try {
      unlinkSync(this.file);
    } catch {
      // Already gone: nothing to release.
    }
    this.held = false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
