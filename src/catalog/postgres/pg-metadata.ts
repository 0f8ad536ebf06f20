import type pg from 'pg';
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

type Query = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<pg.QueryResult<R>>;
type Runner = { query: Query };

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
  dropped: boolean;
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
 * The schema-registry half of the Postgres catalog; same rows and semantics as SqliteMetadata.
 * Read-then-write operations are single statements (INSERT … ON CONFLICT, conditional UPDATE), so
 * concurrent processes are serialized by the rows' own locks, never by client-side checks.
 */
export class PgMetadata {
  /** `run` is the pool (autocommit) or a transaction's client; `s` the quoted schema. */
  constructor(
    private readonly run: Runner,
    private readonly s: string,
  ) {}

  async recordFirstVersion(c: Runner, tableId: number): Promise<void> {
    await c.query(
      `INSERT INTO ${this.s}.table_versions (table_id, version, schema_name, table_name, columns_json, primary_key_json, seq, change, recorded_at)
       SELECT table_id, 1, schema_name, table_name, columns_json, primary_key_json, created_seq, 'create table', $2
       FROM ${this.s}.tables WHERE table_id = $1 AND created_seq IS NOT NULL
       ON CONFLICT (table_id, version) DO NOTHING`,
      [tableId, Date.now()],
    );
  }

  async recordTableVersion(c: Runner, v: NewTableVersion): Promise<TableVersion> {
    await c.query(
      `INSERT INTO ${this.s}.table_versions (table_id, version, schema_name, table_name, columns_json, primary_key_json, seq, change, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (table_id, version) DO NOTHING`,
      [v.tableId, v.version, v.schema, v.name, JSON.stringify(v.columns), JSON.stringify(v.primaryKey), v.seq, v.change, Date.now()],
    );
    const { rows } = await c.query<VersionRow>(`SELECT * FROM ${this.s}.table_versions WHERE table_id = $1 AND version = $2`, [
      v.tableId,
      v.version,
    ]);
    const stored = rows[0]!;
    if (stored.seq === v.seq) {
      // The live definition follows the highest version (replays of older ones change nothing).
      await c.query(
        `UPDATE ${this.s}.tables SET schema_name = $1, table_name = $2, columns_json = $3, primary_key_json = $4, schema_version = $5
         WHERE table_id = $6 AND schema_version < $5`,
        [stored.schema_name, stored.table_name, stored.columns_json, stored.primary_key_json, v.version, v.tableId],
      );
    }
    return toVersion(stored);
  }

  async tableVersions(tableId: number, fallback: TableDef | null): Promise<TableVersion[]> {
    const { rows } = await this.run.query<VersionRow>(`SELECT * FROM ${this.s}.table_versions WHERE table_id = $1 ORDER BY version`, [tableId]);
    if (rows.length === 0 && fallback && fallback.createdSeq !== null) return [firstVersionOf(fallback, 0)];
    return rows.map(toVersion);
  }

  async versionsOf(c: Runner, tableIds: number[]): Promise<TableVersion[]> {
    if (tableIds.length === 0) return [];
    const { rows } = await c.query<VersionRow>(
      `SELECT * FROM ${this.s}.table_versions WHERE table_id = ANY($1::bigint[]) ORDER BY table_id, version`,
      [tableIds],
    );
    return rows.map(toVersion);
  }

  async setTableCompatibility(tableId: number, mode: CompatibilityMode): Promise<void> {
    await this.run.query(`UPDATE ${this.s}.tables SET compatibility = $1 WHERE table_id = $2`, [mode, tableId]);
  }

  async recordObjects(tenant: string, seq: number, events: ObjectEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.run.query(
      `INSERT INTO ${this.s}.catalog_objects (tenant, seq, ord, object_key, kind, dropped, body_json)
       SELECT $1, $2, ord - 1, k, kd, d, b
       FROM unnest($3::text[], $4::text[], $5::boolean[], $6::text[]) WITH ORDINALITY AS u(k, kd, d, b, ord)
       ON CONFLICT (tenant, seq, ord) DO NOTHING`,
      [tenant, seq, events.map((e) => e.key), events.map((e) => e.kind), events.map((e) => e.dropped), events.map((e) => JSON.stringify(e.body))],
    );
  }

  async objectsAt(c: Runner, tenant: string, watermark: number | null): Promise<CatalogObject[]> {
    const { rows } = await c.query<ObjectRow>(
      `SELECT * FROM ${this.s}.catalog_objects WHERE tenant = $1 AND seq <= $2 ORDER BY seq, ord`,
      [tenant, watermark ?? Number.MAX_SAFE_INTEGER],
    );
    return latestObjects(rows.map(toObject));
  }

  async reserveIdempotencyKey(r: { tenant: string; key: string; fingerprint: string; owner: string; now: number }): Promise<IdempotencyRecord | null> {
    const ins = await this.run.query(
      `INSERT INTO ${this.s}.idempotency_keys (tenant, key, fingerprint, owner, reserved_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, key) DO NOTHING`,
      [r.tenant, r.key, r.fingerprint, r.owner, r.now],
    );
    if (ins.rowCount === 1) return null;
    const existing = await this.getIdempotencyKey(r.tenant, r.key);
    // Pruned between the two statements: try once more rather than report a phantom.
    return existing ?? this.reserveIdempotencyKey(r);
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
    // One statement: insert, or fill in a receipt-less reservation; a recorded receipt is kept.
    const { rows } = await this.run.query<KeyRow>(
      `INSERT INTO ${this.s}.idempotency_keys AS k (tenant, key, fingerprint, owner, reserved_at, first_seq, last_seq, row_count)
       VALUES ($1, $2, $3, '', $4, $5, $6, $7)
       ON CONFLICT (tenant, key) DO UPDATE SET
         first_seq = COALESCE(k.first_seq, EXCLUDED.first_seq),
         last_seq = CASE WHEN k.first_seq IS NULL THEN EXCLUDED.last_seq ELSE k.last_seq END,
         row_count = CASE WHEN k.first_seq IS NULL THEN EXCLUDED.row_count ELSE k.row_count END
       RETURNING *`,
      [r.tenant, r.key, r.fingerprint, r.now, r.firstSeq, r.lastSeq, r.rows],
    );
    return toKey(rows[0]!);
  }

