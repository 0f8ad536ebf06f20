/**
 * Postgres system views (pg_roles, pg_tables, pg_indexes, pg_stat_*) over one snapshot's
 * pg_catalog tables — the same derivations Postgres' system_views.sql makes, minus the statistics
 * DuckMesh does not collect (reported as 0) — and the shim's internal lookup views.
 *
 * The system views are not created in the snapshot: the rewriter expands them as subqueries
 * (see derived-relations.ts), which keeps building a snapshot's shim to a few statements.
 *
 * The lookup views rename every column to `__dm_*`: shim macros embed them in subqueries, and a
 * caller's unqualified column (e.g. `pg_get_indexdef(indexrelid)`) must never be captured by a
 * same-named column inside the macro.
 */
import { snapshotPgObject } from './names.js';
import { storageType } from './pg-types.js';
import type { CatalogRelation } from './relations/registry.js';
import { quoteIdent } from './sql-build.js';

/** A SELECT whose columns are exactly `rel`'s (names, order, DuckDB types). */
export function typedSelectSql(rel: CatalogRelation, inner: string): string {
  const cols = rel.columns.map((c) => `CAST(__dm_v.${quoteIdent(c.name)} AS ${storageType(c.pgType)}) AS ${quoteIdent(c.name)}`);
  return `SELECT ${cols.join(', ')} FROM (${inner}) AS __dm_v`;
}

/** Qualifies a pg_catalog shim relation of the snapshot. */
export type ShimName = (relation: string) => string;

