/**
 * COPY FROM STDIN as bulk ingest: rows are parsed and validated as CopyData arrives (only
 * canonical values are kept, never the raw input), and CopyDone turns them into ONE logical
 * write, exactly like a multi-row INSERT: one bus append, one token. Any bad line, CopyFail or a
 * disconnect writes nothing.
 */
import { createHash } from 'node:crypto';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { TableDef } from '../catalog/types.js';
import { RowValidator, type CellValue } from '../ingest/validate-rows.js';
import type { Receipt } from '../ingest/receipt.js';
import type { CopyStatement } from '../sql/statements.js';
import { columnTypeFromSql } from '../types/column-types.js';
import { BinaryCopyDecoder } from './copy-binary.js';
import { CsvCopyDecoder } from './copy-csv.js';
import { columnFlags, type CopyOptions } from './copy-options.js';
import {
  badCopyData,
  CopyContextError,
  CopyFieldError,
  DEFAULT_FIELD,
  type CopyDecoder,
  type FieldValue,
} from './copy-records.js';
import { TextCopyDecoder } from './copy-text.js';
import type { CopyInSink } from './results.js';
import type { Session } from './session.js';

const MAX_CONTEXT_CHARS = 100;

function clip(s: string): string {
  return s.length > MAX_CONTEXT_CHARS ? s.slice(0, MAX_CONTEXT_CHARS) + '...' : s;
}

export async function startCopyIn(session: Session, stmt: CopyStatement, opts: CopyOptions): Promise<CopyInSink> {
  if (stmt.whereSql !== null) throw new DuckMeshError(SqlState.featureNotSupported, 'COPY FROM ... WHERE is not supported by DuckMesh');
  if (session.inTransaction && session.settings.get('transaction_read_only') === 'on') {
    throw new DuckMeshError(SqlState.readOnlySqlTransaction, 'cannot execute COPY FROM in a read-only transaction');
  }
  // Like any write statement, COPY consumes the session's idempotency key. Its fingerprint is a
  // hash of the target and of the input bytes as sent (streamed: the input is never kept).
  const key = session.writes.consumeIdempotencyKey();
  const hash = key ? createHash('sha256').update(JSON.stringify({ copy: [stmt.schema, stmt.table, stmt.columns, opts] })) : null;
  const table = await session.writes.resolveTable(stmt.schema, stmt.table!);
  const validator = new RowValidator(table, stmt.columns);
  const columns = stmt.columns ?? table.columns.map((c) => c.name);
  const rows: (string | null)[][] = [];
  let headerPending = opts.header !== false;
  let state: 'open' | 'failed' | 'done' = 'open';

  const onRow = (fields: FieldValue[], line: number, raw: () => string): void => {
    if (headerPending) {
      headerPending = false;
      if (opts.header === 'match') checkHeader(fields, columns, table.name, line);
      return;
    }
    if (fields.length !== columns.length) {
      const e =
        fields.length < columns.length
          ? badCopyData(`missing data for column "${columns[fields.length]}"`)
          : badCopyData('extra data after last expected column');
      throw new CopyContextError(e, `COPY ${table.name}, line ${line}: "${clip(raw())}"`);
    }
    const cells: CellValue[] = fields.map((f) => (f === DEFAULT_FIELD ? { kind: 'default' } : { kind: 'value', text: f }));
    try {
      rows.push(validator.row(cells, line));
    } catch (err) {
      throw withColumnContext(err, table, columns, fields, line);
    }
  };

  const decoder = makeDecoder(opts, columns, table, onRow);
  const guarded = (fn: () => void): void => {
    if (state !== 'open') throw new DuckMeshError(SqlState.protocolViolation, 'COPY is not in progress');
    try {
      fn();
    } catch (err) {
      state = 'failed';
      rows.length = 0;
      throw contextOf(err, table.name, decoder.line, columns);
    }
  };

  return {
    format: opts.format === 'binary' ? 1 : 0,
    columnCount: columns.length,
    write: (data) =>
      guarded(() => {
        hash?.update(data);
        decoder.push(data);
      }),
    finish: async () => {
      guarded(() => decoder.end());
      state = 'done';
      const n = rows.length;
      const idempotency = key ? { key, fingerprint: hash!.digest('hex') } : undefined;
      if (n > 0) await commitRows(session, stmt, table, validator, rows, idempotency);
      rows.length = 0;
      return `COPY ${n}`;
    },
    abort: () => {
      state = 'failed';
      rows.length = 0;
    },
  };
}

