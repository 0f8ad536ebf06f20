import { DuckMeshError, SqlState } from '../common/errors.js';
import type { Catalog, SnapshotCommit } from '../catalog/types.js';

/**
 * Snapshot ids this process's compaction worker published. A compaction snapshot has its parent's
 * watermark and the same logical content (files replaced by equivalent files), so a commit built
 * on an older parent is just as valid on top of it.
 */
export class CompactionSnapshots {
  private readonly ids = new Set<number>();
  private readonly pending = new Set<Promise<unknown>>();

  /**
   * Records the snapshot `publication` publishes. Until it settles, `settled()` waits for it: a
   * commit rejected because of it must not be judged before it is known to be a compaction's.
   */
  track<T extends { snapshotId: number }>(publication: Promise<T>): Promise<T> {
    const p = publication.then((s) => {
      this.add(s.snapshotId);
      return s;
    });
    const done = p.catch(() => undefined);
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    return p;
  }

  /** Resolves once every publication tracked so far has settled. */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  add(snapshotId: number): void {
    this.ids.add(snapshotId);
    if (this.ids.size > KEEP) {
      const oldest = Math.min(...this.ids);
      this.ids.delete(oldest);
    }
  }

  has(snapshotId: number): boolean {
    return this.ids.has(snapshotId);
  }
}

const KEEP = 1024;
/** Rebases of one commit at most (each needs a compaction to land in between). */
const MAX_REBASES = 16;

/**
 * `catalog` whose `publish` moves a commit that only adds files onto the newest snapshot when its
 * parent check failed because the snapshots published in between are all this process's
 * compactions (see CompactionSnapshots): the commit worker then does not lose its batch (and wait
 * for its retry delay) to a compaction that changed nothing it read. Anything else — another
 * publisher, a fencing or unknown-outcome error, a commit that removes files — fails as before.
 */
export function rebaseOverCompactions(catalog: Catalog, compactions: CompactionSnapshots): Catalog {
  const publish: Catalog['publish'] = async (commit) => {
    let current: SnapshotCommit = commit;
    for (let attempt = 0; ; attempt++) {
      try {
        return await catalog.publish(current);
      } catch (err) {
        const next = attempt < MAX_REBASES ? await rebased(catalog, compactions, current, err) : null;
        if (!next) throw err;
        current = next;
      }
    }
  };
  return new Proxy(catalog, {
    get(target, prop) {
      if (prop === 'publish') return publish;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function rebased(catalog: Catalog, compactions: CompactionSnapshots, commit: SnapshotCommit, err: unknown): Promise<SnapshotCommit | null> {
  if (err instanceof DuckMeshError && (err.sqlstate === SqlState.staleLeader || err.sqlstate === SqlState.writeOutcomeUnknown)) return null;
  if (commit.parentSnapshotId === null || commit.removedFileIds.length > 0) return null;
  await compactions.settled();
  const latest = await catalog.latestSnapshot().catch(() => null);
  if (!latest || latest.snapshotId <= commit.parentSnapshotId || latest.watermark > commit.watermark) return null;
  for (let id = commit.parentSnapshotId + 1; id <= latest.snapshotId; id++) if (!compactions.has(id)) return null;
  return { ...commit, parentSnapshotId: latest.snapshotId };
}
