import type { ColumnDef, ObjectEvent } from '../catalog/types.js';

/**
 * What a bus entry carries. Rows hold canonical text values (validated at ingest, castable by
 * DuckDB to the column type), so the commit worker never re-validates. Expressions (SET values,
 * predicates) are DuckDB SQL already checked by the sandbox guard and bound at ingest; the commit
 * worker evaluates them at the entry's bus position.
 */
interface RowsPayloadBase {
  tableId: number;
  /** The schema version the write was validated against. */
  schemaVersion: number;
  /**
   * Position of this entry in its logical write when that write spans several entries
   * ([index, count]); absent for one-entry writes. The commit worker applies a logical write
   * all or nothing and never splits one across snapshots.
   */
  w?: [number, number];
  /** On the first entry of a write made with an idempotency key (lets recovery finish the receipt). */
  idem?: { key: string; fp: string; rows: number };
}

/** Plain INSERT: new row versions (on a table with a primary key, the newest version of a key wins). */
export interface InsertPayload extends RowsPayloadBase {
  op: 'insert';
  /** All columns of the table at `schemaVersion`, in table order; defaults already filled in. */
  columns: string[];
  rows: (string | null)[][];
}

/** An assignment `column = <DuckDB expression>`. */
export interface SetExpr {
  column: string;
  sql: string;
}

/** INSERT … ON CONFLICT (pk) DO NOTHING / DO UPDATE SET … [WHERE …], resolved at its bus position. */
export interface UpsertPayload extends RowsPayloadBase {
  op: 'upsert';
  columns: string[];
  rows: (string | null)[][];
  action: 'nothing' | 'update';
  /** DO UPDATE assignments; may use `excluded.<col>` and the old row's columns. */
  set: SetExpr[];
  where: string | null;
  /** The name the old row goes by in `set`/`where` (the table's name or its alias). */
  alias: string;
}

/** UPDATE … SET … WHERE …, evaluated against the table as of just before its bus position. */
export interface UpdatePayload extends RowsPayloadBase {
  op: 'update';
  set: SetExpr[];
  where: string | null;
  alias: string;
}

/** DELETE … WHERE … (predicate), or a delete of explicit primary-key values (HTTP). */
export interface DeletePayload extends RowsPayloadBase {
  op: 'delete';
  where: string | null;
  alias: string;
  /** Primary-key values (canonical text, key order) to delete; when given, `where` is ignored. */
  keys?: (string | null)[][];
}

export interface CreateTablePayload {
  op: 'createTable';
  tableId: number;
  schema: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
}

export interface DropTablePayload {
  op: 'dropTable';
  tableId: number;
}

/** ALTER TABLE: the complete new version (the catalog record can be rebuilt from the bus alone). */
export interface AlterTablePayload {
  op: 'alterTable';
  tableId: number;
  version: number;
  schema: string;
  name: string;
  columns: ColumnDef[];
  primaryKey: string[];
  change: string;
}

/** Views, comments, indexes: metadata events recorded at the entry's position. */
export interface ObjectsPayload {
  op: 'objects';
  events: ObjectEvent[];
}

export type RowsPayload = InsertPayload | UpsertPayload | UpdatePayload | DeletePayload;
export type DdlPayload = CreateTablePayload | DropTablePayload | AlterTablePayload | ObjectsPayload;

export function encodePayload(p: RowsPayload | DdlPayload): string {
  return JSON.stringify(p);
}

export function decodeRowsPayload(text: string): RowsPayload {
  return JSON.parse(text) as RowsPayload;
}

export function decodeDdlPayload(text: string): DdlPayload {
  return JSON.parse(text) as DdlPayload;
}

/**
 * Adds write-level fields to an encoded rows payload without re-encoding the rows: JSON objects
 * tolerate a prefix of extra members, and the payloads can be large.
 */
export function withWriteFields(payload: string, fields: Pick<RowsPayloadBase, 'w' | 'idem'>): string {
  const extra = JSON.stringify(fields);
  if (extra === '{}') return payload;
  return extra.slice(0, -1) + ',' + payload.slice(1);
}
