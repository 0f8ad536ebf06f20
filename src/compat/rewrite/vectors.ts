/**
 * int2vector/oidvector catalog columns (pg_index.indkey, pg_proc.proargtypes, …) are stored as
 * their text form ('1 2'), which is what clients read. Where a query uses one as an array
 * (subscript, ANY, unnest, _pg_expandarray, array_upper, cast to int2[]), the rewriter converts
 * it to a list; Postgres subscripts these types from 0, so subscripts shift by one.
 */
import { VECTOR_COLUMNS } from '../relations/registry.js';
import { SHIM_CATALOG, SHIM_SCHEMA } from '../names.js';
import { funcCall, kindOf, names, type AstNode } from './ast.js';

/** A column reference to a vector column, or a cast of one. */
export function isVectorExpr(node: AstNode): boolean {
  const k = kindOf(node);
  if (k === 'ColumnRef') {
    const f = names(node.ColumnRef.fields);
    return VECTOR_COLUMNS.has(f[f.length - 1] ?? '');
  }
  if (k === 'TypeCast') return isVectorExpr(node.TypeCast.arg);
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
