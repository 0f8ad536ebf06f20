import type { DuckDBConnection, DuckDBDataChunk, DuckDBPreparedStatement, DuckDBResult } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { DuckMeshError, SqlState } from '../common/errors.js';
import { quoteIdent } from '../common/sql-text.js';
import type { Catalog, SnapshotInfo } from '../catalog/types.js';
import { expiredError } from '../catalog/metadata.js';
import { mapDuckDbError } from '../engine/errors.js';
import type { EngineRegistry } from '../engine/registry.js';
import type { TenantEngine } from '../engine/tenant-engine.js';
import type { IngestService, PendingWrite } from '../ingest/service.js';
import type { Receipt } from '../ingest/receipt.js';
import { classifyWithDuckDb } from '../sql/duckdb-fallback.js';
import { assertSafeQuery } from '../sql/guard.js';
import { classifyStatement } from '../sql/classify.js';
import { parseSql, type ParsedStatement } from '../sql/parser.js';
import { parseFastInsert } from '../sql/fast-insert.js';
import type { AstNode, SelectStatement, Statement, TransactionStatement } from '../sql/statements.js';
import { REQUIRE_KEY_SETTING } from '../ingest/idempotency.js';
import { decodeToken, encodeToken } from '../visibility/token.js';
import type { VisibilityTracker } from '../visibility/tracker.js';
import { duckDBTypeToParamOid as paramOidForType } from '../types/params.js';
import { chunkListSource, recordingSource, staticSource, textFields, type ExecResult, type FieldDesc, type RowSource } from './results.js';
import { isDeterministicQuery, isSmallResult, readsAnyOf, readsLiveState, resultCacheKey } from '../engine/result-cache.js';
import { displayName, SERVER_VERSION, SessionSettings } from './settings.js';
import { needsCompatRewrite, rewriteCatalogQueryDetailed } from '../compat/index.js';
import { snapshotCatalogName } from '../engine/snapshot-binding.js';
import { WriteHandler } from './write-handler.js';
import { executeCopy } from './copy-command.js';
import { CursorManager } from './cursors.js';
import { SqlPreparedStatements } from './prepared-sql.js';

export interface SessionContext {
  catalog: Catalog;
  ingest: IngestService;
  tracker: VisibilityTracker;
  engines: EngineRegistry;
  log: Logger;
  onQuery?: (tenant: string, kind: string, ms: number, ok: boolean) => void;
  onVisibilityTimeout?: (tenant: string) => void;
  /** Roles of this node: a query-only node refuses writes and vice versa. */
  roles: { ingest: boolean; query: boolean };
}

export type TxStatus = 'I' | 'T' | 'E';

/** A statement prepared through the extended protocol (or PREPARE). */
export interface PreparedQuery {
  sql: string;
  stmt: Statement | null;
  /** Parameter type OIDs as the client sent them (0 = infer). */
  declaredOids: number[];
  /** Inferred for Describe: one OID per parameter. */
  paramOids: number[];
  /** Result columns, null when the statement returns no rows. */
  fields: FieldDesc[] | null;
  /** DuckDB statement and the snapshot it was prepared on (SELECTs only). */
  duck: { snapshotId: number; prepared: DuckDBPreparedStatement } | null;
}

/** What the session needs to tell the client after a statement (ParameterStatus changes). */
export type StatusReporter = (name: string, value: string) => void;

/**
 * A client session: settings, transaction state, visibility bookkeeping, and statement execution.
 * Protocol-agnostic: the Postgres wire layer and the HTTP query API both drive it.
 */
export class Session {
  readonly settings = new SessionSettings();
  private txStatus: TxStatus = 'I';
  /** Snapshot pinned by the first read of a transaction. */
  private txSnapshot: SnapshotInfo | null = null;
  private txWrites: PendingWrite[] = [];
  private lastWriteSeq = 0;
  private connPromise: Promise<DuckDBConnection> | null = null;
  private usedCatalog: string | null = null;
  private engine: TenantEngine | null = null;
  private running: { conn: DuckDBConnection; reason: 'user' | 'timeout' | null } | null = null;
  readonly writes: WriteHandler;
  /** SQL cursors (DECLARE/FETCH/MOVE/CLOSE) and SQL-level prepared statements (PREPARE/EXECUTE). */
  readonly cursors = new CursorManager(this);
  readonly sqlPrepared = new SqlPreparedStatements(this);
  /** Open savepoints of the transaction: how many buffered writes existed when each was set. */
  private savepoints: { name: string; writes: number }[] = [];
  report: StatusReporter = () => undefined;

  constructor(
    readonly ctx: SessionContext,
    readonly tenant: string,
    readonly user: string,
  ) {
    this.settings.set('session_authorization', user, { internal: true });
    this.writes = new WriteHandler(this);
  }

  get transactionStatus(): TxStatus {
    return this.txStatus;
  }

  get inTransaction(): boolean {
    return this.txStatus !== 'I';
  }

  async tenantEngine(): Promise<TenantEngine> {
    if (!this.engine) this.engine = await this.ctx.engines.get(this.tenant);
    return this.engine;
  }

  private connection(): Promise<DuckDBConnection> {
    if (!this.connPromise) {
      this.connPromise = this.tenantEngine().then((e) => e.connect());
      this.connPromise.catch(() => (this.connPromise = null));
    }
    return this.connPromise;
  }

