import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { Logger } from 'pino';
import { GroupCommitter } from '../bus/group-commit.js';
import type { IngestBus } from '../bus/types.js';
import { fencedCatalog } from '../catalog/fenced-catalog.js';
import { SnapshotFollower } from '../catalog/snapshot-follower.js';
import type { Catalog } from '../catalog/types.js';
import { LeaderLease, followLeadership } from '../workers/lease.js';
import { openBus, openCatalog, redactUrl, usesEmbeddedStorage } from './backends.js';
import { GcWorker } from '../workers/gc-worker.js';
import { retentionPolicy } from '../ops/retention.js';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { Config } from '../config/schema.js';
import { EngineRegistry } from '../engine/registry.js';
import { SchemaCache } from '../ingest/schema-cache.js';
import { IngestService } from '../ingest/service.js';
import { Metrics } from '../observability/metrics.js';
import { Session, type SessionContext } from '../session/session.js';
import { initSqlParser } from '../sql/parser.js';
import { DataLayout, TENANT_NAME } from '../storage/layout.js';
import { DataDirLock } from '../storage/lock.js';
import { ParquetWriter } from '../storage/parquet-writer.js';
import { VisibilityTracker } from '../visibility/tracker.js';
import { CommitWorker } from '../workers/commit-worker.js';
import { CompactionSnapshots, rebaseOverCompactions } from '../workers/compaction-rebase.js';
import { CompactionWorker, compactionOptions } from '../workers/compaction-worker.js';

/**
 * The composition root of one DuckMesh process: opens the bus and catalog, starts the commit
 * worker, and creates sessions. The wire server and HTTP API sit on top of it.
 */
