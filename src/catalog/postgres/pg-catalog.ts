import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { runMigrations } from '../../common/pg/migrations.js';
import { NotifyListener } from '../../common/pg/notify-listener.js';
import {
  checkout,
  checkSchemaName,
  clientConfig,
  createPool,
  DEFAULT_SCHEMA,
  describeError,
  isConnectionError,
  quoteIdent,
  type PgConnectionOptions,
} from '../../common/pg/pg-support.js';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { checkFence, checkTtl, type LeaseRowState } from '../lease-check.js';
import { expiredError, RECENT_FAILURES, RECENT_SNAPSHOTS, resolveAtWatermark } from '../metadata.js';
import type {
  Catalog,
  CatalogObject,
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
import { CATALOG_MIGRATIONS } from './migrations.js';
import { PgMetadata } from './pg-metadata.js';
import { toFileRecord, toTableDef, type FileRow, type TableRow } from './rows.js';

export interface PgCatalogOptions extends PgConnectionOptions {
  onBackgroundError?: (err: Error) => void;
}

const SNAPSHOT_COLS = 'snapshot_id AS "snapshotId", watermark, committed_at AS "committedAt"';

/**
 * The server ends a publishing session that sits idle inside its transaction this long (a
 * publisher partitioned away mid-publish), releasing the snapshot and lease locks it holds so a new
 * leader is not blocked behind it indefinitely.
 */
const PUBLISH_IDLE_TIMEOUT_MS = 15_000;
/** How long resolving an in-doubt COMMIT may wait for the lost transaction to finish. */
const IN_DOUBT_LOCK_TIMEOUT_MS = 30_000;

/** Thrown inside `transaction` when the connection failed after COMMIT was sent. */
class CommitInDoubt extends Error {
  constructor(readonly original: unknown) {
    super('COMMIT outcome unknown');
  }
}

/**
 * The catalog on PostgreSQL, shared by every DuckMesh process of a deployment. Same tables and
 * semantics as the embedded SqliteCatalog; the differences are how atomicity is obtained:
 *
 * - `publish` runs in one transaction that first takes `LOCK TABLE snapshots IN EXCLUSIVE MODE`.
 *   That lock conflicts with itself and with every writer of `snapshots`, but not with readers, so
 *   publishers are serialized while queries continue. The parent check then reads the committed
 *   newest snapshot (READ COMMITTED takes a fresh snapshot per statement, after the lock was
 *   granted), so two publishers built on the same parent cannot both pass: the second one waits for
 *   the first, then sees it and is rejected — no forked history. The primary key on snapshot_id is
 *   a second line of defence.
 * - `snapshotContents` reads the snapshot, its tables and its files in one REPEATABLE READ
 *   transaction: one database snapshot, so a concurrent publish cannot tear the view.
 *
 * Leases and fencing: `acquireLease` is one INSERT … ON CONFLICT DO UPDATE … WHERE statement, so
 * take-over, renewal and refusal are decided atomically under the lease row's lock, with expiry
 * judged by the server's clock_timestamp() (never a client clock). A fenced `publish` locks the
 * lease row FOR UPDATE inside its transaction and checks holder, epoch and expiry there: until it
 * commits no one can take the lease over, so a publication is accepted only if the publisher was
 * the current, unexpired leader at a moment when no other leader could exist.
 *
 * A lost COMMIT acknowledgement (connection dropped after COMMIT was sent) is resolved, not
 * guessed: each publish carries a random publish_id; on such a failure the catalog waits for the
 * lost transaction to end (by taking the same snapshots lock) and looks for its row. Found: the
 * publish succeeded and returns normally. Not found: it did not happen (DM006). Cannot tell
 * (Postgres still unreachable): DM008, and the caller must not delete the files it registered.
 */
export class PgCatalog implements Catalog {
  readonly backend = 'postgres';
  private closed = false;
  private readonly s: string;
  private readonly channel: string;
  private readonly events = new EventEmitter();
  /** Started on the first onPublish subscription: most processes never need it. */
  private listener: NotifyListener | null = null;
  private readonly meta: PgMetadata;

  private constructor(
    private readonly pool: pg.Pool,
    readonly schema: string,
    private readonly opts: PgCatalogOptions,
  ) {
    this.s = quoteIdent(schema);
    this.channel = `duckmesh_catalog_${schema}`;
    this.events.setMaxListeners(0);
    this.meta = new PgMetadata({ query: (sql, params) => this.query(sql, params) }, this.s);
  }

  static async open(opts: PgCatalogOptions = {}): Promise<PgCatalog> {
    const schema = checkSchemaName(opts.schema ?? DEFAULT_SCHEMA);
    const pool = createPool(opts, 'duckmesh-catalog');
    pool.on('error', (err) => opts.onBackgroundError?.(err));
    try {
      await runMigrations(pool, schema, 'catalog', CATALOG_MIGRATIONS);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw catalogError('could not open', err);
    }
    return new PgCatalog(pool, schema, opts);
  }

  async reserveTable(def: NewTable): Promise<number> {
    const { rows } = await this.query<{ table_id: number }>(
      `INSERT INTO ${this.s}.tables (tenant, schema_name, table_name, columns_json, primary_key_json, reserved_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING table_id`,
      [def.tenant, def.schema, def.name, JSON.stringify(def.columns), JSON.stringify(def.primaryKey), Date.now()],
    );
    return rows[0]!.table_id;
  }

  async markTableCreated(tableId: number, seq: number): Promise<void> {
    await this.transaction('READ COMMITTED', async (c) => {
      await c.query(`UPDATE ${this.s}.tables SET created_seq = $1 WHERE table_id = $2 AND created_seq IS NULL`, [seq, tableId]);
      await this.meta.recordFirstVersion(c, tableId);
    });
  }

  async markTableDropped(tableId: number, seq: number): Promise<void> {
    await this.query(`UPDATE ${this.s}.tables SET dropped_seq = $1 WHERE table_id = $2 AND dropped_seq IS NULL`, [seq, tableId]);
  }

  async liveTables(tenant: string): Promise<TableDef[]> {
    const { rows } = await this.query<TableRow>(
      `SELECT * FROM ${this.s}.tables WHERE tenant = $1 AND created_seq IS NOT NULL AND dropped_seq IS NULL ORDER BY table_id`,
      [tenant],
    );
    return rows.map(toTableDef);
  }

  async getTable(tableId: number): Promise<TableDef | null> {
    const { rows } = await this.query<TableRow>(`SELECT * FROM ${this.s}.tables WHERE table_id = $1`, [tableId]);
    return rows[0] ? toTableDef(rows[0]) : null;
  }

  async ensureTenant(tenant: string): Promise<void> {
    await this.query(`INSERT INTO ${this.s}.tenants (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [tenant, Date.now()]);
  }

  async listTenants(): Promise<string[]> {
    // COLLATE "C": byte order, as SQLite sorts — not the database's locale.
    const { rows } = await this.query<{ name: string }>(`SELECT name FROM ${this.s}.tenants ORDER BY name COLLATE "C"`);
    return rows.map((r) => r.name);
  }

  async latestSnapshot(): Promise<SnapshotInfo | null> {
    const { rows } = await this.query<SnapshotInfo>(`SELECT ${SNAPSHOT_COLS} FROM ${this.s}.snapshots ORDER BY snapshot_id DESC LIMIT 1`);
    return rows[0] ?? null;
  }

  async getSnapshot(snapshotId: number): Promise<SnapshotInfo | null> {
    const { rows } = await this.query<SnapshotInfo>(`SELECT ${SNAPSHOT_COLS} FROM ${this.s}.snapshots WHERE snapshot_id = $1`, [snapshotId]);
    return rows[0] ?? null;
  }

  async snapshotAsOf(atMs: number): Promise<SnapshotInfo | null> {
    const { rows } = await this.query<SnapshotInfo>(
      `SELECT ${SNAPSHOT_COLS} FROM ${this.s}.snapshots WHERE committed_at <= $1 ORDER BY snapshot_id DESC LIMIT 1`,
      [atMs],
    );
    return rows[0] ?? null;
  }

  async snapshotContents(tenant: string, snapshotId: number): Promise<SnapshotContents> {
    return this.transaction('REPEATABLE READ, READ ONLY', async (c) => {
      const snap = await c.query<SnapshotInfo>(`SELECT ${SNAPSHOT_COLS} FROM ${this.s}.snapshots WHERE snapshot_id = $1`, [snapshotId]);
      const snapshot = snap.rows[0];
      if (!snapshot) throw new DuckMeshError(SqlState.snapshotUnavailable, `snapshot ${snapshotId} does not exist`);
      const expiry = await this.meta.snapshotExpiry(c, snapshotId);
      if (expiry.expiredAt !== null) throw expiredError(snapshotId, expiry.oldest);
      const tableRows = await c.query<TableRow>(
        `SELECT * FROM ${this.s}.tables WHERE tenant = $1 AND created_seq IS NOT NULL AND created_seq <= $2
         AND (dropped_seq IS NULL OR dropped_seq > $2) ORDER BY table_id`,
        [tenant, snapshot.watermark],
      );
      const fileRows = await c.query<FileRow>(
        `SELECT * FROM ${this.s}.files WHERE tenant = $1 AND added_snapshot <= $2
         AND (removed_snapshot IS NULL OR removed_snapshot > $2) ORDER BY file_id`,
        [tenant, snapshotId],
      );
      const tables = tableRows.rows.map(toTableDef);
      const files = new Map<number, FileRecord[]>();
      for (const t of tables) files.set(t.tableId, []);
      for (const f of fileRows.rows) files.get(f.table_id)?.push(toFileRecord(f));
      const ids = tables.map((t) => t.tableId);
      const resolved = resolveAtWatermark({ snapshot, tables, files }, await this.meta.versionsOf(c, ids));
      return {
        snapshot,
        tables: resolved.tables,
        files,
        versions: resolved.versions,
        objects: await this.meta.objectsAt(c, tenant, snapshot.watermark),
        tableWatermarks: await this.meta.tableWatermarksAt(c, ids, snapshotId),
        recentSnapshots: await this.meta.listSnapshots(c, snapshotId, RECENT_SNAPSHOTS),
        writeFailures: await this.meta.writeFailures(c, tenant, snapshot.watermark, RECENT_FAILURES),
      };
    });
  }

  async tableWatermark(tableId: number, snapshotId: number): Promise<number> {
    const { rows } = await this.query<{ seq: number | null }>(
      `SELECT max(seq) AS seq FROM ${this.s}.table_watermarks WHERE table_id = $1 AND snapshot_id <= $2`,
      [tableId, snapshotId],
    );
    return rows[0]?.seq ?? 0;
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    checkTtl(ttlMs);
    // Renewal keeps the epoch only while the holder's grant is unexpired; a free, released or
    // expired lease is taken with epoch + 1 (even by its previous holder).
    const { rows } = await this.query<{ epoch: number; expires_at_ms: number }>(
      `INSERT INTO ${this.s}.leases AS l (name, holder, epoch, expires_at)
       VALUES ($1, $2, 1, clock_timestamp() + make_interval(secs => $3::double precision / 1000))
       ON CONFLICT (name) DO UPDATE SET
         holder = EXCLUDED.holder,
         epoch = CASE WHEN l.holder = EXCLUDED.holder AND l.expires_at > clock_timestamp() THEN l.epoch ELSE l.epoch + 1 END,
         expires_at = EXCLUDED.expires_at
       WHERE l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp()
       RETURNING epoch, floor(extract(epoch FROM expires_at) * 1000)::bigint AS expires_at_ms`,
      [name, holder, ttlMs],
    );
    const r = rows[0];
    return r ? { epoch: r.epoch, expiresAt: r.expires_at_ms } : null;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.query(
      `UPDATE ${this.s}.leases SET expires_at = clock_timestamp()
       WHERE name = $1 AND holder = $2 AND expires_at > clock_timestamp()`,
      [name, holder],
    );
  }

  async publish(commit: SnapshotCommit): Promise<SnapshotInfo> {
    const publishId = randomUUID();
    let attemptedId: number | null = null;
    let snapshot: SnapshotInfo;
    try {
      snapshot = await this.publishTx(commit, publishId, (id) => {
        attemptedId = id;
      });
    } catch (err) {
      if (!(err instanceof CommitInDoubt)) throw err;
      snapshot = await this.resolveInDoubt(attemptedId!, publishId, err.original);
    }
    this.events.emit('publish', snapshot.snapshotId);
    return snapshot;
  }

  onPublish(listener: (snapshotId: number) => void): () => void {
    this.events.on('publish', listener);
    if (!this.listener && !this.closed) {
      this.listener = new NotifyListener({
        client: clientConfig(this.opts, this.opts.applicationName ?? 'duckmesh-catalog'),
        channel: this.channel,
        onNotify: (payload) => {
          const id = Number(payload);
          if (Number.isSafeInteger(id)) this.events.emit('publish', id);
        },
        // Notifications sent while the session was down are lost: have followers re-read.
        onConnected: () => {
          this.latestSnapshot().then(
            (s) => s && this.events.emit('publish', s.snapshotId),
            () => undefined,
          );
        },
        onError: (err) => this.opts.onBackgroundError?.(err),
      });
      void this.listener.start();
    }
    return () => this.events.off('publish', listener);
  }

  private publishTx(commit: SnapshotCommit, publishId: string, attempting: (snapshotId: number) => void): Promise<SnapshotInfo> {
    return this.transaction('READ COMMITTED', async (c) => {
      await c.query(`SET LOCAL idle_in_transaction_session_timeout = ${PUBLISH_IDLE_TIMEOUT_MS}`);
      await c.query(`LOCK TABLE ${this.s}.snapshots IN EXCLUSIVE MODE`);
      if (commit.fencing) {
        const { rows } = await c.query<LeaseRowState>(
          `SELECT holder, epoch, expires_at > clock_timestamp() AS live FROM ${this.s}.leases WHERE name = $1 FOR UPDATE`,
          [commit.fencing.lease],
        );
        checkFence(commit.fencing, rows[0]);
      }
      const latest = (
        await c.query<{ id: number | null; w: number | null; at: number | null }>(
          `SELECT max(snapshot_id) AS id, max(watermark) AS w, max(committed_at) AS at FROM ${this.s}.snapshots`,
        )
      ).rows[0]!;
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
      // Publishers may run on different hosts (after a failover): never let commit time go backwards,
      // or time travel "as of T" could pick an older snapshot over a newer one.
      const committedAt = Math.max(Date.now(), latest.at ?? 0);
      attempting(snapshotId);
      await c.query(
        `INSERT INTO ${this.s}.snapshots (snapshot_id, watermark, committed_at, publish_id, bus_head) VALUES ($1, $2, $3, $4, $5)`,
        [snapshotId, commit.watermark, committedAt, publishId, commit.busHead ?? null],
      );
      const f = commit.addedFiles;
      if (f.length > 0) {
        await c.query(
          `INSERT INTO ${this.s}.files (tenant, table_id, path, row_count, byte_size, checksum, min_seq, max_seq, added_snapshot, schema_version, mutations)
           SELECT t, tid, p, rc, bs, cs, mn, mx, $9, sv, mu
           FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[], $8::bigint[], $10::integer[], $11::boolean[])
                WITH ORDINALITY AS u(t, tid, p, rc, bs, cs, mn, mx, sv, mu, ord)
           ORDER BY ord`,
          [
            f.map((x) => x.tenant),
            f.map((x) => x.tableId),
            f.map((x) => x.path),
            f.map((x) => x.rowCount),
            f.map((x) => x.byteSize),
            f.map((x) => x.checksum),
            f.map((x) => x.minSeq),
            f.map((x) => x.maxSeq),
            snapshotId,
            f.map((x) => x.schemaVersion ?? 1),
            f.map((x) => x.mutations === true),
          ],
        );
      }
      if (commit.removedFileIds.length > 0) {
        await c.query(`UPDATE ${this.s}.files SET removed_snapshot = $1 WHERE file_id = ANY($2::bigint[]) AND removed_snapshot IS NULL`, [
          snapshotId,
          commit.removedFileIds,
        ]);
      }
      // Delivered to listeners at COMMIT, never for a rolled-back publication.
      await c.query('SELECT pg_notify($1, $2)', [this.channel, String(snapshotId)]);
      const w = commit.tableWatermarks;
      if (w.length > 0) {
        await c.query(
          `INSERT INTO ${this.s}.table_watermarks (table_id, snapshot_id, seq)
           SELECT tid, $3, seq FROM unnest($1::bigint[], $2::bigint[]) AS u(tid, seq)`,
          [w.map((x) => x.tableId), w.map((x) => x.seq), snapshotId],
        );
      }
      return { snapshotId, watermark: commit.watermark, committedAt };
    }, true);
  }

  /**
   * The connection failed after COMMIT was sent. Taking the snapshots lock waits for the lost
   * transaction to end one way or the other (it holds that lock until then; the server aborts it
   * once it notices the dead session, at worst after PUBLISH_IDLE_TIMEOUT_MS); then its row is
   * either there or never will be.
   */
  private async resolveInDoubt(snapshotId: number, publishId: string, original: unknown): Promise<SnapshotInfo> {
    let found: SnapshotInfo | undefined;
    try {
      found = await this.transaction('READ COMMITTED', async (c) => {
        await c.query(`SET LOCAL lock_timeout = ${IN_DOUBT_LOCK_TIMEOUT_MS}`);
        await c.query(`LOCK TABLE ${this.s}.snapshots IN EXCLUSIVE MODE`);
        const { rows } = await c.query<SnapshotInfo>(
          `SELECT ${SNAPSHOT_COLS} FROM ${this.s}.snapshots WHERE snapshot_id = $1 AND publish_id = $2`,
          [snapshotId, publishId],
        );
        return rows[0];
      });
    } catch (err) {
      throw new DuckMeshError(
        SqlState.writeOutcomeUnknown,
        `snapshot ${snapshotId} may or may not have been published: the Postgres catalog connection was lost during COMMIT (${describeError(original)}) and the outcome could not be checked (${describeError(err)})`,
        { cause: original, hint: 'Keep the files this publication registered; the next publisher re-reads the catalog.' },
      );
    }
    if (found) return found;
    throw new DuckMeshError(
      SqlState.catalogUnavailable,
      `could not publish snapshot ${snapshotId}: the Postgres catalog connection was lost during COMMIT (${describeError(original)}); the snapshot was not published`,
      { cause: original },
    );
  }

  async allFiles(): Promise<FileRecord[]> {
    const { rows } = await this.query<FileRow>(`SELECT * FROM ${this.s}.files ORDER BY file_id`);
    return rows.map(toFileRecord);
  }

  async recordTableVersion(v: NewTableVersion): Promise<TableVersion> {
    return this.transaction('READ COMMITTED', (c) => this.meta.recordTableVersion(c, v));
  }

  async tableVersions(tableId: number): Promise<TableVersion[]> {
    return this.meta.tableVersions(tableId, await this.getTable(tableId));
  }

  setTableCompatibility(tableId: number, mode: CompatibilityMode): Promise<void> {
    return this.meta.setTableCompatibility(tableId, mode);
  }

  recordObjects(tenant: string, seq: number, events: ObjectEvent[]): Promise<void> {
    return this.meta.recordObjects(tenant, seq, events);
  }

  objectsAt(tenant: string, watermark: number | null): Promise<CatalogObject[]> {
    return this.meta.objectsAt({ query: (sql, params) => this.query(sql, params) }, tenant, watermark);
  }

  reserveIdempotencyKey(r: { tenant: string; key: string; fingerprint: string; owner: string; now: number }): Promise<IdempotencyRecord | null> {
    return this.meta.reserveIdempotencyKey(r);
  }

  claimIdempotencyReceipt(r: {
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

  getIdempotencyKey(tenant: string, key: string): Promise<IdempotencyRecord | null> {
    return this.meta.getIdempotencyKey(tenant, key);
  }

  takeOverIdempotencyKey(tenant: string, key: string, expectOwner: string, expectReservedAt: number, newOwner: string, now: number): Promise<boolean> {
    return this.meta.takeOverIdempotencyKey(tenant, key, expectOwner, expectReservedAt, newOwner, now);
  }

  releaseIdempotencyKey(tenant: string, key: string, owner: string): Promise<void> {
    return this.meta.releaseIdempotencyKey(tenant, key, owner);
  }

  pruneIdempotencyKeys(beforeMs: number): Promise<number> {
    return this.meta.pruneIdempotencyKeys(beforeMs);
  }

  tenantSettings(tenant: string): Promise<Record<string, string>> {
    return this.meta.tenantSettings(tenant);
  }

  setTenantSetting(tenant: string, name: string, value: string | null): Promise<void> {
    return this.meta.setTenantSetting(tenant, name, value);
  }

  recordWriteFailure(f: WriteFailure): Promise<void> {
    return this.meta.recordWriteFailure(f);
  }

  listSnapshots(uptoSnapshotId: number, limit: number): Promise<SnapshotListing[]> {
    return this.meta.listSnapshots({ query: (sql, params) => this.query(sql, params) }, uptoSnapshotId, limit);
  }

  expireSnapshots(beforeSnapshotId: number): Promise<number> {
    return this.meta.expireSnapshots(beforeSnapshotId);
  }

  async oldestSnapshotLiveAt(atMs: number): Promise<number | null> {
    const { rows } = await this.query<{ id: number | null }>(
      `SELECT min(id) AS id FROM (
         SELECT min(snapshot_id) AS id FROM ${this.s}.snapshots WHERE expired_at IS NULL
         UNION ALL SELECT min(snapshot_id) FROM ${this.s}.snapshots WHERE expired_at > $1) AS u`,
      [atMs],
    );
    return rows[0]?.id ?? null;
  }

  async filesUnreferencedFrom(snapshotId: number): Promise<FileRecord[]> {
    const { rows } = await this.query<FileRow>(
      `SELECT * FROM ${this.s}.files WHERE ${this.unreferencedFrom('$1')} ORDER BY file_id`,
      [snapshotId],
    );
    return rows.map(toFileRecord);
  }

  async forgetFiles(fileIds: number[], unreferencedFrom: number): Promise<number[]> {
    if (fileIds.length === 0) return [];
    const { rows } = await this.query<{ file_id: number }>(
      `DELETE FROM ${this.s}.files WHERE file_id = ANY($1::bigint[]) AND (${this.unreferencedFrom('$2')}) RETURNING file_id`,
      [fileIds, unreferencedFrom],
    );
    return rows.map((r) => r.file_id);
  }

  /** Files no snapshot >= `p` references (see SqliteCatalog): removed at or before it, or of a table dropped by its watermark. */
  private unreferencedFrom(p: string): string {
    return `(removed_snapshot IS NOT NULL AND removed_snapshot <= ${p})
      OR table_id IN (SELECT table_id FROM ${this.s}.tables WHERE dropped_seq IS NOT NULL
                      AND dropped_seq <= (SELECT watermark FROM ${this.s}.snapshots WHERE snapshot_id = ${p}))`;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener?.stop();
    this.events.removeAllListeners();
    await this.pool.end().catch(() => undefined);
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    this.checkOpen();
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw catalogError('could not query', err);
    }
  }

  /** With `detectInDoubt`, a connection failure on COMMIT itself throws CommitInDoubt. */
  private async transaction<T>(mode: string, fn: (c: pg.PoolClient) => Promise<T>, detectInDoubt = false): Promise<T> {
    this.checkOpen();
    let checkedOut: Awaited<ReturnType<typeof checkout>>;
    try {
      checkedOut = await checkout(this.pool);
    } catch (err) {
      throw catalogError('could not query', err);
    }
    const client = checkedOut.client;
    let broken = false;
    let committing = false;
    try {
      await client.query(`BEGIN ISOLATION LEVEL ${mode}`);
      const result = await fn(client);
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (committing && isConnectionError(err)) {
        broken = true;
        if (detectInDoubt) throw new CommitInDoubt(err);
        throw catalogError('could not query', err);
      }
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw catalogError('could not query', err);
    } finally {
      checkedOut.release(broken);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new DuckMeshError(SqlState.catalogUnavailable, 'the Postgres catalog is closed');
  }
}

/**
 * The catalog being unreachable is reported as catalog_unavailable (DM006) with a message naming
 * the catalog — not as a connection_failure (08006), which would tell the client that its own
 * connection to DuckMesh is broken. Anything else (our own rejections, constraint violations)
 * passes through unchanged, as the embedded catalog's errors do.
 */
function catalogError(what: string, err: unknown): unknown {
  if (err instanceof DuckMeshError) return err;
  if ((err as { code?: string }).code === '53100') {
    return new DuckMeshError(SqlState.diskFull, `${what} the Postgres catalog: disk full`, { cause: err });
  }
  if (isConnectionError(err)) {
    return new DuckMeshError(SqlState.catalogUnavailable, `${what} the Postgres catalog: Postgres is unreachable: ${describeError(err)}`, {
      cause: err,
    });
  }
  return err;
}
