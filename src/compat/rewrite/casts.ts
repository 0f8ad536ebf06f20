/**
 * Type casts. DuckDB has none of Postgres' object-identifier types, so:
 * - `::regclass` & co. resolve names to the shim's OIDs (constants through a lookup subquery
 *   against the snapshot's pg_class, which raises "relation … does not exist" like Postgres) and
 *   print OIDs as names where the value is output (`c.oid::regclass` in a select list, or any
 *   reg value cast to text);
 * - `::oid`, `::xid` → BIGINT; `::name`, `::"char"`, int2vector, aclitem, … → VARCHAR; jsonb → json;
 * - Postgres array literals ('{a,b}'::text[]) become list constructors.
 */
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { namespaceOid } from '../object-ids.js';
import { parseQualifiedName, pgQuoteIdent } from '../pg-ident.js';
import { typeOidFromName } from '../pg-types.js';
import { PG_CATALOG_SHIM_SCHEMA } from '../names.js';
import { quoteIdent, quoteLiteral } from '../sql-build.js';
import { parseArrayLiteral } from './array-literal.js';
import {
  aConst,
  arrayExpr,
  binaryOp,
  intConst,
  kindOf,
  names,
  stringConst,
  typeCast,
  type AstNode,
} from './ast.js';
import { visibleSchemas, type RewriteContext } from './context.js';
import { parseExpr } from './fragments.js';
import { helperCall } from './shim-registry.js';
import { isVectorExpr, vectorColumn, vectorToList } from './vectors.js';
import type { Walker } from './walker.js';

const REG_TYPES = new Set(['regclass', 'regtype', 'regproc', 'regprocedure', 'regnamespace', 'regrole', 'regoper',
  'regoperator', 'regconfig', 'regdictionary', 'regcollation']);
const TEXT_TYPES = new Set(['text', 'name', 'varchar', 'char', 'cstring', 'unknown', 'bpchar']);
const OID_TYPES = new Set(['oid', 'xid', 'xid8', 'cid']);
/** Catalog types without a DuckDB counterpart whose text form is what clients use. */
const AS_TEXT = new Set(['int2vector', 'oidvector', 'aclitem', 'pg_node_tree', 'pg_lsn', 'inet', 'cidr', 'macaddr',
  'macaddr8', 'regconfig', 'tsvector', 'tsquery', 'pg_ndistinct', 'pg_dependencies', 'pg_mcv_list', 'anyarray']);
/** Element type name → DuckDB type for list constructors built from array literals. */
const LIST_ELEMENT: Readonly<Record<string, string>> = {
  int2: 'smallint', int4: 'integer', int8: 'bigint', oid: 'bigint', float4: 'real', float8: 'double',
  bool: 'boolean', numeric: 'numeric',
};

type Mode = 'name' | 'oid';

interface Target {
  name: string;
  arrayDims: number;
  typeName: AstNode;
}

function target(tn: AstNode): Target {
  const n = names(tn?.names).map((s) => s.toLowerCase());
  return { name: n[n.length - 1] ?? '', arrayDims: tn?.arrayBounds?.length ?? 0, typeName: tn };
}

/** A cast's arg with casts to text types peeled off: `'x'::text::regclass` → 'x'. */
function constArg(node: AstNode): AstNode {
  if (kindOf(node) === 'TypeCast' && TEXT_TYPES.has(target(node.TypeCast.typeName).name)) return constArg(node.TypeCast.arg);
  return node;
}

const TEXTUAL_FUNCTIONS = new Set(['format', 'concat', 'concat_ws', 'quote_ident', 'replace', 'lower', 'upper', 'btrim',
  'trim', 'substring', 'substr', 'left', 'right', 'current_schema', 'current_user']);

/** Expressions that evaluate to text, i.e. names to look up rather than OIDs to keep. */
function looksTextual(node: AstNode): boolean {
  const k = kindOf(node);
  // An untyped parameter is text input, as in Postgres ($1::regclass with 'public.t').
  if (k === 'ParamRef') return true;
  if (k === 'A_Const') return node.A_Const.sval !== undefined;
  if (k === 'A_Expr') return names(node.A_Expr.name).at(-1) === '||';
  if (k === 'FuncCall') return TEXTUAL_FUNCTIONS.has(names(node.FuncCall.funcname).at(-1)?.toLowerCase() ?? '');
  if (k === 'TypeCast') return TEXT_TYPES.has(target(node.TypeCast.typeName).name);
  return false;
}

function invalidName(text: string): DuckMeshError {
  return new DuckMeshError('42602', `invalid name syntax`, { detail: `"${text}" is not a valid name` });
}

