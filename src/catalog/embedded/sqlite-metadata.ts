import type Database from 'better-sqlite3';
import { firstVersionOf, latestObjects } from '../metadata.js';
import type {
  CatalogObject,
  CompatibilityMode,
  IdempotencyRecord,
  NewTableVersion,
  ObjectEvent,
  SnapshotListing,
  TableDef,
  TableVersion,
  WriteFailure,
} from '../types.js';

/** Migration 3 of the embedded catalog: the schema registry, metadata objects, idempotency keys. */
export const METADATA_MIGRATION = `
  ALTER TABLE tables ADD COLUMN compatibility TEXT NOT NULL DEFAULT 'backward';
  CREATE TABLE table_versions (
    table_id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    schema_name TEXT NOT NULL,
    table_name TEXT NOT NULL,
    columns_json TEXT NOT NULL,
    primary_key_json TEXT NOT NULL,
    seq INTEGER,
    change TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (table_id, version)
  );
  INSERT INTO table_versions (table_id, version, schema_name, table_name, columns_json, primary_key_json, seq, change, recorded_at)
    SELECT table_id, 1, schema_name, table_name, columns_json, primary_key_json, created_seq, 'create table', reserved_at
    FROM tables WHERE created_seq IS NOT NULL;
  ALTER TABLE files ADD COLUMN schema_version INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE files ADD COLUMN mutations INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE snapshots ADD COLUMN bus_head INTEGER;
  ALTER TABLE snapshots ADD COLUMN expired_at INTEGER;
  CREATE TABLE catalog_objects (
    tenant TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ord INTEGER NOT NULL,
    object_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    dropped INTEGER NOT NULL,
    body_json TEXT NOT NULL,
    PRIMARY KEY (tenant, seq, ord)
  );
  CREATE TABLE idempotency_keys (
    tenant TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    owner TEXT NOT NULL,
    reserved_at INTEGER NOT NULL,
    first_seq INTEGER,
    last_seq INTEGER,
    row_count INTEGER,
    PRIMARY KEY (tenant, key)
  );
  CREATE INDEX idempotency_keys_by_time ON idempotency_keys (reserved_at);
  CREATE TABLE tenant_settings (
    tenant TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant, name)
  );
  CREATE TABLE write_failures (
    tenant TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    sqlstate TEXT NOT NULL,
    message TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, first_seq)
  );`;

interface VersionRow {
  table_id: number;
  version: number;
  schema_name: string;
  table_name: string;
  columns_json: string;
  primary_key_json: string;
  seq: number | null;
  change: string;
  recorded_at: number;
}

interface ObjectRow {
  tenant: string;
  seq: number;
  ord: number;
  object_key: string;
  kind: string;
  dropped: number;
  body_json: string;
}

interface KeyRow {
  tenant: string;
  key: string;
  fingerprint: string;
  owner: string;
  reserved_at: number;
  first_seq: number | null;
  last_seq: number | null;
  row_count: number | null;
}

interface SnapshotRow {
  snapshot_id: number;
  watermark: number;
  committed_at: number;
  bus_head: number | null;
  expired_at: number | null;
}

interface FailureRow {
  tenant: string;
  first_seq: number;
  last_seq: number;
  sqlstate: string;
  message: string;
  recorded_at: number;
}

/**
 * The schema-registry half of the embedded catalog (versions, objects, idempotency keys, tenant
 * settings, write failures, snapshot listing). better-sqlite3 is synchronous, so every method is
 * atomic against this process; IMMEDIATE transactions make the read-then-write ones atomic against
 * a second connection on the same file.
 */
export class SqliteMetadata {
  constructor(private readonly db: Database.Database) {}

