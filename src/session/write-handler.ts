import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { ColumnDef, TableDef } from '../catalog/types.js';
import { bindCheckSql, compileExpressions, inlineExpressionParams, type CompiledExpressions } from '../ingest/expressions.js';
import type { IdempotencyRequest, PendingWrite } from '../ingest/service.js';
import type { Receipt } from '../ingest/receipt.js';
import { RowValidator, type CellValue } from '../ingest/validate-rows.js';
import { fingerprintOf } from '../ingest/write-service.js';
import { dependentViews, dropViewEvents, liveObjects } from '../engine/catalog-objects.js';
import { assertSafeQuery } from '../sql/guard.js';
import { parseSql } from '../sql/parser.js';
import { walkAst } from '../sql/walk.js';
import { mapDuckDbError } from '../engine/errors.js';
import type { Cell, CreateTableStatement, DeleteStatement, DropTableStatement, InsertStatement, UpdateStatement } from '../sql/statements.js';
import { columnTypeFromSql, resolveColumnType } from '../types/column-types.js';
import { textEncoderFor } from '../types/text-encode.js';
import { checkSchema, DdlHandler, defaultOf } from './ddl-handler.js';
import type { ExecResult } from './results.js';
import type { Session } from './session.js';

/**
 * A short-lived DuckDB connection of the tenant's engine for binding write expressions. Not pooled:
 * a connection must never outlive its engine (they are closed together at shutdown).
 */
