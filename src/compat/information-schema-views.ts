/**
 * information_schema views over one snapshot's pg_catalog tables, following the derivations in
 * Postgres' information_schema.sql (data_type spelling, character/numeric/datetime precision from
 * the typmod, NOT NULL columns listed as CHECK constraints named `<nsp>_<rel>_<attnum>_not_null`).
 */
import { instanceObject } from './names.js';
import { quoteLiteral } from './sql-build.js';
import type { ShimName } from './snapshot-views.js';

/** Postgres' information_schema privilege list for a table's owner. */
const TABLE_PRIVILEGES = ['INSERT', 'SELECT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

/** Inner SELECT of each information_schema view (expanded by the rewriter, see derived-relations.ts). */
export function informationSchemaViews(p: ShimName, database: string): Record<string, string> {
  const db = quoteLiteral(database);
  const out: Record<string, string> = {};
  const view = (name: string, inner: string) => (out[name] = inner);
  const classes = `${p('pg_class')} c JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace`;
  const userTables = `c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`;
  // Each constraint key column with its position (conkey is a list of attnums).
  const keyColumns = `(SELECT con.*, unnest(con.conkey) AS __dm_attnum, generate_subscripts(con.conkey, 1) AS __dm_pos
      FROM ${p('pg_constraint')} con) k
    JOIN ${p('pg_class')} c ON c.oid = k.conrelid JOIN ${p('pg_namespace')} n ON n.oid = c.relnamespace
    JOIN ${p('pg_attribute')} a ON a.attrelid = k.conrelid AND a.attnum = k.__dm_attnum`;
  const notNullColumns = `${p('pg_attribute')} a JOIN ${classes} ON c.oid = a.attrelid
    WHERE a.attnotnull AND a.attnum > 0 AND NOT a.attisdropped AND ${userTables}`;
  const notNullName = `CAST(n.oid AS VARCHAR) || '_' || CAST(c.oid AS VARCHAR) || '_' || CAST(a.attnum AS VARCHAR) || '_not_null'`;

  view('information_schema_catalog_name', `SELECT ${db} AS catalog_name`);
  view('schemata', `SELECT ${db} AS catalog_name, n.nspname AS schema_name, r.rolname AS schema_owner,
      NULL AS default_character_set_catalog, NULL AS default_character_set_schema,
      NULL AS default_character_set_name, NULL AS sql_path
    FROM ${p('pg_namespace')} n LEFT JOIN ${p('pg_authid')} r ON r.oid = n.nspowner`);
  view('tables', `SELECT ${db} AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
      CASE WHEN c.relkind IN ('r', 'p') THEN 'BASE TABLE' WHEN c.relkind = 'v' THEN 'VIEW'
        WHEN c.relkind = 'f' THEN 'FOREIGN' END AS table_type,
      NULL AS self_referencing_column_name, NULL AS reference_generation, NULL AS user_defined_type_catalog,
      NULL AS user_defined_type_schema, NULL AS user_defined_type_name,
      CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END AS is_insertable_into, 'NO' AS is_typed,
      NULL AS commit_action
    FROM ${classes} WHERE c.relkind IN ('r', 'v', 'f', 'p')`);
  view('columns', `SELECT ${db} AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
      a.attname AS column_name, a.attnum AS ordinal_position, d.adbin AS column_default,
      CASE WHEN a.attnotnull THEN 'NO' ELSE 'YES' END AS is_nullable,
      CASE WHEN t.typelem <> 0 AND t.typlen = -1 AND t.typcategory = 'A' THEN 'ARRAY'
        WHEN t.typtype IN ('b', 'p') THEN ${instanceObject('format_type')}(a.atttypid, NULL)
        ELSE 'USER-DEFINED' END AS data_type,
      CASE WHEN a.atttypid IN (1042, 1043) AND a.atttypmod >= 4 THEN a.atttypmod - 4 END AS character_maximum_length,
      CASE WHEN a.atttypid IN (25, 1042, 1043) THEN
        CASE WHEN a.atttypmod >= 4 THEN (a.atttypmod - 4) * 4 ELSE 1073741824 END END AS character_octet_length,
      NULL AS character_set_catalog, NULL AS character_set_schema, NULL AS character_set_name,
      NULL AS collation_catalog, NULL AS collation_schema, NULL AS collation_name,
      CASE a.atttypid WHEN 21 THEN 16 WHEN 23 THEN 32 WHEN 20 THEN 64 WHEN 700 THEN 24 WHEN 701 THEN 53
        WHEN 1700 THEN CASE WHEN a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END END AS numeric_precision,
      CASE WHEN a.atttypid IN (20, 21, 23, 700, 701) THEN 2 WHEN a.atttypid = 1700 THEN 10 END AS numeric_precision_radix,
      CASE WHEN a.atttypid IN (20, 21, 23) THEN 0
        WHEN a.atttypid = 1700 THEN CASE WHEN a.atttypmod >= 4 THEN xor((a.atttypmod - 4) & 2047, 1024) - 1024 END
        END AS numeric_scale,
      CASE WHEN a.atttypid = 1082 THEN 0
        WHEN a.atttypid IN (1083, 1114, 1184, 1266) THEN CASE WHEN a.atttypmod >= 0 THEN a.atttypmod ELSE 6 END
        WHEN a.atttypid = 1186 THEN 6 END AS datetime_precision,
      NULL AS interval_type, NULL AS interval_precision, NULL AS domain_catalog, NULL AS domain_schema,
      NULL AS domain_name, ${db} AS udt_catalog, tn.nspname AS udt_schema, t.typname AS udt_name,
      NULL AS scope_catalog, NULL AS scope_schema, NULL AS scope_name, NULL AS maximum_cardinality,
      CAST(a.attnum AS VARCHAR) AS dtd_identifier, 'NO' AS is_self_referencing, 'NO' AS is_identity,
      NULL AS identity_generation, NULL AS identity_start, NULL AS identity_increment, NULL AS identity_maximum,
      NULL AS identity_minimum, 'NO' AS identity_cycle, 'NEVER' AS is_generated, NULL AS generation_expression,
      CASE WHEN c.relkind IN ('r', 'p') THEN 'YES' ELSE 'NO' END AS is_updatable
    FROM ${p('pg_attribute')} a JOIN ${classes} ON c.oid = a.attrelid
      LEFT JOIN ${p('pg_type')} t ON t.oid = a.atttypid LEFT JOIN ${p('pg_namespace')} tn ON tn.oid = t.typnamespace
      LEFT JOIN ${p('pg_attrdef')} d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'f', 'p', 'm')`);
  view('table_constraints', `SELECT ${db} AS constraint_catalog, n.nspname AS constraint_schema,
      con.conname AS constraint_name, ${db} AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
      CASE con.contype WHEN 'p' THEN 'PRIMARY KEY' WHEN 'u' THEN 'UNIQUE' WHEN 'f' THEN 'FOREIGN KEY'
        WHEN 'c' THEN 'CHECK' END AS constraint_type,
      CASE WHEN con.condeferrable THEN 'YES' ELSE 'NO' END AS is_deferrable,
      CASE WHEN con.condeferred THEN 'YES' ELSE 'NO' END AS initially_deferred, 'YES' AS enforced,
      CASE WHEN con.contype IN ('p', 'u') THEN 'YES' END AS nulls_distinct
    FROM ${p('pg_constraint')} con JOIN ${classes} ON c.oid = con.conrelid
    UNION ALL
    SELECT ${db}, n.nspname, ${notNullName}, ${db}, n.nspname, c.relname, 'CHECK', 'NO', 'NO', 'YES', NULL
    FROM ${notNullColumns}`);
  view('check_constraints', `SELECT ${db} AS constraint_catalog, n.nspname AS constraint_schema,
      ${notNullName} AS constraint_name, a.attname || ' IS NOT NULL' AS check_clause
    FROM ${notNullColumns}`);
  view('key_column_usage', `SELECT ${db} AS constraint_catalog, n.nspname AS constraint_schema,
      k.conname AS constraint_name, ${db} AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
      a.attname AS column_name, k.__dm_pos AS ordinal_position, NULL AS position_in_unique_constraint
    FROM ${keyColumns} WHERE k.contype IN ('p', 'u', 'f')`);
  view('constraint_column_usage', `SELECT ${db} AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
      a.attname AS column_name, ${db} AS constraint_catalog, n.nspname AS constraint_schema,
      k.conname AS constraint_name
    FROM ${keyColumns} WHERE k.contype IN ('p', 'u')`);
  view('constraint_table_usage', `SELECT ${db} AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
      ${db} AS constraint_catalog, n.nspname AS constraint_schema, con.conname AS constraint_name
    FROM ${p('pg_constraint')} con JOIN ${classes} ON c.oid = con.conrelid WHERE con.contype IN ('p', 'u')`);
  view('character_sets', `SELECT NULL AS character_set_catalog, NULL AS character_set_schema,
      'UTF8' AS character_set_name, 'UCS' AS character_repertoire, 'UTF8' AS form_of_use,
      ${db} AS default_collate_catalog, 'pg_catalog' AS default_collate_schema, 'C' AS default_collate_name`);
  // The owner holds every privilege on its tables and views, as in Postgres.
  const grants = `SELECT r.rolname AS grantor, r.rolname AS grantee, ${db} AS table_catalog, n.nspname AS table_schema,
      c.relname AS table_name, priv.privilege_type, 'YES' AS is_grantable,
      CASE WHEN priv.privilege_type = 'SELECT' THEN 'YES' ELSE 'NO' END AS with_hierarchy
    FROM ${classes} JOIN ${p('pg_authid')} r ON r.oid = c.relowner,
      (VALUES ${TABLE_PRIVILEGES.map((x) => `('${x}')`).join(', ')}) AS priv(privilege_type)
    WHERE c.relkind IN ('r', 'p', 'v') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`;
  // DuckMesh views are read-only (no INSERT/UPDATE/DELETE through a view, no INSTEAD OF triggers)
  // and refuse WITH CHECK OPTION.
  view('views', `SELECT ${db} AS table_catalog, n.nspname AS table_schema, c.relname AS table_name,
      d.__dm_def AS view_definition, 'NONE' AS check_option, 'NO' AS is_updatable, 'NO' AS is_insertable_into,
      'NO' AS is_trigger_updatable, 'NO' AS is_trigger_deletable, 'NO' AS is_trigger_insertable_into
    FROM ${classes} LEFT JOIN ${p('__dm_viewdefs')} d ON d.__dm_oid = c.oid WHERE c.relkind = 'v'`);
  view('view_table_usage', `SELECT ${db} AS view_catalog, nv.nspname AS view_schema, v.relname AS view_name,
      ${db} AS table_catalog, nt.nspname AS table_schema, t.relname AS table_name
    FROM ${p('__dm_viewdeps')} u JOIN ${p('pg_class')} v ON v.oid = u.__dm_view
      JOIN ${p('pg_namespace')} nv ON nv.oid = v.relnamespace JOIN ${p('pg_class')} t ON t.oid = u.__dm_ref
      JOIN ${p('pg_namespace')} nt ON nt.oid = t.relnamespace`);
  view('table_privileges', grants);
  view('role_table_grants', grants);
  view('enabled_roles', `SELECT rolname AS role_name FROM ${p('pg_authid')}`);
  view('applicable_roles', `SELECT rolname AS grantee, rolname AS role_name, 'NO' AS is_grantable
    FROM ${p('pg_authid')} WHERE false`);
  return out;
}
