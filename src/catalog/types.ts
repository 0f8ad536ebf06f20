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
}

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
}

export type NewFile = Omit<FileRecord, 'fileId' | 'addedSnapshot' | 'removedSnapshot'>;

export interface SnapshotCommit {
  /** The snapshot this commit builds on; publication fails if another was published meanwhile. */
  parentSnapshotId: number | null;
  watermark: number;
  addedFiles: NewFile[];
  removedFileIds: number[];
  /** Tables whose content changed in this commit, with the highest seq applied to each. */
  tableWatermarks: { tableId: number; seq: number }[];
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
  tables: TableDef[];
  /** Files per table id (tables without files have an empty list). */
  files: Map<number, FileRecord[]>;
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
  ping(): Promise<void>;
  close(): Promise<void>;
}
