/**
 * Where the Postgres catalog surface lives inside a tenant's DuckDB instance.
 *
 * DuckDB reserves `pg_catalog` and `information_schema` in every attached catalog (they are
 * virtual, read-only and hold DuckDB's own, non-Postgres-compatible views), so the shims use
 * private names under the `__dm` prefix, which the sandbox policy already treats as internal:
 * users can neither create nor reference them, so they can never collide with a user schema.
 */
import { quoteIdent } from '../common/sql-text.js';

/** In-memory catalog attached once per instance: snapshot-independent macros and static relations. */
export const SHIM_CATALOG = '__dm_pgshim';
export const SHIM_SCHEMA = 'main';

/** Schema created inside each snapshot catalog (`snap_<id>`) by snapshotShimSql(). */
export const PG_CATALOG_SHIM_SCHEMA = '__dm_pg_catalog';

/** `"__dm_pgshim"."main"."name"`: an instance-level shim object. */
export function instanceObject(name: string): string {
  return `${quoteIdent(SHIM_CATALOG)}.${quoteIdent(SHIM_SCHEMA)}.${quoteIdent(name)}`;
}

/** `"snap_1"."__dm_pg_catalog"."name"`: a snapshot-level pg_catalog shim object. */
export function snapshotPgObject(catalogName: string, name: string): string {
  return `${quoteIdent(catalogName)}.${quoteIdent(PG_CATALOG_SHIM_SCHEMA)}.${quoteIdent(name)}`;
}

/** Instance-level information_schema relations get a prefix, apart from the pg_catalog names. */
export function instanceInfoSchemaTable(name: string): string {
  return `__dm_is_${name}`;
}