/** `COALESCE((SELECT oid … relname/nspname match …), error(…))` for a constant relation name. */
function regclassLookup(ctx: RewriteContext, text: string): AstNode {
  let parts = parseQualifiedName(text);
  if (parts === undefined) throw invalidName(text);
  if (parts.length === 3) {
    if (parts[0] !== ctx.database) {
      throw new DuckMeshError(SqlState.featureNotSupported, `cross-database references are not implemented: ${text}`);
    }
    parts = parts.slice(1);
  }
  if (parts.length > 2) throw invalidName(text);
  const vis = visibleSchemas(ctx);
  const list = `ARRAY[${vis.map(quoteLiteral).join(', ')}]`;
  const rel = parts[parts.length - 1]!;
  const where = parts.length === 2
    ? `__dm_nspname = ${quoteLiteral(parts[0]!)} AND __dm_relname = ${quoteLiteral(rel)}`
    : `__dm_relname = ${quoteLiteral(rel)} AND list_contains(${list}, __dm_nspname)`;
  const from = `${quoteIdent(ctx.catalogName)}.${quoteIdent(PG_CATALOG_SHIM_SCHEMA)}.__dm_relnames`;
  const message = `relation "${text}" does not exist`;
  return parseExpr(`COALESCE((SELECT __dm_oid FROM ${from} WHERE ${where} ORDER BY list_position(${list}, __dm_nspname) LIMIT 1), error(${quoteLiteral(message)}))`);
}

function schemasArg(ctx: RewriteContext): AstNode {
  return arrayExpr(visibleSchemas(ctx).map((s) => aConst(s)));
}