export class DuckMeshNode {
  readonly layout: DataLayout;
  readonly metrics = new Metrics();
  readonly tracker = new VisibilityTracker();
  private lock: DataDirLock | null = null;
  bus!: IngestBus;
  catalog!: Catalog;
  ingest!: IngestService;
  engines!: EngineRegistry;
  private worker: CommitWorker | null = null;
  private lease: LeaderLease | null = null;
  private gc: GcWorker | null = null;
  /** Background compaction (null: no worker role, or compaction.enabled is false). */
  compaction: CompactionWorker | null = null;
  private unfollowCompaction: (() => Promise<void>) | null = null;
  private follower: SnapshotFollower | null = null;
  private unfollow: (() => Promise<void>) | null = null;
  private writer: ParquetWriter | null = null;
  private sessionCtx!: SessionContext;
  private appendTimes: { seq: number; at: number }[] = [];
  private readonly knownTenants = new Set<string>();

  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    this.layout = new DataLayout(config.dataDir);
  }

  async start(): Promise<void> {
    await initSqlParser();
    this.layout.ensureBase();
    if (usesEmbeddedStorage(this.config)) {
      this.lock = new DataDirLock(this.layout.lockFile);
      this.lock.acquire();
    }
    const onBackgroundError = (component: string, err: Error) => this.log.warn({ err, component }, 'background error');
    this.bus = await openBus(this.config, this.layout, { onBackgroundError });
    this.catalog = await openCatalog(this.config, this.layout, { onBackgroundError });
    this.log.info(
      { bus: redactUrl(this.config.bus), catalog: redactUrl(this.config.catalog), roles: this.config.roles, nodeId: this.config.nodeId },
      'backends open',
    );

    let latest = await this.catalog.latestSnapshot();
    if (!latest) {
      try {
        latest = await this.catalog.publish({ parentSnapshotId: null, watermark: 0, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
      } catch (err) {
        // Another process bootstrapped the shared catalog first.
        latest = await this.catalog.latestSnapshot();
        if (!latest) throw err;
      }
    }
    this.tracker.publish(latest);
    // Snapshots published by other processes (shared catalog) wake this node's waiting reads too.
    this.follower = new SnapshotFollower(this.catalog, (snap) => this.tracker.publish(snap), {
      onError: (err) => this.log.warn({ err }, 'snapshot follower'),
    });
    await this.follower.start(latest.snapshotId);

    const committer = new GroupCommitter(this.bus, {
      maxBatchRecords: 8192,
      onBatch: (records) => this.metrics.busBatch.observe(records),
    });
    this.ingest = new IngestService(
      this.catalog,
      committer,
      new SchemaCache(this.catalog),
      {
        rowsPerEntry: this.config.limits.rowsPerBusEntry,
        maxRowsPerWrite: this.config.limits.maxRowsPerWrite,
        maxBytesPerWrite: this.config.limits.maxBytesPerWrite,
      },
      {
        onWrite: (tenant, rows, bytes, ackMs) => {
          this.metrics.ingestRows.inc({ tenant }, rows);
          this.metrics.ingestBytes.inc({ tenant }, bytes);
          this.metrics.ackLatency.observe(ackMs / 1000);
        },
      },
    );
    this.bus.onAppend((head) => {
      this.metrics.busHead.set(head);
      this.appendTimes.push({ seq: head, at: Date.now() });
    });

    this.engines = new EngineRegistry(
      this.catalog,
      this.layout,
      {
        threads: this.config.engine.threadsPerTenant,
        memoryLimit: this.config.engine.memoryLimitPerTenant,
        maxTempDirectorySize: this.config.engine.maxTempDirectorySize,
      },
      this.log,
      { maxRows: this.config.engine.resultCacheRows, maxRowsPerResult: this.config.engine.resultCacheMaxRowsPerResult },
    );
    this.sessionCtx = {
      catalog: this.catalog,
      ingest: this.ingest,
      tracker: this.tracker,
      engines: this.engines,
      log: this.log,
      onQuery: (tenant, kind, ms, ok) =>
        this.metrics.queryLatency.observe({ tenant, class: kind, outcome: ok ? 'ok' : 'error' }, ms / 1000),
      onVisibilityTimeout: (tenant) => this.metrics.visibilityTimeouts.inc({ tenant }),
      roles: { ingest: this.config.roles.includes('ingest'), query: this.config.roles.includes('query') },
    };

    if (this.config.roles.includes('worker')) {
      await this.startWorker();
      // Retention and GC: expired snapshots, unreferenced files after the safety window, old bus entries.
      this.gc = new GcWorker({
        catalog: this.catalog,
        bus: this.bus,
        layout: this.layout,
        log: this.log.child({ role: 'gc' }),
        holder: this.config.nodeId,
        policy: retentionPolicy(this.config.retention, { longestQueryMs: this.config.http.queryTimeoutMs }),
      });
      this.gc.start();
    }
    this.log.info({ dataDir: this.layout.root, snapshot: latest.snapshotId, watermark: latest.watermark }, 'node started');
  }

  /**
   * The commit worker. With a shared catalog it runs only while this node holds the lease, and
   * every publication is fenced by the lease epoch; an embedded catalog is single-process (the
   * data-dir lock), so no lease is needed and restarts resume at once.
   */
  private async startWorker(): Promise<void> {
    if (!usesEmbeddedStorage(this.config)) {
      this.lease = new LeaderLease(this.catalog, {
        holder: this.config.nodeId,
        ttlMs: this.config.lease.ttlMs,
        log: this.log.child({ role: 'lease' }),
      });
    }
    const lease = this.lease;
    const publishing = lease ? fencedCatalog(this.catalog, () => lease.fence()) : this.catalog;
    // A commit that lost its parent to a compaction of this process is published on top of it.
    const compactions = new CompactionSnapshots();
    const workerCatalog = countPublishFailures(
      rebaseOverCompactions(publishing, compactions),
      // The commit worker logs the error itself.
      () => this.metrics.commitFailures.inc(),
    );
    this.writer = new ParquetWriter(this.layout, { threads: 1, memoryLimit: '256MB' });
    this.worker = new CommitWorker(
      this.bus,
      workerCatalog,
      this.writer,
      this.layout,
      this.log.child({ role: 'commit-worker' }),
      {
        maxEntries: this.config.worker.maxEntriesPerCommit,
        maxBytes: this.config.worker.maxBytesPerCommit,
        idleRecheckMs: this.config.worker.idleRecheckMs,
        retryDelayMs: this.config.worker.retryDelayMs,
        minCommitIntervalMs: this.config.worker.minCommitIntervalMs,
      },
      (stats) => {
        this.metrics.commitLatency.observe(stats.ms / 1000);
        this.metrics.snapshotId.set(stats.snapshot.snapshotId);
        this.metrics.watermark.set(stats.snapshot.watermark);
        this.observeVisibleLatency(stats.snapshot.watermark);
        this.tracker.publish(stats.snapshot);
        void this.bus.head().then((h) => this.metrics.busLag.set(h - stats.snapshot.watermark));
      },
    );
    const worker = this.worker!;
    const compaction = this.config.compaction.enabled ? this.newCompactionWorker(publishing, compactions) : null;
    this.compaction = compaction;
    if (lease) {
      this.unfollow = followLeadership(lease, worker, (err) => this.log.error({ err }, 'commit worker start/stop failed'));
      if (compaction) this.unfollowCompaction = followLeadership(lease, compaction, (err) => this.log.error({ err }, 'compaction start/stop failed'));
      await lease.start();
    } else {
      worker.start();
      compaction?.start();
    }
  }

  /** Compaction runs where the commit worker runs (the lease holder), publishing through the same fence. */
  private newCompactionWorker(catalog: Catalog, registry: CompactionSnapshots): CompactionWorker {
    const m = this.metrics;
    const compaction: CompactionWorker = new CompactionWorker({
      catalog,
      layout: this.layout,
      log: this.log.child({ role: 'compaction' }),
      options: compactionOptions(this.config.compaction),
      registry,
      onJob: (r) => {
        m.compactionJob(r.outcome, r.inputBytes, r.outputBytes, r.ms / 1000);
        if (r.snapshot) this.tracker.publish(r.snapshot);
      },
      onJobFailed: () => m.compactionJob('failed', 0, 0, 0),
      onPass: (r) => m.compactionPass(r.ingestedBytes, compaction.totals.bytesWritten, compaction.totals.bytesIngested, r.maxTableFiles),
    });
    return compaction;
  }

  private observeVisibleLatency(watermark: number): void {
    const now = Date.now();
    let i = 0;
    while (i < this.appendTimes.length && this.appendTimes[i]!.seq <= watermark) {
      this.metrics.writeToVisible.observe((now - this.appendTimes[i]!.at) / 1000);
      i++;
    }
    if (i > 0) this.appendTimes.splice(0, i);
  }

  /** Opens a session for a tenant (database name); unknown tenants are created on first use. */
  async openSession(tenant: string, user: string): Promise<Session> {
    if (!TENANT_NAME.test(tenant)) {
      throw new DuckMeshError(SqlState.invalidCatalogName, `database "${tenant}" does not exist`, {
        severity: 'FATAL',
        hint: 'Database (tenant) names are lowercase letters, digits and underscores.',
      });
    }
    // Once per tenant and process: a catalog outage must not stop new sessions from reading the
    // snapshots this process already serves (DESIGN §8).
    if (!this.knownTenants.has(tenant)) {
      await this.catalog.ensureTenant(tenant);
      this.knownTenants.add(tenant);
    }
    return new Session(this.sessionCtx, tenant, user);
  }

  /**
   * /readyz: ready while the bus, the catalog and the data directory are reachable. Each probe is
   * bounded (a partitioned database must not hang the probe). `worker` says what this process's
   * commit worker is doing — "leader (epoch N)", "standby" (another process holds the lease),
   * "running" (embedded, no lease) or "disabled" (no worker role) — and is informative: a standby
   * or a query-only node is ready.
   */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let ready = true;
    const probe = async (name: string, fn: () => Promise<void>) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          fn(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_PROBE_MS} ms`)), READINESS_PROBE_MS);
          }),
        ]);
        checks[name] = 'ok';
      } catch (err) {
        checks[name] = (err as Error).message;
        ready = false;
      } finally {
        clearTimeout(timer);
      }
    };
    await Promise.all([
      probe('bus', () => this.bus.ping()),
      probe('catalog', () => this.catalog.ping()),
      probe('storage', () => access(this.layout.root, fsConstants.W_OK)),
    ]);
    if (!this.worker) checks['worker'] = 'disabled';
    else if (!this.lease) checks['worker'] = 'running';
    else checks['worker'] = this.lease.isLeader ? `leader (epoch ${this.lease.epoch})` : 'standby';
    return { ready, checks };
  }

  async stop(): Promise<void> {
    await this.gc?.stop();
    if (this.unfollowCompaction) await this.unfollowCompaction();
    else await this.compaction?.stop();
    if (this.unfollow) await this.unfollow();
    else await this.worker?.stop();
    await this.lease?.stop();
    this.follower?.stop();
    this.tracker.close();
    await this.engines?.closeAll();
    this.writer?.close();
    await this.bus?.close();
    await this.catalog?.close();
    this.lock?.release();
    this.log.info('node stopped');
  }
}

/** Bound of each /readyz probe. */
const READINESS_PROBE_MS = 2000;

/** `catalog` with every failed `publish` reported to `onFailure` (metrics, logs); otherwise unchanged. */
function countPublishFailures(catalog: Catalog, onFailure: (err: unknown) => void): Catalog {
  const publish: Catalog['publish'] = (commit) =>
    catalog.publish(commit).catch((err: unknown) => {
      onFailure(err);
      throw err;
    });
  return new Proxy(catalog, {
    get(target, prop) {
      if (prop === 'publish') return publish;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
