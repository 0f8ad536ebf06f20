import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { checkFence, checkTtl, type LeaseRowState } from '../lease-check.js';
import { expiredError, RECENT_FAILURES, RECENT_SNAPSHOTS, resolveAtWatermark } from '../metadata.js';
import type {
  Catalog,
  CatalogObject,
  ColumnDef,
  CompatibilityMode,
  FileRecord,
  IdempotencyRecord,
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
} from '../types.js';
import { METADATA_MIGRATION, SqliteMetadata } from './sqlite-metadata.js';

interface TableRow {
  table_id: number;
  tenant: string;
  schema_name: string;
  table_name: string;
  columns_json: string;
  primary_key_json: string;
  schema_version: number;
  created_seq: number | null;
  dropped_seq: number | null;
  compatibility?: string;
}

interface FileRow {
  file_id: number;
  tenant: string;
  table_id: number;
  path: string;
  row_count: number;
  byte_size: number;
  checksum: string;
  min_seq: number;
  max_seq: number;
  added_snapshot: number;
  removed_snapshot: number | null;
  schema_version?: number;
  mutations?: number;
}

const MIGRATIONS: string[] = [
  `CREATE TABLE tenants (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
   CREATE TABLE tables (
     table_id INTEGER PRIMARY KEY AUTOINCREMENT,
     tenant TEXT NOT NULL,
     schema_name TEXT NOT NULL,
     table_name TEXT NOT NULL,
     columns_json TEXT NOT NULL,
     primary_key_json TEXT NOT NULL,
     schema_version INTEGER NOT NULL DEFAULT 1,
     created_seq INTEGER,
     dropped_seq INTEGER,
     reserved_at INTEGER NOT NULL
   );
   CREATE INDEX tables_by_name ON tables (tenant, schema_name, table_name);
   CREATE TABLE snapshots (
     snapshot_id INTEGER PRIMARY KEY,
     watermark INTEGER NOT NULL,
     committed_at INTEGER NOT NULL
   );
   CREATE INDEX snapshots_by_time ON snapshots (committed_at);
   CREATE TABLE files (
     file_id INTEGER PRIMARY KEY AUTOINCREMENT,
     tenant TEXT NOT NULL,
     table_id INTEGER NOT NULL,
     path TEXT NOT NULL UNIQUE,
     row_count INTEGER NOT NULL,
     byte_size INTEGER NOT NULL,
     checksum TEXT NOT NULL,
     min_seq INTEGER NOT NULL,
     max_seq INTEGER NOT NULL,
     added_snapshot INTEGER NOT NULL,
     removed_snapshot INTEGER
   );
   CREATE INDEX files_by_table ON files (tenant, table_id, added_snapshot);
   CREATE TABLE table_watermarks (
     table_id INTEGER NOT NULL,
     snapshot_id INTEGER NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (table_id, snapshot_id)
   );`,
  // Leases (commit-worker election). Rows are never deleted, so an epoch is never reused.
  `CREATE TABLE leases (
     name TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     epoch INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );`,
  METADATA_MIGRATION,
  // Retention/GC (src/ops): files by the snapshot that removed them or by table; snapshots by expiry.
  `CREATE INDEX IF NOT EXISTS files_by_removed ON files (removed_snapshot) WHERE removed_snapshot IS NOT NULL;
   CREATE INDEX IF NOT EXISTS files_by_table_id ON files (table_id);
   CREATE INDEX IF NOT EXISTS snapshots_by_expiry ON snapshots (expired_at, snapshot_id);`,
  // files.mutations now also means "may repeat a key of an older file" (see FileRecord.mutations):
  // files written before the commit worker checked that are marked, conservatively.
  `UPDATE files SET mutations = 1 WHERE table_id IN (SELECT table_id FROM tables WHERE primary_key_json <> '[]');`,
];

interface LeaseRow {
  holder: string;
  epoch: number;
  expires_at: number;
}

