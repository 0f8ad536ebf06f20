/**
 * The catalog: schema registry (tables and their columns) plus snapshots (which Parquet files make
 * up each table at each published watermark). Every backend implements this interface.
 */

export interface ColumnDef {
  name: string;
  /** DuckDB type SQL, e.g. `INTEGER`, `DECIMAL(18,3)`, `TIMESTAMP WITH TIME ZONE`. */
  type: string;
  notNull: boolean;
  /** Canonical text of a constant default, or null for NULL. */
  defaultValue: string | null;
  /**
   * Stable id of the column within its table, never reused (files map onto the current schema by
   * id, so RENAME and DROP + ADD of the same name stay correct). Absent in definitions stored
   * before ids existed: then it is the column's position + 1.
   */
  id?: number;
  /**
   * What rows written before the column existed read as (Postgres' attmissingval): the DEFAULT
   * given in ADD COLUMN, fixed at that moment. Absent/null = NULL.
   */
  missingValue?: string | null;
}

/** Schema-compatibility mode of a table (checked on ALTER TABLE), as schema registries define them. */
export type CompatibilityMode = 'backward' | 'forward' | 'full' | 'none';

export interface TableDef {
  tableId: number;
  tenant: string;
  schema: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
  schemaVersion: number;
  /** Bus sequence of the CREATE TABLE entry; null while the create is not yet durable. */
  createdSeq: number | null;
  droppedSeq: number | null;
  /** Checked on ALTER TABLE; 'backward' unless changed. */
  compatibility?: CompatibilityMode;
}

/** One version of a table's schema (version 1 = CREATE TABLE). */
export interface TableVersion {
  tableId: number;
  version: number;
  schema: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
  /** Bus sequence of the DDL entry that made this version; null while the CREATE is not durable. */
  seq: number | null;
  /** What changed, for people ("create table", "add column c", ...). */
  change: string;
  /** Milliseconds since the epoch when the catalog recorded it. */
  recordedAt: number;
}

export type NewTableVersion = Omit<TableVersion, 'recordedAt' | 'seq'> & { seq: number };

/**
 * Metadata that is not table data (views, comments, indexes) lives as an event log keyed by bus
 * position: the state at watermark W is, per object key, the newest event with seq <= W, unless
 * that event is a drop. Bodies are opaque JSON to the catalog.
 */
export type CatalogObjectKind = 'view' | 'comment' | 'index';

export interface ObjectEvent {
  /** Identifies the object across events, e.g. `view:public.v`, `comment:table:12`. */
  key: string;
  kind: CatalogObjectKind;
  dropped: boolean;
  body: Record<string, unknown>;
}

export interface CatalogObject extends ObjectEvent {
  tenant: string;
  seq: number;
  /** Position of the event inside its DDL entry (one entry may carry several events). */
  ord: number;
}

/** A write accepted on the bus that could not be applied at its position (e.g. overflow in SET). */
export interface WriteFailure {
  tenant: string;
  firstSeq: number;
  lastSeq: number;
  sqlstate: string;
  message: string;
  recordedAt: number;
}

/**
 * An idempotency key (DESIGN §4). `firstSeq` is null while the key is reserved by a writer whose
 * append has not been recorded yet.
 */
export interface IdempotencyRecord {
  tenant: string;
  key: string;
  /** Hash of the request the key was first used with; a different one is a DM004 conflict. */
  fingerprint: string;
  owner: string;
  reservedAt: number;
  firstSeq: number | null;
  lastSeq: number | null;
  rows: number | null;
}

/** A snapshot as listed for people and the `duckmesh` schema. */
export interface SnapshotListing extends SnapshotInfo {
  /** Bus head when the snapshot was published (lag at that moment = busHead - watermark). */
  busHead: number | null;
  /** When retention expired it (its files may be gone); null while queryable. */
  expiredAt: number | null;
}

export interface NewTable {
  tenant: string;
  schema: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
}

export interface SnapshotInfo {
  snapshotId: number;
  /** Every bus entry with seq <= watermark is applied; none above. */
  watermark: number;
  /** Milliseconds since the epoch. */
  committedAt: number;
}

export interface FileRecord {
  fileId: number;
  tenant: string;
  tableId: number;
  /** Path relative to the data directory. */
  path: string;
  rowCount: number;
  byteSize: number;
  /** Hex CRC-32 of the file's bytes. */
  checksum: string;
  minSeq: number;
  maxSeq: number;
  addedSnapshot: number;
  removedSnapshot: number | null;
  /** Schema version of the table the file's columns follow (1 when not given). */
  schemaVersion: number;
  /**
   * True when the file may hold rows that supersede or delete rows of the table: updated row
   * versions, delete markers, or (tables with a primary key) a key that repeats within the file or
   * repeats a live key of the table's older files. When no file of a table is flagged, readers
   * scan it without the newest-version-per-key merge.
   */
  mutations: boolean;
}

