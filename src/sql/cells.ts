/**
 * Decodes value expressions (VALUES items, SET right-hand sides, EXECUTE arguments, column
 * DEFAULTs) into Cells. This is the ingest hot path, so constants are read straight off the
 * tree; only genuinely computed expressions pay for a deparse.
 */
import { deparseNode, typeRefOf } from './ast.js';
import type { AstNode, Cell, TypeRef } from './statements.js';

const DEFAULT_CELL: Cell = Object.freeze({ kind: 'default' }) as Cell;

export function decodeCell(node: AstNode): Cell {
  const c = node.A_Const;
  if (c !== undefined) {
    const v = constValue(c);
    if (v !== undefined) return { kind: 'const', value: v, typeHint: null };
    return expr(node);
  }
  if (node.ParamRef !== undefined) return { kind: 'param', index: node.ParamRef.number ?? 0, typeHint: null };
  if (node.SetToDefault !== undefined) return DEFAULT_CELL;
  if (node.TypeCast !== undefined) return decodeCast(node, node.TypeCast, false);
  if (node.A_Expr !== undefined) {
    const folded = foldUnary(node.A_Expr);
    if (folded) return folded;
  }
  return expr(node);
}

/** A_Const body → value; undefined for constants we do not decode (bit strings). */
function constValue(c: AstNode): string | null | undefined {
  // Protobuf JSON omits zero values: `{ ival: {} }` is 0, `{ boolval: {} }` is false.
  if (c.ival !== undefined) return c.ival.ival === undefined ? '0' : String(c.ival.ival);
  if (c.sval !== undefined) return c.sval.sval ?? '';
  if (c.fval !== undefined) return c.fval.fval ?? '0';
  if (c.isnull) return null;
  if (c.boolval !== undefined) return c.boolval.boolval ? 'true' : 'false';
  return undefined;
}

/** `'x'::type`, `NULL::type`, `$1::type`, `-5::type` (negate=true when under a unary minus). */
function decodeCast(node: AstNode, cast: AstNode, negate: boolean): Cell {
  const typeHint: TypeRef | null = typeRefOf(cast.typeName);
  const arg = cast.arg;
  if (typeHint !== null && arg !== undefined) {
    const c = arg.A_Const;
    if (c !== undefined) {
      const v = constValue(c);
      if (v !== undefined) {
        if (!negate) return { kind: 'const', value: v, typeHint };
        if (v !== null && (c.ival !== undefined || c.fval !== undefined)) {
          return { kind: 'const', value: negateNumber(v), typeHint };
        }
      }
    } else if (!negate && arg.ParamRef !== undefined) {
      return { kind: 'param', index: arg.ParamRef.number ?? 0, typeHint };
    }
  }
  return expr(node);
}

/** Unary minus/plus over a numeric constant (the grammar folds most, not `- 5::int` or `- (-1)`). */
function foldUnary(e: AstNode): Cell | null {
  if (e.kind !== 'AEXPR_OP' || e.lexpr !== undefined || e.rexpr === undefined) return null;
  const name = e.name;
  if (!name || name.length !== 1) return null;
  const op = name[0].String?.sval;
  if (op !== '-' && op !== '+') return null;
  const r = e.rexpr;
  const c = r.A_Const;
  if (c !== undefined && (c.ival !== undefined || c.fval !== undefined)) {
    const v = constValue(c)!;
    return { kind: 'const', value: op === '-' ? negateNumber(v) : v, typeHint: null };
  }
  if (r.TypeCast !== undefined && op === '-') {
    const cell = decodeCast(r, r.TypeCast, true);
    return cell.kind === 'const' ? cell : null;
  }
  if (r.A_Expr !== undefined) {
    const inner = foldUnary(r.A_Expr);
    if (inner && inner.kind === 'const' && inner.typeHint === null && inner.value !== null) {
      return { kind: 'const', value: op === '-' ? negateNumber(inner.value) : inner.value, typeHint: null };
    }
  }
  return null;
}

function negateNumber(v: string): string {
  return v.charCodeAt(0) === 45 /* - */ ? v.slice(1) : '-' + v;
}

function expr(node: AstNode): Cell {
  return { kind: 'expr', sql: deparseNode(node) };
}