async function withEngineConnection<T>(session: Session, fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const engine = await session.tenantEngine();
  const conn = await engine.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/** A pending write with what idempotency needs: the key it was made under and a request fingerprint. */
type KeyedWrite = PendingWrite & { idempotencyKey?: string; fingerprint?: string };

/**
 * Executes write statements for a session: validation here, durability in the IngestService.
 *
 * Semantics (docs/semantics.md): every write is applied at its bus position, in token order.
 * A plain INSERT into a table with a primary key replaces the row of an existing key (the newest
 * version of a key wins, so no key is ever visible twice); UPDATE, DELETE and ON CONFLICT are
 * evaluated against the table as of just before their position by the commit worker.
 */
export class WriteHandler {
  /** ALTER TABLE, views, comments, indexes (reached as session.writes.ddl). */
  readonly ddl: DdlHandler;

  constructor(private readonly session: Session) {
    this.ddl = new DdlHandler(session);
  }

  private get ingest() {
    return this.session.ctx.ingest;
  }

  private get tenant(): string {
    return this.session.tenant;
  }

  async resolveTable(schema: string | null, name: string): Promise<TableDef> {
    const s = schema ?? 'public';
    const t = await this.ingest.schemas.lookup(this.tenant, s, name);
    if (!t) {
      throw new DuckMeshError(SqlState.undefinedTable, `relation "${schema ? schema + '.' : ''}${name}" does not exist`);
    }
    return t;
  }

  /** `SET duckmesh.idempotency_key` is consumed by the next write statement, whatever its outcome. */
  consumeIdempotencyKey(): string | undefined {
    const key = this.session.settings.get('duckmesh.idempotency_key');
    if (!key) return undefined;
    this.session.settings.set('duckmesh.idempotency_key', null);
    return key;
  }

  async insert(stmt: InsertStatement, params: (string | null)[]): Promise<ExecResult> {
    if (stmt.returning) throw new DuckMeshError(SqlState.featureNotSupported, 'INSERT ... RETURNING is not supported by DuckMesh');
    const key = this.consumeIdempotencyKey();
    return this.submit(key, stmt, params, async () => {
      const table = await this.resolveTable(stmt.schema, stmt.table);
      const validator = new RowValidator(table, stmt.columns);
      if (stmt.source.kind === 'select' && !stmt.onConflict) {
        // Streams: rows become bus payload chunk by chunk (bounded memory for big INSERT … SELECT).
        const builder = this.ingest.insertBuilder(this.tenant, validator);
        await this.selectRows(stmt.source.sql, stmt.source.ast, validator, (rows) => builder.add(rows));
        const write = builder.finish();
        return { write, tag: `INSERT 0 ${write.rows}` };
      }
      const rows = await this.rowsOf(stmt, validator, params);
      const tag = `INSERT 0 ${rows.length}`;
      if (!stmt.onConflict) return { write: this.ingest.buildInsert(this.tenant, validator, rows), tag };
      return { write: await this.upsert(stmt, table, validator, rows, params), tag };
    });
  }

  /** INSERT … ON CONFLICT (pk): Postgres' checks, then an upsert resolved at its bus position. */
  private async upsert(stmt: InsertStatement, table: TableDef, validator: RowValidator, rows: (string | null)[][], params: (string | null)[]): Promise<PendingWrite> {
    const oc = stmt.onConflict!;
    const pk = table.primaryKey;
    const noMatch = () =>
      new DuckMeshError('42P10', 'there is no unique or exclusion constraint matching the ON CONFLICT specification');
    if (pk.length === 0) throw noMatch();
    if (oc.target.length === 0 && oc.action === 'update') {
      throw new DuckMeshError(SqlState.syntaxError, 'ON CONFLICT DO UPDATE requires inference specification or constraint name');
    }
    if (oc.target.length > 0 && (oc.target.length !== pk.length || !pk.every((k) => oc.target.includes(k)))) throw noMatch();
    const alias = stmt.alias ?? stmt.table;
    if (oc.action === 'nothing') {
      return this.ingest.buildUpsert(this.tenant, table, rows, { action: 'nothing', set: [], where: null, alias });
    }
    for (const s of oc.set) {
      if (pk.includes(s.column)) {
        throw new DuckMeshError(SqlState.featureNotSupported, `ON CONFLICT DO UPDATE cannot change primary-key column "${s.column}"`);
      }
    }
    const keyIdx = pk.map((k) => validator.table.columns.findIndex((c) => c.name === k));
    const seen = new Set<string>();
    for (const r of rows) {
      const k = JSON.stringify(keyIdx.map((i) => r[i]));
      if (seen.has(k)) {
        throw new DuckMeshError('21000', 'ON CONFLICT DO UPDATE command cannot affect row a second time', {
          hint: 'Ensure that no rows proposed for insertion within the same command have duplicate constrained values.',
        });
      }
      seen.add(k);
    }
    if (replacesWholeRow(table, oc.set, oc.whereSql)) {
      // SET every other column = excluded.<same>: the proposed row simply becomes the newest version.
      return this.ingest.buildInsert(this.tenant, validator, rows);
    }
    const compiled = await this.compile(table, oc.set, oc.whereSql, { alias, params, excluded: true, what: 'ON CONFLICT DO UPDATE' });
    return this.ingest.buildUpsert(this.tenant, table, rows, { action: 'update', ...compiled, alias });
  }

  /**
   * UPDATE and DELETE are acknowledged once durable, before they are applied: which rows they
   * affect is decided at their bus position, so the command tag cannot know the count (it says 0).
   */
  async update(stmt: UpdateStatement, params: (string | null)[]): Promise<ExecResult> {
    const key = this.consumeIdempotencyKey();
    return this.submit(key, stmt, params, async () => {
      const table = await this.resolveTable(stmt.schema, stmt.table);
      const alias = stmt.alias ?? stmt.table;
      const compiled = await this.compile(table, stmt.set, stmt.whereSql, { alias, params, excluded: false, what: 'UPDATE' });
      return { write: this.ingest.buildUpdate(this.tenant, table, { ...compiled, alias }), tag: 'UPDATE 0' };
    });
  }

  async delete(stmt: DeleteStatement, params: (string | null)[]): Promise<ExecResult> {
    const key = this.consumeIdempotencyKey();
    return this.submit(key, stmt, params, async () => {
      const table = await this.resolveTable(stmt.schema, stmt.table);
      const alias = stmt.alias ?? stmt.table;
      const compiled = await this.compile(table, [], stmt.whereSql, { alias, params, excluded: false, what: 'DELETE' });
      return { write: this.ingest.buildDelete(this.tenant, table, { where: compiled.where, alias }), tag: 'DELETE 0' };
    });
  }

  /**
   * Validates (build) and then buffers (in a transaction) or appends the write. Outside a
   * transaction the shared gate spans validation and the bus append (see RwGate).
   */
  private async submit(
    key: string | undefined,
    stmt: unknown,
    params: (string | null)[],
    build: () => Promise<{ write: PendingWrite; tag: string }>,
  ): Promise<ExecResult> {
    const fingerprint = key || this.session.inTransaction ? fingerprintOf({ stmt: withoutLocations(stmt), params }) : undefined;
    const run = async (): Promise<{ tag: string; receipt: Receipt | null }> => {
      const { write, tag } = await build();
      const keyed: KeyedWrite = { ...write, ...(key ? { idempotencyKey: key } : {}), ...(fingerprint ? { fingerprint } : {}) };
      if (this.session.bufferWrite(keyed)) return { tag, receipt: null };
      const idempotency: IdempotencyRequest | undefined = key ? { key, fingerprint: fingerprint! } : undefined;
      return { tag, receipt: await this.ingest.commit([keyed], idempotency ? { idempotency } : {}) };
    };
    const out = this.session.inTransaction ? await run() : await this.ingest.gate(this.tenant).withShared(run);
    if (out.receipt) await this.session.afterWrite(out.receipt);
    return { kind: 'command', tag: out.tag };
  }

  /** COMMIT of a transaction: every buffered write in one atomic append (one idempotency key at most). */
  async commitBuffered(writes: PendingWrite[]): Promise<void> {
    const keyed = writes as KeyedWrite[];
    const keys = [...new Set(keyed.map((w) => w.idempotencyKey).filter((k): k is string => !!k))];
    if (keys.length > 1) {
      throw new DuckMeshError(SqlState.featureNotSupported, 'a transaction can carry only one idempotency key');
    }
    const idempotency = keys.length === 1 ? { key: keys[0]!, fingerprint: fingerprintOf(keyed.map((w) => w.fingerprint ?? '')) } : undefined;
    const receipt = await this.ingest.gate(this.tenant).withShared(async () => {
      const live = await this.ingest.schemas.tables(this.tenant);
      const liveIds = new Set([...live.values()].map((t) => t.tableId));
      for (const w of writes) {
        for (const r of w.records) {
          const tableId = (JSON.parse(r.payload) as { tableId: number }).tableId;
          if (!liveIds.has(tableId)) {
            throw new DuckMeshError(SqlState.undefinedTable, 'a table written in this transaction was dropped before COMMIT');
          }
        }
      }
      return this.ingest.commit(writes, idempotency ? { idempotency } : {});
    });
    await this.session.afterWrite(receipt);
  }

  /**
   * Guards and binds the expressions of UPDATE / DELETE / ON CONFLICT against the live schema (so
   * errors come now, not after the acknowledgement), in two passes: with `$n` kept, DuckDB infers
   * the parameters' types; then they are inlined as typed literals and bound once more.
   */
  private async compile(
    table: TableDef,
    set: UpdateStatement['set'],
    where: string | null,
    o: { alias: string; params: (string | null)[]; excluded: boolean; what: string },
  ): Promise<CompiledExpressions> {
    const now = new Date();
    const first = compileExpressions(table, set, where, { ...o, now, paramTypes: null });
    if (first.set.length === 0 && first.where === null) return first;
    return withEngineConnection(this.session, async (conn) => {
      const prepare = async (sql: string) => conn.prepare(sql).catch((e: unknown) => { throw mapDuckDbError(e); });
      const typed = await prepare(bindCheckSql(table, first, o));
      const used = typed.parameterCount;
      const types: (string | null)[] = [];
      // Indexed by the parameter's number ($n), which need not be contiguous here.
      for (let i = 1; i <= o.params.length; i++) {
        try {
          types.push(String(typed.parameterType(i)));
        } catch {
          types.push(null); // DuckDB could not infer it (e.g. `v + $1`).
        }
      }
      typed.destroySync();
      if (used === 0) return first;
      const compiled = compileExpressions(table, set, where, { ...o, now, paramTypes: types });
      (await prepare(bindCheckSql(table, compiled, o))).destroySync();
      return compiled;
    });
  }

  private async rowsOf(stmt: InsertStatement, validator: RowValidator, params: (string | null)[]): Promise<(string | null)[][]> {
    const source = stmt.source;
    if (source.kind === 'defaultValues') return [validator.row([], 1)];
    if (source.kind === 'select') {
      const out: (string | null)[][] = [];
      await this.selectRows(source.sql, source.ast, validator, (rows) => {
        for (const r of rows) out.push(r);
      });
      return out;
    }
    const out: (string | null)[][] = new Array(source.rows.length);
    for (let i = 0; i < source.rows.length; i++) {
      const cells = source.rows[i]!;
      const values: CellValue[] = new Array(cells.length);
      let exprs: { index: number; sql: string }[] | null = null;
      for (let j = 0; j < cells.length; j++) {
        const c = cells[j]!;
        if (c.kind === 'const') values[j] = { kind: 'value', text: c.value };
        else if (c.kind === 'default') values[j] = { kind: 'default' };
        else if (c.kind === 'param') {
          if (c.index < 1 || c.index > params.length) {
            throw new DuckMeshError(SqlState.undefinedParameter, `there is no parameter $${c.index}`);
          }
          values[j] = { kind: 'value', text: params[c.index - 1]! };
        } else {
          (exprs ??= []).push({ index: j, sql: params.length > 0 ? inlineExpressionParams(c.sql, params) : c.sql });
        }
      }
      if (exprs) await this.evaluateExprs(exprs, values);
      out[i] = validator.row(values, i + 1);
    }
    return out;
  }

  /** Runs the SELECT of an INSERT … SELECT and hands over its rows validated, one DuckDB chunk at a time. */
  private async selectRows(sql: string, ast: unknown, validator: RowValidator, sink: (rows: (string | null)[][]) => void): Promise<void> {
    assertSafeQuery(ast as never);
    let encoders: ((v: never) => string)[] = [];
    let n = 0;
    await this.session.evaluateChunks(sql, (types) => {
      encoders = types.map((t) => (t.type ? textEncoderFor(t.type) : (v: unknown) => String(v)));
    }, (chunk) => {
      const rows = chunk.getRows();
      const out: (string | null)[][] = new Array(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!;
        out[i] = validator.row(
          r.map((v, j) => ({ kind: 'value', text: v === null ? null : encoders[j]!(v as never) })),
          ++n,
        );
      }
      sink(out);
    });
  }

  /** Expressions in VALUES (now(), 1+1, …) are evaluated by the tenant's sandboxed DuckDB. */
  private async evaluateExprs(exprs: { index: number; sql: string }[], values: CellValue[]): Promise<void> {
    const { types, rows } = await this.session.evaluate(`SELECT ${exprs.map((e) => `(${e.sql})`).join(', ')}`);
    const row = rows[0]!;
    exprs.forEach((e, k) => {
      const t = types[k]!.type;
      const v = row[k];
      values[e.index] = { kind: 'value', text: v === null || v === undefined ? null : t ? textEncoderFor(t)(v as never) : String(v) };
    });
  }

  async inferInsertParamOids(stmt: InsertStatement, declared: number[]): Promise<number[]> {
    const out = [...declared];
    const table = await this.resolveTable(stmt.schema, stmt.table);
    if (stmt.source.kind === 'values') {
      const cols = stmt.columns ?? table.columns.map((c) => c.name);
      for (const row of stmt.source.rows) {
        row.forEach((cell, j) => {
          if (cell.kind === 'expr') {
            setParamOids(out, table, [], cell.sql);
            return;
          }
          if (cell.kind !== 'param') return;
          const col = table.columns.find((c) => c.name === cols[j]);
          if (!col) return;
          while (out.length < cell.index) out.push(0);
          if (!out[cell.index - 1]) out[cell.index - 1] = columnTypeFromSql(col.type).pgOid;
        });
      }
    }
    if (stmt.onConflict) setParamOids(out, table, stmt.onConflict.set, stmt.onConflict.whereSql);
    return out.map((o) => o || 25);
  }

  /**
   * Parameter types of UPDATE / DELETE for the extended protocol (Describe): a SET constant takes
   * its column's type, `$n` inside expressions is text (its value is typed when the write is
   * bound, see compile()).
   */
  async inferWriteParamOids(stmt: UpdateStatement | DeleteStatement | InsertStatement, declared: number[]): Promise<number[]> {
    if (stmt.kind === 'insert') return this.inferInsertParamOids(stmt, declared);
    const out = [...declared];
    const table = await this.resolveTable(stmt.schema, stmt.table);
    setParamOids(out, table, stmt.kind === 'update' ? stmt.set : [], stmt.whereSql);
    return out.map((o) => o || 25);
  }

  async createTable(stmt: CreateTableStatement): Promise<ExecResult> {
    const schema = stmt.schema ?? 'public';
    checkSchema(schema);
    const columns: ColumnDef[] = stmt.columns.map((c, i) => {
      const ct = resolveColumnType(c.type);
      const notNull = c.notNull || stmt.primaryKey.includes(c.name);
      return { name: c.name, type: ct.sql, notNull, defaultValue: defaultOf(c.default, c.name, ct), id: i + 1 };
    });
    for (const k of stmt.primaryKey) {
      if (!columns.some((c) => c.name === k)) {
        throw new DuckMeshError(SqlState.undefinedColumn, `column "${k}" named in key does not exist`);
      }
    }
    const { receipt } = await this.ingest.createTable(
      this.tenant,
      { schema, name: stmt.name, columns, primaryKey: stmt.primaryKey },
      stmt.ifNotExists,
      async () => {
        // Tables and views share one namespace, as in Postgres.
        const objects = await liveObjects(this.session.ctx.catalog, this.tenant);
        if (objects.views.some((v) => v.schema === schema && v.name === stmt.name)) {
          throw new DuckMeshError(SqlState.duplicateTable, `relation "${stmt.name}" already exists`);
        }
      },
    );
    if (receipt) await this.session.afterWrite(receipt);
    return { kind: 'command', tag: 'CREATE TABLE' };
  }

  async dropTable(stmt: DropTableStatement): Promise<ExecResult> {
    for (const target of stmt.targets) {
      const t = await this.ingest.schemas.lookup(this.tenant, target.schema ?? 'public', target.name);
      if (!t) {
        if (stmt.ifExists) continue;
        throw new DuckMeshError(SqlState.undefinedTable, `table "${target.name}" does not exist`);
      }
      const receipt = await this.ingest.dropTable(this.tenant, t, async () => {
        const objects = await liveObjects(this.session.ctx.catalog, this.tenant);
        const dependents = dependentViews(objects.views, [{ schema: t.schema, name: t.name }]);
        if (dependents.length > 0 && !stmt.cascade) {
          throw new DuckMeshError('2BP01', `cannot drop table ${t.name} because other objects depend on it`, {
            detail: dependents.map((v) => `view ${v.schema}.${v.name} depends on table ${t.name}`).join('\n'),
            hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
          });
        }
        return dropViewEvents(dependents, objects);
      });
      await this.session.afterWrite(receipt);
    }
    return { kind: 'command', tag: 'DROP TABLE' };
  }
}

/** ON CONFLICT DO UPDATE SET <every non-key column> = excluded.<same column>, no WHERE. */
function replacesWholeRow(table: TableDef, set: { column: string; value: Cell }[], where: string | null): boolean {
  if (where !== null) return false;
  const nonKey = table.columns.filter((c) => !table.primaryKey.includes(c.name));
  if (set.length !== nonKey.length) return false;
  return nonKey.every((c) => {
    const s = set.find((x) => x.column === c.name);
    if (!s || s.value.kind !== 'expr') return false;
    const m = /^excluded\.(?:"((?:[^"]|"")+)"|([a-z_][a-z0-9_$]*))$/.exec(s.value.sql.trim());
    return m !== null && (m[1]?.replace(/""/g, '"') ?? m[2]) === c.name;
  });
}

/** Parse-tree locations differ with whitespace; the fingerprint of "the same statement" should not. */
function withoutLocations(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === 'location' || k === 'stmt_location' || k === 'stmt_len' ? undefined : x)));
}

/** Grows `out` to cover every `$n` of SET items and a predicate; SET constants get their column's OID. */
function setParamOids(out: number[], table: TableDef, set: UpdateStatement['set'], where: string | null): void {
  const mark = (index: number, oid: number) => {
    while (out.length < index) out.push(0);
    if (!out[index - 1]) out[index - 1] = oid;
  };
  const exprs: string[] = where ? [where] : [];
  for (const item of set) {
    if (item.value.kind === 'param') {
      const col = table.columns.find((c) => c.name === item.column);
      mark(item.value.index, col ? columnTypeFromSql(col.type).pgOid : 0);
    } else if (item.value.kind === 'expr') exprs.push(item.value.sql);
  }
  for (const sql of exprs) {
    try {
      walkAst(parseSql(`SELECT ${sql}`)[0]!.ast, (type, body) => {
        if (type === 'ParamRef') mark(body.number ?? 0, 0);
      });
    } catch {
      // Unparseable here means unparseable at execution too; that reports the error.
    }
  }
}
