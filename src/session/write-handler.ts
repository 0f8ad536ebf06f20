import { DuckMeshError, SqlState } from '../common/errors.js';
import type { ColumnDef, TableDef } from '../catalog/types.js';
import { TENANT_NAME } from '../storage/layout.js';
import type { PendingWrite } from '../ingest/service.js';
import type { Receipt } from '../ingest/receipt.js';
import { RowValidator, type CellValue } from '../ingest/validate-rows.js';
import { assertSafeQuery } from '../sql/guard.js';
import type { Cell, CreateTableStatement, DropTableStatement, InsertStatement } from '../sql/statements.js';
import { columnTypeFromSql, resolveColumnType } from '../types/column-types.js';
import { textEncoderFor } from '../types/text-encode.js';
import { validatorFor } from '../types/validate.js';
import type { ExecResult } from './results.js';
import type { Session } from './session.js';

const RESERVED_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'duckmesh', 'main', 'system', 'temp']);

/** Executes write statements for a session: validation here, durability in the IngestService. */
export class WriteHandler {
  constructor(private readonly session: Session) {}

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

  async insert(stmt: InsertStatement, params: (string | null)[]): Promise<ExecResult> {
    if (stmt.onConflict) throw new DuckMeshError(SqlState.featureNotSupported, 'INSERT ... ON CONFLICT is not supported by DuckMesh yet');
    if (stmt.returning) throw new DuckMeshError(SqlState.featureNotSupported, 'INSERT ... RETURNING is not supported by DuckMesh');
    this.rejectIdempotencyKey();
    const run = async (): Promise<{ tag: string; receipt: Receipt | null }> => {
      const table = await this.resolveTable(stmt.schema, stmt.table);
      const validator = new RowValidator(table, stmt.columns);
      const rows = await this.rowsOf(stmt, validator, params);
      const write = this.ingest.buildInsert(this.tenant, validator, rows);
      const tag = `INSERT 0 ${rows.length}`;
      if (this.session.bufferWrite(write)) return { tag, receipt: null };
      return { tag, receipt: await this.ingest.commit([write]) };
    };
    // Outside a transaction the shared gate spans validation and the bus append (see RwGate).
    const out = this.session.inTransaction ? await run() : await this.ingest.gate(this.tenant).withShared(run);
    if (out.receipt) await this.session.afterWrite(out.receipt);
    return { kind: 'command', tag: out.tag };
  }

  /** COMMIT of a transaction: every buffered write in one atomic append. */
  async commitBuffered(writes: PendingWrite[]): Promise<void> {
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
      return this.ingest.commit(writes);
    });
    await this.session.afterWrite(receipt);
  }

  private async rowsOf(stmt: InsertStatement, validator: RowValidator, params: (string | null)[]): Promise<(string | null)[][]> {
    const source = stmt.source;
    if (source.kind === 'defaultValues') return [validator.row([], 1)];
    if (source.kind === 'select') {
      assertSafeQuery(source.ast);
      const { types, rows } = await this.session.evaluate(source.sql);
      const encoders = types.map((t) => (t.type ? textEncoderFor(t.type) : (v: unknown) => String(v)));
      return rows.map((r, i) =>
        validator.row(
          r.map((v, j) => ({ kind: 'value', text: v === null ? null : encoders[j]!(v as never) })),
          i + 1,
        ),
      );
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
          (exprs ??= []).push({ index: j, sql: c.sql });
        }
      }
      if (exprs) await this.evaluateExprs(exprs, values);
      out[i] = validator.row(values, i + 1);
    }
    return out;
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
    if (stmt.source.kind !== 'values') return out;
    const table = await this.resolveTable(stmt.schema, stmt.table);
    const cols = stmt.columns ?? table.columns.map((c) => c.name);
    for (const row of stmt.source.rows) {
      row.forEach((cell, j) => {
        if (cell.kind !== 'param') return;
        const col = table.columns.find((c) => c.name === cols[j]);
        if (!col) return;
        while (out.length < cell.index) out.push(0);
        if (!out[cell.index - 1]) out[cell.index - 1] = columnTypeFromSql(col.type).pgOid;
      });
    }
    return out.map((o) => o || 25);
  }

  async createTable(stmt: CreateTableStatement): Promise<ExecResult> {
    const schema = stmt.schema ?? 'public';
    // `__dm…` schemas hold DuckMesh's catalog shim inside every snapshot catalog.
    if (RESERVED_SCHEMAS.has(schema) || schema.startsWith('__dm') || schema.startsWith('pg_') || !TENANT_NAME.test(schema)) {
      throw new DuckMeshError(SqlState.insufficientPrivilege, `cannot create tables in schema "${schema}"`);
    }
    const columns: ColumnDef[] = stmt.columns.map((c) => {
      const ct = resolveColumnType(c.type);
      const notNull = c.notNull || stmt.primaryKey.includes(c.name);
      return { name: c.name, type: ct.sql, notNull, defaultValue: this.defaultOf(c.default, c.name, ct) };
    });
    for (const k of stmt.primaryKey) {
      if (!columns.some((c) => c.name === k)) {
        throw new DuckMeshError(SqlState.undefinedColumn, `column "${k}" named in key does not exist`);
      }
    }
    const { receipt, existed } = await this.ingest.createTable(
      this.tenant,
      { schema, name: stmt.name, columns, primaryKey: stmt.primaryKey },
      stmt.ifNotExists,
    );
    if (receipt) await this.session.afterWrite(receipt);
    void existed;
    return { kind: 'command', tag: 'CREATE TABLE' };
  }

  private defaultOf(cell: Cell | null, column: string, ct: ReturnType<typeof resolveColumnType>): string | null {
    if (!cell) return null;
    if (cell.kind !== 'const') {
      throw new DuckMeshError(SqlState.featureNotSupported, `DEFAULT of column "${column}" must be a constant`);
    }
    return cell.value === null ? null : validatorFor(ct)(cell.value);
  }

  async dropTable(stmt: DropTableStatement): Promise<ExecResult> {
    for (const target of stmt.targets) {
      const t = await this.ingest.schemas.lookup(this.tenant, target.schema ?? 'public', target.name);
      if (!t) {
        if (stmt.ifExists) continue;
        throw new DuckMeshError(SqlState.undefinedTable, `table "${target.name}" does not exist`);
      }
      const receipt = await this.ingest.dropTable(this.tenant, t);
      await this.session.afterWrite(receipt);
    }
    return { kind: 'command', tag: 'DROP TABLE' };
  }

  private rejectIdempotencyKey(): void {
    if (this.session.settings.get('duckmesh.idempotency_key')) {
      this.session.settings.set('duckmesh.idempotency_key', null);
      throw new DuckMeshError(SqlState.featureNotSupported, 'idempotency keys are not supported by this DuckMesh version yet');
    }
  }
}
