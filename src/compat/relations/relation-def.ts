/**
 * Shape of one Postgres catalog relation as the shim exposes it. Column types are Postgres type
 * names (pg_type.typname, arrays with a leading underscore) so the same spec yields both the
 * DuckDB table layout and the pg_attribute rows describing the catalog itself.
 */

/**
 * Where a relation's rows come from:
 * - `snapshot`: a table built per snapshot from the tenant's real catalog (pg_class, pg_attribute, …);
 * - `derived`: a view over the snapshot tables (pg_tables, information_schema.columns, …), expanded
 *   by the rewriter as a subquery so that building a snapshot's shim creates no views;
 * - `instance`: static or always empty, created once per DuckDB instance (pg_am, pg_policy, …);
 * - `session`: depends on the asking session (pg_settings, pg_stat_activity), substituted by the
 *   query rewriter at rewrite time.
 */
export type RelationHome = 'snapshot' | 'derived' | 'instance' | 'session';

export interface CatalogColumn {
  name: string;
  pgType: string;
}

export interface CatalogRelation {
  schema: 'pg_catalog' | 'information_schema';
  name: string;
  /** Postgres' own OID for catalog tables; 0 = assigned by the registry (system views). */
  oid: number;
  relkind: 'r' | 'v';
  home: RelationHome;
  columns: CatalogColumn[];
}

/** `'oid oid, nspname name, nspacl _aclitem'` → columns. */
export function parseColumns(spec: string): CatalogColumn[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const [name, pgType] = s.split(/\s+/);
      if (!name || !pgType) throw new Error(`bad catalog column spec "${s}"`);
      return { name, pgType };
    });
}