  /**
   * The ingest hot statement (`INSERT … VALUES` of plain literals), classified without the full
   * parser (sql/fast-insert.ts); null for everything else.
   */
  fastInsert(sql: string): Statement | null {
    return parseFastInsert(sql);
  }

  /** Parses a simple-query string into statements (DuckDB-dialect SELECTs come back unclassified). */
  parse(sql: string): { parsed: ParsedStatement | null; text: string }[] {
    try {
      return parseSql(sql).map((p) => ({ parsed: p, text: p.text }));
    } catch (err) {
      // libpg-query cannot parse DuckDB-only syntax (GROUP BY ALL, EXCLUDE, QUALIFY…): hand the
      // whole string to the DuckDB fallback, which accepts only a single verified SELECT.
      if (err instanceof DuckMeshError && err.sqlstate === SqlState.syntaxError) return [{ parsed: null, text: sql }];
      throw err;
    }
  }

  /** Executes one statement of a simple query. `parsed` null = DuckDB-dialect fallback. */
  async execute(parsed: ParsedStatement | null, text: string, params: (string | null)[] = [], classified?: Statement): Promise<ExecResult> {
    const started = performance.now();
    let kind = 'other';
    try {
      let stmt: Statement;
      if (classified) stmt = classified;
      else if (parsed) stmt = classifyStatement(parsed);
      else {
        const conn = await this.bindForRead();
        stmt = await classifyWithDuckDb(text, conn.conn);
        conn.release();
      }
      kind = stmt.kind;
      this.checkTransactionState(stmt);
      const result = await this.dispatch(stmt, parsed, params);
      this.ctx.onQuery?.(this.tenant, kind, performance.now() - started, true);
      return result;
    } catch (err) {
      this.ctx.onQuery?.(this.tenant, kind, performance.now() - started, false);
      if (this.txStatus === 'T') this.txStatus = 'E';
      throw err;
    }
  }

  private checkRole(stmt: Statement): void {
    // Statements that change data or schema.
    const write = ['insert', 'update', 'delete', 'createTable', 'dropTable', 'alterTable', 'createView', 'dropView', 'comment', 'createIndex', 'alterDatabase'].includes(stmt.kind);
    if (write && !this.ctx.roles.ingest) {
      throw new DuckMeshError(SqlState.readOnlySqlTransaction, 'this DuckMesh node does not accept writes (role "ingest" is not enabled)');
    }
    if (stmt.kind === 'select' && !this.ctx.roles.query) {
      throw new DuckMeshError(SqlState.featureNotSupported, 'this DuckMesh node does not answer queries (role "query" is not enabled)');
    }
  }

  private checkTransactionState(stmt: Statement): void {
    if (this.txStatus !== 'E') return;
    if (stmt.kind === 'transaction' && (stmt.action === 'commit' || stmt.action === 'rollback' || stmt.action === 'rollbackTo')) return;
    throw new DuckMeshError(
      SqlState.inFailedTransaction,
      'current transaction is aborted, commands ignored until end of transaction block',
    );
  }

  private async dispatch(stmt: Statement, parsed: ParsedStatement | null, params: (string | null)[]): Promise<ExecResult> {
    this.checkRole(stmt);
    switch (stmt.kind) {
      case 'select':
        if (parsed) assertSafeQuery(parsed.ast);
        if (needsCompatRewrite(stmt.ast)) return this.catalogSelect(stmt.ast, params);
        return this.cachedSelect(stmt, params, [], (snapshot) => this.select(stmt.text, params, undefined, snapshot, isSmallResult(stmt.ast)));
      case 'insert':
        return this.writes.insert(stmt, params);
      case 'createTable':
        return this.writes.createTable(stmt);
      case 'dropTable':
        return this.writes.dropTable(stmt);
      case 'update':
        return this.writes.update(stmt, params);
      case 'delete':
        return this.writes.delete(stmt, params);
      case 'alterTable':
        return this.writes.ddl.alterTable(stmt);
      case 'createView':
        return this.writes.ddl.createView(stmt);
      case 'dropView':
        return this.writes.ddl.dropView(stmt);
      case 'comment':
        return this.writes.ddl.comment(stmt);
      case 'createIndex':
        return this.writes.ddl.createIndex(stmt);
      case 'alterDatabase':
        return this.alterDatabase(stmt.ast);
      case 'set':
        return this.set(stmt.name, stmt.value, stmt.local);
      case 'reset':
        if (stmt.name === 'all') {
          this.settings.resetAll();
          return { kind: 'command', tag: 'RESET' };
        }
        this.set(stmt.name, null, false);
        return { kind: 'command', tag: 'RESET' };
      case 'setTransaction':
        return this.setTransaction(stmt);
      case 'show':
        return this.show(stmt.name);
      case 'transaction':
        return this.transaction(stmt);
      case 'discard':
        if (stmt.target === 'all') {
          if (this.inTransaction) {
            throw new DuckMeshError(SqlState.activeSqlTransaction, 'DISCARD ALL cannot run inside a transaction block');
          }
          this.settings.resetAll();
          this.cursors.closeAll();
          this.sqlPrepared.clear();
        }
        return { kind: 'command', tag: stmt.target === 'all' ? 'DISCARD ALL' : `DISCARD ${stmt.target.toUpperCase()}` };
      case 'copy':
        return executeCopy(this, stmt);
      case 'declareCursor':
        return this.cursors.declare(stmt);
      case 'fetch':
        return this.cursors.fetch(stmt);
      case 'closeCursor':
        return this.cursors.close(stmt);
      case 'prepare':
        return this.sqlPrepared.prepare(stmt);
      case 'execute':
        return this.sqlPrepared.execute(stmt, params);
      case 'deallocate':
        return this.sqlPrepared.deallocate(stmt);
      case 'unlisten':
        return { kind: 'command', tag: 'UNLISTEN' };
      case 'checkpoint':
        return { kind: 'command', tag: 'CHECKPOINT' };
      case 'vacuum':
        return { kind: 'command', tag: 'VACUUM' };
      case 'analyze':
        return { kind: 'command', tag: 'ANALYZE' };
      case 'unsupported':
        throw new DuckMeshError(SqlState.featureNotSupported, `${stmt.tag} is not supported by DuckMesh`);
      default:
        throw new DuckMeshError(
          SqlState.featureNotSupported,
          `${describeKind(stmt.kind)} is not supported by DuckMesh yet`,
        );
    }
  }

