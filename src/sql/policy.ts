/**
 * The sandbox policy shared by the Postgres-tree guard and the DuckDB-dialect fallback: which
 * functions may be called, which table functions may appear in FROM, and which relation names
 * reach DuckMesh internals or the file system. Names are compared lowercased because DuckDB
 * resolves functions case-insensitively, even when quoted.
 */

/** Table functions allowed in FROM. Everything else (read_csv, glob, duckdb_settings, ...) is refused. */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'generate_series',
  'range',
  'unnest',
  'generate_subscripts',
  'json_each',
  'json_each_text',
  'json_tree',
  'jsonb_each',
  'jsonb_each_text',
  'json_array_elements',
  'json_array_elements_text',
  'jsonb_array_elements',
  'jsonb_array_elements_text',
  'json_object_keys',
  'jsonb_object_keys',
  'regexp_split_to_table',
  'regexp_matches',
  'string_to_table',
  '_pg_expandarray',
  // Catalog functions clients call in FROM; the compat layer rewrites them to shim relations.
  'pg_get_keywords',
  'pg_show_all_settings',
  'pg_is_in_recovery',
  'string_to_array',
]);

/** Exact function names that are refused anywhere in a query. */
export const DENIED_FUNCTIONS: ReadonlySet<string> = new Set([
  // file system / network access
  'glob',
  'sniff_csv',
  'http_get',
  'http_post',
  'http_head',
  'pg_read_file',
  'pg_read_binary_file',
  'pg_ls_dir',
  'pg_stat_file',
  'pg_ls_logdir',
  'pg_ls_waldir',
  'pg_ls_tmpdir',
  'pg_ls_archive_statusdir',
  'lo_import',
  'lo_export',
  'copy_database',
  // environment / settings / internals disclosure
  'getenv',
  'which_secret',
  'query',
  'query_table',
  'json_execute_serialized_sql',
  'json_deserialize_sql',
  'json_serialize_sql',
  'json_serialize_plan',
  'load_extension',
  'install_extension',
  'checkpoint',
  'force_checkpoint',
  'system',
  'shell',
  'sqlite_attach',
  'postgres_attach',
  'sql_auto_complete',
  'dblink',
]);

/** Denied name prefixes (read_csv, duckdb_settings, pragma_table_info, parquet_metadata, ...). */
export const DENIED_PREFIXES: readonly string[] = [
  'read_',
  'duckdb_',
  'pragma_',
  'parquet_',
  'enable_',
  'disable_',
  'mysql_',
  'postgres_',
  'sqlite_',
  'iceberg_',
  'delta_',
  'dblink_',
  'lo_',
  'json_execute',
  'load_',
  'st_read',
  'ducklake_',
];

/** Denied name suffixes (parquet_scan, csv_scan, arrow_scan, seq_scan, ...). */
export const DENIED_SUFFIXES: readonly string[] = ['_scan'];

/**
 * Functions the catalog-compat layer shims for Postgres-dialect queries. In DuckDB-dialect
 * queries nothing shims them and DuckDB's own versions disclose engine settings and paths
 * (current_setting('temp_directory')), internal database names, or change state.
 */
export const DUCKDB_DIALECT_DENIED: ReadonlySet<string> = new Set([
  'current_setting',
  'set_config',
  'current_database',
  'current_catalog',
  'current_schema',
  'current_schemas',
  'current_role',
  'current_user',
  'session_user',
  'user',
  'getvariable',
]);

/** Why `name` (already lowercased, unqualified) is refused, or null if it may be called. */
export function deniedFunctionReason(name: string): string | null {
  if (DENIED_FUNCTIONS.has(name)) return 'is not allowed';
  for (const p of DENIED_PREFIXES) if (name.startsWith(p)) return 'is not allowed';
  for (const s of DENIED_SUFFIXES) if (name.endsWith(s)) return 'is not allowed';
  return null;
}

export function isAllowedTableFunction(name: string): boolean {
  return ALLOWED_TABLE_FUNCTIONS.has(name) && deniedFunctionReason(name) === null;
}

/** Built-in DuckDB catalogs/schemas plus DuckMesh's own naming conventions. */
const INTERNAL_SCHEMAS: ReadonlySet<string> = new Set(['system', 'temp', 'memory']);

export type NamePredicate = (lowercasedName: string) => boolean;

/**
 * True for schema (or DuckDB catalog — DuckDB resolves `x.t` as catalog x when no schema x
 * exists) names that are DuckMesh-internal.
 */
export function isInternalSchema(name: string, extra?: NamePredicate): boolean {
  const n = name.toLowerCase();
  return INTERNAL_SCHEMAS.has(n) || n.startsWith('__dm') || n.startsWith('snap_') || (extra?.(n) ?? false);
}

/** DuckDB's catalog views and DuckMesh's own tables, unreachable even unqualified. */
const INTERNAL_RELATIONS: ReadonlySet<string> = new Set([
  'sqlite_master',
  'sqlite_schema',
  'sqlite_temp_master',
  'sqlite_temp_schema',
]);

/** Why a relation name is refused, or null. `name` is as written (case preserved). */
export function deniedRelationReason(name: string, extra?: NamePredicate): string | null {
  const n = name.toLowerCase();
  if (looksLikeFilePath(n)) return 'looks like a file path';
  if (
    n.startsWith('__dm') ||
    n.startsWith('snap_') ||
    n.startsWith('duckdb_') ||
    n.startsWith('pragma_') ||
    INTERNAL_RELATIONS.has(n) ||
    (extra?.(n) ?? false)
  ) {
    return 'is internal';
  }
  return null;
}

/**
 * DuckDB turns a table name it cannot find into a file scan (replacement scans) when it looks
 * like a path or URL. Postgres table names essentially never contain these characters, so refuse
 * them all rather than chase DuckDB's growing list of recognised extensions.
 */
export function looksLikeFilePath(name: string): boolean {
  return /[./\\:*?~{}\[\]]/.test(name);
}
