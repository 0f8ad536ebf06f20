/**
 * snapshotShimSql(): the Postgres catalog of one snapshot, built from the tenant's real catalog
 * inside the snapshot's DuckDB catalog (`snap_<id>`): schema `__dm_pg_catalog` holds the
 * pg_catalog tables built from the tenant's tables, internal lookup views and snapshot-dependent
 * macros. System views and information_schema are views over those tables that the rewriter
 * expands in place (derived-relations.ts), and relations without tenant content live once per
 * instance in `__dm_pgshim` (instance-setup.ts), so a snapshot costs few statements.
 *
 * Snapshots are immutable, so this runs at most once per snapshot and only when a catalog query
 * reaches it (the engine builds it lazily).
 */
import type { SnapshotContents } from '../catalog/types.js';
import { catalogComments } from '../engine/catalog-objects.js';
import { SYSTEM_ROWS_TABLE } from './instance-setup.js';
import { instanceObject, PG_CATALOG_SHIM_SCHEMA, snapshotPgObject } from './names.js';
import { parseColumns, type CatalogRelation } from './relations/relation-def.js';
import { pgCatalogRelation } from './relations/registry.js';
import { createMacroSql } from './shim-functions.js';
import { batchStatements, createTableSql, quoteIdent } from './sql-build.js';
import { snapshotMacros } from './snapshot-macros.js';
import { buildSnapshotModel, type ShimContext } from './snapshot-model.js';
import { lookupViewSql } from './snapshot-views.js';

export type { CatalogComment, ShimContext } from './snapshot-model.js';

/** pg_catalog tables materialised per snapshot; the first four start with the instance's system rows. */
const SNAPSHOT_TABLES = [
  'pg_namespace', 'pg_class', 'pg_attribute', 'pg_type', 'pg_index', 'pg_constraint', 'pg_attrdef',
  'pg_description', 'pg_database', 'pg_authid',
] as const;

function internalTable(name: string, spec: string): CatalogRelation {
  return { schema: 'pg_catalog', name, oid: 0, relkind: 'r', home: 'snapshot', columns: parseColumns(spec) };
}

/** Lookup tables for the snapshot macros (columns named `__dm_*`, see snapshot-views.ts). */
const INTERNAL_TABLES: readonly CatalogRelation[] = [
  internalTable('__dm_indexdefs', '__dm_oid oid, __dm_def text, __dm_cols _text'),
  internalTable('__dm_condefs', '__dm_oid oid, __dm_def text'),
  internalTable('__dm_relsizes', '__dm_oid oid, __dm_bytes int8'),
  internalTable('__dm_viewdefs', '__dm_oid oid, __dm_def text'),
  internalTable('__dm_viewdeps', '__dm_view oid, __dm_ref oid'),
];

/**
 * `ctx.comments`, when given, replaces the snapshot's own: otherwise the COMMENT ON TABLE/COLUMN
 * texts stored in the snapshot's catalog objects (as of its watermark) become pg_description.
 * Comments on views always come from the snapshot's catalog objects.
 */
export function snapshotShimSql(contents: SnapshotContents, catalogName: string, ctx: ShimContext): string[] {
  const model = buildSnapshotModel(contents, { ...ctx, comments: ctx.comments ?? catalogComments(contents) });
  const cat = quoteIdent(catalogName);
  const out = [`CREATE SCHEMA IF NOT EXISTS ${cat}.${quoteIdent(PG_CATALOG_SHIM_SCHEMA)}`];
  const create = (sql: string) => out.push(sql.replace(/^CREATE TABLE /, 'CREATE OR REPLACE TABLE '));
  for (const name of SNAPSHOT_TABLES) {
    const rel = pgCatalogRelation(name)!;
    const prefix = (SYSTEM_ROWS_TABLE as Record<string, string>)[name];
    create(createTableSql(snapshotPgObject(catalogName, name), rel, model.rows.get(name) ?? [], prefix === undefined ? undefined : instanceObject(prefix)));
  }
  for (const rel of INTERNAL_TABLES) {
    create(createTableSql(snapshotPgObject(catalogName, rel.name), rel, model.rows.get(rel.name) ?? []));
  }
  out.push(...lookupViewSql(catalogName));
  for (const m of snapshotMacros(catalogName)) {
    out.push(createMacroSql(snapshotPgObject(catalogName, m.name), m).replace(/^CREATE MACRO /, 'CREATE OR REPLACE MACRO '));
  }
  // A few multi-statement strings instead of ~40 engine round trips.
  return batchStatements(out);
}