  /** Version 1 of a table whose CREATE became durable at `seq` (idempotent). */
  recordFirstVersion(t: TableDef, seq: number): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO table_versions (table_id, version, schema_name, table_name, columns_json, primary_key_json, seq, change, recorded_at)
         VALUES (?, 1, ?, ?, ?, ?, ?, 'create table', ?)`,
      )
      .run(t.tableId, t.schema, t.name, JSON.stringify(t.columns), JSON.stringify(t.primaryKey), seq, Date.now());
  }

  recordTableVersion(v: NewTableVersion): TableVersion {
    const tx = this.db.transaction((): TableVersion => {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO table_versions (table_id, version, schema_name, table_name, columns_json, primary_key_json, seq, change, recorded_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(v.tableId, v.version, v.schema, v.name, JSON.stringify(v.columns), JSON.stringify(v.primaryKey), v.seq, v.change, Date.now());
      const stored = this.db.prepare('SELECT * FROM table_versions WHERE table_id = ? AND version = ?').get(v.tableId, v.version) as VersionRow;
      if (stored.seq === v.seq) {
        // The live definition follows the highest version (replays of older ones change nothing).
        this.db
          .prepare(
            `UPDATE tables SET schema_name = ?, table_name = ?, columns_json = ?, primary_key_json = ?, schema_version = ?
             WHERE table_id = ? AND schema_version < ?`,
          )
          .run(stored.schema_name, stored.table_name, stored.columns_json, stored.primary_key_json, v.version, v.tableId, v.version);
      }
      return toVersion(stored);
    });
    return tx.immediate();
  }

  tableVersions(tableId: number, fallback: TableDef | null): TableVersion[] {
    const rows = this.db.prepare('SELECT * FROM table_versions WHERE table_id = ? ORDER BY version').all(tableId) as VersionRow[];
    if (rows.length === 0 && fallback && fallback.createdSeq !== null) return [firstVersionOf(fallback, 0)];
    return rows.map(toVersion);
  }

  versionsOf(tableIds: number[]): TableVersion[] {
    if (tableIds.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT * FROM table_versions WHERE table_id IN (SELECT value FROM json_each(?)) ORDER BY table_id, version`)
      .all(JSON.stringify(tableIds)) as VersionRow[];
    return rows.map(toVersion);
  }

  setTableCompatibility(tableId: number, mode: CompatibilityMode): void {
    this.db.prepare('UPDATE tables SET compatibility = ? WHERE table_id = ?').run(mode, tableId);
  }

  recordObjects(tenant: string, seq: number, events: ObjectEvent[]): void {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO catalog_objects (tenant, seq, ord, object_key, kind, dropped, body_json) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      events.forEach((e, i) => insert.run(tenant, seq, i, e.key, e.kind, e.dropped ? 1 : 0, JSON.stringify(e.body)));
    })();
  }

  objectsAt(tenant: string, watermark: number | null): CatalogObject[] {
    const rows = this.db
      .prepare('SELECT * FROM catalog_objects WHERE tenant = ? AND seq <= ? ORDER BY seq, ord')
      .all(tenant, watermark ?? Number.MAX_SAFE_INTEGER) as ObjectRow[];
    return latestObjects(rows.map(toObject));
  }

  reserveIdempotencyKey(r: { tenant: string; key: string; fingerprint: string; owner: string; now: number }): IdempotencyRecord | null {
    const tx = this.db.transaction((): IdempotencyRecord | null => {
      const info = this.db
        .prepare(`INSERT OR IGNORE INTO idempotency_keys (tenant, key, fingerprint, owner, reserved_at) VALUES (?, ?, ?, ?, ?)`)
        .run(r.tenant, r.key, r.fingerprint, r.owner, r.now);
      if (info.changes === 1) return null;
      return this.getIdempotencyKey(r.tenant, r.key);
    });
    return tx.immediate();
  }

  claimIdempotencyReceipt(r: {
    tenant: string;
    key: string;
    fingerprint: string;
    firstSeq: number;
    lastSeq: number;
    rows: number;
    now: number;
  }): IdempotencyRecord {
    const tx = this.db.transaction((): IdempotencyRecord => {
      this.db
        .prepare(
          `INSERT OR IGNORE INTO idempotency_keys (tenant, key, fingerprint, owner, reserved_at, first_seq, last_seq, row_count)
           VALUES (?, ?, ?, '', ?, ?, ?, ?)`,
        )
        .run(r.tenant, r.key, r.fingerprint, r.now, r.firstSeq, r.lastSeq, r.rows);
      this.db
        .prepare('UPDATE idempotency_keys SET first_seq = ?, last_seq = ?, row_count = ? WHERE tenant = ? AND key = ? AND first_seq IS NULL')
        .run(r.firstSeq, r.lastSeq, r.rows, r.tenant, r.key);
      return this.getIdempotencyKey(r.tenant, r.key)!;
    });
    return tx.immediate();
  }

  getIdempotencyKey(tenant: string, key: string): IdempotencyRecord | null {
    const row = this.db.prepare('SELECT * FROM idempotency_keys WHERE tenant = ? AND key = ?').get(tenant, key) as KeyRow | undefined;
    return row ? toKey(row) : null;
  }

  takeOverIdempotencyKey(tenant: string, key: string, expectOwner: string, expectReservedAt: number, newOwner: string, now: number): boolean {
    const info = this.db
      .prepare(
        `UPDATE idempotency_keys SET owner = ?, reserved_at = ?
         WHERE tenant = ? AND key = ? AND owner = ? AND reserved_at = ? AND first_seq IS NULL`,
      )
      .run(newOwner, now, tenant, key, expectOwner, expectReservedAt);
    return info.changes === 1;
  }

  releaseIdempotencyKey(tenant: string, key: string, owner: string): void {
    this.db.prepare('DELETE FROM idempotency_keys WHERE tenant = ? AND key = ? AND owner = ? AND first_seq IS NULL').run(tenant, key, owner);
  }

  pruneIdempotencyKeys(beforeMs: number): number {
    return this.db.prepare('DELETE FROM idempotency_keys WHERE reserved_at < ?').run(beforeMs).changes;
  }

  tenantSettings(tenant: string): Record<string, string> {
    const rows = this.db.prepare('SELECT name, value FROM tenant_settings WHERE tenant = ?').all(tenant) as { name: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  setTenantSetting(tenant: string, name: string, value: string | null): void {
    if (value === null) this.db.prepare('DELETE FROM tenant_settings WHERE tenant = ? AND name = ?').run(tenant, name);
    else this.db.prepare('INSERT OR REPLACE INTO tenant_settings (tenant, name, value) VALUES (?, ?, ?)').run(tenant, name, value);
  }

  recordWriteFailure(f: WriteFailure): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO write_failures (tenant, first_seq, last_seq, sqlstate, message, recorded_at) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(f.tenant, f.firstSeq, f.lastSeq, f.sqlstate, f.message, f.recordedAt);
  }

  writeFailures(tenant: string, uptoSeq: number, limit: number): WriteFailure[] {
    const rows = this.db
      .prepare('SELECT * FROM write_failures WHERE tenant = ? AND last_seq <= ? ORDER BY first_seq DESC LIMIT ?')
      .all(tenant, uptoSeq, limit) as FailureRow[];
    return rows.map(toFailure);
  }

  listSnapshots(uptoSnapshotId: number, limit: number): SnapshotListing[] {
    const rows = this.db
      .prepare('SELECT * FROM snapshots WHERE snapshot_id <= ? ORDER BY snapshot_id DESC LIMIT ?')
      .all(uptoSnapshotId, limit) as SnapshotRow[];
    return rows.map(toListing);
  }

  expireSnapshots(beforeSnapshotId: number): number {
    return this.db
      .prepare('UPDATE snapshots SET expired_at = ? WHERE snapshot_id < ? AND expired_at IS NULL')
      .run(Date.now(), beforeSnapshotId).changes;
  }

  snapshotExpiredAt(snapshotId: number): number | null {
    const row = this.db.prepare('SELECT expired_at FROM snapshots WHERE snapshot_id = ?').get(snapshotId) as { expired_at: number | null } | undefined;
    return row?.expired_at ?? null;
  }

  tableWatermarksAt(tableIds: number[], snapshotId: number): Map<number, number> {
    const out = new Map<number, number>();
    if (tableIds.length === 0) return out;
    const rows = this.db
      .prepare(
        `SELECT table_id, max(seq) AS seq FROM table_watermarks
         WHERE snapshot_id <= ? AND table_id IN (SELECT value FROM json_each(?)) GROUP BY table_id`,
      )
      .all(snapshotId, JSON.stringify(tableIds)) as { table_id: number; seq: number }[];
    for (const r of rows) out.set(r.table_id, r.seq);
    return out;
  }
}

