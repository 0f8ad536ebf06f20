/**
 * Postgres functions whose answer depends on the snapshot's catalog (object names, definitions,
 * sizes, descriptions), as DuckDB macros inside the snapshot's `__dm_pg_catalog` schema. They
 * read only the `__dm_*` lookup views (see snapshot-views.ts for why).
 *
 * Functions marked with session arguments get the caller's visible schemas appended by the
 * rewriter, because visibility depends on the session's search_path, not on the snapshot.
 */
import { instanceObject, snapshotPgObject } from './names.js';
import { PG_CATALOG_RELATIONS } from './relations/registry.js';
import { overload, type MacroDef } from './shim-functions.js';
import { quoteLiteral } from './sql-build.js';

const PG_CLASS_OID = 1259;

/** obj_description's catalog-name argument → that catalog's OID. */
function catalogOidCase(arg: string): string {
  const arms = PG_CATALOG_RELATIONS.filter((r) => r.relkind === 'r').map((r) => `WHEN ${quoteLiteral(r.name)} THEN ${r.oid}`);
  return `CASE regexp_replace(CAST(${arg} AS VARCHAR), '^pg_catalog\\.', '') ${arms.join(' ')} END`;
}

export function snapshotMacros(cat: string): MacroDef[] {
  const p = (n: string) => snapshotPgObject(cat, n);
  const i = instanceObject;
  const scalar = (name: string, ...overloads: ReturnType<typeof overload>[]): MacroDef => ({ name, overloads, exposed: true });
  const internal = (name: string, ...overloads: ReturnType<typeof overload>[]): MacroDef => ({ name, overloads, exposed: false });
  const withPath = (name: string, ...overloads: ReturnType<typeof overload>[]): MacroDef => ({
    name, overloads, exposed: true, session: ['visibleSchemas'],
  });
  const size = `COALESCE((SELECT __dm_bytes FROM ${p('__dm_relsizes')} WHERE __dm_oid = o),
    (SELECT CAST(0 AS BIGINT) FROM ${p('__dm_relnames')} WHERE __dm_oid = o))`;
  const parts = `${i('__dm_ident_parts')}(t)`;
  // regclass input: an OID in digits, 'schema.name', or a name found along the search path.
  const regclassIn = `CASE WHEN t IS NULL THEN NULL
    WHEN regexp_full_match(trim(CAST(t AS VARCHAR)), '[0-9]+') THEN CAST(trim(CAST(t AS VARCHAR)) AS BIGINT)
    ELSE (SELECT __dm_oid FROM ${p('__dm_relnames')}
      WHERE (len(${parts}) = 2 AND __dm_nspname = ${parts}[1] AND __dm_relname = ${parts}[2])
         OR (len(${parts}) = 1 AND __dm_relname = ${parts}[1] AND list_contains(vis, __dm_nspname))
      ORDER BY list_position(vis, __dm_nspname) NULLS LAST LIMIT 1) END`;
  const viewdef = `(SELECT __dm_def FROM ${p('__dm_viewdefs')} WHERE __dm_oid = o)`;
  return [
    scalar('pg_get_userbyid', overload('o:bigint', `CASE WHEN o IS NULL THEN NULL ELSE COALESCE(
      (SELECT __dm_name FROM ${p('__dm_roles')} WHERE __dm_oid = o), 'unknown (OID=' || CAST(o AS VARCHAR) || ')') END`)),
    internal('__dm_regclass_out', overload('o:bigint, vis', `CASE WHEN o IS NULL THEN NULL ELSE COALESCE(
      (SELECT CASE WHEN list_contains(vis, __dm_nspname) THEN ${i('quote_ident')}(__dm_relname)
        ELSE ${i('quote_ident')}(__dm_nspname) || '.' || ${i('quote_ident')}(__dm_relname) END
       FROM ${p('__dm_relnames')} WHERE __dm_oid = o), CAST(o AS VARCHAR)) END`)),
    internal('__dm_regnamespace_out', overload('o:bigint', `CASE WHEN o IS NULL THEN NULL ELSE COALESCE(
      (SELECT ${i('quote_ident')}(__dm_name) FROM ${p('__dm_nspnames')} WHERE __dm_oid = o), CAST(o AS VARCHAR)) END`)),
    internal('__dm_regrole_out', overload('o:bigint', `CASE WHEN o IS NULL THEN NULL ELSE COALESCE(
      (SELECT ${i('quote_ident')}(__dm_name) FROM ${p('__dm_roles')} WHERE __dm_oid = o), CAST(o AS VARCHAR)) END`)),
    internal('__dm_regtype_out', overload('o:bigint', `CASE WHEN o IS NULL THEN NULL ELSE COALESCE(
      (SELECT ${i('quote_ident')}(__dm_name) FROM ${p('__dm_rowtypes')} WHERE __dm_oid = o),
      nullif(${i('format_type')}(o, NULL), '???'), CAST(o AS VARCHAR)) END`)),
    internal('__dm_regclass_in', overload('t:varchar, vis', regclassIn)),
    withPath('to_regclass', overload('t:varchar, vis', regclassIn)),
    scalar('to_regnamespace', overload('t:varchar', `(SELECT __dm_oid FROM ${p('__dm_nspnames')} WHERE __dm_name = ${parts}[1] AND len(${parts}) = 1)`)),
    scalar('to_regrole', overload('t:varchar', `(SELECT __dm_oid FROM ${p('__dm_roles')} WHERE __dm_name = ${parts}[1] AND len(${parts}) = 1)`)),
    withPath('pg_table_is_visible', overload('o:bigint, vis', `(SELECT list_contains(vis, __dm_nspname) FROM ${p('__dm_relnames')} WHERE __dm_oid = o)`)),
    withPath('pg_type_is_visible', overload('o:bigint, vis', `COALESCE(
      (SELECT list_contains(vis, __dm_nspname) FROM ${p('__dm_rowtypes')} WHERE __dm_oid = o),
      CASE WHEN ${i('format_type')}(o, NULL) <> '???' THEN true END)`)),
    scalar('pg_get_indexdef',
      overload('o:bigint', `(SELECT __dm_def FROM ${p('__dm_indexdefs')} WHERE __dm_oid = o)`),
      overload('o:bigint, c:integer, pretty:boolean', `(SELECT CASE WHEN c = 0 THEN __dm_def ELSE __dm_cols[c] END FROM ${p('__dm_indexdefs')} WHERE __dm_oid = o)`)),
    // pg_get_viewdef(oid [, pretty | wrap column]); the rewriter turns the old pg_get_viewdef('name') into a regclass.
    scalar('pg_get_viewdef', overload('o:bigint', viewdef), overload('o:bigint, pretty', viewdef)),
    scalar('pg_get_constraintdef',
      overload('o:bigint', `(SELECT __dm_def FROM ${p('__dm_condefs')} WHERE __dm_oid = o)`),
      overload('o:bigint, pretty:boolean', `(SELECT __dm_def FROM ${p('__dm_condefs')} WHERE __dm_oid = o)`)),
    scalar('pg_relation_size', overload('o:bigint', size), overload('o:bigint, fork:varchar', `CASE WHEN fork = 'main' THEN ${size} ELSE 0 END`)),
    scalar('pg_total_relation_size', overload('o:bigint', size)),
    scalar('pg_table_size', overload('o:bigint', size)),
    scalar('pg_indexes_size', overload('o:bigint', `(SELECT CAST(0 AS BIGINT) FROM ${p('__dm_relnames')} WHERE __dm_oid = o)`)),
    scalar('pg_database_size', overload('d:varchar', `(SELECT CAST(COALESCE(sum(__dm_bytes), 0) AS BIGINT) FROM ${p('__dm_relsizes')})`)),
    scalar('obj_description',
      overload('o:bigint', `(SELECT __dm_text FROM ${p('__dm_descr')} WHERE __dm_objoid = o AND __dm_subid = 0 LIMIT 1)`),
      overload('o:bigint, c:varchar', `(SELECT __dm_text FROM ${p('__dm_descr')} WHERE __dm_objoid = o AND __dm_subid = 0
        AND __dm_classoid = ${catalogOidCase('c')})`)),
    scalar('col_description', overload('o:bigint, n:integer', `(SELECT __dm_text FROM ${p('__dm_descr')}
      WHERE __dm_objoid = o AND __dm_classoid = ${PG_CLASS_OID} AND __dm_subid = n)`)),
  ];
}