/**
 * The embedded catalog: SQLite (WAL, synchronous=FULL) in the data directory.
 *
 * Writes that read-then-write (publish, acquireLease) run in IMMEDIATE transactions: the write
 * lock is taken at BEGIN, so two connections on the same file cannot both read the same state and
 * then both write. Lease expiry uses this process's clock (Date.now()): the embedded catalog has
 * one owning process, and tests that open a second instance run in the same process.
 */
export class SqliteCatalog implements Catalog {
  readonly backend = 'embedded';
  private readonly db: Database.Database;
  private readonly events = new EventEmitter();
  private readonly meta: SqliteMetadata;

  constructor(file: string) {
    this.events.setMaxListeners(0);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.migrate();
    this.meta = new SqliteMetadata(this.db);
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    const applied = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    MIGRATIONS.forEach((sql, i) => {
      const version = i + 1;
      if (applied.has(version)) return;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, Date.now());
      })();
    });
  }

  async reserveTable(def: NewTable): Promise<number> {
    const info = this.db
      .prepare(
        `INSERT INTO tables (tenant, schema_name, table_name, columns_json, primary_key_json, reserved_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(def.tenant, def.schema, def.name, JSON.stringify(def.columns), JSON.stringify(def.primaryKey), Date.now());
    return Number(info.lastInsertRowid);
  }

  async markTableCreated(tableId: number, seq: number): Promise<void> {
    this.db.transaction(() => {
      this.db.prepare('UPDATE tables SET created_seq = ? WHERE table_id = ? AND created_seq IS NULL').run(seq, tableId);
      const row = this.db.prepare('SELECT * FROM tables WHERE table_id = ?').get(tableId) as TableRow | undefined;
      if (row && row.created_seq !== null) this.meta.recordFirstVersion(toTableDef(row), row.created_seq);
    })();
  }

  async markTableDropped(tableId: number, seq: number): Promise<void> {
    this.db.prepare('UPDATE tables SET dropped_seq = ? WHERE table_id = ? AND dropped_seq IS NULL').run(seq, tableId);
  }

  async liveTables(tenant: string): Promise<TableDef[]> {
    const rows = this.db
      .prepare('SELECT * FROM tables WHERE tenant = ? AND created_seq IS NOT NULL AND dropped_seq IS NULL ORDER BY table_id')
      .all(tenant) as TableRow[];
    return rows.map(toTableDef);
  }

  async getTable(tableId: number): Promise<TableDef | null> {
    const row = this.db.prepare('SELECT * FROM tables WHERE table_id = ?').get(tableId) as TableRow | undefined;
    return row ? toTableDef(row) : null;
  }

  async ensureTenant(tenant: string): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)').run(tenant, Date.now());
  }

  async listTenants(): Promise<string[]> {
    return (this.db.prepare('SELECT name FROM tenants ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }

  async latestSnapshot(): Promise<SnapshotInfo | null> {
    const row = this.db
      .prepare('SELECT snapshot_id AS snapshotId, watermark, committed_at AS committedAt FROM snapshots ORDER BY snapshot_id DESC LIMIT 1')
      .get() as SnapshotInfo | undefined;
    return row ?? null;
  }

  async getSnapshot(snapshotId: number): Promise<SnapshotInfo | null> {
    const row = this.db
      .prepare('SELECT snapshot_id AS snapshotId, watermark, committed_at AS committedAt FROM snapshots WHERE snapshot_id = ?')
      .get(snapshotId) as SnapshotInfo | undefined;
    return row ?? null;
  }

  async snapshotAsOf(atMs: number): Promise<SnapshotInfo | null> {
    const row = this.db
      .prepare(
        `SELECT snapshot_id AS snapshotId, watermark, committed_at AS committedAt FROM snapshots
         WHERE committed_at <= ? ORDER BY snapshot_id DESC LIMIT 1`,
      )
      .get(atMs) as SnapshotInfo | undefined;
    return row ?? null;
  }

  async snapshotContents(tenant: string, snapshotId: number): Promise<SnapshotContents> {
    const snapshot = await this.getSnapshot(snapshotId);
    if (!snapshot) throw new DuckMeshError(SqlState.snapshotUnavailable, `snapshot ${snapshotId} does not exist`);
    const expiredAt = this.meta.snapshotExpiredAt(snapshotId);
    if (expiredAt !== null) throw expiredError(snapshotId, await this.oldestLiveSnapshot());
    // Read both in one transaction so a concurrent publish cannot tear the view.
    return this.db.transaction(() => {
      const tables = (
        this.db
          .prepare(
            `SELECT * FROM tables WHERE tenant = ? AND created_seq IS NOT NULL AND created_seq <= ?
             AND (dropped_seq IS NULL OR dropped_seq > ?) ORDER BY table_id`,
          )
          .all(tenant, snapshot.watermark, snapshot.watermark) as TableRow[]
      ).map(toTableDef);
      const fileRows = this.db
        .prepare(
          `SELECT * FROM files WHERE tenant = ? AND added_snapshot <= ?
           AND (removed_snapshot IS NULL OR removed_snapshot > ?) ORDER BY file_id`,
        )
        .all(tenant, snapshotId, snapshotId) as FileRow[];
      const files = new Map<number, FileRecord[]>();
      for (const t of tables) files.set(t.tableId, []);
      for (const f of fileRows) files.get(f.table_id)?.push(toFileRecord(f));
      const ids = tables.map((t) => t.tableId);
      const resolved = resolveAtWatermark({ snapshot, tables, files }, this.meta.versionsOf(ids));
      return {
        snapshot,
        tables: resolved.tables,
        files,
        versions: resolved.versions,
        objects: this.meta.objectsAt(tenant, snapshot.watermark),
        tableWatermarks: this.meta.tableWatermarksAt(ids, snapshotId),
        recentSnapshots: this.meta.listSnapshots(snapshotId, RECENT_SNAPSHOTS),
        writeFailures: this.meta.writeFailures(tenant, snapshot.watermark, RECENT_FAILURES),
      };
    })();
  }

  private async oldestLiveSnapshot(): Promise<number | null> {
    const row = this.db.prepare('SELECT min(snapshot_id) AS id FROM snapshots WHERE expired_at IS NULL').get() as { id: number | null };
    return row.id;
  }

  async tableWatermark(tableId: number, snapshotId: number): Promise<number> {
    const row = this.db
      .prepare('SELECT max(seq) AS seq FROM table_watermarks WHERE table_id = ? AND snapshot_id <= ?')
      .get(tableId, snapshotId) as { seq: number | null };
    return row.seq ?? 0;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    checkTtl(ttlMs);
    const tx = this.db.transaction((): LeaseGrant | null => {
      const now = Date.now();
      const row = this.db.prepare('SELECT holder, epoch, expires_at FROM leases WHERE name = ?').get(name) as LeaseRow | undefined;
      const expiresAt = now + ttlMs;
      if (!row) {
        this.db.prepare('INSERT INTO leases (name, holder, epoch, expires_at) VALUES (?, ?, 1, ?)').run(name, holder, expiresAt);
        return { epoch: 1, expiresAt };
      }
      const live = row.expires_at > now;
      if (live && row.holder !== holder) return null;
      const epoch = live ? row.epoch : row.epoch + 1;
      this.db.prepare('UPDATE leases SET holder = ?, epoch = ?, expires_at = ? WHERE name = ?').run(holder, epoch, expiresAt, name);
      return { epoch, expiresAt };
    });
    return tx.immediate();
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    const now = Date.now();
    this.db.prepare('UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?').run(now, name, holder, now);
  }

  async publish(commit: SnapshotCommit): Promise<SnapshotInfo> {
    const tx = this.db.transaction((): SnapshotInfo => {
      if (commit.fencing) {
        const f = commit.fencing;
        const row = this.db.prepare('SELECT holder, epoch, expires_at FROM leases WHERE name = ?').get(f.lease) as LeaseRow | undefined;
        const state: LeaseRowState | undefined = row && { holder: row.holder, epoch: row.epoch, live: row.expires_at > Date.now() };
        checkFence(f, state);
      }
      const latest = this.db.prepare('SELECT max(snapshot_id) AS id, max(watermark) AS w FROM snapshots').get() as {
        id: number | null;
        w: number | null;
      };
      if ((latest.id ?? null) !== commit.parentSnapshotId) {
        throw new DuckMeshError(
          SqlState.internalError,
          `snapshot publication rejected: expected parent ${commit.parentSnapshotId}, catalog is at ${latest.id}`,
        );
      }
      if (commit.watermark < (latest.w ?? 0)) {
        throw new DuckMeshError(SqlState.internalError, 'snapshot publication rejected: watermark would move backwards');
      }
      const snapshotId = (latest.id ?? 0) + 1;
      const committedAt = Date.now();
      this.db
        .prepare('INSERT INTO snapshots (snapshot_id, watermark, committed_at, bus_head) VALUES (?, ?, ?, ?)')
        .run(snapshotId, commit.watermark, committedAt, commit.busHead ?? null);
      const insertFile = this.db.prepare(
        `INSERT INTO files (tenant, table_id, path, row_count, byte_size, checksum, min_seq, max_seq, added_snapshot, schema_version, mutations)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const f of commit.addedFiles) {
        insertFile.run(
          f.tenant, f.tableId, f.path, f.rowCount, f.byteSize, f.checksum, f.minSeq, f.maxSeq, snapshotId,
          f.schemaVersion ?? 1, f.mutations ? 1 : 0,
        );
      }
      const removeFile = this.db.prepare('UPDATE files SET removed_snapshot = ? WHERE file_id = ? AND removed_snapshot IS NULL');
      for (const id of commit.removedFileIds) removeFile.run(snapshotId, id);
      const wm = this.db.prepare('INSERT INTO table_watermarks (table_id, snapshot_id, seq) VALUES (?, ?, ?)');
      for (const t of commit.tableWatermarks) wm.run(t.tableId, snapshotId, t.seq);
      return { snapshotId, watermark: commit.watermark, committedAt };
    });
    const snapshot = tx.immediate();
    this.events.emit('publish', snapshot.snapshotId);
    return snapshot;
  }

  /** Only this instance's publications (the embedded catalog has one owning process). */
  onPublish(listener: (snapshotId: number) => void): () => void {
    this.events.on('publish', listener);
    return () => this.events.off('publish', listener);
  }

  async allFiles(): Promise<FileRecord[]> {
    return (this.db.prepare('SELECT * FROM files ORDER BY file_id').all() as FileRow[]).map(toFileRecord);
  }

  async recordTableVersion(v: NewTableVersion): Promise<TableVersion> {
    return this.meta.recordTableVersion(v);
  }

  async tableVersions(tableId: number): Promise<TableVersion[]> {
    return this.meta.tableVersions(tableId, await this.getTable(tableId));
  }

  async setTableCompatibility(tableId: number, mode: CompatibilityMode): Promise<void> {
    this.meta.setTableCompatibility(tableId, mode);
  }

  async recordObjects(tenant: string, seq: number, events: ObjectEvent[]): Promise<void> {
    this.meta.recordObjects(tenant, seq, events);
  }

  async objectsAt(tenant: string, watermark: number | null): Promise<CatalogObject[]> {
    return this.meta.objectsAt(tenant, watermark);
  }

  async reserveIdempotencyKey(r: { tenant: string; key: string; fingerprint: string; owner: string; now: number }): Promise<IdempotencyRecord | null> {
    return this.meta.reserveIdempotencyKey(r);
  }

  async claimIdempotencyReceipt(r: {
    tenant: string;
    key: string;
    fingerprint: string;
    firstSeq: number;
    lastSeq: number;
    rows: number;
    now: number;
  }): Promise<IdempotencyRecord> {
    return this.meta.claimIdempotencyReceipt(r);
  }

  async getIdempotencyKey(tenant: string, key: string): Promise<IdempotencyRecord | null> {
    return this.meta.getIdempotencyKey(tenant, key);
  }

  async takeOverIdempotencyKey(tenant: string, key: string, expectOwner: string, expectReservedAt: number, newOwner: string, now: number): Promise<boolean> {
    return this.meta.takeOverIdempotencyKey(tenant, key, expectOwner, expectReservedAt, newOwner, now);
  }

  async releaseIdempotencyKey(tenant: string, key: string, owner: string): Promise<void> {
    this.meta.releaseIdempotencyKey(tenant, key, owner);
  }

  async pruneIdempotencyKeys(beforeMs: number): Promise<number> {
    return this.meta.pruneIdempotencyKeys(beforeMs);
  }

  async tenantSettings(tenant: string): Promise<Record<string, string>> {
    return this.meta.tenantSettings(tenant);
  }

  async setTenantSetting(tenant: string, name: string, value: string | null): Promise<void> {
    this.meta.setTenantSetting(tenant, name, value);
  }

  async recordWriteFailure(f: WriteFailure): Promise<void> {
    this.meta.recordWriteFailure(f);
  }

  async listSnapshots(uptoSnapshotId: number, limit: number): Promise<SnapshotListing[]> {
    return this.meta.listSnapshots(uptoSnapshotId, limit);
  }

  async expireSnapshots(beforeSnapshotId: number): Promise<number> {
    return this.meta.expireSnapshots(beforeSnapshotId);
  }

  async oldestSnapshotLiveAt(atMs: number): Promise<number | null> {
    const row = this.db
      .prepare(
        `SELECT min(id) AS id FROM (
           SELECT min(snapshot_id) AS id FROM snapshots WHERE expired_at IS NULL
           UNION ALL SELECT min(snapshot_id) FROM snapshots WHERE expired_at > ?)`,
      )
      .get(atMs) as { id: number | null };
    return row.id;
  }

  async filesUnreferencedFrom(snapshotId: number): Promise<FileRecord[]> {
    const rows = this.db
      .prepare(`SELECT * FROM files WHERE ${SQLITE_UNREFERENCED_FROM} ORDER BY file_id`)
      .all(snapshotId, snapshotId) as FileRow[];
    return rows.map(toFileRecord);
  }

  async forgetFiles(fileIds: number[], unreferencedFrom: number): Promise<number[]> {
    if (fileIds.length === 0) return [];
    const rows = this.db
      .prepare(
        `DELETE FROM files WHERE file_id IN (SELECT value FROM json_each(?)) AND (${SQLITE_UNREFERENCED_FROM}) RETURNING file_id`,
      )
      .all(JSON.stringify(fileIds), unreferencedFrom, unreferencedFrom) as { file_id: number }[];
    return rows.map((r) => r.file_id);
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
    if (this.db.open) this.db.close();
  }
}

