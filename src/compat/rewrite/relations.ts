/**
 * FROM items: catalog relations (`pg_catalog.X`, unqualified well-known names, `information_schema.X`)
 * → the shim relation in the snapshot or instance catalog, or a session subquery; catalog
 * set-returning functions (pg_get_keywords(), pg_show_all_settings(), _pg_expandarray()) → shim
 * relations; scalar functions in FROM (`FROM pg_is_in_recovery()`, `FROM current_user`) → a
 * one-row subquery. The original name stays the range's alias, so `pg_class.oid` still binds.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { ALLOWED_TABLE_FUNCTIONS } from '../../sql/policy.js';
import { instanceInfoSchemaTable, PG_CATALOG_SHIM_SCHEMA, SHIM_CATALOG, SHIM_SCHEMA } from '../names.js';
import { catalogRelation, pgCatalogRelation, type CatalogRelation } from '../relations/registry.js';
import { alias, funcCall, kindOf, names, rangeSubselect, rangeVar, type AstNode } from './ast.js';
import { defaultColumnName } from './column-names.js';
import { derivedRelation } from './derived-cache.js';
import { callName } from './functions.js';
import { JSON_ELEMENT_FUNCTIONS } from './pg-dialect.js';
import { sessionRelation } from './session-relations.js';
import { isVectorExpr, vectorColumn, vectorToList } from './vectors.js';
import type { Walker } from './walker.js';

function shimRange(w: Walker, rel: CatalogRelation, a: AstNode): AstNode {
  if (rel.home === 'session') return rangeSubselect(sessionRelation(rel.name, w.ctx), a);
  if (rel.home === 'instance') {
    const table = rel.schema === 'information_schema' ? instanceInfoSchemaTable(rel.name) : rel.name;
    return rangeVar(SHIM_CATALOG, SHIM_SCHEMA, table, a);
  }
  if (rel.home === 'derived') return rangeSubselect(derivedRelation(w.ctx, rel), a);
  return rangeVar(w.ctx.catalogName, PG_CATALOG_SHIM_SCHEMA, rel.name, a);
}

export function rewriteRangeVar(w: Walker, rv: AstNode): AstNode {
  const schema: string | undefined = rv.schemaname;
  const name: string = rv.relname ?? '';
  if (rv.catalogname !== undefined) return { RangeVar: rv };
  let rel: CatalogRelation | undefined;
  if (schema === 'pg_catalog' || schema === 'information_schema') {
    rel = catalogRelation(schema, name);
    if (rel === undefined) throw new DuckMeshError(SqlState.undefinedTable, `relation "${schema}.${name}" does not exist`);
  } else if (schema === undefined && !w.cteNames.has(name)) {
    // Postgres searches pg_catalog before the search path, so these names always mean the catalog.
    rel = pgCatalogRelation(name);
  }
  if (rel === undefined) return { RangeVar: rv };
  return shimRange(w, rel, rv.alias ?? alias(name));
}

/** Postgres names a single-column function's output after the alias when no column list is given. */
function scalarAlias(a: AstNode | undefined, fallback: string): AstNode {
  if (a === undefined) return alias(fallback, [fallback]);
  if (a.colnames !== undefined) return a;
  return alias(a.aliasname, [a.aliasname]);
}

/** `(SELECT <expr> AS <name>) AS alias(...)`: a scalar function used as a FROM item (`val` already rewritten). */
function oneRow(val: AstNode, colName: string, a: AstNode | undefined): AstNode {
  const select = {
    SelectStmt: {
      targetList: [{ ResTarget: { name: colName, val } }],
      limitOption: 'LIMIT_OPTION_DEFAULT',
      op: 'SETOP_NONE',
    },
  };
  return rangeSubselect(select, scalarAlias(a, colName));
}

const SCALAR_SRF = new Set(['generate_series', 'unnest', 'generate_subscripts']);

/**
 * Functions the sandbox allows in FROM that are scalar in DuckDB (array-valued in Postgres): in
 * FROM, Postgres yields one row holding the array (Grafana: `FROM string_to_array(…) s`), and
 * DuckDB cannot scan a scalar function, so they take the one-row path like catalog functions.
 */
export const SCALAR_IN_DUCKDB: ReadonlySet<string> = new Set(['string_to_array']);

export function rewriteRangeFunction(w: Walker, b: AstNode): AstNode {
  const items: AstNode[] = b.functions ?? [];
  const first = items.length === 1 ? (items[0]?.List?.items ?? []) : [];
  const fn = first[0];
  const coldef = first[1];
  const single = items.length === 1 && !b.ordinality && !b.is_rowsfrom && (coldef === undefined || Object.keys(coldef).length === 0);
  if (!single || fn === undefined) return { RangeFunction: w.fields(b) };
  const a: AstNode | undefined = b.alias;

  if (kindOf(fn) === 'SQLValueFunction') {
    return oneRow(w.x(fn, true), defaultColumnName(fn) ?? 'value', a);
  }
  if (kindOf(fn) !== 'FuncCall') return { RangeFunction: w.fields(b) };
  const { schema, name } = callName(fn.FuncCall);
  if (schema !== undefined && schema !== 'pg_catalog' && schema !== 'information_schema') return { RangeFunction: w.fields(b) };
  const args: AstNode[] = fn.FuncCall.args ?? [];

  switch (name) {
    case 'pg_get_keywords':
      return rangeVar(SHIM_CATALOG, SHIM_SCHEMA, 'pg_get_keywords', a ?? alias('pg_get_keywords'));
    case 'pg_show_all_settings':
      return rangeSubselect(sessionRelation('pg_settings', w.ctx), a ?? alias('pg_show_all_settings'));
    case '_pg_expandarray': {
      const arg = isVectorExpr(args[0], w.vectors) ? vectorToList(w.x(vectorColumn(args[0]))) : w.x(args[0]);
      const call = { RangeFunction: { functions: [{ List: { items: [funcCall([SHIM_CATALOG, SHIM_SCHEMA, '_pg_expandarray'], [arg]), {}] } }] } };
      if (a !== undefined) (call.RangeFunction as AstNode).alias = a;
      return call;
    }
  }
  if (name in JSON_ELEMENT_FUNCTIONS) return oneRow(w.x(fn), 'value', a);
  if (SCALAR_SRF.has(name)) {
    const rewritten = w.x(fn);
    // DuckDB binds a bare function alias to the whole row; Postgres to the single column.
    const out: AstNode = { ...b, functions: [{ List: { items: [rewritten, {}] } }] };
    if (a !== undefined) out.alias = scalarAlias(a, name);
    return { RangeFunction: out };
  }
  const rewritten = w.x(fn, true);
  const callee = kindOf(rewritten) === 'FuncCall' ? names(rewritten.FuncCall.funcname) : [];
  const calleeName = callee.length === 1 ? callee[0]!.toLowerCase() : '';
  if (ALLOWED_TABLE_FUNCTIONS.has(calleeName) && !SCALAR_IN_DUCKDB.has(calleeName)) {
    return { RangeFunction: { ...b, functions: [{ List: { items: [rewritten, {}] } }] } };
  }
  // Postgres lets any function stand in FROM (a scalar one yields one row); DuckDB scans only
  // table functions, and catalog functions became literals or scalar macro calls.
  return oneRow(rewritten, name, a);
}