  // ---------------------------------------------------------------- settings

  private set(name: string, value: string | null, local: boolean): ExecResult {
    const n = name.toLowerCase();
    if (n === 'duckmesh.min_visibility_token' && value) decodeToken(value);
    if (n === 'duckmesh.snapshot_id' && value && !/^\d+$/.test(value.trim())) {
      throw new DuckMeshError(SqlState.invalidParameterValue, `invalid value for parameter "duckmesh.snapshot_id": "${value}"`);
    }
    if (n === 'duckmesh.as_of' && value && Number.isNaN(Date.parse(value))) {
      throw new DuckMeshError(SqlState.invalidParameterValue, `invalid value for parameter "duckmesh.as_of": "${value}"`);
    }
    const v = this.settings.set(n, value, { local: local && this.inTransaction });
    if (this.settings.isReported(n)) this.report(displayName(n), v);
    return { kind: 'command', tag: value === null ? 'RESET' : 'SET' };
  }

  private show(name: string): ExecResult {
    const n = name.toLowerCase();
    if (n === 'all') {
      const rows = this.settings.all().map((r) => [r.name, r.value, r.description]);
      return { kind: 'rows', fields: textFields(['name', 'setting', 'description']), source: staticSource(rows), tag: 'SHOW' };
    }
    const value = this.settings.get(n);
    return { kind: 'rows', fields: textFields([displayName(n)]), source: staticSource([[value]]), tag: 'SHOW' };
  }

  // ---------------------------------------------------------------- transactions

  private async transaction(stmt: TransactionStatement): Promise<ExecResult> {
    const action = stmt.action;
    switch (action) {
      case 'begin': {
        if (this.inTransaction) {
          // Postgres answers with a WARNING and stays in the transaction.
          return { kind: 'command', tag: 'BEGIN' };
        }
        this.txStatus = 'T';
        this.txSnapshot = null;
        this.txWrites = [];
        this.savepoints = [];
        this.settings.beginTransaction();
        const readOnly = stmt.readOnly ?? this.settings.get('default_transaction_read_only') === 'on';
        this.settings.set('transaction_read_only', readOnly ? 'on' : 'off', { internal: true });
        const isolation = stmt.isolation ?? this.settings.get('default_transaction_isolation');
        this.settings.set('transaction_isolation', isolation, { internal: true });
        return { kind: 'command', tag: 'BEGIN' };
      }
      case 'savepoint':
      case 'release':
      case 'rollbackTo':
        return this.savepoint(action, stmt.name ?? '');
      case 'commit': {
        const failed = this.txStatus === 'E';
        const writes = this.txWrites;
        this.endTransaction();
        if (failed) return { kind: 'command', tag: 'ROLLBACK' };
        if (writes.length > 0) await this.writes.commitBuffered(writes);
        return { kind: 'command', tag: 'COMMIT' };
      }
      case 'rollback':
        this.endTransaction();
        return { kind: 'command', tag: 'ROLLBACK' };
    }
  }

  private endTransaction(): void {
    this.txStatus = 'I';
    this.txSnapshot = null;
    this.txWrites = [];
    this.savepoints = [];
    this.settings.endTransaction();
    this.settings.set('transaction_read_only', 'off', { internal: true });
    this.settings.set('transaction_isolation', this.settings.get('default_transaction_isolation'), { internal: true });
    this.cursors.endTransaction();
  }

  /**
   * Savepoints over the transaction's write buffer: ROLLBACK TO drops the writes buffered after
   * the savepoint and leaves the aborted state, as a subtransaction rollback does in Postgres.
   * (Reads need nothing: they never change state.)
   */
  private savepoint(action: 'savepoint' | 'release' | 'rollbackTo', name: string): ExecResult {
    const verb = { savepoint: 'SAVEPOINT', release: 'RELEASE SAVEPOINT', rollbackTo: 'ROLLBACK TO SAVEPOINT' }[action];
    if (!this.inTransaction) throw new DuckMeshError(SqlState.noActiveSqlTransaction, `${verb} can only be used in transaction blocks`);
    if (action === 'savepoint') {
      this.savepoints.push({ name, writes: this.txWrites.length });
      return { kind: 'command', tag: 'SAVEPOINT' };
    }
    // The newest savepoint of that name wins, as in Postgres.
    let i = this.savepoints.length - 1;
    while (i >= 0 && this.savepoints[i]!.name !== name) i--;
    if (i < 0) throw new DuckMeshError('3B001', `savepoint "${name}" does not exist`);
    if (action === 'release') {
      this.savepoints.length = i;
      return { kind: 'command', tag: 'RELEASE' };
    }
    this.txWrites.length = this.savepoints[i]!.writes;
    this.savepoints.length = i + 1;
    this.txStatus = 'T';
    return { kind: 'command', tag: 'ROLLBACK' };
  }