export type NewFile = Omit<FileRecord, 'fileId' | 'addedSnapshot' | 'removedSnapshot' | 'schemaVersion' | 'mutations'> &
  Partial<Pick<FileRecord, 'schemaVersion' | 'mutations'>>;

export interface SnapshotCommit {
  /** The snapshot this commit builds on; publication fails if another was published meanwhile. */
  parentSnapshotId: number | null;
  watermark: number;
  addedFiles: NewFile[];
  removedFileIds: number[];
  /** Tables whose content changed in this commit, with the highest seq applied to each. */
  tableWatermarks: { tableId: number; seq: number }[];
  /** Bus head observed by the publisher (kept with the snapshot to show the lag at that moment). */
  busHead?: number;
  /**
   * Fencing: when given, the catalog publishes only if, inside the publishing transaction, the
   * lease `fencing.lease` is unexpired, held by `fencing.holder`, at exactly `fencing.epoch`.
   * Otherwise the publication is rejected with SqlState.staleLeader (DM007) and writes nothing.
   */
  fencing?: LeaseFence;
}

/** Name of the lease that elects the one active commit worker. */
export const COMMIT_WORKER_LEASE = 'commit-worker';

/** A lease grant, as returned by `Catalog.acquireLease`. */
export interface LeaseGrant {
  /**
   * Increases by one every time the lease changes hands (or is taken again after it expired or
   * was released); unchanged by a renewal. Never reused, never decreases.
   */
  epoch: number;
  /**
   * When the grant expires, in milliseconds since the epoch by the catalog's clock (the database
   * server's for Postgres). Informational: a holder must measure its own deadline from when it
   * sent the request (local clock), since the two clocks may differ.
   */
  expiresAt: number;
}

/** What a publisher proves it holds; see `SnapshotCommit.fencing`. */
export interface LeaseFence {
  lease: string;
  holder: string;
  epoch: number;
}

export interface SnapshotContents {
  snapshot: SnapshotInfo;
  /** Tables that exist at the snapshot, with their name, columns and key AS OF its watermark. */
  tables: TableDef[];
  /** Files per table id (tables without files have an empty list). */
  files: Map<number, FileRecord[]>;
  /** Every schema version (seq <= watermark) of those tables, oldest first: files map onto the newest. */
  versions?: Map<number, TableVersion[]>;
  /** Views, comments and indexes as of the watermark. */
  objects?: CatalogObject[];
  /** Per-table watermark (highest seq applied to the table) at this snapshot. */
  tableWatermarks?: Map<number, number>;
  /** The newest snapshots up to and including this one (newest first, bounded). */
  recentSnapshots?: SnapshotListing[];
  /** Writes that could not be applied, up to the watermark (newest first, bounded). */
  writeFailures?: WriteFailure[];
}

export interface Catalog {
  readonly backend: string;

  /** Reserves a table id for a CREATE TABLE that is about to be appended to the bus. */
  reserveTable(def: NewTable): Promise<number>;
  /** Idempotent: the CREATE TABLE entry for `tableId` is durable at `seq`. */
  markTableCreated(tableId: number, seq: number): Promise<void>;
  /** Idempotent: the DROP TABLE entry for `tableId` is durable at `seq`. */
  markTableDropped(tableId: number, seq: number): Promise<void>;
  /** Tables that exist now (created, not dropped), for validating writes. */
  liveTables(tenant: string): Promise<TableDef[]>;
  getTable(tableId: number): Promise<TableDef | null>;
  ensureTenant(tenant: string): Promise<void>;
  listTenants(): Promise<string[]>;

  latestSnapshot(): Promise<SnapshotInfo | null>;
  getSnapshot(snapshotId: number): Promise<SnapshotInfo | null>;
  /** Newest snapshot committed at or before `atMs`. */
  snapshotAsOf(atMs: number): Promise<SnapshotInfo | null>;
  snapshotContents(tenant: string, snapshotId: number): Promise<SnapshotContents>;
  /** Per-table watermark at a snapshot: the highest seq applied to that table. */
  tableWatermark(tableId: number, snapshotId: number): Promise<number>;
  /**
   * Atomically registers files and publishes the next snapshot. Rejected, writing nothing, when
   * `parentSnapshotId` is not the newest snapshot or the watermark would go backwards (XX000,
   * message contains "rejected"), or when `fencing` is given and not current (DM007).
   */
  publish(commit: SnapshotCommit): Promise<SnapshotInfo>;
  /**
   * Takes the lease `name` for `holder` for `ttlMs` if it is free, released or expired (the epoch
   * goes up by one), or renews it if `holder` holds it unexpired (same epoch, new expiry). Returns
   * null, changing nothing, while another holder's grant is unexpired. Atomic across processes.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null>;
  /** Gives the lease up at once if `holder` holds it (keeping its epoch); otherwise does nothing. */
  releaseLease(name: string, holder: string): Promise<void>;
  /**
   * Calls `listener` with the new snapshot id after publications — this process's and, where the
   * backend supports it (Postgres: LISTEN/NOTIFY), other processes'. A hint only: calls may be
   * coalesced, duplicated or (while reconnecting) lost, so followers also poll; see
   * SnapshotFollower. Returns an unsubscribe function.
   */
  onPublish(listener: (snapshotId: number) => void): () => void;
  /** Every file ever registered and not yet deleted (for integrity checks). */
  allFiles(): Promise<FileRecord[]>;

