/**
 * needsCompatRewrite(): whether a SELECT must go through the compat rewrite. Extends the
 * classifier's touchesCatalog() with catalog relations it does not list (pg_replication_slots,
 * pg_stat_gssapi, …) and with Postgres-only constructs DuckDB cannot run at all (jsonb, to_char,
 * json_build_object, '{a,b}'::text[], ANY('{…}')): for those, DuckDB would fail anyway, so the
 * rewrite can only help. Everything else stays DuckDB dialect and runs untouched.
 */
import { touchesCatalog } from '../../sql/catalog-refs.js';
import { walkAst } from '../../sql/walk.js';
import { pgCatalogRelation } from '../relations/registry.js';
import { names, stringConst, type AstNode } from './ast.js';
import { isDialectFunction } from './pg-dialect.js';
import { SCALAR_IN_DUCKDB } from './relations.js';
import { shimFunction } from './shim-registry.js';

/** Types the Postgres grammar spells as keywords and qualifies with pg_catalog on its own. */
const KEYWORD_TYPES = new Set(['int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'bool', 'bpchar', 'varchar',
  'timestamp', 'timestamptz', 'time', 'timetz', 'interval', 'bit', 'varbit', 'json']);

/** Types DuckDB does not have (the classifier already routes reg*, oid and name casts). */
const PG_ONLY_TYPES = new Set(['jsonb', 'int2vector', 'oidvector', 'aclitem', 'regnamespace', 'regrole']);

/**
 * Shimmed or mapped function names that DuckDB also has, with other semantics or arities
 * (format() uses {} placeholders, encode() makes a blob, sha256() returns text): a DuckDB-dialect
 * query calling them must not be reinterpreted as Postgres.
 */
const DUCKDB_HAS = new Set(['array_length', 'cardinality', 'decode', 'encode', 'format', 'json_extract_path',
  'json_extract_path_text', 'row_to_json', 'sha256']);

/** Calls that can only be Postgres even though DuckDB has a function of that name. */
function postgresOnlyForm(name: string, args: AstNode[]): boolean {
  // encode(bytes, 'hex') / decode(text, 'base64'): DuckDB's take one argument.
  if (name === 'encode' || name === 'decode') return args.length === 2;
  // format('%s …'): DuckDB formats with {} placeholders.
  if (name === 'format') {
    const fmt = stringConst(args[0]);
    return fmt !== undefined && fmt.includes('%') && !fmt.includes('{}');
  }
  return false;
}

export function needsCompatRewrite(ast: AstNode): boolean {
  if (touchesCatalog(ast)) return true;
  let found = false;
  walkAst(ast, (type, body) => {
    if (found) return false;
    switch (type) {
      case 'RangeVar':
        found = body.schemaname === undefined && pgCatalogRelation(body.relname ?? '') !== undefined;
        break;
      case 'FuncCall': {
        const n = names(body.funcname).map((s) => s.toLowerCase());
        const name = n[n.length - 1] ?? '';
        found = n.length === 1 && (DUCKDB_HAS.has(name)
          ? postgresOnlyForm(name, body.args ?? [])
          : isDialectFunction(name) || shimFunction(name) !== undefined);
        break;
      }
      case 'TypeCast': {
        const n = names(body.typeName?.names).map((s) => s.toLowerCase());
        const t = n.at(-1) ?? '';
        // DuckDB cannot parse `::pg_catalog.text`; the parser itself qualifies only SQL keyword types.
        const qualified = n.length === 2 && n[0] === 'pg_catalog' && !KEYWORD_TYPES.has(t);
        found = qualified || PG_ONLY_TYPES.has(t) ||
          ((body.typeName?.arrayBounds?.length ?? 0) > 0 && stringConst(body.arg)?.trim().startsWith('{') === true);
        break;
      }
      case 'RangeFunction': {
        // FROM string_to_array(…) s: a scalar function DuckDB cannot scan.
        const fn = body.functions?.[0]?.List?.items?.[0]?.FuncCall;
        const n = names(fn?.funcname).map((s) => s.toLowerCase());
        found = n.length === 1 && SCALAR_IN_DUCKDB.has(n[0]!);
        break;
      }
      case 'A_Expr':
        found = (body.kind === 'AEXPR_OP_ANY' || body.kind === 'AEXPR_OP_ALL') && stringConst(body.rexpr)?.trim().startsWith('{') === true;
        break;
    }
    return !found;
  });
  return found;
}
