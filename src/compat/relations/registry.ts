/**
 * Lookup over every catalog relation the shim provides: the rewriter asks where a relation
 * lives, the builders ask for its DuckDB layout, and pg_class/pg_attribute describe the catalog
 * itself from the same specs.
 */
import { INFORMATION_SCHEMA_NAMESPACE_OID } from '../object-ids.js';
import { INFORMATION_SCHEMA_RELATIONS_DEFS } from './information-schema-relations.js';
import { PG_CATALOG_RELATIONS_DEFS } from './pg-catalog-relations.js';
import type { CatalogRelation } from './relation-def.js';

export type { CatalogColumn, CatalogRelation, RelationHome } from './relation-def.js';

const FIRST_SYSTEM_VIEW_OID = 12001;
const FIRST_INFO_SCHEMA_VIEW_OID = INFORMATION_SCHEMA_NAMESPACE_OID + 1;

function withOids(defs: readonly CatalogRelation[], firstOid: number): CatalogRelation[] {
  let next = firstOid;
  return defs.map((d) => (d.oid !== 0 ? d : { ...d, oid: next++ }));
}

export const PG_CATALOG_RELATIONS: readonly CatalogRelation[] = withOids(PG_CATALOG_RELATIONS_DEFS, FIRST_SYSTEM_VIEW_OID);
export const INFORMATION_SCHEMA_RELATIONS: readonly CatalogRelation[] = withOids(
  INFORMATION_SCHEMA_RELATIONS_DEFS,
  FIRST_INFO_SCHEMA_VIEW_OID,
);
export const ALL_CATALOG_RELATIONS: readonly CatalogRelation[] = [...PG_CATALOG_RELATIONS, ...INFORMATION_SCHEMA_RELATIONS];

const pgByName = new Map(PG_CATALOG_RELATIONS.map((r) => [r.name, r]));
const infoByName = new Map(INFORMATION_SCHEMA_RELATIONS.map((r) => [r.name, r]));

export function pgCatalogRelation(name: string): CatalogRelation | undefined {
  return pgByName.get(name);
}

export function informationSchemaRelation(name: string): CatalogRelation | undefined {
  return infoByName.get(name);
}

export function catalogRelation(schema: string, name: string): CatalogRelation | undefined {
  if (schema === 'pg_catalog') return pgByName.get(name);
  if (schema === 'information_schema') return infoByName.get(name);
  return undefined;
}

/**
 * Column names whose Postgres type is int2vector/oidvector (stored as text '1 2'), and columns
 * whose type is a real array (stored as DuckDB lists), across all catalog relations. The names
 * are unique enough in Postgres' catalogs for the rewriter to recognise them by name alone.
 */
export const VECTOR_COLUMNS: ReadonlySet<string> = new Set(
  ALL_CATALOG_RELATIONS.flatMap((r) => r.columns.filter((c) => c.pgType === 'int2vector' || c.pgType === 'oidvector').map((c) => c.name)),
);

export const ARRAY_COLUMNS: ReadonlyMap<string, string> = new Map(
  ALL_CATALOG_RELATIONS.flatMap((r) => r.columns.filter((c) => c.pgType.startsWith('_')).map((c) => [c.name, c.pgType] as [string, string])),
);