function toVersion(r: VersionRow): TableVersion {
  return {
    tableId: r.table_id,
    version: r.version,
    schema: r.schema_name,
    name: r.table_name,
    columns: JSON.parse(r.columns_json),
    primaryKey: JSON.parse(r.primary_key_json),
    seq: r.seq,
    change: r.change,
    recordedAt: r.recorded_at,
  };
}

function toObject(r: ObjectRow): CatalogObject {
  return {
    tenant: r.tenant,
    seq: r.seq,
    ord: r.ord,
    key: r.object_key,
    kind: r.kind as CatalogObject['kind'],
    dropped: r.dropped === 1,
    body: JSON.parse(r.body_json),
  };
}

function toKey(r: KeyRow): IdempotencyRecord {
  return {
    tenant: r.tenant,
    key: r.key,
    fingerprint: r.fingerprint,
    owner: r.owner,
    reservedAt: r.reserved_at,
    firstSeq: r.first_seq,
    lastSeq: r.last_seq,
    rows: r.row_count,
  };
}

function toListing(r: SnapshotRow): SnapshotListing {
  return { snapshotId: r.snapshot_id, watermark: r.watermark, committedAt: r.committed_at, busHead: r.bus_head, expiredAt: r.expired_at };
}

function toFailure(r: FailureRow): WriteFailure {
  return { tenant: r.tenant, firstSeq: r.first_seq, lastSeq: r.last_seq, sqlstate: r.sqlstate, message: r.message, recordedAt: r.recorded_at };
}
