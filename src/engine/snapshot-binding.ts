import { quoteIdent } from '../common/sql-text.js';
import type { SnapshotContents } from '../catalog/types.js';
import type { DataLayout } from '../storage/layout.js';
import { isBindableView, resolveObjects, type ViewBody } from './catalog-objects.js';
import { DUCKMESH_SCHEMA, duckmeshSchemaSql } from './duckmesh-schema.js';
import { tableScanSql as scanOverFiles } from './table-state.js';

export { tableScanSql } from './table-state.js';

/** Name of the DuckDB catalog that holds the views of one snapshot. */
export function snapshotCatalogName(snapshotId: number): string {
  return `snap_${snapshotId}`;
}

/**
 * SQL that materializes one snapshot as a DuckDB catalog of views: one schema per user schema,
 * one view per table over exactly the Parquet files of that snapshot (merge-on-read, hidden
 * columns dropped; see table-state.ts), the user's views as of the snapshot, and the `duckmesh`
 * schema (snapshots, watermarks, schema history). Snapshots are immutable, so this is built once
 * per snapshot and shared by every session.
 */
export function snapshotCatalogSql(contents: SnapshotContents, layout: DataLayout): string[] {
  const cat = quoteIdent(snapshotCatalogName(contents.snapshot.snapshotId));
  const objects = resolveObjects(contents.objects ?? [], contents.tables, isBindableView);
  const views = objects.views;
  const schemas = new Set<string>(['public']);
  for (const t of contents.tables) schemas.add(t.schema);
  for (const v of views) schemas.add(v.schema);
  schemas.delete(DUCKMESH_SCHEMA);
  const out: string[] = [];
  for (const s of schemas) out.push(`CREATE SCHEMA IF NOT EXISTS ${cat}.${quoteIdent(s)}`);
  for (const t of contents.tables) {
    const files = (contents.files.get(t.tableId) ?? []).map((f) => ({
      path: layout.absolute(f.path),
      schemaVersion: f.schemaVersion ?? 1,
      mutations: f.mutations ?? false,
    }));
    const versions = contents.versions?.get(t.tableId) ?? [];
    out.push(`CREATE VIEW ${cat}.${quoteIdent(t.schema)}.${quoteIdent(t.name)} AS ${scanOverFiles(t, versions, files)}`);
  }
  // DuckDB binds a view's names inside the view's own catalog and schema, so a view always reads
  // the tables of the snapshot it belongs to.
  for (const v of views) out.push(`CREATE VIEW ${cat}.${quoteIdent(v.schema)}.${quoteIdent(v.name)} AS ${v.sql}`);
  out.push(...duckmeshSchemaSql(snapshotCatalogName(contents.snapshot.snapshotId), contents, objects));
  return out;
}