  async getIdempotencyKey(tenant: string, key: string): Promise<IdempotencyRecord | null> {
    const { rows } = await this.run.query<KeyRow>(`SELECT * FROM ${this.s}.idempotency_keys WHERE tenant = $1 AND key = $2`, [tenant, key]);
    return rows[0] ? toKey(rows[0]) : null;
  }

  async takeOverIdempotencyKey(
    tenant: string,
    key: string,
    expectOwner: string,
    expectReservedAt: number,
    newOwner: string,
    now: number,
  ): Promise<boolean> {
    const r = await this.run.query(
      `UPDATE ${this.s}.idempotency_keys SET owner = $1, reserved_at = $2
       WHERE tenant = $3 AND key = $4 AND owner = $5 AND reserved_at = $6 AND first_seq IS NULL`,
      [newOwner, now, tenant, key, expectOwner, expectReservedAt],
    );
    return r.rowCount === 1;
  }

  async releaseIdempotencyKey(tenant: string, key: string, owner: string): Promise<void> {
    await this.run.query(`DELETE FROM ${this.s}.idempotency_keys WHERE tenant = $1 AND key = $2 AND owner = $3 AND first_seq IS NULL`, [
      tenant,
      key,
      owner,
    ]);
  }

  async pruneIdempotencyKeys(beforeMs: number): Promise<number> {
    const r = await this.run.query(`DELETE FROM ${this.s}.idempotency_keys WHERE reserved_at < $1`, [beforeMs]);
    return r.rowCount ?? 0;
  }

  async tenantSettings(tenant: string): Promise<Record<string, string>> {
    const { rows } = await this.run.query<{ name: string; value: string }>(
      `SELECT name, value FROM ${this.s}.tenant_settings WHERE tenant = $1`,
      [tenant],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }

  async setTenantSetting(tenant: string, name: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.run.query(`DELETE FROM ${this.s}.tenant_settings WHERE tenant = $1 AND name = $2`, [tenant, name]);
      return;
    }
    await this.run.query(
      `INSERT INTO ${this.s}.tenant_settings (tenant, name, value) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, name) DO UPDATE SET value = EXCLUDED.value`,
      [tenant, name, value],
    );
  }

  async recordWriteFailure(f: WriteFailure): Promise<void> {
    await this.run.query(
      `INSERT INTO ${this.s}.write_failures (tenant, first_seq, last_seq, sqlstate, message, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (tenant, first_seq) DO NOTHING`,
      [f.tenant, f.firstSeq, f.lastSeq, f.sqlstate, f.message, f.recordedAt],
    );
  }

  async writeFailures(c: Runner, tenant: string, uptoSeq: number, limit: number): Promise<WriteFailure[]> {
    const { rows } = await c.query<FailureRow>(
      `SELECT * FROM ${this.s}.write_failures WHERE tenant = $1 AND last_seq <= $2 ORDER BY first_seq DESC LIMIT $3`,
      [tenant, uptoSeq, limit],
    );
    return rows.map(toFailure);
  }

  async listSnapshots(c: Runner, uptoSnapshotId: number, limit: number): Promise<SnapshotListing[]> {
    const { rows } = await c.query<SnapshotRow>(
      `SELECT snapshot_id, watermark, committed_at, bus_head, expired_at FROM ${this.s}.snapshots
       WHERE snapshot_id <= $1 ORDER BY snapshot_id DESC LIMIT $2`,
      [uptoSnapshotId, limit],
    );
    return rows.map(toListing);
  }

  async expireSnapshots(beforeSnapshotId: number): Promise<number> {
    const r = await this.run.query(`UPDATE ${this.s}.snapshots SET expired_at = $1 WHERE snapshot_id < $2 AND expired_at IS NULL`, [
      Date.now(),
      beforeSnapshotId,
    ]);
    return r.rowCount ?? 0;
  }

  async snapshotExpiry(c: Runner, snapshotId: number): Promise<{ expiredAt: number | null; oldest: number | null }> {
    const { rows } = await c.query<{ expired_at: number | null; oldest: number | null }>(
      `SELECT (SELECT expired_at FROM ${this.s}.snapshots WHERE snapshot_id = $1) AS expired_at,
              (SELECT min(snapshot_id) FROM ${this.s}.snapshots WHERE expired_at IS NULL) AS oldest`,
      [snapshotId],
    );
    return { expiredAt: rows[0]?.expired_at ?? null, oldest: rows[0]?.oldest ?? null };
  }

  async tableWatermarksAt(c: Runner, tableIds: number[], snapshotId: number): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (tableIds.length === 0) return out;
    const { rows } = await c.query<{ table_id: number; seq: number }>(
      `SELECT table_id, max(seq) AS seq FROM ${this.s}.table_watermarks
       WHERE snapshot_id <= $1 AND table_id = ANY($2::bigint[]) GROUP BY table_id`,
      [snapshotId, tableIds],
    );
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
    dropped: r.dropped,
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