  /** SET TRANSACTION (this transaction) and SET SESSION CHARACTERISTICS AS TRANSACTION (defaults). */
  private setTransaction(stmt: Extract<Statement, { kind: 'setTransaction' }>): ExecResult {
    if (stmt.session) {
      if (stmt.readOnly !== undefined) this.settings.set('default_transaction_read_only', stmt.readOnly ? 'on' : 'off');
      if (stmt.isolation !== undefined) this.settings.set('default_transaction_isolation', stmt.isolation);
    } else if (this.inTransaction) {
      // Outside a transaction block Postgres only warns; nothing to change then.
      if (stmt.readOnly !== undefined) this.settings.set('transaction_read_only', stmt.readOnly ? 'on' : 'off', { internal: true });
      if (stmt.isolation !== undefined) this.settings.set('transaction_isolation', stmt.isolation, { internal: true });
    }
    return { kind: 'command', tag: 'SET' };
  }

  /** Inside a transaction, writes are buffered and appended atomically at COMMIT. */
  bufferWrite(w: PendingWrite): boolean {
    if (!this.inTransaction) return false;
    if (this.settings.get('transaction_read_only') === 'on') {
      throw new DuckMeshError(SqlState.readOnlySqlTransaction, 'cannot execute INSERT in a read-only transaction');
    }
    this.txWrites.push(w);
    return true;
  }

  /** Bookkeeping after a write became durable: token, read-your-writes, optional wait. */
  async afterWrite(receipt: Receipt): Promise<void> {
    this.lastWriteSeq = Math.max(this.lastWriteSeq, receipt.lastSeq);
    this.settings.set('duckmesh.last_visibility_token', receipt.token, { internal: true });
    this.report('duckmesh.last_visibility_token', receipt.token);
    if (this.settings.get('duckmesh.wait_for_visibility') === 'on') {
      await this.waitVisible(receipt.lastSeq);
    }
  }

  // ---------------------------------------------------------------- reads

  private visibilityTimeoutMs(): number {
    return Number(this.settings.get('duckmesh.visibility_timeout'));
  }

  private async waitVisible(seq: number): Promise<SnapshotInfo> {
    try {
      return await this.ctx.tracker.waitFor(seq, this.visibilityTimeoutMs());
    } catch (err) {
      if (err instanceof DuckMeshError && err.sqlstate === SqlState.visibilityTimeout) this.ctx.onVisibilityTimeout?.(this.tenant);
      throw err;
    }
  }

  /** Picks the snapshot a read runs on (DESIGN §5). */
  async chooseSnapshot(): Promise<SnapshotInfo> {
    if (this.txSnapshot) return this.txSnapshot;
    let snap: SnapshotInfo;
    const explicitId = this.settings.get('duckmesh.snapshot_id');
    const asOf = this.settings.get('duckmesh.as_of');
    if (explicitId) {
      const s = await this.ctx.catalog.getSnapshot(Number(explicitId));
      if (!s) {
        const latest = this.ctx.tracker.latest();
        throw new DuckMeshError(
          SqlState.snapshotUnavailable,
          `snapshot ${explicitId} is not available (newest snapshot is ${latest?.snapshotId ?? 0})`,
        );
      }
      snap = s;
    } else if (asOf) {
      const at = Date.parse(asOf);
      if (at > Date.now()) throw new DuckMeshError(SqlState.snapshotUnavailable, `duckmesh.as_of ${asOf} is in the future`);
      const s = await this.ctx.catalog.snapshotAsOf(at);
      if (!s) throw new DuckMeshError(SqlState.snapshotUnavailable, `no snapshot exists at or before ${asOf}`);
      snap = s;
    } else {
      let need = 0;
      const token = this.settings.get('duckmesh.min_visibility_token');
      if (token) need = decodeToken(token);
      if (this.settings.get('duckmesh.read_your_writes') === 'on') need = Math.max(need, this.lastWriteSeq);
      snap = await this.waitVisible(need);
    }
    if (explicitId || asOf) await this.assertNotExpired(snap);
    if (this.inTransaction) this.txSnapshot = snap;
    return snap;
  }

  /**
   * Time travel checks retention on every statement: the tenant engine may still hold a binding
   * of a snapshot that GC has expired since (and whose files may be deleted after the safety window).
   */
  private async assertNotExpired(snap: SnapshotInfo): Promise<void> {
    const oldest = await this.ctx.catalog.oldestSnapshotLiveAt(Date.now());
    if (oldest !== null && snap.snapshotId < oldest) throw expiredError(snap.snapshotId, oldest);
  }

