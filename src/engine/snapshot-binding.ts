import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import type { SnapshotContents, TableDef } from '../catalog/types.js';
import type { DataLayout } from '../storage/layout.js';

/** Name of the DuckDB catalog that holds the views of one snapshot. */
export function snapshotCatalogName(snapshotId: number): string {
  return `snap_${snapshotId}`;
}

/**
 * SQL that materializes one snapshot as a DuckDB catalog of views: one schema per user schema,
 * one view per table over exactly the Parquet files of that snapshot (hidden columns dropped).
 * Snapshots are immutable, so this is built once per snapshot and shared by every session.
 */
export function snapshotCatalogSql(contents: SnapshotContents, layout: DataLayout): string[] {
  const cat = quoteIdent(snapshotCatalogName(contents.snapshot.snapshotId));
  const schemas = new Set<string>(['public']);
  for (const t of contents.tables) schemas.add(t.schema);
  const out: string[] = [];
  for (const s of schemas) out.push(`CREATE SCHEMA IF NOT EXISTS ${cat}.${quoteIdent(s)}`);
  for (const t of contents.tables) {
    const files = contents.files.get(t.tableId) ?? [];
    out.push(`CREATE VIEW ${cat}.${quoteIdent(t.schema)}.${quoteIdent(t.name)} AS ${tableScanSql(t, files.map((f) => layout.absolute(f.path)))}`);
  }
  return out;
}

export function tableScanSql(t: TableDef, files: string[]): string {
  const cols = t.columns.map((c) => quoteIdent(c.name)).join(', ');
  if (files.length === 0) {
    const typed = t.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
    return `SELECT ${typed} WHERE false`;
  }
  const list = files.map(quoteLiteral).join(', ');
  return `SELECT ${cols} FROM read_parquet([${list}])`;
}
