/**
 * Postgres' default output column names (FigureColname): `SELECT version()` yields a column
 * named "version", `SELECT 1` one named "?column?". The rewriter replaces many expressions with
 * literals or macro calls whose DuckDB-derived names would differ, and clients read results by
 * name, so every unnamed select-list item gets Postgres' name before rewriting.
 */
import { kindOf, names, type AstNode } from './ast.js';
import { SQL_VALUE_FUNCTION_NAMES } from './session-values.js';

/** [name, strong]: strong names (columns, functions) win over a cast's type name. */
function figure(node: AstNode): [string | undefined, boolean] {
  const k = kindOf(node);
  const b = k === '' ? undefined : node[k];
  switch (k) {
    case 'ColumnRef': {
      const f = names(b.fields);
      const last = f[f.length - 1];
      return last === '*' ? [undefined, false] : [last, true];
    }
    case 'A_Indirection': {
      const ind: AstNode[] = b.indirection ?? [];
      for (let i = ind.length - 1; i >= 0; i--) {
        if (ind[i]?.String) return [ind[i].String.sval, true];
      }
      return figure(b.arg);
    }
    case 'FuncCall': {
      const f = names(b.funcname);
      return [f[f.length - 1], true];
    }
    case 'A_Expr':
      return b.kind === 'AEXPR_NULLIF' ? ['nullif', true] : [undefined, false];
    case 'TypeCast': {
      const [n, strong] = figure(b.arg);
      if (strong) return [n, strong];
      const t = names(b.typeName?.names);
      return [t[t.length - 1], false];
    }
    case 'CollateClause':
      return figure(b.arg);
    case 'CaseExpr':
      return ['case', true];
    case 'CoalesceExpr':
      return ['coalesce', true];
    case 'MinMaxExpr':
      return [b.op === 'IS_LEAST' ? 'least' : 'greatest', true];
    case 'SQLValueFunction':
      return [SQL_VALUE_FUNCTION_NAMES[b.op], true];
    case 'A_ArrayExpr':
      return ['array', true];
    case 'RowExpr':
      return ['row', true];
    case 'GroupingFunc':
      return ['grouping', true];
    case 'SubLink':
      if (b.subLinkType === 'EXISTS_SUBLINK') return ['exists', true];
      if (b.subLinkType === 'ARRAY_SUBLINK') return ['array', true];
      if (b.subLinkType === 'EXPR_SUBLINK') {
        const first = b.subselect?.SelectStmt?.targetList?.[0]?.ResTarget;
        if (first?.name) return [first.name, true];
        if (first) return figure(first.val);
      }
      return [undefined, false];
    default:
      return [undefined, false];
  }
}

/** The name Postgres gives an unnamed select-list expression, or undefined for `*` / `t.*`. */
export function defaultColumnName(val: AstNode): string | undefined {
  if (kindOf(val) === 'ColumnRef' && names(val.ColumnRef.fields).at(-1) === '*') return undefined;
  return figure(val)[0] ?? '?column?';
}
