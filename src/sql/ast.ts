/**
 * Small accessors for libpg-query's protobuf-JSON parse trees. Protobuf JSON omits default
 * values (0, false, '', empty lists), so every accessor supplies the default itself.
 */
import { deparseSync } from 'pgsql-parser';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { AstNode, TypeRef } from './statements.js';

/** `{ SelectStmt: {...} }` → 'SelectStmt'. */
export function nodeType(node: AstNode): string {
  if (node === null || typeof node !== 'object') return '';
  for (const k in node) return k;
  return '';
}

/** Body of a wrapped node if it is of `type`, else undefined. */
export function asNode(node: AstNode, type: string): AstNode | undefined {
  return node !== null && typeof node === 'object' ? node[type] : undefined;
}

/** `{ String: { sval } }` → sval ('' when omitted). Undefined for non-String nodes. */
export function stringValue(node: AstNode): string | undefined {
  const s = asNode(node, 'String');
  return s === undefined ? undefined : (s.sval ?? '');
}

/** A list of String nodes (names, column lists) → string[]; throws on anything else. */
export function stringList(nodes: AstNode[] | undefined): string[] {
  if (!nodes) return [];
  return nodes.map((n) => {
    const s = stringValue(n);
    if (s === undefined) throw unsupported(`unexpected ${nodeType(n)} in a name list`);
    return s;
  });
}

/** List node items (`{ List: { items } }`) or a bare array. */
export function listItems(node: AstNode): AstNode[] {
  if (Array.isArray(node)) return node;
  return asNode(node, 'List')?.items ?? [];
}

/** Relation (bare RangeVar fields) → schema/name, rejecting 3-part names. */
export function relationName(rel: AstNode): { schema: string | null; name: string } {
  if (rel.catalogname) {
    throw new DuckMeshError(
      SqlState.featureNotSupported,
      `cross-database references are not implemented: "${rel.catalogname}.${rel.schemaname}.${rel.relname}"`,
    );
  }
  return { schema: rel.schemaname ?? null, name: rel.relname ?? '' };
}

/**
 * TypeName → TypeRef. Returns null when a type modifier is not an integer constant (callers decide
 * whether that is an error) or the type uses %TYPE / SETOF.
 */
export function typeRefOf(typeName: AstNode): TypeRef | null {
  if (!typeName || typeName.pct_type || typeName.setof) return null;
  const names = stringList(typeName.names);
  const typmods: number[] = [];
  if (typeName.typmods) {
    for (const m of typeName.typmods) {
      const c = asNode(m, 'A_Const');
      if (!c || !c.ival) return null;
      typmods.push(c.ival.ival ?? 0);
    }
  }
  return { names, typmods, arrayDims: typeName.arrayBounds ? typeName.arrayBounds.length : 0 };
}

/** Deparses an expression or statement node to single-line Postgres SQL. */
export function deparseNode(node: AstNode): string {
  return deparseSync(node, { pretty: false });
}

export function unsupported(message: string): DuckMeshError {
  return new DuckMeshError(SqlState.featureNotSupported, message);
}

/** A DefElem's argument as text, the way utility statements read their options. */
export function defElemValue(arg: AstNode): string | string[] | null {
  if (arg === undefined || arg === null) return null;
  switch (nodeType(arg)) {
    case 'String':
      return arg.String.sval ?? '';
    case 'Integer':
      return String(arg.Integer.ival ?? 0);
    case 'Float':
      return arg.Float.fval ?? '0';
    case 'Boolean':
      return arg.Boolean.boolval ? 'true' : 'false';
    case 'A_Star':
      return '*';
    case 'A_Const':
      return constText(arg.A_Const);
    case 'TypeName':
      return stringList(arg.TypeName.names).join('.');
    case 'List':
      return listItems(arg).map((i) => {
        const v = defElemValue(i);
        return Array.isArray(v) ? v.join(', ') : (v ?? '');
      });
    default:
      return deparseNode(arg);
  }
}

/** A_Const body → text ('' / 0 / false when protobuf omitted the value), null for NULL. */
export function constText(c: AstNode): string | null {
  if (c.isnull) return null;
  if (c.ival) return String(c.ival.ival ?? 0);
  if (c.sval) return c.sval.sval ?? '';
  if (c.fval) return c.fval.fval ?? '0';
  if (c.boolval) return c.boolval.boolval ? 'true' : 'false';
  if (c.bsval) return c.bsval.bsval ?? '';
  return null;
}
