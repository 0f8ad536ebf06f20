/**
 * The Postgres catalog surface, built from the tenant's real catalog:
 * - instanceSetupSql(): once per tenant DuckDB instance (macros, static catalogs);
 * - snapshotShimSql(): once per snapshot that a catalog query reaches (pg_catalog and
 *   information_schema of that snapshot);
 * - rewriteCatalogQuery(): per catalog query, a parse-tree rewrite onto the shim;
 * - needsCompatRewrite(): which SELECTs need the rewrite.
 */
export { instanceSetupSql } from './instance-setup.js';
export { snapshotShimSql, type CatalogComment, type ShimContext } from './snapshot-shim.js';
export {
  rewriteCatalogQuery,
  rewriteCatalogQueryDetailed,
  type RewriteContext,
  type RewriteResult,
  type SetConfigCall,
} from './rewrite/rewrite.js';
export { needsCompatRewrite } from './rewrite/needs-rewrite.js';
export { PG_SETTINGS_CATALOG, type SettingInfo } from './settings-catalog.js';
export { PG_CATALOG_SHIM_SCHEMA, SHIM_CATALOG } from './names.js';
export { namespaceOid, primaryKeyIndexOid, tableOid } from './object-ids.js';
