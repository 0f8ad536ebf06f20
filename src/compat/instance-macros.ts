/**
 * Snapshot-independent Postgres functions as DuckDB macros in `__dm_pgshim.main`.
 *
 * Bodies avoid subqueries so they also work inside lambdas (regtype[] output maps format_type
 * over a list). Functions whose answer Postgres derives from objects DuckMesh does not have
 * (views, triggers, partitions, statistics objects) answer like Postgres does for an object
 * without them: NULL, false, 0 or an empty set. (User views are in the snapshot's catalog:
 * pg_get_viewdef is a snapshot macro.)
 */
import { UTF8_ENCODING } from './object-ids.js';
import { quotedKeywords } from './keywords.js';
import { instanceObject } from './names.js';
import { CATALOG_TYPES, formatTypeName, isArrayType, typeNameSpellings } from './pg-types.js';
import { overload, type MacroDef } from './shim-functions.js';
import { quoteLiteral, sqlLiteral } from './sql-build.js';

const fq = instanceObject;

function scalar(name: string, ...overloads: ReturnType<typeof overload>[]): MacroDef {
  return { name, overloads, exposed: true };
}

function internal(name: string, ...overloads: ReturnType<typeof overload>[]): MacroDef {
  return { name, overloads, exposed: false };
}

/** Same constant for every accepted argument count (has_*_privilege and friends). */
function constant(name: string, value: string, arities: number[]): MacroDef {
  // Unused arguments: declared varchar so a bound parameter still gets a type.
  const params = ['a1:varchar', 'a2:varchar', 'a3:varchar', 'a4:varchar'];
  return scalar(name, ...arities.map((n) => overload(params.slice(0, n).join(', '), value)));
}

/** MAP {16: 'boolean', …}: format_type's spelling of each builtin base type. */
function baseNameMap(): string {
  const entries = CATALOG_TYPES.filter((t) => !isArrayType(t)).map((t) => `${t.oid}: ${quoteLiteral(formatTypeName(t.oid))}`);
  return `MAP {${entries.join(', ')}}`;
}

/** MAP {1007: 23, …}: element type of each builtin array type. */
function arrayElementMap(): string {
  return `MAP {${CATALOG_TYPES.filter(isArrayType).map((t) => `${t.oid}: ${t.typelem}`).join(', ')}}`;
}

/**
 * format_type with Postgres' typmod rendering (*typmodout functions). A NULL typmod means "no
 * typmod given" (regtype output), which spells bpchar `character`; -1 spells it `bpchar`.
 *
 * Macro arguments are substituted as expression trees, so a body naming its argument a dozen
 * times multiplies the caller's expression; the single-element list_transform binds the
 * element type, typmod and array flag once (DuckDB has no LET), keeping the expansion small.
 */
function formatTypeBody(): string {
  const e = 'r.e';
  const m = 'r.m';
  const arms: [number, string][] = [
    [1043, `'character varying(' || CAST(${m} - 4 AS VARCHAR) || ')'`],
    [1042, `'character(' || CAST(${m} - 4 AS VARCHAR) || ')'`],
    [1114, `'timestamp(' || CAST(${m} AS VARCHAR) || ') without time zone'`],
    [1184, `'timestamp(' || CAST(${m} AS VARCHAR) || ') with time zone'`],
    [1083, `'time(' || CAST(${m} AS VARCHAR) || ') without time zone'`],
    [1266, `'time(' || CAST(${m} AS VARCHAR) || ') with time zone'`],
    [1560, `'bit(' || CAST(${m} AS VARCHAR) || ')'`],
    [1562, `'bit varying(' || CAST(${m} AS VARCHAR) || ')'`],
  ];
  const numeric = `'numeric(' || CAST(((${m} - 4) >> 16) & 65535 AS VARCHAR) || ',' || CAST(xor((${m} - 4) & 2047, 1024) - 1024 AS VARCHAR) || ')'`;
  const body = `CASE
      WHEN ${m} IS NULL AND ${e} = 1042 THEN 'character'
      WHEN ${m} >= 4 AND ${e} = 1700 THEN ${numeric}
      WHEN ${m} >= 0 AND ${e} IN (${arms.map(([o]) => o).join(', ')}) THEN CASE ${e} ${arms.map(([o, s]) => `WHEN ${o} THEN ${s}`).join(' ')} END
      ELSE coalesce(${baseNameMap()}[${e}], '???') END || CASE WHEN r.a THEN '[]' ELSE '' END`;
  const elem = `${arrayElementMap()}[TRY_CAST(o AS INTEGER)]`;
  return `CASE WHEN o IS NULL THEN NULL ELSE list_transform(
      [{'e': coalesce(${elem}, TRY_CAST(o AS INTEGER)), 'm': CAST(m AS BIGINT), 'a': ${elem} IS NOT NULL}],
      r -> ${body})[1] END`;
}

