import type { ColumnDef } from '../catalog/types.js';

/**
 * What a bus entry carries. Rows hold canonical text values (validated at ingest, castable by
 * DuckDB to the column type), so the commit worker never re-validates.
 */
export interface InsertPayload {
  op: 'insert';
  tableId: number;
  schemaVersion: number;
  /** All columns of the table at `schemaVersion`, in table order; defaults already filled in. */
  columns: string[];
  rows: (string | null)[][];
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

export type RowsPayload = InsertPayload;
export type DdlPayload = CreateTablePayload | DropTablePayload;

export function encodePayload(p: RowsPayload | DdlPayload): string {
  return JSON.stringify(p);
}

export function decodeRowsPayload(text: string): RowsPayload {
  return JSON.parse(text) as RowsPayload;
}

export function decodeDdlPayload(text: string): DdlPayload {
  return JSON.parse(text) as DdlPayload;
}
