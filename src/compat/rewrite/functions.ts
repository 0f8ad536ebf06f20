/**
 * Function calls: session functions become literals, catalog functions become shim macro calls,
 * array functions learn about int2vector columns, Postgres-only functions map onto DuckDB ones,
 * and `pg_catalog.`-qualified builtins lose the qualifier (DuckDB would read it as a column).
 * An unknown catalog function is a 42883, as in Postgres, naming the function.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { isCatalogFunction } from '../../sql/catalog-refs.js';
import { PG_SETTINGS_CATALOG } from '../settings-catalog.js';
import { aConst, binaryOp, boolConst, funcCall, names, stringConst, typeCast, type AstNode } from './ast.js';
import { dialectCall, isDialectFunction } from './pg-dialect.js';
import {
  currentSchemaConst,
  currentSettingValue,
  schemasList,
  settingValue,
  unknownSetting,
  versionString,
} from './session-values.js';
import { helperCall, shimCall, shimFunction, undefinedFunction } from './shim-registry.js';
import { isVectorExpr, vectorColumn, vectorToList } from './vectors.js';
import type { Walker } from './walker.js';

/** Catalog-looking names DuckDB already implements like Postgres (passed through unshimmed). */
const DUCKDB_PG_BUILTINS = new Set(['pg_typeof', 'txid_current']);

/** Array functions whose first argument may be an int2vector/oidvector column. */
const VECTOR_AWARE = new Set(['unnest', 'array_to_string', 'array_length', 'cardinality', 'array_position',
  'array_positions', 'array_upper', 'array_lower', 'generate_subscripts', '_pg_expandarray', 'array_ndims']);

/** The call's name parts, lowercased (quoted names keep their case in Postgres, DuckDB ignores it). */
export function callName(b: AstNode): { schema: string | undefined; name: string; parts: number } {
  const n = names(b.funcname).map((s) => s.toLowerCase());
  return { schema: n.length > 1 ? n[n.length - 2] : undefined, name: n[n.length - 1] ?? '', parts: n.length };
}

function isCatalogSchema(s: string | undefined): boolean {
  return s === 'pg_catalog' || s === 'information_schema';
}

/** Argument as a list: vector columns converted, everything else rewritten normally. */
function listArg(w: Walker, node: AstNode): AstNode {
  return isVectorExpr(node, w.vectors) ? vectorToList(w.x(vectorColumn(node))) : w.x(node);
}

function sessionCall(w: Walker, name: string, raw: AstNode[]): AstNode | undefined {
  const ctx = w.ctx;
  switch (name) {
    case 'version':
      return raw.length === 0 ? aConst(versionString(ctx)) : undefined;
    case 'current_database':
      return raw.length === 0 ? aConst(ctx.database) : undefined;
    case 'current_schema':
      return raw.length === 0 ? currentSchemaConst(ctx) : undefined;
    case 'current_schemas': {
      if (raw.length !== 1) return undefined;
      const implicit = boolConst(raw[0]);
      if (implicit !== undefined) return schemasList(ctx, implicit);
      return { CaseExpr: { args: [{ CaseWhen: { expr: w.x(raw[0]), result: schemasList(ctx, true) } }], defresult: schemasList(ctx, false) } };
    }
    case 'current_setting': {
      if (raw.length < 1 || raw.length > 2) return undefined;
      const v = currentSettingValue(ctx, raw);
      if (v !== undefined) return v;
      // A computed name: choose among every known setting at run time.
      const arms = PG_SETTINGS_CATALOG.map((s) => ({
        CaseWhen: { expr: aConst(s.name.toLowerCase()), result: aConst(settingValue(ctx, s.name) ?? s.boot) },
      }));
      return { CaseExpr: { arg: funcCall(['lower'], [w.x(raw[0])]), args: arms, defresult: funcCall(['error'], [aConst('unrecognized configuration parameter')]) } };
    }
    case 'set_config': {
      if (raw.length !== 3) return undefined;
      const n = stringConst(raw[0]);
      const v = stringConst(raw[1]);
      const local = boolConst(raw[2]);
      if (n === undefined || v === undefined || local === undefined) {
        throw new DuckMeshError(SqlState.featureNotSupported, 'set_config() is only supported with constant arguments');
      }
      if (settingValue(ctx, n) === undefined && !n.includes('.')) throw unknownSetting(n);
      w.setConfig.push({ name: n.toLowerCase(), value: v, isLocal: local });
      return aConst(v);
    }
    case 'pg_backend_pid':
      return raw.length === 0 ? aConst(ctx.backendPid ?? 0) : undefined;
    case 'inet_server_port': {
      if (raw.length !== 0) return undefined;
      const port = ctx.serverPort ?? Number(settingValue(ctx, 'port') ?? '5432');
      return aConst(port);
    }
    case 'inet_server_addr':
    case 'inet_client_addr':
    case 'inet_client_port':
      return raw.length === 0 ? aConst(null) : undefined;
    case 'pg_is_in_recovery':
      return raw.length === 0 ? aConst(false) : undefined;
    default:
      return undefined;
  }
}