/** Postgres' pg_size_pretty: bytes below 10 kB, then half-rounded kB, MB, GB, TB, PB. */
function sizePrettyBody(): string {
  const b = 'CAST(b AS HUGEINT)';
  const steps: [number, string][] = [[512, 'kB'], [524288, 'MB'], [536870912, 'GB'], [549755813888, 'TB']];
  const arms = steps.map(
    ([d, u]) => `WHEN abs(${b} // ${d}) < 20479 THEN CAST((${b} // ${d} + sign(${b})) // 2 AS VARCHAR) || ' ${u}'`,
  );
  return `CASE WHEN b IS NULL THEN NULL WHEN abs(${b}) < 10240 THEN CAST(${b} AS VARCHAR) || ' bytes' ${arms.join(' ')}
    ELSE CAST((${b} // 562949953421312 + sign(${b})) // 2 AS VARCHAR) || ' PB' END`;
}

const ENCODINGS: [number, string][] = [
  [0, 'SQL_ASCII'], [1, 'EUC_JP'], [2, 'EUC_CN'], [3, 'EUC_KR'], [4, 'EUC_TW'], [5, 'EUC_JIS_2004'],
  [UTF8_ENCODING, 'UTF8'], [7, 'MULE_INTERNAL'], [8, 'LATIN1'], [9, 'LATIN2'], [10, 'LATIN3'], [11, 'LATIN4'],
  [12, 'LATIN5'], [13, 'LATIN6'], [14, 'LATIN7'], [15, 'LATIN8'], [16, 'LATIN9'], [17, 'LATIN10'], [18, 'WIN1256'],
  [19, 'WIN1258'], [20, 'WIN866'], [21, 'WIN874'], [22, 'KOI8R'], [23, 'WIN1251'], [24, 'WIN1252'],
  [25, 'ISO_8859_5'], [26, 'ISO_8859_6'], [27, 'ISO_8859_7'], [28, 'ISO_8859_8'], [29, 'WIN1250'], [30, 'WIN1253'],
  [31, 'WIN1254'], [32, 'WIN1255'], [33, 'WIN1257'], [34, 'KOI8U'],
];

const ACL_ITEM = 'STRUCT(grantor INTEGER, grantee INTEGER, privilege_type VARCHAR, is_grantable BOOLEAN)';

/** Identifier text ('"My"."t"', 'public.t') → normalised name parts, as Postgres' parser folds them. */
const IDENT_PARTS = `list_transform(regexp_extract_all(trim(t), '"(?:[^"]|"")*"|[^."]+'),
  p -> CASE WHEN p[1] = '"' THEN replace(p[2:-2], '""', '"') ELSE lower(trim(p)) END)`;

