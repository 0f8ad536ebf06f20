/**
 * The SQL of `derived` catalog relations (system views and information_schema views) for one
 * snapshot catalog: a typed SELECT over the snapshot's shim tables that the rewriter splices in
 * where a client names the view.
 */
import { informationSchemaViews } from './information-schema-views.js';
import { snapshotPgObject } from './names.js';
import type { CatalogRelation } from './relations/registry.js';
import { PG_CATALOG_VIEWS, typedSelectSql } from './snapshot-views.js';

export function derivedRelationSql(catalogName: string, database: string, rel: CatalogRelation): string {
  const p = (n: string) => snapshotPgObject(catalogName, n);
  const inner = rel.schema === 'pg_catalog' ? PG_CATALOG_VIEWS[rel.name]?.(p) : informationSchemaViews(p, database)[rel.name];
  if (inner === undefined) throw new Error(`no definition for derived relation ${rel.schema}.${rel.name}`);
  return typedSelectSql(rel, inner);
}
