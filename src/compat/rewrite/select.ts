/**
 * SELECT-level differences: every unnamed output column gets Postgres' name (clients read
 * results by name, and rewritten expressions would otherwise be named after their DuckDB form),
 * and GROUP BY / ORDER BY names that Postgres binds to output columns are made unambiguous.
 */
import { kindOf, type AstNode } from './ast.js';
import { defaultColumnName } from './column-names.js';
import type { Walker } from './walker.js';

/** Aliases of the FROM items (what a bare name can bind to as a whole row in DuckDB). */
function rangeNames(from: AstNode[] | undefined, out = new Set<string>()): Set<string> {
  for (const item of from ?? []) {
    const k = kindOf(item);
    const b = k === '' ? undefined : item[k];
    if (b === undefined) continue;
    if (k === 'JoinExpr') rangeNames([b.larg, b.rarg], out);
    else if (b.alias?.aliasname) out.add(b.alias.aliasname);
    else if (k === 'RangeVar') out.add(b.relname);
  }
  return out;
}

/**
 * `GROUP BY schema` where `schema` is both an output alias and a FROM item: Postgres groups by
 * the output column, DuckDB by the whole row of the FROM item. Use the output position instead.
 */
function resolveOutputAliases(original: AstNode, out: AstNode): void {
  const outputs: string[] = (out.targetList ?? []).map((t: AstNode) => t?.ResTarget?.name);
  const ranges = rangeNames(original.fromClause);
  const position = (node: AstNode): AstNode | undefined => {
    const f = node?.ColumnRef?.fields;
    if (f?.length !== 1 || !f[0]?.String) return undefined;
    const name = f[0].String.sval;
    const i = outputs.indexOf(name);
    return i >= 0 && ranges.has(name) ? { A_Const: { ival: { ival: i + 1 } } } : undefined;
  };
  if (out.groupClause) out.groupClause = out.groupClause.map((g: AstNode) => position(g) ?? g);
  if (out.sortClause) {
    out.sortClause = out.sortClause.map((s: AstNode) => {
      const p = s?.SortBy ? position(s.SortBy.node) : undefined;
      return p === undefined ? s : { SortBy: { ...s.SortBy, node: p } };
    });
  }
}

export function rewriteSelectStmt(w: Walker, b: AstNode): AstNode {
  const out = w.fields({ ...b, targetList: undefined });
  if (b.targetList !== undefined) {
    out.targetList = (b.targetList as AstNode[]).map((t) => {
      const rt = t?.ResTarget;
      if (rt === undefined) return w.x(t);
      // Name first: Postgres derives it from the expression as the client wrote it.
      const name = rt.name ?? (rt.val !== undefined ? defaultColumnName(rt.val) : undefined);
      const res: AstNode = { ...rt, val: w.x(rt.val, true) };
      if (name !== undefined) res.name = name;
      return { ResTarget: res };
    });
  } else {
    delete out.targetList;
  }
  resolveOutputAliases(b, out);
  return { SelectStmt: out };
}