  /** Binds the session's DuckDB connection to the chosen snapshot; caller must `release`. */
  async bindForRead(chosen?: SnapshotInfo): Promise<{ conn: DuckDBConnection; snapshot: SnapshotInfo; release: () => void }> {
    const snapshot = chosen ?? (await this.chooseSnapshot());
    const engine = await this.tenantEngine();
    const conn = await this.connection();
    const catalogName = await engine.pin(snapshot.snapshotId);
    try {
      const target = `${catalogName}.${this.defaultSchema()}`;
      if (this.usedCatalog !== target) {
        await conn.run(`USE ${quoteIdent(catalogName)}.${quoteIdent(this.defaultSchema())}`);
        this.usedCatalog = target;
      }
    } catch (err) {
      engine.release(snapshot.snapshotId);
      this.usedCatalog = null;
      throw mapDuckDbError(err);
    }
    this.settings.set('duckmesh.last_snapshot_id', String(snapshot.snapshotId), { internal: true });
    let released = false;
    return {
      conn,
      snapshot,
      release: () => {
        if (released) return;
        released = true;
        engine.release(snapshot.snapshotId);
      },
    };
  }

  private defaultSchema(): string {
    // "$user" never names a DuckMesh schema; the first plain entry wins (public by default).
    for (const part of this.settings.get('search_path').split(',')) {
      const s = part.trim().replace(/^"(.*)"$/, '$1');
      if (s && s !== '$user' && s !== 'pg_catalog') return s;
    }
    return 'public';
  }

  /**
   * `ALTER DATABASE <this tenant> SET|RESET duckmesh.require_idempotency_key`: the tenant's policy
   * that every row write carries an idempotency key (DM009 otherwise). Other per-database
   * settings are not supported.
   */
  private async alterDatabase(ast: AstNode): Promise<ExecResult> {
    const s = ast.AlterDatabaseSetStmt;
    if (s.dbname !== this.tenant) {
      throw new DuckMeshError(SqlState.insufficientPrivilege, `only database "${this.tenant}" (this session's) can be altered here`);
    }
    const set = s.setstmt ?? {};
    const name = String(set.name ?? '').toLowerCase();
    if (name !== `duckmesh.${REQUIRE_KEY_SETTING}`) {
      throw new DuckMeshError(SqlState.featureNotSupported, `ALTER DATABASE … SET supports only duckmesh.${REQUIRE_KEY_SETTING}`);
    }
    let value: string | null = null;
    if (set.kind === 'VAR_SET_VALUE') {
      const c = set.args?.[0]?.A_Const ?? {};
      const text = String(c.sval?.sval ?? c.ival?.ival ?? c.boolval?.boolval ?? (c.ival ? 0 : ''));
      const on = ['on', 'true', 'yes', '1', 't', 'y'].includes(text.toLowerCase());
      if (!on && !['off', 'false', 'no', '0', 'f', 'n'].includes(text.toLowerCase())) {
        throw new DuckMeshError(SqlState.invalidParameterValue, `parameter "duckmesh.${REQUIRE_KEY_SETTING}" requires a Boolean value`);
      }
      value = on ? 'on' : null;
    } else if (set.kind !== 'VAR_RESET' && set.kind !== 'VAR_SET_DEFAULT') {
      throw new DuckMeshError(SqlState.featureNotSupported, 'this form of ALTER DATABASE is not supported');
    }
    await this.ctx.catalog.setTenantSetting(this.tenant, REQUIRE_KEY_SETTING, value);
    this.ctx.ingest.keys.forgetPolicy(this.tenant);
    return { kind: 'command', tag: 'ALTER DATABASE' };
  }

  /** Client introspection (pg_catalog, information_schema, version(), ::regclass…): rewritten on the parse tree. */
  private async catalogSelect(ast: unknown, params: (string | null)[]): Promise<ExecResult> {
    const bound = await this.bindForRead();
    try {
      const sql = await this.rewriteForCatalog(ast, bound.snapshot.snapshotId);
      return await this.select(sql, params, bound);
    } catch (err) {
      bound.release();
      throw err;
    }
  }

  private async rewriteForCatalog(ast: unknown, snapshotId: number): Promise<string> {
    const engine = await this.tenantEngine();
    await engine.ensureCatalogShim(snapshotId, this.user);
    const { sql, setConfig } = rewriteCatalogQueryDetailed(ast, {
      catalogName: snapshotCatalogName(snapshotId),
      database: this.tenant,
      user: this.user,
      searchPath: this.searchPath(),
      setting: (name: string) => {
        try {
          return this.settings.get(name);
        } catch {
          return undefined;
        }
      },
      serverVersion: SERVER_VERSION,
    });
    // set_config() in a SELECT changes the session setting, as in Postgres.
    for (const c of setConfig) this.set(c.name, c.value, c.isLocal);
    return sql;
  }

  private searchPath(): string[] {
    return this.settings
      .get('search_path')
      .split(',')
      .map((p) => p.trim().replace(/^"(.*)"$/, '$1'))
      .filter((p) => p.length > 0);
  }

  private async select(
    sql: string,
    params: (string | null)[],
    preBound?: { conn: DuckDBConnection; snapshot: SnapshotInfo; release: () => void },
    snapshot?: SnapshotInfo,
    small = false,
  ): Promise<ExecResult> {
    const bound = preBound ?? (await this.bindForRead(snapshot));
    try {
      const result = await this.runStreaming(bound.conn, async (conn) => {
        // A result known to be small is computed in one call (fewer thread-pool round trips than
        // extract → prepare → stream → fetch); anything else streams chunk by chunk.
        if (params.length === 0) return small ? conn.run(sql) : conn.stream(sql);
        const prepared = await conn.prepare(sql);
        bindParams(prepared, params, []);
        return small ? prepared.run() : prepared.stream();
      });
      return this.rowsResult(result, bound.release, bound.snapshot.snapshotId);
    } catch (err) {
      bound.release();
      throw err;
    }
  }