function makeDecoder(
  opts: CopyOptions,
  columns: string[],
  table: TableDef,
  onRow: (fields: FieldValue[], line: number, raw: () => string) => void,
): CopyDecoder {
  if (opts.format === 'binary') {
    const oids = columns.map((name) => columnTypeFromSql(table.columns.find((c) => c.name === name)!.type).pgOid);
    return new BinaryCopyDecoder(oids, onRow);
  }
  if (opts.format === 'csv') {
    const d = new CsvCopyDecoder(opts, onRow);
    d.forceNull = columnFlags(opts.forceNull, columns, 'FORCE_NULL', table.name);
    d.forceNotNull = columnFlags(opts.forceNotNull, columns, 'FORCE_NOT_NULL', table.name);
    return d;
  }
  return new TextCopyDecoder(opts, onRow);
}

function checkHeader(fields: FieldValue[], columns: string[], table: string, line: number): void {
  const where = `COPY ${table}, line ${line}`;
  if (fields.length !== columns.length) {
    throw new CopyContextError(badCopyData(`wrong number of fields in header line: got ${fields.length}, expected ${columns.length}`), where);
  }
  fields.forEach((f, i) => {
    if (f !== columns[i]) {
      const got = f === null ? 'null value' : `"${String(f)}"`;
      throw new CopyContextError(badCopyData(`column name mismatch in header line field ${i + 1}: got ${got}, expected "${columns[i]}"`), where);
    }
  });
}

/** RowValidator names the failing column in its detail; Postgres puts it in CONTEXT. */
function withColumnContext(err: unknown, table: TableDef, columns: string[], fields: FieldValue[], line: number): unknown {
  if (!(err instanceof DuckMeshError)) return err;
  const col = /column "((?:[^"]|"")*)"/.exec(err.detail ?? '')?.[1]?.replace(/""/g, '"');
  if (col === undefined) return new CopyContextError(err, `COPY ${table.name}, line ${line}`);
  const i = columns.indexOf(col);
  const v = i >= 0 ? fields[i] : undefined;
  const shown = v === undefined || v === DEFAULT_FIELD ? '' : v === null ? ': null input' : `: "${clip(v)}"`;
  return new CopyContextError(err, `COPY ${table.name}, line ${line}, column ${col}${shown}`);
}

/** Framing and decoding errors get the line (and, for a field, the column) as context. */
function contextOf(err: unknown, table: string, line: number, columns: string[]): unknown {
  if (err instanceof CopyContextError) return err;
  if (err instanceof CopyFieldError) {
    const base = err.cause instanceof DuckMeshError ? err.cause : new DuckMeshError(SqlState.internalError, err.message);
    const value = err.value === null ? '' : `: "${clip(err.value)}"`;
    return new CopyContextError(base, `COPY ${table}, line ${line}, column ${columns[err.column] ?? err.column + 1}${value}`);
  }
  if (err instanceof DuckMeshError) return new CopyContextError(err, `COPY ${table}, line ${Math.max(line, 1)}`);
  return err;
}

/**
 * The write itself, as INSERT does it: under the tenant's shared gate outside a transaction,
 * buffered until COMMIT inside one. Rows were validated while they streamed in, without the
 * gate (a slow client must not block DDL), so the table is re-checked under the gate: a COPY
 * validated against a table that was dropped or changed meanwhile is refused.
 */
async function commitRows(
  session: Session,
  stmt: CopyStatement,
  table: TableDef,
  validator: RowValidator,
  rows: (string | null)[][],
  idempotency?: { key: string; fingerprint: string },
): Promise<void> {
  const ingest = session.ctx.ingest;
  const run = async (): Promise<Receipt | null> => {
    const current = await session.writes.resolveTable(stmt.schema, stmt.table!);
    if (current.tableId !== table.tableId || current.schemaVersion !== table.schemaVersion) {
      throw new DuckMeshError(SqlState.undefinedTable, `table "${table.name}" was dropped or changed while COPY was running; nothing was written`);
    }
    const write = ingest.buildInsert(session.tenant, validator, rows);
    // In a transaction the key travels with the buffered write (see WriteHandler.commitBuffered).
    const keyed = idempotency ? { ...write, idempotencyKey: idempotency.key, fingerprint: idempotency.fingerprint } : write;
    if (session.bufferWrite(keyed)) return null;
    return ingest.commit([write], idempotency ? { idempotency } : {});
  };
  const receipt = session.inTransaction ? await run() : await ingest.gate(session.tenant).withShared(run);
  if (receipt) await session.afterWrite(receipt);
}
