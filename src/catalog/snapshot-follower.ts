import type { Catalog, SnapshotInfo } from './types.js';

export interface SnapshotFollowerOptions {
  /** Safety-net poll of the newest snapshot (default 1000 ms); notifications are the fast path. */
  pollMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Tracks the newest published snapshot for a process that does not publish itself (a query or
 * ingest node whose commit worker runs elsewhere): calls `onSnapshot` once per advance, in order,
 * woken by `catalog.onPublish` and by a periodic poll (notifications can be lost). Wire it to the
 * VisibilityTracker so that reads and visibility tokens see other processes' commits.
 */
export class SnapshotFollower {
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    private readonly catalog: Pick<Catalog, 'latestSnapshot' | 'onPublish'>,
    private readonly onSnapshot: (snapshot: SnapshotInfo) => void,
    private readonly opts: SnapshotFollowerOptions = {},
  ) {}

  /** Subscribes, then reads the newest snapshot once (reported if newer than `sinceId`). */
  async start(sinceId = 0): Promise<void> {
    this.last = Math.max(this.last, sinceId);
    this.unsubscribe = this.catalog.onPublish((id) => {
      if (id > this.last) this.poke();
    });
    await this.poke();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Reads the newest snapshot now (coalescing with a read in progress). */
  poke(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          const s = await this.catalog.latestSnapshot();
          if (s && s.snapshotId > this.last && !this.stopped) {
            this.last = s.snapshotId;
            this.onSnapshot(s);
          }
        } catch (err) {
          this.opts.onError?.(err);
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poke().finally(() => this.schedule());
    }, this.opts.pollMs ?? 1000);
    this.timer.unref();
  }
}