export function instanceMacros(startedAt: string): MacroDef[] {
  const keywords = sqlLiteral(quotedKeywords());
  const spellings = `MAP {${typeNameSpellings().map(([s, oid]) => `${quoteLiteral(s)}: ${oid}`).join(', ')}}`;
  return [
    scalar('format_type', overload('o:bigint, m:integer', formatTypeBody())),
    internal('__dm_regtype_list', overload('l:bigint[]', `list_transform(l, x -> ${fq('format_type')}(x, NULL))`)),
    internal('__dm_ident_parts', overload('t:varchar', IDENT_PARTS)),
    // int2vector/oidvector are stored as their text form; array uses go through this.
    internal('__dm_vector', overload('v:varchar', `CASE WHEN v IS NULL THEN NULL WHEN trim(CAST(v AS VARCHAR)) = ''
      THEN CAST([] AS BIGINT[]) ELSE CAST(string_split(trim(CAST(v AS VARCHAR)), ' ') AS BIGINT[]) END`)),
    internal('__dm_expand', overload('l', `list_transform(l, (v, i) -> {'x': v, 'n': i})`)),
    scalar('int2vectorout', overload('v:varchar', 'CAST(v AS VARCHAR)')),
    scalar('oidvectortypes', overload('v:varchar', `array_to_string(list_transform(${fq('__dm_vector')}(v), x -> ${fq('format_type')}(x, NULL)), ', ')`)),
    { name: '_pg_expandarray', overloads: [overload('l', `SELECT unnest(l) AS x, generate_subscripts(l, 1) AS n`)], table: true, exposed: true },
    scalar('pg_encoding_to_char', overload('e:integer', `CASE CAST(e AS BIGINT) ${ENCODINGS.map(([n, s]) => `WHEN ${n} THEN '${s}'`).join(' ')} ELSE '' END`)),
    scalar('pg_char_to_encoding', overload('s:varchar', `CASE upper(s) ${ENCODINGS.map(([n, s]) => `WHEN '${s}' THEN ${n}`).join(' ')} ELSE -1 END`)),
    // Postgres arrays answer NULL for empty arrays and dimensions other than 1 (DuckDB lists are 1-D).
    // (int4 results, as in Postgres.)
    scalar('array_upper', overload('l, d:integer', 'CASE WHEN d = 1 AND len(l) > 0 THEN CAST(len(l) AS INTEGER) END')),
    scalar('array_lower', overload('l, d:integer', 'CASE WHEN d = 1 AND len(l) > 0 THEN 1 END')),
    scalar('array_length', overload('l, d:integer', 'CASE WHEN d = 1 AND len(l) > 0 THEN CAST(len(l) AS INTEGER) END')),
    scalar('array_ndims', overload('l', 'CASE WHEN len(l) > 0 THEN 1 END')),
    scalar('cardinality', overload('l', 'CAST(len(l) AS INTEGER)')),
    ...['has_table_privilege', 'has_schema_privilege', 'has_database_privilege', 'has_any_column_privilege',
      'has_function_privilege', 'has_sequence_privilege', 'has_type_privilege', 'has_tablespace_privilege',
      'has_language_privilege', 'has_foreign_data_wrapper_privilege', 'has_server_privilege',
      'has_parameter_privilege', 'pg_has_role'].map((n) => constant(n, 'true', [2, 3])),
    constant('has_column_privilege', 'true', [3, 4]),
    // pg_attrdef.adbin & co hold the display text already, so deparsing is the identity.
    scalar('pg_get_expr', overload('e:varchar, r:bigint', 'CAST(e AS VARCHAR)'), overload('e:varchar, r:bigint, p:boolean', 'CAST(e AS VARCHAR)')),
    constant('pg_get_function_result', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_get_function_arguments', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_get_function_identity_arguments', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_get_functiondef', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_get_function_sqlbody', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_get_triggerdef', 'CAST(NULL AS VARCHAR)', [1, 2]),
    constant('pg_get_ruledef', 'CAST(NULL AS VARCHAR)', [1, 2]),
    constant('pg_get_partkeydef', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_get_statisticsobjdef_columns', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_get_statisticsobjdef', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_get_serial_sequence', 'CAST(NULL AS VARCHAR)', [2]),
    // Shared objects (databases, roles, tablespaces) carry no comments in DuckMesh.
    constant('shobj_description', 'CAST(NULL AS VARCHAR)', [2]),
    constant('pg_relation_filepath', 'CAST(NULL AS VARCHAR)', [1]),
    constant('pg_tablespace_location', "''", [1]),
    constant('pg_relation_is_publishable', 'false', [1]),
    constant('pg_stat_get_numscans', 'CAST(0 AS BIGINT)', [1]),
    constant('pg_tablespace_size', 'CAST(0 AS BIGINT)', [1]),
    constant('pg_cancel_backend', 'false', [1]),
    constant('pg_terminate_backend', 'false', [1, 2]),
    constant('pg_is_in_recovery', 'false', [0]),
    constant('pg_jit_available', 'false', [0]),
    constant('pg_trigger_depth', '0', [0]),
    constant('pg_my_temp_schema', '0', [0]),
    constant('pg_is_other_temp_schema', 'false', [1]),
    constant('row_security_active', 'false', [1]),
    constant('pg_client_encoding', "'UTF8'", [0]),
    constant('pg_function_is_visible', 'true', [1]),
    constant('pg_operator_is_visible', 'true', [1]),
    constant('pg_opclass_is_visible', 'true', [1]),
    constant('pg_opfamily_is_visible', 'true', [1]),
    constant('pg_collation_is_visible', 'true', [1]),
    constant('pg_conversion_is_visible', 'true', [1]),
    constant('pg_ts_config_is_visible', 'true', [1]),
    constant('pg_statistics_obj_is_visible', 'true', [1]),
    constant('txid_current_if_assigned', 'CAST(NULL AS BIGINT)', [0]),
    constant('pg_postmaster_start_time', `CAST(${quoteLiteral(startedAt)} AS TIMESTAMPTZ)`, [0]),
    constant('pg_conf_load_time', `CAST(${quoteLiteral(startedAt)} AS TIMESTAMPTZ)`, [0]),
    constant('to_regproc', 'CAST(NULL AS VARCHAR)', [1]),
    constant('to_regprocedure', 'CAST(NULL AS VARCHAR)', [1]),
    constant('to_regoper', 'CAST(NULL AS VARCHAR)', [1]),
    constant('to_regoperator', 'CAST(NULL AS VARCHAR)', [1]),
    constant('to_regcollation', 'CAST(NULL AS INTEGER)', [1]),
    scalar('to_regtype', overload('t:varchar', `${spellings}[lower(regexp_replace(trim(regexp_replace(t, '^pg_catalog\\.', '')), '\\s+', ' ', 'g'))]`)),
    scalar('pg_size_pretty', overload('b:bigint', sizePrettyBody())),
    scalar('pg_current_xact_id', overload('', 'txid_current()')),
    // No aclitem ever holds a grant in DuckMesh's catalogs (acl columns are NULL), so nothing to explode.
    scalar('aclexplode', overload('a:varchar[]', `unnest(CAST(NULL AS ${ACL_ITEM}[]))`)),
    scalar('pg_partition_ancestors', overload('o:bigint', 'unnest([CAST(o AS BIGINT)])')),
    scalar('pg_partition_root', overload('o:bigint', 'CAST(o AS BIGINT)')),
    scalar('quote_ident', overload('s:varchar', `CASE WHEN s IS NULL THEN NULL ELSE list_transform([CAST(s AS VARCHAR)], x ->
      CASE WHEN regexp_full_match(x, '[a-z_][a-z0-9_$]*') AND NOT list_contains(${keywords}, x) THEN x
      ELSE '"' || replace(x, '"', '""') || '"' END)[1] END`)),
    scalar('quote_literal', overload('s:varchar', `CASE WHEN s IS NULL THEN NULL ELSE
      (CASE WHEN contains(CAST(s AS VARCHAR), '\\') THEN 'E''' ELSE '''' END)
      || replace(replace(CAST(s AS VARCHAR), '\\', '\\\\'), '''', '''''') || '''' END`)),
    scalar('quote_nullable', overload('s:varchar', `CASE WHEN s IS NULL THEN 'NULL' ELSE ${fq('quote_literal')}(s) END`)),
    scalar('parse_ident', overload('t:varchar', IDENT_PARTS), overload('t:varchar, strict:boolean', IDENT_PARTS)),
  ];
}