/** Array functions over an int2vector/oidvector (0-based in Postgres). */
function vectorCall(w: Walker, name: string, raw: AstNode[]): AstNode | undefined {
  if (!VECTOR_AWARE.has(name) || raw.length === 0 || !isVectorExpr(raw[0], w.vectors)) return undefined;
  const list = listArg(w, raw[0]);
  const rest = raw.slice(1).map((a) => w.x(a));
  switch (name) {
    case 'array_upper':
      return binaryOp('-', funcCall(['len'], [list]), aConst(1));
    case 'array_lower':
      return aConst(0);
    case 'array_length':
    case 'cardinality':
      return funcCall(['len'], [list]);
    case 'generate_subscripts':
      return binaryOp('-', funcCall(['generate_subscripts'], [list, aConst(1)]), aConst(1));
    case '_pg_expandarray':
      return expandArray(w, list);
    default:
      return funcCall([name], [list, ...rest]);
  }
}

/** `_pg_expandarray(a)` in an expression: one row per element with fields x (element) and n (position). */
function expandArray(w: Walker, list: AstNode): AstNode {
  return funcCall(['unnest'], [helperCall(w.ctx, 'instance', '__dm_expand', [list])]);
}

/**
 * pg_get_viewdef('name'): a string literal picks Postgres' (deprecated) pg_get_viewdef(text)
 * overload, which looks the name up like a regclass input; the shim takes an OID.
 */
function viewdefArgs(name: string, raw: AstNode[]): AstNode[] {
  if (name !== 'pg_get_viewdef' || raw.length === 0 || stringConst(raw[0]) === undefined) return raw;
  return [typeCast(raw[0], ['regclass']), ...raw.slice(1)];
}

export function rewriteFuncCall(w: Walker, b: AstNode): AstNode {
  const { schema, name, parts } = callName(b);
  const raw: AstNode[] = viewdefArgs(name, b.args ?? []);
  // Calls into schemas other than the catalogs (main.f, a user's) are not ours to touch.
  if (parts > 2 || (schema !== undefined && !isCatalogSchema(schema))) return { FuncCall: w.fields(b) };
  const plain = !b.agg_star && !b.agg_distinct && !b.over && !b.agg_order && !b.agg_filter && !b.func_variadic;

  if (plain) {
    const s = sessionCall(w, name, raw);
    if (s !== undefined) return s;
    const v = vectorCall(w, name, raw);
    if (v !== undefined) return v;
    if (name === '_pg_expandarray' && raw.length === 1) return expandArray(w, listArg(w, raw[0]));
    const shim = shimFunction(name);
    // Another arity of a name DuckDB also has (array_length(l)) is DuckDB's function, not ours.
    if (shim !== undefined && (shim.arities.includes(raw.length) || isCatalogFunction(name))) {
      return shimCall(w.ctx, name, shim, raw, raw.map((a) => listArgIfArrayFn(w, name, a)));
    }
    if (isDialectFunction(name)) {
      const d = dialectCall(name, raw.map((a) => w.x(a)), raw);
      if (d !== undefined) return d;
    }
  }
  const body = w.fields(b);
  // TRIM(BOTH … FROM …), EXTRACT(…), POSITION(… IN …) parse as pg_catalog.btrim & co.; the
  // deparser prints them back as SQL syntax, which DuckDB understands, only while qualified.
  if (b.funcformat === 'COERCE_SQL_SYNTAX' && schema === 'pg_catalog') return { FuncCall: body };
  if (schema !== undefined || isCatalogFunction(name)) {
    if (isCatalogFunction(name) && !DUCKDB_PG_BUILTINS.has(name) && !isDialectFunction(name)) throw undefinedFunction(name, raw);
    // pg_catalog.array_to_string(…) → array_to_string(…): DuckDB has the builtin, not the schema.
    body.funcname = [{ String: { sval: name } }];
  }
  return { FuncCall: body };
}

/** array_upper & co. accept vector columns through a cast too (`prattrs::int2[]`). */
function listArgIfArrayFn(w: Walker, name: string, a: AstNode): AstNode {
  return VECTOR_AWARE.has(name) ? listArg(w, a) : w.x(a);
}
