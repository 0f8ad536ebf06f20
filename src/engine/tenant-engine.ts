import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { Catalog, SnapshotContents } from '../catalog/types.js';
import { instanceSetupSql, snapshotShimSql } from '../compat/index.js';
import type { DataLayout } from '../storage/layout.js';
import { createSandboxedInstance, type SandboxLimits } from './sandbox.js';
import { snapshotCatalogName, snapshotCatalogSql } from './snapshot-binding.js';
import { ResultCache, volatileViewNames, type ResultCacheLimits } from './result-cache.js';
import type { ViewBody } from './catalog-objects.js';

interface BoundSnapshot {
  snapshotId: number;
  ready: Promise<void>;
  /** The pg_catalog/information_schema shim, built only when a catalog query needs it. */
  shim: Promise<void> | null;
  contents: SnapshotContents | null;
  pins: number;
  lastUsed: number;
  /** Views whose answer is not fixed by the snapshot (now(), random()…); computed on demand. */
  volatileViews?: Set<string>;
}

/**
 * One tenant's query engine: a sandboxed DuckDB instance (memory/thread limits are per instance),
 * an internal connection that builds snapshot catalogs, and one connection per client session.
 */
export const DEFAULT_RESULT_CACHE: ResultCacheLimits = { maxRows: 200_000, maxRowsPerResult: 10_000 };

export class TenantEngine {
  private internal: DuckDBConnection | null = null;
  private readonly bound = new Map<number, BoundSnapshot>();
  private newest = 0;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly tenant: string,
    private readonly instance: DuckDBInstance,
    private readonly catalog: Catalog,
    private readonly layout: DataLayout,
    private readonly log: Logger,
    private readonly keepSnapshots: number,
    /** Small results of deterministic queries, per snapshot (see result-cache.ts). */
    readonly results: ResultCache,
  ) {}

  static async create(
    tenant: string,
    catalog: Catalog,
    layout: DataLayout,
    limits: SandboxLimits,
    log: Logger,
    cacheLimits: ResultCacheLimits = DEFAULT_RESULT_CACHE,
  ): Promise<TenantEngine> {
    layout.ensureTenant(tenant);
    const instance = await createSandboxedInstance(layout.tenantDir(tenant), layout.tenantTempDir(tenant), limits);
    const engine = new TenantEngine(tenant, instance, catalog, layout, log, 4, new ResultCache(cacheLimits));
    engine.internal = await instance.connect();
    for (const sql of instanceSetupSql()) await engine.internal.run(sql);
    return engine;
  }

  /** A fresh connection for one client session. */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /**
   * Makes snapshot `snapshotId` queryable (as catalog `snap_<id>`) and pins it until `release`.
   * Concurrent callers for the same snapshot share one build.
   */
  async pin(snapshotId: number): Promise<string> {
    let b = this.bound.get(snapshotId);
    if (!b) {
      const entry: BoundSnapshot = { snapshotId, ready: Promise.resolve(), shim: null, contents: null, pins: 0, lastUsed: Date.now() };
      entry.ready = this.serialize(() => this.build(entry));
      b = entry;
      this.bound.set(snapshotId, b);
      if (snapshotId > this.newest) this.newest = snapshotId;
    }
    b.pins++;
    b.lastUsed = Date.now();
    try {
      await b.ready;
    } catch (err) {
      b.pins--;
      this.bound.delete(snapshotId);
      throw err;
    }
    return snapshotCatalogName(snapshotId);
  }

  /**
   * Names ("schema.view", lowercase) of the views of a bound snapshot that call something volatile,
   * directly or through another view; null when the snapshot is not bound (nothing is known).
   */
  volatileViews(snapshotId: number): Set<string> | null {
    const b = this.bound.get(snapshotId);
    if (!b?.contents) return null;
    if (!b.volatileViews) {
      const views = (b.contents.objects ?? []).filter((o) => o.kind === 'view').map((o) => o.body as unknown as ViewBody);
      b.volatileViews = volatileViewNames(views);
    }
    return b.volatileViews;
  }

  release(snapshotId: number): void {
    const b = this.bound.get(snapshotId);
    if (!b) return;
    b.pins--;
    this.evict();
  }

  /** DDL on the internal connection must not interleave (ATTACH then CREATE VIEW…). */
  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * Builds the Postgres catalog shim inside a pinned snapshot's catalog (idempotent). Client
   * introspection is rare compared with queries, so this is lazy.
   */
  async ensureCatalogShim(snapshotId: number, user: string): Promise<void> {
    const b = this.bound.get(snapshotId);
    if (!b) throw new Error(`snapshot ${snapshotId} is not pinned`);
    await b.ready;
    if (!b.shim) {
      b.shim = this.serialize(async () => {
        const statements = snapshotShimSql(b.contents!, snapshotCatalogName(snapshotId), { tenant: this.tenant, user });
        for (const sql of statements) await this.internal!.run(sql);
      });
      b.shim.catch(() => (b.shim = null));
    }
    await b.shim;
  }

  private async build(entry: BoundSnapshot): Promise<void> {
    const snapshotId = entry.snapshotId;
    const conn = this.internal!;
    const contents = await this.catalog.snapshotContents(this.tenant, snapshotId);
    entry.contents = contents;
    const name = snapshotCatalogName(snapshotId);
    await conn.run(`ATTACH ':memory:' AS ${name}`);
    try {
      for (const sql of snapshotCatalogSql(contents, this.layout)) await conn.run(sql);
    } catch (err) {
      await conn.run(`DETACH ${name}`).catch(() => undefined);
      throw err;
    }
  }

  /** Keeps the newest few snapshots bound; detaches older unpinned ones. */
  private evict(): void {
    if (this.bound.size <= this.keepSnapshots) return;
    const candidates = [...this.bound.values()]
      .filter((b) => b.pins === 0 && b.snapshotId !== this.newest)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    let excess = this.bound.size - this.keepSnapshots;
    for (const b of candidates) {
      if (excess-- <= 0) break;
      this.bound.delete(b.snapshotId);
      const name = snapshotCatalogName(b.snapshotId);
      void this.serialize(async () => {
        await b.ready.catch(() => undefined);
        await this.internal!.run(`DETACH DATABASE IF EXISTS ${name}`);
      }).catch((err) => this.log.warn({ err, snapshot: b.snapshotId }, 'detach failed'));
    }
  }

  close(): void {
    this.internal?.closeSync();
    this.internal = null;
    this.instance.closeSync();
  }
}
