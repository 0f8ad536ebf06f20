import type { ColumnDef, CompatibilityMode, FileRecord, TableDef } from '../types.js';

/** Row shapes of the catalog tables (int8 columns arrive as numbers; see common/pg/pg-support.ts). */
export interface TableRow {
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

export interface FileRow {
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
  mutations?: boolean;
}

export function toTableDef(r: TableRow): TableDef {
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

export function toFileRecord(f: FileRow): FileRecord {
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
    mutations: f.mutations === true,
  };
}
