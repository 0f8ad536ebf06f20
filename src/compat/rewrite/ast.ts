/**
 * Constructors and predicates for the libpg-query parse-tree nodes the rewriter creates. Nodes
 * are plain protobuf-JSON objects, deparsed later by pgsql-deparser.
 */
import type { AstNode } from '../../sql/statements.js';

export type { AstNode };

export function str(s: string): AstNode {
  return { String: { sval: s } };
}

/** A literal: string, integer, float, boolean or NULL. */
export function aConst(v: string | number | boolean | null): AstNode {
  if (v === null) return { A_Const: { isnull: true } };
  if (typeof v === 'boolean') return { A_Const: { boolval: v ? { boolval: true } : {} } };
  if (typeof v === 'number') {
    if (Number.isInteger(v) && Math.abs(v) < 2 ** 31) return { A_Const: { ival: v === 0 ? {} : { ival: v } } };
    return { A_Const: { fval: { fval: String(v) } } };
  }
  return { A_Const: { sval: { sval: v } } };
}

export function funcCall(names: string[], args: AstNode[]): AstNode {
  const body: AstNode = { funcname: names.map(str), funcformat: 'COERCE_EXPLICIT_CALL' };
  if (args.length > 0) body.args = args;
  return { FuncCall: body };
}

export function typeName(names: string[], arrayDims = 0, typmods: number[] = []): AstNode {
  const t: AstNode = { names: names.map(str), typemod: -1 };
  if (arrayDims > 0) t.arrayBounds = Array.from({ length: arrayDims }, () => ({ Integer: { ival: -1 } }));
  if (typmods.length > 0) t.typmods = typmods.map((m) => aConst(m));
  return t;
}

export function typeCast(arg: AstNode, names: string[], arrayDims = 0): AstNode {
  return { TypeCast: { arg, typeName: typeName(names, arrayDims) } };
}

export function arrayExpr(elements: AstNode[]): AstNode {
  return { A_ArrayExpr: elements.length > 0 ? { elements } : {} };
}

export function notExpr(arg: AstNode): AstNode {
  return { BoolExpr: { boolop: 'NOT_EXPR', args: [arg] } };
}

export function binaryOp(op: string, lexpr: AstNode, rexpr: AstNode): AstNode {
  return { A_Expr: { kind: 'AEXPR_OP', name: [str(op)], lexpr, rexpr } };
}

export function rangeVar(catalog: string | undefined, schema: string | undefined, relname: string, alias: AstNode | undefined): AstNode {
  const rv: AstNode = { relname, inh: true, relpersistence: 'p' };
  if (catalog !== undefined) rv.catalogname = catalog;
  if (schema !== undefined) rv.schemaname = schema;
  if (alias !== undefined) rv.alias = alias;
  return { RangeVar: rv };
}

export function alias(name: string, colnames?: string[]): AstNode {
  const a: AstNode = { aliasname: name };
  if (colnames !== undefined && colnames.length > 0) a.colnames = colnames.map(str);
  return a;
}

export function rangeSubselect(subquery: AstNode, a: AstNode): AstNode {
  return { RangeSubselect: { subquery, alias: a } };
}

/** The single wrapped node type name, or '' for bare structs / scalars. */
export function kindOf(node: AstNode): string {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return '';
  const keys = Object.keys(node);
  if (keys.length !== 1) return '';
  const k = keys[0]!;
  const c = k.charCodeAt(0);
  return c >= 65 && c <= 90 ? k : '';
}

/** Names of a funcname/typename/ColumnRef list (non-String items, e.g. A_Star, become '*'). */
export function names(list: AstNode[] | undefined): string[] {
  return (list ?? []).map((n: AstNode) => (n?.String ? (n.String.sval ?? '') : '*'));
}

/** The string value of a string literal (possibly wrapped in casts to text types), else undefined. */
export function stringConst(node: AstNode): string | undefined {
  const c = node?.A_Const;
  if (c?.sval !== undefined) return c.sval.sval ?? '';
  return undefined;
}

export function intConst(node: AstNode): number | undefined {
  const c = node?.A_Const;
  if (c?.ival !== undefined) return c.ival.ival ?? 0;
  return undefined;
}

export function boolConst(node: AstNode): boolean | undefined {
  const c = node?.A_Const;
  if (c?.boolval !== undefined) return c.boolval.boolval === true;
  const s = stringConst(node);
  if (s === undefined) return undefined;
  const v = s.trim().toLowerCase();
  if (['t', 'true', 'on', 'yes', 'y', '1'].includes(v)) return true;
  if (['f', 'false', 'off', 'no', 'n', '0'].includes(v)) return false;
  return undefined;
}

const TEXT_TYPE_NAMES = new Set(['text', 'varchar', 'name', 'bpchar', 'unknown']);

/** A string literal, also behind casts to text types ('hex'::text), else undefined. */
export function textConst(node: AstNode): string | undefined {
  const tc = node?.TypeCast;
  if (tc !== undefined) {
    const t = names(tc.typeName?.names).at(-1)?.toLowerCase() ?? '';
    return TEXT_TYPE_NAMES.has(t) && !tc.typeName?.arrayBounds ? textConst(tc.arg) : undefined;
  }
  return stringConst(node);
}