  // ---- schema registry: versions, compatibility, metadata objects

  /**
   * Idempotent: records a schema version made by the DDL entry at `v.seq`. The first record of
   * (tableId, version) wins; returns the stored one (a different `seq` means another entry
   * claimed this version first). The live definition follows the highest recorded version.
   */
  recordTableVersion(v: NewTableVersion): Promise<TableVersion>;
  /** All recorded versions of a table, oldest first (version 1 included once the table is created). */
  tableVersions(tableId: number): Promise<TableVersion[]>;
  setTableCompatibility(tableId: number, mode: CompatibilityMode): Promise<void>;
  /** Idempotent per (tenant, seq, position): the events of the DDL entry at `seq`. */
  recordObjects(tenant: string, seq: number, events: ObjectEvent[]): Promise<void>;
  /** Objects as of `watermark` (null = everything recorded, i.e. now). */
  objectsAt(tenant: string, watermark: number | null): Promise<CatalogObject[]>;

  // ---- idempotency keys (kept here, never relying on a bus's dedup window)

  /** Reserves `key` for `owner`: null when reserved now, else the existing record (untouched). */
  reserveIdempotencyKey(r: { tenant: string; key: string; fingerprint: string; owner: string; now: number }): Promise<IdempotencyRecord | null>;
  /**
   * Records the receipt of the write carrying `key`, unless one is recorded already (first one
   * wins); creates the record if it is missing. Returns the stored record: its `firstSeq` decides
   * which bus entry is THE write of this key.
   */
  claimIdempotencyReceipt(r: {
    tenant: string;
    key: string;
    fingerprint: string;
    firstSeq: number;
    lastSeq: number;
    rows: number;
    now: number;
  }): Promise<IdempotencyRecord>;
  getIdempotencyKey(tenant: string, key: string): Promise<IdempotencyRecord | null>;
  /** Compare-and-set: hands a receipt-less reservation held by `expectOwner` since `expectReservedAt` to `newOwner`. */
  takeOverIdempotencyKey(tenant: string, key: string, expectOwner: string, expectReservedAt: number, newOwner: string, now: number): Promise<boolean>;
  /** Drops `owner`'s reservation if it still has no receipt (its append definitely failed). */
  releaseIdempotencyKey(tenant: string, key: string, owner: string): Promise<void>;
  /** Deletes keys reserved before `beforeMs`; returns how many. */
  pruneIdempotencyKeys(beforeMs: number): Promise<number>;

  // ---- tenant policies, write failures, snapshot listing and expiry

  tenantSettings(tenant: string): Promise<Record<string, string>>;
  /** null removes the setting. */
  setTenantSetting(tenant: string, name: string, value: string | null): Promise<void>;
  /** Idempotent per (tenant, firstSeq). */
  recordWriteFailure(f: WriteFailure): Promise<void>;
  /** Snapshots with id <= `uptoSnapshotId`, newest first, at most `limit`. */
  listSnapshots(uptoSnapshotId: number, limit: number): Promise<SnapshotListing[]>;
  /**
   * Marks snapshots with id < `beforeSnapshotId` expired (retention): they stay listed, but their
   * contents are refused with DM003. Returns how many were newly expired.
   */
  expireSnapshots(beforeSnapshotId: number): Promise<number>;

  // ---- retention and garbage collection (src/ops, src/workers/gc-worker.ts)

  /**
   * The oldest snapshot that was still queryable at `atMs`: not expired, or expired after `atMs`.
   * With `atMs` = now, the oldest retained snapshot. null when there are no snapshots.
   */
  oldestSnapshotLiveAt(atMs: number): Promise<number | null>;
  /**
   * Files that neither snapshot `snapshotId` nor any newer one references: removed at or before it,
   * or belonging to a table dropped at or below its watermark. Ordered by file id.
   */
  filesUnreferencedFrom(snapshotId: number): Promise<FileRecord[]>;
  /**
   * Deletes the rows of those `fileIds` that are still unreferenced from `unreferencedFrom` (the
   * test of `filesUnreferencedFrom`, re-checked by the deleting statement); returns the ids whose
   * rows it deleted (only those files may then be removed from disk).
   */
  forgetFiles(fileIds: number[], unreferencedFrom: number): Promise<number[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