/** Casts a value (constant or not) to a reg* type, producing an OID (numeric) or its printed name. */
function regCast(w: Walker, kind: string, arg: AstNode, mode: Mode): AstNode {
  const ctx = w.ctx;
  const c = constArg(arg);
  let s = stringConst(c);
  let i = intConst(c);
  if (s !== undefined && /^\s*\d+\s*$/.test(s)) {
    i = Number(s);
    s = undefined;
  }
  const snapshot = (name: string, args: AstNode[]) => helperCall(ctx, 'snapshot', name, args);
  const asBigint = (x: AstNode) => typeCast(x, ['bigint']);
  switch (kind) {
    case 'regclass': {
      const oidExpr = i !== undefined ? aConst(i) : s !== undefined ? regclassLookup(ctx, s) : undefined;
      if (oidExpr !== undefined) return mode === 'name' ? snapshot('__dm_regclass_out', [oidExpr, schemasArg(ctx)]) : oidExpr;
      if (mode === 'name') return snapshot('__dm_regclass_out', [w.x(arg), schemasArg(ctx)]);
      return looksTextual(arg) ? snapshot('__dm_regclass_in', [w.x(arg), schemasArg(ctx)]) : asBigint(w.x(arg));
    }
    case 'regtype': {
      let oid = i;
      if (s !== undefined) {
        oid = typeOidFromName(s);
        if (oid === undefined) throw new DuckMeshError(SqlState.undefinedObject, `type "${s.trim()}" does not exist`);
      }
      if (oid !== undefined) return mode === 'name' ? snapshot('__dm_regtype_out', [aConst(oid)]) : aConst(oid);
      if (mode === 'name') return snapshot('__dm_regtype_out', [w.x(arg)]);
      return looksTextual(arg) ? helperCall(ctx, 'instance', 'to_regtype', [w.x(arg)]) : asBigint(w.x(arg));
    }
    case 'regproc':
    case 'regprocedure': {
      // regproc columns hold function names (what Postgres prints), so constants become names too.
      if (s !== undefined) return aConst(s.replace(/\(.*$/s, '').split('.').pop()!.trim().replace(/^"(.*)"$/, '$1'));
      if (i !== undefined) return aConst(i === 0 ? '-' : String(i));
      return typeCast(w.x(arg), ['varchar']);
    }
    case 'regnamespace': {
      if (s !== undefined) {
        const parts = parseQualifiedName(s);
        if (parts === undefined || parts.length !== 1) throw invalidName(s);
        return mode === 'name' ? aConst(pgQuoteIdent(parts[0]!)) : aConst(namespaceOid(parts[0]!));
      }
      const x = i !== undefined ? aConst(i) : w.x(arg);
      if (mode === 'name') return snapshot('__dm_regnamespace_out', [x]);
      return i === undefined && looksTextual(arg) ? snapshot('to_regnamespace', [x]) : i !== undefined ? x : asBigint(x);
    }
    case 'regrole': {
      if (s !== undefined) {
        const parts = parseQualifiedName(s);
        if (parts === undefined || parts.length !== 1) throw invalidName(s);
        if (mode === 'name') return aConst(pgQuoteIdent(parts[0]!));
        return parseExpr(`COALESCE(${quoteIdent(ctx.catalogName)}.${quoteIdent(PG_CATALOG_SHIM_SCHEMA)}.to_regrole(${quoteLiteral(s)}), error(${quoteLiteral(`role "${parts[0]}" does not exist`)}))`);
      }
      const x = i !== undefined ? aConst(i) : w.x(arg);
      if (mode === 'name') return snapshot('__dm_regrole_out', [x]);
      return i === undefined && looksTextual(arg) ? snapshot('to_regrole', [x]) : i !== undefined ? x : asBigint(x);
    }
    default:
      // regoper, regconfig, …: no such objects in DuckMesh; keep the text or the number.
      if (s !== undefined) return mode === 'name' ? aConst(s) : aConst(0);
      return mode === 'name' ? typeCast(w.x(arg), ['varchar']) : asBigint(w.x(arg));
  }
}

/** `'{a,b}'` → ARRAY['a','b'] typed as the target's element type. */
function arrayLiteral(text: string, t: Target): AstNode | undefined {
  const values = parseArrayLiteral(text);
  if (values === undefined) return undefined;
  const elem = LIST_ELEMENT[t.name];
  const list = arrayExpr(values.map((v) => aConst(v)));
  return typeCast(list, [elem ?? 'varchar'], 1);
}

export function rewriteTypeCast(w: Walker, b: AstNode, display: boolean): AstNode {
  const t = target(b.typeName);
  const arg = b.arg;
  if (REG_TYPES.has(t.name)) {
    if (t.arrayDims > 0) {
      const list = isVectorExpr(arg, w.vectors) ? vectorToList(w.x(vectorColumn(arg))) : w.x(arg);
      if (t.name === 'regtype' && display) return helperCall(w.ctx, 'instance', '__dm_regtype_list', [list]);
      return typeCast(list, [t.name === 'regtype' || t.name === 'regclass' ? 'bigint' : 'varchar'], 1);
    }
    return regCast(w, t.name, arg, display ? 'name' : 'oid');
  }
  const argKind = kindOf(arg);
  if (t.arrayDims > 0) {
    const s = stringConst(arg);
    if (s !== undefined) {
      const lit = arrayLiteral(s, t);
      if (lit !== undefined) return lit;
    }
    if (isVectorExpr(arg, w.vectors)) return typeCast(vectorToList(w.x(vectorColumn(arg))), [LIST_ELEMENT[t.name] ?? 'bigint'], 1);
    if (TEXT_TYPES.has(t.name) || AS_TEXT.has(t.name)) return typeCast(w.x(arg, true), ['varchar'], t.arrayDims);
    if (OID_TYPES.has(t.name)) return typeCast(w.x(arg), ['bigint'], t.arrayDims);
    if (t.name === 'jsonb') return typeCast(w.x(arg), ['json'], t.arrayDims);
    return { TypeCast: { ...b, arg: w.x(arg) } };
  }
  if (TEXT_TYPES.has(t.name)) {
    // A reg value printed as text is its name: c.oid::regclass::text.
    if (argKind === 'TypeCast' && REG_TYPES.has(target(arg.TypeCast.typeName).name) && !arg.TypeCast.typeName.arrayBounds) {
      return typeCast(regCast(w, target(arg.TypeCast.typeName).name, arg.TypeCast.arg, 'name'), ['varchar']);
    }
    const keep = t.name === 'varchar' || t.name === 'text' || (t.name === 'bpchar' && (b.typeName.typmods?.length ?? 0) > 0);
    return keep ? { TypeCast: { ...b, arg: w.x(arg, true) } } : typeCast(w.x(arg, true), ['varchar']);
  }
  if (OID_TYPES.has(t.name)) {
    if (argKind === 'TypeCast' && REG_TYPES.has(target(arg.TypeCast.typeName).name) && !arg.TypeCast.typeName.arrayBounds) {
      return typeCast(regCast(w, target(arg.TypeCast.typeName).name, arg.TypeCast.arg, 'oid'), ['bigint']);
    }
    return typeCast(w.x(arg), ['bigint']);
  }
  if (AS_TEXT.has(t.name)) return typeCast(w.x(arg), ['varchar']);
  if (t.name === 'jsonb') return typeCast(w.x(arg), ['json']);
  return { TypeCast: { ...b, arg: w.x(arg) } };
}

/** `x[i]` on an int2vector/oidvector column: list conversion, and Postgres' 0-based subscripts. */
export function rewriteIndirection(w: Walker, b: AstNode): AstNode {
  const ind: AstNode[] = b.indirection ?? [];
  if (isVectorExpr(b.arg, w.vectors) && ind.length > 0 && ind[0]?.A_Indices) {
    const shift = (n: AstNode) => (n === undefined ? undefined : binaryOp('+', w.x(n), aConst(1)));
    const first = ind[0].A_Indices;
    const idx: AstNode = { ...first };
    if (first.uidx !== undefined) idx.uidx = shift(first.uidx);
    if (first.lidx !== undefined) idx.lidx = shift(first.lidx);
    return { A_Indirection: { arg: vectorToList(w.x(vectorColumn(b.arg))), indirection: [{ A_Indices: idx }, ...ind.slice(1).map((n) => w.x(n))] } };
  }
  return { A_Indirection: w.fields(b) };
}