  /** Runs a prepared SELECT (extended protocol). Re-prepares when the snapshot moved. */
  async executePrepared(p: PreparedQuery, params: (string | null)[]): Promise<ExecResult> {
    if (!p.stmt) throw new DuckMeshError(SqlState.syntaxError, 'empty statement');
    if (p.stmt.kind !== 'select') {
      this.checkTransactionState(p.stmt);
      try {
        return await this.dispatch(p.stmt, null, params);
      } catch (err) {
        if (this.txStatus === 'T') this.txStatus = 'E';
        throw err;
      }
    }
    this.checkTransactionState(p.stmt);
    this.checkRole(p.stmt);
    return this.cachedSelect(p.stmt, params, p.declaredOids, (snapshot) => this.runPrepared(p, params, snapshot));
  }

  private async runPrepared(p: PreparedQuery, params: (string | null)[], snapshot?: SnapshotInfo): Promise<ExecResult> {
    const started = performance.now();
    const bound = await this.bindForRead(snapshot);
    try {
      const result = await this.runStreaming(bound.conn, async (conn) => {
        if (!p.duck || p.duck.snapshotId !== bound.snapshot.snapshotId) {
          p.duck?.prepared.destroySync();
          p.duck = null;
          const sql = await this.duckSqlFor(p.stmt!, bound.snapshot.snapshotId);
          p.duck = { snapshotId: bound.snapshot.snapshotId, prepared: await conn.prepare(sql) };
        }
        p.duck.prepared.clearBindings();
        bindParams(p.duck.prepared, params, p.declaredOids);
        return p.stmt?.kind === 'select' && isSmallResult(p.stmt.ast) ? p.duck.prepared.run() : p.duck.prepared.stream();
      });
      this.ctx.onQuery?.(this.tenant, 'select', performance.now() - started, true);
      return this.rowsResult(result, bound.release, bound.snapshot.snapshotId);
    } catch (err) {
      bound.release();
      this.ctx.onQuery?.(this.tenant, 'select', performance.now() - started, false);
      if (this.txStatus === 'T') this.txStatus = 'E';
      throw err;
    }
  }

  /** Prepares a statement for the extended protocol: classification, parameter and result types. */
  async prepare(sql: string, declaredOids: number[]): Promise<PreparedQuery> {
    const fast = parseFastInsert(sql);
    if (fast) {
      const paramOids = await this.writes.inferWriteParamOids(fast, declaredOids);
      return { sql, stmt: fast, declaredOids, paramOids, fields: null, duck: null };
    }
    const parts = this.parse(sql);
    if (parts.length > 1) {
      throw new DuckMeshError(SqlState.syntaxError, 'cannot insert multiple commands into a prepared statement');
    }
    const p: PreparedQuery = { sql, stmt: null, declaredOids, paramOids: [...declaredOids], fields: null, duck: null };
    if (parts.length === 0) return p;
    const { parsed, text } = parts[0]!;
    if (parsed) p.stmt = classifyStatement(parsed);
    if (!parsed || p.stmt?.kind === 'select') {
      const bound = await this.bindForRead();
      try {
        if (!parsed) p.stmt = await classifyWithDuckDb(text, bound.conn);
        else assertSafeQuery(parsed.ast);
        const duckSql = await this.duckSqlFor(p.stmt!, bound.snapshot.snapshotId);
        const prepared = await bound.conn.prepare(duckSql).catch((e: unknown) => {
          throw mapDuckDbError(e);
        });
        p.duck = { snapshotId: bound.snapshot.snapshotId, prepared };
        p.paramOids = inferParamOids(prepared, declaredOids);
        p.fields = [];
        for (let i = 0; i < prepared.columnCount; i++) {
          p.fields.push({ name: prepared.columnName(i), type: prepared.columnType(i), tableOid: 0, columnAttr: 0 });
        }
      } finally {
        bound.release();
      }
    } else if (p.stmt?.kind === 'insert' || p.stmt?.kind === 'update' || p.stmt?.kind === 'delete') {
      p.paramOids = await this.writes.inferWriteParamOids(p.stmt, declaredOids);
    } else if (p.stmt?.kind === 'show') {
      p.fields = textFields([p.stmt.name === 'all' ? 'name' : displayName(p.stmt.name)]);
      if (p.stmt.name === 'all') p.fields = textFields(['name', 'setting', 'description']);
    } else if (p.stmt?.kind === 'fetch') {
      p.fields = this.cursors.fetchFields(p.stmt);
    } else if (p.stmt?.kind === 'execute') {
      p.fields = this.sqlPrepared.fieldsOf(p.stmt.name);
    }
    return p;
  }

  /**
   * Runs one SELECT given as SQL text (COPY (query) TO, COPY table TO) through the ordinary
   * read path: sandbox guard, catalog rewrite, snapshot choice, statement_timeout and cancel.
   */
  async runSelect(sql: string): Promise<Extract<ExecResult, { kind: 'rows' }>> {
    const parts = this.parse(sql);
    if (parts.length !== 1) throw new DuckMeshError(SqlState.syntaxError, 'expected exactly one SELECT');
    const { parsed, text } = parts[0]!;
    let stmt: Statement;
    if (parsed) stmt = classifyStatement(parsed);
    else {
      const bound = await this.bindForRead();
      try {
        stmt = await classifyWithDuckDb(text, bound.conn);
      } finally {
        bound.release();
      }
    }
    if (stmt.kind !== 'select') throw new DuckMeshError(SqlState.featureNotSupported, 'only a SELECT can be used here');
    const result = await this.dispatch(stmt, parsed, []);
    if (result.kind !== 'rows') throw new DuckMeshError(SqlState.internalError, 'SELECT returned no rows result');
    return result;
  }