const USER_SCHEMA_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`;

function statTables(p: ShimName, userOnly: boolean): string {
  return `SELECT c.oid AS relid, n.nspname AS schemaname, c.relname, 0 AS seq_scan, NULL AS last_seq_scan,
      0 AS seq_tup_read, CASE WHEN c.relhasindex THEN 0 END AS idx_scan, NULL AS last_idx_scan,
      CASE WHEN c.relhasindex THEN 0 END AS idx_tup_fetch, 0 AS n_tup_ins, 0 AS n_tup_upd, 0 AS n_tup_del,
      0 AS n_tup_hot_upd, 0 AS n_tup_newpage_upd, greatest(c.reltuples, 0) AS n_live_tup, 0 AS n_dead_tup,
      0 AS n_mod_since_analyze, 0 AS n_ins_since_vacuum, NULL AS last_vacuum, NULL AS last_autovacuum,
      NULL AS last_analyze, NULL AS last_autoanalyze, 0 AS vacuum_count, 0 AS autovacuum_count,
      0 AS analyze_count, 0 AS autoanalyze_count
    FROM ${p('pg_class')} c JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 't', 'm', 'p')${userOnly ? ` AND ${USER_SCHEMA_FILTER}` : ''}`;
}

function statioTables(p: ShimName, userOnly: boolean): string {
  return `SELECT c.oid AS relid, n.nspname AS schemaname, c.relname, 0 AS heap_blks_read, 0 AS heap_blks_hit,
      CASE WHEN c.relhasindex THEN 0 END AS idx_blks_read, CASE WHEN c.relhasindex THEN 0 END AS idx_blks_hit,
      NULL AS toast_blks_read, NULL AS toast_blks_hit, NULL AS tidx_blks_read, NULL AS tidx_blks_hit
    FROM ${p('pg_class')} c JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 't', 'm', 'p')${userOnly ? ` AND ${USER_SCHEMA_FILTER}` : ''}`;
}

function statIndexes(p: ShimName, userOnly: boolean): string {
  return `SELECT c.oid AS relid, i.oid AS indexrelid, n.nspname AS schemaname, c.relname, i.relname AS indexrelname,
      0 AS idx_scan, NULL AS last_idx_scan, 0 AS idx_tup_read, 0 AS idx_tup_fetch
    FROM ${p('pg_index')} x JOIN ${p('pg_class')} c ON c.oid = x.indrelid JOIN ${p('pg_class')} i ON i.oid = x.indexrelid
      JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 't', 'm')${userOnly ? ` AND ${USER_SCHEMA_FILTER}` : ''}`;
}

function userView(p: ShimName, passwd: string): string {
  return `SELECT rolname AS usename, oid AS usesysid, rolcreatedb AS usecreatedb, rolsuper AS usesuper,
      rolreplication AS userepl, rolbypassrls AS usebypassrls, ${passwd} AS passwd, rolvaliduntil AS valuntil,
      NULL AS useconfig
    FROM ${p('pg_authid')} WHERE rolcanlogin`;
}

/** CREATE VIEW statements of the internal lookup views, for snapshot catalog `cat`. */
export function lookupViewSql(cat: string): string[] {
  const p = (n: string) => snapshotPgObject(cat, n);
  return [
    `CREATE OR REPLACE VIEW ${p('__dm_relnames')} AS SELECT c.oid AS __dm_oid, c.relname AS __dm_relname,
      n.nspname AS __dm_nspname, c.relkind AS __dm_relkind
      FROM ${p('pg_class')} c JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace`,
    `CREATE OR REPLACE VIEW ${p('__dm_nspnames')} AS SELECT oid AS __dm_oid, nspname AS __dm_name FROM ${p('pg_namespace')}`,
    `CREATE OR REPLACE VIEW ${p('__dm_roles')} AS SELECT oid AS __dm_oid, rolname AS __dm_name FROM ${p('pg_authid')}`,
    `CREATE OR REPLACE VIEW ${p('__dm_rowtypes')} AS SELECT t.oid AS __dm_oid, t.typname AS __dm_name,
      n.nspname AS __dm_nspname FROM ${p('pg_type')} t JOIN ${p('pg_namespace')} n ON n.oid = t.typnamespace
      WHERE t.typrelid <> 0`,
    `CREATE OR REPLACE VIEW ${p('__dm_descr')} AS SELECT objoid AS __dm_objoid, classoid AS __dm_classoid,
      objsubid AS __dm_subid, description AS __dm_text FROM ${p('pg_description')}`,
  ];
}

/** Inner SELECT of each pg_catalog system view, given how to name the snapshot's shim tables. */
export const PG_CATALOG_VIEWS: Readonly<Record<string, (p: ShimName) => string>> = {
  pg_roles: (p) => `SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
      rolconnlimit, '********' AS rolpassword, rolvaliduntil, rolbypassrls, NULL AS rolconfig, oid
    FROM ${p('pg_authid')}`,
  pg_user: (p) => userView(p, `'********'`),
  // pg_shadow would expose password hashes; DuckMesh never does.
  pg_shadow: (p) => userView(p, 'NULL'),
  pg_tables: (p) => `SELECT n.nspname AS schemaname, c.relname AS tablename, r.rolname AS tableowner,
      NULL AS tablespace, c.relhasindex AS hasindexes, c.relhasrules AS hasrules, c.relhastriggers AS hastriggers,
      c.relrowsecurity AS rowsecurity
    FROM ${p('pg_class')} c JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace LEFT JOIN ${p('pg_authid')} r ON r.oid = c.relowner
    WHERE c.relkind IN ('r', 'p')`,
  pg_views: (p) => `SELECT n.nspname AS schemaname, c.relname AS viewname, r.rolname AS viewowner, d.__dm_def AS definition
    FROM ${p('pg_class')} c JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace LEFT JOIN ${p('pg_authid')} r ON r.oid = c.relowner
      LEFT JOIN ${p('__dm_viewdefs')} d ON d.__dm_oid = c.oid
    WHERE c.relkind = 'v'`,
  pg_indexes: (p) => `SELECT n.nspname AS schemaname, c.relname AS tablename, i.relname AS indexname,
      NULL AS tablespace, d.__dm_def AS indexdef
    FROM ${p('pg_index')} x JOIN ${p('pg_class')} c ON c.oid = x.indrelid JOIN ${p('pg_class')} i ON i.oid = x.indexrelid
      JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace LEFT JOIN ${p('__dm_indexdefs')} d ON d.__dm_oid = i.oid
    WHERE c.relkind IN ('r', 'm', 'p') AND i.relkind IN ('i', 'I')`,
  pg_stat_all_tables: (p) => statTables(p, false),
  pg_stat_user_tables: (p) => statTables(p, true),
  pg_statio_all_tables: (p) => statioTables(p, false),
  pg_statio_user_tables: (p) => statioTables(p, true),
  pg_stat_all_indexes: (p) => statIndexes(p, false),
  pg_stat_user_indexes: (p) => statIndexes(p, true),
  pg_stat_database: (p) => `SELECT oid AS datid, datname, 1 AS numbackends, 0 AS xact_commit, 0 AS xact_rollback,
      0 AS blks_read, 0 AS blks_hit, 0 AS tup_returned, 0 AS tup_fetched, 0 AS tup_inserted, 0 AS tup_updated,
      0 AS tup_deleted, 0 AS conflicts, 0 AS temp_files, 0 AS temp_bytes, 0 AS deadlocks, 0 AS checksum_failures,
      NULL AS checksum_last_failure, 0 AS blk_read_time, 0 AS blk_write_time, 0 AS session_time, 0 AS active_time,
      0 AS idle_in_transaction_time, 0 AS sessions, 0 AS sessions_abandoned, 0 AS sessions_fatal,
      0 AS sessions_killed, NULL AS stats_reset
    FROM ${p('pg_database')}`,
};
