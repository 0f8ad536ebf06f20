import type { Logger } from 'pino';
import type { IngestBus } from '../bus/types.js';
import type { Catalog } from '../catalog/types.js';
import {
  deleteUnreferencedFiles,
  expireSnapshots,
  pruneBus,
  pruneIdempotencyKeys,
  sweepOrphans,
  type RetentionPolicy,
} from '../ops/retention.js';
import type { DataLayout } from '../storage/layout.js';

/** Name of the lease that keeps two processes sharing a catalog from running GC at once. */
export const GC_LEASE = 'gc-worker';
/** A GC run that takes longer than this loses its exclusivity (another node may start one; GC is idempotent). */
const GC_LEASE_TTL_MS = 30 * 60_000;

export interface GcReport {
  at: number;
  expiredSnapshots: number;
  /** Snapshots from this id on are retained. */
  keepFrom: number | null;
  deletedFiles: number;
  deletedBytes: number;
  orphansDeleted: number;
  busEntriesPruned: number;
  idempotencyKeysPruned: number;
  ms: number;
}

export interface GcWorkerDeps {
  catalog: Catalog;
  bus: IngestBus;
  layout: DataLayout;
  log: Logger;
  policy: RetentionPolicy;
  /** Holder name in the GC lease (the node id). */
  holder: string;
  /** The oldest snapshot a reader in this process has pinned, if any: it is never expired. */
  pinnedFrom?: () => number | null;
  onRun?: (report: GcReport) => void;
  /**
   * Called with `keepFrom` after snapshots below it were expired, so that caches of this process
   * (e.g. snapshot catalogs a TenantEngine keeps bound) can drop them: a bound snapshot must not
   * outlive its expiry, or it would be queried after GC deleted its files.
   */
  onExpired?: (keepFrom: number) => void;
  /** Delay before the first run (default: one minute, so a restart loop does not hammer storage). */
  firstRunDelayMs?: number;
}

/**
 * Retention and garbage collection in the background (see src/ops/retention.ts for the rules):
 * expire snapshots, delete files no snapshot live within the safety window references, sweep
 * orphans, prune the bus and idempotency keys. Runs every `policy.intervalMs` (default hourly). With
 * a shared catalog, a lease makes sure one process runs it at a time; every step is idempotent, so
 * a crash anywhere simply leaves work for the next run.
 */
export class GcWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<GcReport | null> | null = null;
  private stopped = true;

  constructor(private readonly deps: GcWorkerDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.deps.firstRunDelayMs ?? 60_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce()
        .catch((err) => this.deps.log.error({ err }, 'gc: run failed; will retry at the next interval'))
        .finally(() => this.schedule(this.deps.policy.intervalMs));
    }, ms);
    this.timer.unref();
  }

  /** One GC pass now; null when another process holds the GC lease. Concurrent calls share a pass. */
  runOnce(): Promise<GcReport | null> {
    if (!this.running) {
      this.running = this.pass().finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  private async pass(): Promise<GcReport | null> {
    const { catalog, bus, layout, log, policy } = this.deps;
    const grant = await catalog.acquireLease(GC_LEASE, this.deps.holder, GC_LEASE_TTL_MS);
    if (!grant) {
      log.debug('gc: another process holds the gc lease; skipping this run');
      return null;
    }
    const started = performance.now();
    try {
      // The same clock the catalog stamps expiry with (embedded: this process; Postgres: the GC node).
      const now = Date.now();
      const expired = await expireSnapshots(catalog, policy, now, this.deps.pinnedFrom?.() ?? null);
      if (expired.keepFrom !== null) this.deps.onExpired?.(expired.keepFrom);
      const files = await deleteUnreferencedFiles(catalog, layout, policy, now);
      const orphans = await sweepOrphans(catalog, layout, policy, now);
      const pruned = await pruneBus(bus, catalog, policy, now);
      const keys = await pruneIdempotencyKeys(catalog, policy, now);
      const report: GcReport = {
        at: now,
        expiredSnapshots: expired.expired,
        keepFrom: expired.keepFrom,
        deletedFiles: files.files,
        deletedBytes: files.bytes,
        orphansDeleted: orphans.files,
        busEntriesPruned: pruned.entries,
        idempotencyKeysPruned: keys,
        ms: Math.round(performance.now() - started),
      };
      log.info(report, 'gc: run complete');
      this.deps.onRun?.(report);
      return report;
    } finally {
      await catalog.releaseLease(GC_LEASE, this.deps.holder).catch(() => undefined);
    }
  }
}