  /**
   * Streams a SELECT from a DuckDB connection of its own, pinned to the snapshot chosen now, so
   * the rows survive other statements of this session (DuckDB ends a streaming result when its
   * connection runs another query). For cursors; closing the source frees connection and pin.
   */
  async selectDetached(stmt: SelectStatement): Promise<Extract<ExecResult, { kind: 'rows' }>> {
    assertSafeQuery(stmt.ast);
    this.checkRole(stmt);
    const snapshot = await this.chooseSnapshot();
    const engine = await this.tenantEngine();
    const catalogName = await engine.pin(snapshot.snapshotId);
    let conn: DuckDBConnection | null = null;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      conn?.closeSync();
      engine.release(snapshot.snapshotId);
    };
    try {
      conn = await engine.connect();
      await conn.run(`USE ${quoteIdent(catalogName)}.${quoteIdent(this.defaultSchema())}`);
      const sql = await this.duckSqlFor(stmt, snapshot.snapshotId);
      const result = await conn.stream(sql);
      const fields: FieldDesc[] = [];
      for (let i = 0; i < result.columnCount; i++) {
        fields.push({ name: result.columnName(i), type: result.columnType(i), tableOid: 0, columnAttr: 0 });
      }
      const source: RowSource = {
        next: async () => {
          if (closed) return null;
          try {
            const chunk = await result.fetchChunk();
            if (!chunk || chunk.rowCount === 0) return null;
            return { kind: 'chunk', chunk };
          } catch (err) {
            close();
            throw mapDuckDbError(err);
          }
        },
        close,
      };
      this.settings.set('duckmesh.last_snapshot_id', String(snapshot.snapshotId), { internal: true });
      return { kind: 'rows', fields, source, tag: 'SELECT' };
    } catch (err) {
      close();
      throw mapDuckDbError(err);
    }
  }

  /** The SQL DuckDB runs for a SELECT: as written, or rewritten for the catalog shim of that snapshot. */
  private async duckSqlFor(stmt: Statement, snapshotId: number): Promise<string> {
    if (stmt.kind !== 'select') throw new DuckMeshError(SqlState.internalError, 'not a SELECT');
    return needsCompatRewrite(stmt.ast) ? this.rewriteForCatalog(stmt.ast, snapshotId) : stmt.text;
  }

  private async runStreaming(conn: DuckDBConnection, start: (c: DuckDBConnection) => Promise<DuckDBResult>): Promise<DuckDBResult> {
    this.running = { conn, reason: null };
    const timeout = Number(this.settings.get('statement_timeout'));
    const timer = timeout > 0 ? setTimeout(() => this.interrupt('timeout'), timeout) : null;
    try {
      const result = await start(conn);
      // The timer keeps running while rows stream; it is cleared by the row source.
      (result as DuckDBResult & { __timer?: NodeJS.Timeout | null }).__timer = timer;
      return result;
    } catch (err) {
      if (timer) clearTimeout(timer);
      const reason = this.running?.reason ?? null;
      this.running = null;
      throw mapDuckDbError(err, reason);
    }
  }

  /**
   * Serves a deterministic SELECT from the tenant's result cache when the same query already ran
   * on the same snapshot; otherwise runs it and keeps a small complete result (engine/result-cache.ts).
   */
  private async cachedSelect(
    stmt: Statement,
    params: (string | null)[],
    declaredOids: number[],
    run: (snapshot?: SnapshotInfo) => Promise<ExecResult>,
  ): Promise<ExecResult> {
    const engine = await this.tenantEngine();
    const cache = engine.results;
    if (!cache.enabled || this.settings.get('duckmesh.result_cache') !== 'on' || stmt.kind !== 'select' || !stmt.ast || stmt.explain || stmt.touchesCatalog || !isDeterministicQuery(stmt.ast) || readsLiveState(stmt.ast)) return run();
    const snapshot = await this.chooseSnapshot();
    const key = resultCacheKey(snapshot.snapshotId, [this.defaultSchema(), stmt.text, JSON.stringify(params), declaredOids.join(',')]);
    const hit = cache.get(key);
    if (hit) {
      this.settings.set('duckmesh.last_snapshot_id', String(snapshot.snapshotId), { internal: true });
      this.report('duckmesh.last_snapshot_id', String(snapshot.snapshotId));
      this.ctx.onQuery?.(this.tenant, 'select', 0, true);
      return { kind: 'rows', fields: hit.fields, source: chunkListSource(hit.chunks), tag: 'SELECT' };
    }
    const result = await run(snapshot);
    if (result.kind !== 'rows') return result;
    const keep = (chunks: DuckDBDataChunk[], rows: number) => {
      // Known only once the snapshot is bound: whether a view the query reads is volatile.
      const volatile = engine.volatileViews(snapshot.snapshotId);
      if (volatile && !readsAnyOf(stmt.ast, volatile, this.defaultSchema())) cache.put(key, { fields: result.fields, chunks, rows });
    };
    return { ...result, source: recordingSource(result.source, cache.limits.maxRowsPerResult, keep) };
  }

  private rowsResult(result: DuckDBResult, release: () => void, snapshotId: number): ExecResult {
    const fields: FieldDesc[] = [];
    for (let i = 0; i < result.columnCount; i++) {
      fields.push({ name: result.columnName(i), type: result.columnType(i), tableOid: 0, columnAttr: 0 });
    }
    const timer = (result as DuckDBResult & { __timer?: NodeJS.Timeout | null }).__timer ?? null;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      this.running = null;
      release();
    };
    const source: RowSource = {
      next: async () => {
        if (closed) return null;
        try {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) {
            close();
            return null;
          }
          return { kind: 'chunk', chunk };
        } catch (err) {
          const reason = this.running?.reason ?? null;
          close();
          throw mapDuckDbError(err, reason);
        }
      },
      close,
    };
    this.report('duckmesh.last_snapshot_id', String(snapshotId));
    return { kind: 'rows', fields, source, tag: 'SELECT' };
  }

  /** Interrupts the running DuckDB query (CancelRequest or statement_timeout). */
  interrupt(reason: 'user' | 'timeout'): void {
    if (!this.running) return;
    this.running.reason = reason;
    this.running.conn.interrupt();
  }

  /** Evaluates a read-only SQL query at the session's read snapshot; returns all rows. */
  /**
   * Streams a query's result chunk by chunk on the session's snapshot (INSERT … SELECT): `onTypes`
   * first, then `onChunk` per chunk; the chunk is not kept, so memory stays bounded.
   */
  async evaluateChunks(sql: string, onTypes: (types: FieldDesc[]) => void, onChunk: (chunk: DuckDBDataChunk) => void): Promise<void> {
    const bound = await this.bindForRead();
    try {
      const result = await bound.conn.stream(sql).catch((e: unknown) => {
        throw mapDuckDbError(e);
      });
      const types: FieldDesc[] = [];
      for (let i = 0; i < result.columnCount; i++) types.push({ name: result.columnName(i), type: result.columnType(i), tableOid: 0, columnAttr: 0 });
      onTypes(types);
      for (;;) {
        const chunk = await result.fetchChunk().catch((e: unknown) => {
          throw mapDuckDbError(e);
        });
        if (!chunk || chunk.rowCount === 0) break;
        onChunk(chunk);
      }
    } finally {
      bound.release();
    }
  }

  async evaluate(sql: string): Promise<{ types: FieldDesc[]; rows: unknown[][] }> {
    const bound = await this.bindForRead();
    try {
      const reader = await bound.conn.runAndReadAll(sql).catch((e: unknown) => {
        throw mapDuckDbError(e);
      });
      const types: FieldDesc[] = reader.columnNames().map((name, i) => ({
        name,
        type: reader.columnType(i),
        tableOid: 0,
        columnAttr: 0,
      }));
      return { types, rows: reader.getRows() };
    } finally {
      bound.release();
    }
  }

  async close(): Promise<void> {
    this.interrupt('user');
    this.cursors.closeAll();
    this.sqlPrepared.clear();
    const c = this.connPromise;
    this.connPromise = null;
    if (c) {
      try {
        (await c).closeSync();
      } catch {
        // Connection never opened.
      }
    }
  }

  /** The token of the last write in this session, or '' (for tests and the HTTP API). */
  lastToken(): string {
    return this.lastWriteSeq > 0 ? encodeToken(this.lastWriteSeq) : '';
  }
}

