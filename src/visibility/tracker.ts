import { DuckMeshError, SqlState } from '../common/errors.js';
import type { SnapshotInfo } from '../catalog/types.js';
import { encodeToken } from './token.js';

interface Waiter {
  seq: number;
  resolve: (s: SnapshotInfo) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout | null;
}

/**
 * Knows the newest published snapshot and wakes queries waiting for a watermark. The commit worker
 * (or, in multi-process deployments, a catalog notification) calls `publish`; nobody polls.
 */
export class VisibilityTracker {
  private current: SnapshotInfo | null = null;
  private waiters: Waiter[] = [];
  private readonly listeners = new Set<(s: SnapshotInfo) => void>();

  latest(): SnapshotInfo | null {
    return this.current;
  }

  watermark(): number {
    return this.current?.watermark ?? 0;
  }

  publish(snapshot: SnapshotInfo): void {
    if (this.current && snapshot.snapshotId <= this.current.snapshotId) return;
    this.current = snapshot;
    if (this.waiters.length > 0) {
      const still: Waiter[] = [];
      for (const w of this.waiters) {
        if (w.seq <= snapshot.watermark) {
          if (w.timer) clearTimeout(w.timer);
          w.resolve(snapshot);
        } else still.push(w);
      }
      this.waiters = still;
    }
    for (const l of this.listeners) l(snapshot);
  }

  onPublish(listener: (s: SnapshotInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with a snapshot whose watermark covers `seq`. Fails with DM001 after `timeoutMs`,
   * naming the token and the current watermark: never a silent stale answer.
   */
  waitFor(seq: number, timeoutMs: number): Promise<SnapshotInfo> {
    const cur = this.current;
    if (cur && cur.watermark >= seq) return Promise.resolve(cur);
    if (seq === 0) {
      return Promise.resolve(cur ?? { snapshotId: 0, watermark: 0, committedAt: 0 });
    }
    return new Promise<SnapshotInfo>((resolve, reject) => {
      const w: Waiter = { seq, resolve, reject, timer: null };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(
          new DuckMeshError(
            SqlState.visibilityTimeout,
            `visibility token ${encodeToken(seq)} not visible after ${timeoutMs} ms; current watermark is ${encodeToken(this.watermark())}`,
            { hint: 'The commit worker is behind or stopped. Raise duckmesh.visibility_timeout or retry later.' },
          ),
        );
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  close(): void {
    for (const w of this.waiters) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(new DuckMeshError(SqlState.adminShutdown, 'server is shutting down'));
    }
    this.waiters = [];
  }
}