/**
 * Files no snapshot >= ? references (the parameter is given twice): removed at or before it, or of
 * a table dropped at or below its watermark (watermarks never decrease).
 */
const SQLITE_UNREFERENCED_FROM = `(removed_snapshot IS NOT NULL AND removed_snapshot <= ?)
  OR table_id IN (SELECT table_id FROM tables WHERE dropped_seq IS NOT NULL
                  AND dropped_seq <= (SELECT watermark FROM snapshots WHERE snapshot_id = ?))`;

function toTableDef(r: TableRow): TableDef {
  return {
    tableId: r.table_id,
    tenant: r.tenant,
    schema: r.schema_name,
    name: r.table_name,
    columns: JSON.parse(r.columns_json) as ColumnDef[],
    primaryKey: JSON.parse(r.primary_key_json) as string[],
    schemaVersion: r.schema_version,
    createdSeq: r.created_seq,
    droppedSeq: r.dropped_seq,
    compatibility: (r.compatibility ?? 'backward') as CompatibilityMode,
  };
}

function toFileRecord(f: FileRow): FileRecord {
  return {
    fileId: f.file_id,
    tenant: f.tenant,
    tableId: f.table_id,
    path: f.path,
    rowCount: f.row_count,
    byteSize: f.byte_size,
    checksum: f.checksum,
    minSeq: f.min_seq,
    maxSeq: f.max_seq,
    addedSnapshot: f.added_snapshot,
    removedSnapshot: f.removed_snapshot,
    schemaVersion: f.schema_version ?? 1,
    mutations: f.mutations === 1,
  };
}