function describeKind(kind: string): string {
  return kind.replace(/([A-Z])/g, ' $1').toUpperCase();
}

/** Binds text parameters; DuckDB casts VARCHAR to the parameter's inferred type. */
function bindParams(prepared: DuckDBPreparedStatement, params: (string | null)[], declaredOids: number[]): void {
  if (params.length !== prepared.parameterCount) {
    throw new DuckMeshError(
      SqlState.protocolViolation,
      `bind message supplies ${params.length} parameters, but prepared statement requires ${prepared.parameterCount}`,
    );
  }
  for (let i = 0; i < params.length; i++) {
    const v = params[i]!;
    if (v === null) {
      prepared.bindNull(i + 1);
      continue;
    }
    let known = true;
    try {
      prepared.parameterTypeId(i + 1);
    } catch {
      known = false;
    }
    if (known) {
      prepared.bindVarchar(i + 1, v);
      continue;
    }
    // Untyped parameter ("SELECT $1 + 1"): use the client's declared type where it gave one.
    switch (declaredOids[i]) {
      case 21:
      case 23:
        prepared.bindInteger(i + 1, Number(v));
        break;
      case 20:
        prepared.bindBigInt(i + 1, BigInt(v));
        break;
      case 700:
      case 701:
      case 1700:
        prepared.bindDouble(i + 1, Number(v));
        break;
      case 16:
        prepared.bindBoolean(i + 1, v === 't' || v === 'true');
        break;
      default:
        prepared.bindVarchar(i + 1, v);
    }
  }
}

function inferParamOids(prepared: DuckDBPreparedStatement, declared: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < prepared.parameterCount; i++) {
    if (declared[i]) {
      out.push(declared[i]!);
      continue;
    }
    try {
      out.push(paramOidForType(prepared.parameterType(i + 1)));
    } catch {
      out.push(25);
    }
  }
  return out;
}

