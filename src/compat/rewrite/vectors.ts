/**
 * int2vector/oidvector catalog columns (pg_index.indkey, pg_proc.proargtypes, …) are stored as
 * their text form ('1 2'), which is what clients read. Where a query uses one as an array
 * (subscript, ANY, unnest, _pg_expandarray, array_upper, cast to int2[]), the rewriter converts
 * it to a list; Postgres subscripts these types from 0, so subscripts shift by one.
 */
import { VECTOR_COLUMNS } from '../relations/registry.js';
import { SHIM_CATALOG, SHIM_SCHEMA } from '../names.js';
import { funcCall, kindOf, names, type AstNode } from './ast.js';

/**
 * Vector column names in one statement: the catalog's own (indkey, indoption, proargtypes, …)
 * plus select-list aliases of them in subqueries — JDBC's getIndexInfo reads `i.indoption AS
 * I_INDOPTION` in a subquery and subscripts `tmp.I_INDOPTION[…]` outside it.
 */
export function vectorNames(root: AstNode): Set<string> {
  const out = new Set<string>(VECTOR_COLUMNS);
  const targets: AstNode[] = [];
  const stack: AstNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (n === null || typeof n !== 'object') continue;
    if (Array.isArray(n)) {
      stack.push(...n);
      continue;
    }
    if (n.ResTarget?.name && n.ResTarget.val) targets.push(n.ResTarget);
    for (const v of Object.values(n)) if (v !== null && typeof v === 'object') stack.push(v);
  }
  // Aliases of aliases: repeat until nothing new is found.
  for (let grew = true; grew;) {
    grew = false;
    for (const t of targets) {
      if (!out.has(t.name) && isVectorExpr(t.val, out)) {
        out.add(t.name);
        grew = true;
      }
    }
  }
  return out;
}

/** A column reference to a vector column, or a cast of one. */
export function isVectorExpr(node: AstNode, vectors: ReadonlySet<string> = VECTOR_COLUMNS): boolean {
  const k = kindOf(node);
  if (k === 'ColumnRef') {
    const f = names(node.ColumnRef.fields);
    return vectors.has(f[f.length - 1] ?? '');
  }
  if (k === 'TypeCast') return isVectorExpr(node.TypeCast.arg, vectors);
  return false;
}

/** The vector column under a (possibly cast) expression. */
export function vectorColumn(node: AstNode): AstNode {
  return kindOf(node) === 'TypeCast' ? vectorColumn(node.TypeCast.arg) : node;
}

/** `__dm_pgshim.main.__dm_vector(col)`: the vector's elements as a BIGINT list. */
export function vectorToList(column: AstNode): AstNode {
  return funcCall([SHIM_CATALOG, SHIM_SCHEMA, '__dm_vector'], [column]);
}
