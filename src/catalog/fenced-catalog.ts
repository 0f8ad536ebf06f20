import { DuckMeshError, SqlState } from '../common/errors.js';
import type {
  Catalog,
  CatalogObject,
  CompatibilityMode,
  FileRecord,
  IdempotencyRecord,
  LeaseFence,
  LeaseGrant,
  NewTable,
  NewTableVersion,
  ObjectEvent,
  SnapshotCommit,
  SnapshotContents,
  SnapshotInfo,
  SnapshotListing,
  TableDef,
  TableVersion,
  WriteFailure,
} from './types.js';

/**
 * A view of `catalog` whose every `publish` is fenced by the lease `fence()` describes at the
 * moment of publishing (e.g. `() => leaderLease.fence()`): the catalog rejects it with DM007
 * unless that grant is still current, and it is refused up front (DM007, nothing sent) while
 * `fence()` is null. Everything else passes through. Hand this to the commit worker so that a
 * stale leader's publication can never land, without the worker knowing about leases.
 */
export function fencedCatalog(catalog: Catalog, fence: () => LeaseFence | null): Catalog {
  return new FencedCatalog(catalog, fence);
}

class FencedCatalog implements Catalog {
  constructor(
    private readonly inner: Catalog,
    private readonly fence: () => LeaseFence | null,
  ) {}

  get backend(): string {
    return this.inner.backend;
  }

  publish(commit: SnapshotCommit): Promise<SnapshotInfo> {
    const fencing = this.fence();
    if (!fencing) {
      return Promise.reject(
        new DuckMeshError(SqlState.staleLeader, 'snapshot publication rejected: this process does not hold the commit-worker lease'),
      );
    }
    return this.inner.publish({ ...commit, fencing });
  }

  reserveTable(def: NewTable): Promise<number> {
    return this.inner.reserveTable(def);
  }
  markTableCreated(tableId: number, seq: number): Promise<void> {
    return this.inner.markTableCreated(tableId, seq);
  }
  markTableDropped(tableId: number, seq: number): Promise<void> {
    return this.inner.markTableDropped(tableId, seq);
  }
  liveTables(tenant: string): Promise<TableDef[]> {
    return this.inner.liveTables(tenant);
  }
  getTable(tableId: number): Promise<TableDef | null> {
    return this.inner.getTable(tableId);
  }
  ensureTenant(tenant: string): Promise<void> {
    return this.inner.ensureTenant(tenant);
  }
  listTenants(): Promise<string[]> {
    return this.inner.listTenants();
  }
  latestSnapshot(): Promise<SnapshotInfo | null> {
    return this.inner.latestSnapshot();
  }
  getSnapshot(snapshotId: number): Promise<SnapshotInfo | null> {
    return this.inner.getSnapshot(snapshotId);
  }
  snapshotAsOf(atMs: number): Promise<SnapshotInfo | null> {
    return this.inner.snapshotAsOf(atMs);
  }
  snapshotContents(tenant: string, snapshotId: number): Promise<SnapshotContents> {
    return this.inner.snapshotContents(tenant, snapshotId);
  }
  tableWatermark(tableId: number, snapshotId: number): Promise<number> {
    return this.inner.tableWatermark(tableId, snapshotId);
  }
  acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    return this.inner.acquireLease(name, holder, ttlMs);
  }
  releaseLease(name: string, holder: string): Promise<void> {
    return this.inner.releaseLease(name, holder);
  }
  onPublish(listener: (snapshotId: number) => void): () => void {
    return this.inner.onPublish(listener);
  }
  allFiles(): Promise<FileRecord[]> {
    return this.inner.allFiles();
  }
  recordTableVersion(v: NewTableVersion): Promise<TableVersion> {
    return this.inner.recordTableVersion(v);
  }
  tableVersions(tableId: number): Promise<TableVersion[]> {
    return this.inner.tableVersions(tableId);
  }
  setTableCompatibility(tableId: number, mode: CompatibilityMode): Promise<void> {
    return this.inner.setTableCompatibility(tableId, mode);
  }
  recordObjects(tenant: string, seq: number, events: ObjectEvent[]): Promise<void> {
    return this.inner.recordObjects(tenant, seq, events);
  }
  objectsAt(tenant: string, watermark: number | null): Promise<CatalogObject[]> {
    return this.inner.objectsAt(tenant, watermark);
  }
  reserveIdempotencyKey(r: Parameters<Catalog['reserveIdempotencyKey']>[0]): Promise<IdempotencyRecord | null> {
    return this.inner.reserveIdempotencyKey(r);
  }
  claimIdempotencyReceipt(r: Parameters<Catalog['claimIdempotencyReceipt']>[0]): Promise<IdempotencyRecord> {
    return this.inner.claimIdempotencyReceipt(r);
  }
  getIdempotencyKey(tenant: string, key: string): Promise<IdempotencyRecord | null> {
    return this.inner.getIdempotencyKey(tenant, key);
  }
  takeOverIdempotencyKey(tenant: string, key: string, expectOwner: string, expectReservedAt: number, newOwner: string, now: number): Promise<boolean> {
    return this.inner.takeOverIdempotencyKey(tenant, key, expectOwner, expectReservedAt, newOwner, now);
  }
  releaseIdempotencyKey(tenant: string, key: string, owner: string): Promise<void> {
    return this.inner.releaseIdempotencyKey(tenant, key, owner);
  }
  pruneIdempotencyKeys(beforeMs: number): Promise<number> {
    return this.inner.pruneIdempotencyKeys(beforeMs);
  }
  tenantSettings(tenant: string): Promise<Record<string, string>> {
    return this.inner.tenantSettings(tenant);
  }
  setTenantSetting(tenant: string, name: string, value: string | null): Promise<void> {
    return this.inner.setTenantSetting(tenant, name, value);
  }
  recordWriteFailure(f: WriteFailure): Promise<void> {
    return this.inner.recordWriteFailure(f);
  }
  listSnapshots(uptoSnapshotId: number, limit: number): Promise<SnapshotListing[]> {
    return this.inner.listSnapshots(uptoSnapshotId, limit);
  }
  expireSnapshots(beforeSnapshotId: number): Promise<number> {
    return this.inner.expireSnapshots(beforeSnapshotId);
  }
  oldestSnapshotLiveAt(atMs: number): Promise<number | null> {
    return this.inner.oldestSnapshotLiveAt(atMs);
  }
  filesUnreferencedFrom(snapshotId: number): Promise<FileRecord[]> {
    return this.inner.filesUnreferencedFrom(snapshotId);
  }
  forgetFiles(fileIds: number[], unreferencedFrom: number): Promise<number[]> {
    return this.inner.forgetFiles(fileIds, unreferencedFrom);
  }
  ping(): Promise<void> {
    return this.inner.ping();
  }
  /** The wrapped catalog is shared: closing the view does not close it. */
  async close(): Promise<void> {}
}
