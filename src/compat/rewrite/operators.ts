/**
 * Operators whose Postgres meaning differs from DuckDB's:
 * - `~`, `~*`, `!~`, `!~*` (and OPERATOR(pg_catalog.~)): Postgres matches anywhere in the string,
 *   DuckDB's `~` is a full match → regexp_matches;
 * - LIKE patterns: Postgres' default escape is backslash, DuckDB has none → like_escape(…, '\');
 * - `x = ANY('{a,b}')` and `col = '{0}'` with Postgres array literals → list constructors;
 * - ANY/ALL over int2vector columns → lists;
 * - `x = ANY(list)` in a JOIN condition → list_contains(list, x) (see rewriteJoinExpr).
 */
import { ARRAY_COLUMNS } from '../relations/registry.js';
import { parseArrayLiteral } from './array-literal.js';
import { aConst, arrayExpr, funcCall, kindOf, names, notExpr, str, stringConst, type AstNode } from './ast.js';
import { isVectorExpr, vectorColumn, vectorToList } from './vectors.js';
import type { Walker } from './walker.js';

const REGEX_OPS: Readonly<Record<string, { negate: boolean; insensitive: boolean }>> = {
  '~': { negate: false, insensitive: false },
  '~*': { negate: false, insensitive: true },
  '!~': { negate: true, insensitive: false },
  '!~*': { negate: true, insensitive: true },
};

/** List constructor for a Postgres array literal; numbers stay numbers so `oid = ANY('{1,2}')` compares numerically. */
function listFromLiteral(text: string): AstNode | undefined {
  const values = parseArrayLiteral(text);
  if (values === undefined) return undefined;
  const numeric = values.length > 0 && values.every((v) => v !== null && /^-?\d+$/.test(v));
  return arrayExpr(values.map((v) => (numeric ? aConst(Number(v)) : aConst(v))));
}

function isArrayColumn(node: AstNode): boolean {
  if (kindOf(node) !== 'ColumnRef') return false;
  return ARRAY_COLUMNS.has(names(node.ColumnRef.fields).at(-1) ?? '');
}

/** Array operand of ANY/ALL or of a comparison with an array column. */
function arrayOperand(w: Walker, node: AstNode): AstNode {
  const s = stringConst(node);
  if (s !== undefined) {
    const list = listFromLiteral(s);
    if (list !== undefined) return list;
  }
  if (isVectorExpr(node, w.vectors)) return vectorToList(w.x(vectorColumn(node)));
  return w.x(node);
}

const BACKSLASH = '\\';

/** LIKE/ILIKE with a backslash escape (explicit ESCAPE arrives as like_escape(pattern, esc)). */
function likeCall(w: Walker, b: AstNode, insensitive: boolean): AstNode | undefined {
  const op = names(b.name).at(-1) ?? '';
  const negate = op.startsWith('!');
  let pattern = b.rexpr;
  let escape: AstNode | undefined;
  const r = b.rexpr?.FuncCall;
  if (r && names(r.funcname).at(-1) === 'like_escape' && (r.args?.length ?? 0) === 2) {
    pattern = r.args[0];
    escape = w.x(r.args[1]);
  } else {
    const p = stringConst(b.rexpr);
    // Without a backslash in the pattern both engines agree; keep plain LIKE (DuckDB optimises it).
    if (p === undefined || !p.includes(BACKSLASH)) return undefined;
    escape = aConst(BACKSLASH);
  }
  const call = funcCall([insensitive ? 'ilike_escape' : 'like_escape'], [w.x(b.lexpr), w.x(pattern), escape]);
  return negate ? notExpr(call) : call;
}

export function rewriteAExpr(w: Walker, b: AstNode): AstNode {
  const opNames = names(b.name);
  const op = opNames[opNames.length - 1] ?? '';
  // OPERATOR(pg_catalog.=) → =
  const name = opNames.length > 1 ? [str(op)] : b.name;
  switch (b.kind) {
    case 'AEXPR_OP': {
      const re = REGEX_OPS[op];
      if (re !== undefined && b.lexpr !== undefined) {
        const args = [w.x(b.lexpr), w.x(b.rexpr)];
        if (re.insensitive) args.push(aConst('i'));
        const call = funcCall(['regexp_matches'], args);
        return re.negate ? notExpr(call) : call;
      }
      if ((op === '=' || op === '<>' || op === '!=') && b.lexpr !== undefined) {
        if (isArrayColumn(b.lexpr) && stringConst(b.rexpr) !== undefined) {
          return { A_Expr: { ...b, name, lexpr: w.x(b.lexpr), rexpr: arrayOperand(w, b.rexpr) } };
        }
        if (isArrayColumn(b.rexpr) && stringConst(b.lexpr) !== undefined) {
          return { A_Expr: { ...b, name, lexpr: arrayOperand(w, b.lexpr), rexpr: w.x(b.rexpr) } };
        }
      }
      break;
    }
    case 'AEXPR_OP_ANY':
    case 'AEXPR_OP_ALL':
      return { A_Expr: { ...b, name, lexpr: w.x(b.lexpr), rexpr: arrayOperand(w, b.rexpr) } };
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      const call = likeCall(w, b, b.kind === 'AEXPR_ILIKE');
      if (call !== undefined) return call;
      break;
    }
  }
  return { A_Expr: { ...w.fields(b), name } };
}

/**
 * One conjunct/disjunct of a join condition. DuckDB plans `x = ANY(list)` as a subquery (a mark
 * join over unnest), which it cannot put in the ON clause of an outer join ("Cannot perform
 * non-inner join on subquery") — SQLAlchemy's get_indexes joins pg_attribute ON
 * `a.attnum = ANY(ix.indkey)` in a LEFT JOIN. list_contains(list, x) differs from `= ANY` only by
 * answering false where Postgres answers NULL; under AND/OR alone (no NOT) a NULL leaf makes the
 * condition true only if false would too (three-valued logic is monotone), so whether a row
 * joins is unchanged. Leaves under NOT or inside other expressions keep `= ANY`.
 */
function joinCondition(w: Walker, node: AstNode): AstNode {
  const k = kindOf(node);
  if (k === 'BoolExpr' && (node.BoolExpr.boolop === 'AND_EXPR' || node.BoolExpr.boolop === 'OR_EXPR')) {
    return { BoolExpr: { ...node.BoolExpr, args: (node.BoolExpr.args ?? []).map((a: AstNode) => joinCondition(w, a)) } };
  }
  if (k === 'A_Expr') {
    const b = node.A_Expr;
    if (b.kind === 'AEXPR_OP_ANY' && names(b.name).at(-1) === '=' && b.lexpr !== undefined) {
      return funcCall(['list_contains'], [arrayOperand(w, b.rexpr), w.x(b.lexpr)]);
    }
  }
  return w.x(node);
}

export function rewriteJoinExpr(w: Walker, b: AstNode): AstNode {
  const out = w.fields({ ...b, quals: undefined });
  if (b.quals !== undefined) out.quals = joinCondition(w, b.quals);
  else delete out.quals;
  return { JoinExpr: out };
}
