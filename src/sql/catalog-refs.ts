/**
 * Decides whether a SELECT needs the catalog-compatibility layer: drivers and GUI tools probe
 * pg_catalog / information_schema and call Postgres-only functions; ordinary analytics queries
 * go to DuckDB untouched.
 */
import { stringList } from './ast.js';
import type { AstNode } from './statements.js';
import { walkAst } from './walk.js';

const CATALOG_SCHEMAS = new Set(['pg_catalog', 'information_schema']);

/** pg_catalog relations clients reference without a schema. */
export const PG_CATALOG_RELATIONS: ReadonlySet<string> = new Set([
  'pg_aggregate', 'pg_am', 'pg_amop', 'pg_amproc', 'pg_attrdef', 'pg_attribute', 'pg_auth_members',
  'pg_authid', 'pg_available_extensions', 'pg_cast', 'pg_class', 'pg_collation', 'pg_constraint',
  'pg_conversion', 'pg_cursors', 'pg_database', 'pg_db_role_setting', 'pg_default_acl', 'pg_depend',
  'pg_description', 'pg_enum', 'pg_event_trigger', 'pg_extension', 'pg_foreign_data_wrapper',
  'pg_foreign_server', 'pg_foreign_table', 'pg_group', 'pg_index', 'pg_indexes', 'pg_inherits',
  'pg_language', 'pg_locks', 'pg_matviews', 'pg_namespace', 'pg_opclass', 'pg_operator', 'pg_opfamily',
  'pg_partitioned_table', 'pg_policy', 'pg_prepared_statements', 'pg_prepared_xacts', 'pg_proc',
  'pg_publication', 'pg_range', 'pg_rewrite', 'pg_roles', 'pg_sequence', 'pg_sequences', 'pg_settings',
  'pg_shadow', 'pg_shdescription', 'pg_stat_activity', 'pg_stat_all_tables', 'pg_stat_user_tables',
  'pg_statio_user_tables', 'pg_statistic', 'pg_stats', 'pg_subscription', 'pg_tables', 'pg_tablespace',
  'pg_timezone_abbrevs', 'pg_timezone_names', 'pg_trigger', 'pg_ts_config', 'pg_ts_dict', 'pg_ts_parser',
  'pg_ts_template', 'pg_type', 'pg_user', 'pg_user_mappings', 'pg_views',
]);

/** Postgres catalog/session functions the compat layer shims (matched unqualified, lowercased). */
export const PG_CATALOG_FUNCTIONS: ReadonlySet<string> = new Set([
  'version', 'current_setting', 'set_config', 'format_type', 'obj_description', 'col_description',
  'shobj_description', 'current_schemas', 'current_database', 'current_schema', 'current_catalog',
  'current_user', 'current_role', 'session_user', 'inet_server_addr', 'inet_server_port',
  'inet_client_addr', 'inet_client_port', 'array_upper', 'array_lower', 'txid_current',
  'quote_ident', 'quote_literal', 'quote_nullable', 'to_regclass', 'to_regtype', 'to_regproc',
  'to_regprocedure', 'to_regnamespace', 'to_regrole', 'to_regoper', 'row_security_active',
]);

/** Prefixes of catalog functions: pg_get_*, pg_table_is_visible, pg_backend_pid, pg_encoding_to_char, ... */
const PG_FUNCTION_PREFIXES = ['pg_'];

const REG_TYPES = new Set([
  'regclass', 'regtype', 'regproc', 'regprocedure', 'regoper', 'regoperator', 'regnamespace',
  'regrole', 'regconfig', 'regdictionary', 'regcollation', 'oid', 'xid', 'cid', 'tid', 'name',
]);

/** SQL-standard value functions that are really session catalog lookups. */
const CATALOG_SQL_VALUE_FUNCTIONS = new Set([
  'SVFOP_CURRENT_ROLE', 'SVFOP_CURRENT_USER', 'SVFOP_USER', 'SVFOP_SESSION_USER',
  'SVFOP_CURRENT_CATALOG', 'SVFOP_CURRENT_SCHEMA',
]);

export function isCatalogFunction(name: string): boolean {
  const n = name.toLowerCase();
  if (PG_CATALOG_FUNCTIONS.has(n)) return true;
  if (/^has_.*_privilege$/.test(n)) return true;
  return PG_FUNCTION_PREFIXES.some((p) => n.startsWith(p));
}

/** True if the tree references catalog relations, catalog functions, reg* casts or OPERATOR(pg_catalog.x). */
export function touchesCatalog(ast: AstNode): boolean {
  let found = false;
  walkAst(ast, (type, body) => {
    if (found) return false;
    switch (type) {
      case 'RangeVar':
        found = isCatalogRelation(body);
        break;
      case 'FuncCall': {
        const names = stringList(body.funcname);
        found =
          (names.length > 1 && CATALOG_SCHEMAS.has(names[0]!)) || isCatalogFunction(names[names.length - 1] ?? '');
        break;
      }
      case 'TypeCast':
      case 'TypeName': {
        const tn = type === 'TypeCast' ? body.typeName : body;
        const names = tn ? stringList(tn.names) : [];
        found = names.length > 0 && REG_TYPES.has(names[names.length - 1]!.toLowerCase());
        break;
      }
      case 'A_Expr': {
        // OPERATOR(pg_catalog.~) keeps the schema in the operator name.
        const names = body.name ? stringList(body.name) : [];
        found = names.length > 1 && CATALOG_SCHEMAS.has(names[0]!);
        break;
      }
      case 'SQLValueFunction':
        found = CATALOG_SQL_VALUE_FUNCTIONS.has(body.op);
        break;
      case '':
        // Bare RangeVar structs (e.g. INSERT targets) are recognised by shape.
        if (typeof body.relname === 'string') found = isCatalogRelation(body);
        break;
    }
    return !found;
  });
  return found;
}

function isCatalogRelation(rv: AstNode): boolean {
  const schema: string | undefined = rv.schemaname;
  if (schema !== undefined) return CATALOG_SCHEMAS.has(schema.toLowerCase());
  return PG_CATALOG_RELATIONS.has(String(rv.relname).toLowerCase());
}
