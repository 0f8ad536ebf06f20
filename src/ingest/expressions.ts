/**
 * Prepares the expressions of UPDATE / DELETE / ON CONFLICT for evaluation by the commit worker
 * at the write's bus position: checked by the sandbox guard (they run in DuckDB), parameters
 * inlined as literals, and the statement-time functions (now(), CURRENT_DATE, …) frozen to the
 * moment of ingest — so a write means the same thing whenever (and however often) it is applied.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import type { ColumnDef, TableDef } from '../catalog/types.js';
import { deparseNode, nodeType, stringList } from '../sql/ast.js';
import { assertSafeQuery } from '../sql/guard.js';
import { parseSql } from '../sql/parser.js';
import type { AstNode, Cell, SetItem } from '../sql/statements.js';
import { columnTypeFromSql } from '../types/column-types.js';
import { validatorFor } from '../types/validate.js';
import type { SetExpr } from './payload.js';

export interface CompiledExpressions {
  set: SetExpr[];
  where: string | null;
}

export interface CompileOptions {
  /** Name of the old row in the expressions (the table's name or its alias). */
  alias: string;
  params: readonly (string | null)[];
  /**
   * Types DuckDB inferred for the parameters (from binding the expressions with `$n` kept, see
   * bindCheckSql); null = keep the `$n` references (that first pass). Unknown types: numbers
   * become numeric literals, anything else a string literal — as Postgres types an unknown literal.
   */
  paramTypes: readonly (string | null)[] | null;
  /** Frozen value of now() and friends. */
  now: Date;
  /** ON CONFLICT: `excluded.<col>` names the proposed row. */
  excluded: boolean;
  /** Statement name for messages ("UPDATE", "ON CONFLICT DO UPDATE"). */
  what: string;
}

const TIMESTAMPTZ_FUNCS = new Set(['now', 'transaction_timestamp', 'statement_timestamp']);

export function compileExpressions(table: TableDef, set: readonly SetItem[], whereSql: string | null, o: CompileOptions): CompiledExpressions {
  const seen = new Set<string>();
  const targets: { column: ColumnDef; sql: string | null; cell: Cell }[] = [];
  for (const item of set) {
    const column = table.columns.find((c) => c.name === item.column);
    if (!column) throw new DuckMeshError(SqlState.undefinedColumn, `column "${item.column}" of relation "${table.name}" does not exist`);
    if (seen.has(item.column)) throw new DuckMeshError(SqlState.syntaxError, `multiple assignments to same column "${item.column}"`);
    seen.add(item.column);
    targets.push({ column, sql: item.value.kind === 'expr' ? item.value.sql : null, cell: item.value });
  }
  // One SELECT holds every user expression, so the guard sees them all in one tree.
  const exprSql = targets.filter((t) => t.sql !== null).map((t) => `(${t.sql})`);
  const probe = `SELECT ${exprSql.length > 0 ? exprSql.join(', ') : '1'} FROM ${quoteIdent(o.alias)}${whereSql ? ` WHERE ${whereSql}` : ''}`;
  const tree = transformed(probe, o);
  const select = tree.SelectStmt;
  const exprs: AstNode[] = exprSql.length > 0 ? select.targetList.map((t: AstNode) => t.ResTarget.val) : [];
  let k = 0;
  const out: SetExpr[] = targets.map((t) => {
    if (t.sql !== null) return { column: t.column.name, sql: deparseNode(exprs[k++]) };
    return { column: t.column.name, sql: constantSql(t.column, t.cell, o.params, table.name) };
  });
  return { set: out, where: select.whereClause ? deparseNode(select.whereClause) : null };
}

/** A SET value that is a constant, parameter or DEFAULT: validated now, like an INSERT value. */
function constantSql(column: ColumnDef, cell: Cell, params: readonly (string | null)[], table: string): string {
  let text: string | null;
  if (cell.kind === 'default') text = column.defaultValue;
  else if (cell.kind === 'const') text = cell.value;
  else if (cell.kind === 'param') {
    if (cell.index < 1 || cell.index > params.length) throw new DuckMeshError(SqlState.undefinedParameter, `there is no parameter $${cell.index}`);
    text = params[cell.index - 1]!;
  } else throw new DuckMeshError(SqlState.internalError, 'unexpected expression cell');
  if (text === null) {
    if (column.notNull) {
      throw new DuckMeshError(SqlState.notNullViolation, `null value in column "${column.name}" of relation "${table}" violates not-null constraint`);
    }
    return `CAST(NULL AS ${column.type})`;
  }
  try {
    text = cell.kind === 'default' ? text : validatorFor(columnTypeFromSql(column.type))(text);
  } catch (err) {
    if (err instanceof DuckMeshError) throw new DuckMeshError(err.sqlstate, err.message, { detail: `column "${column.name}"` });
    throw err;
  }
  return `CAST(${quoteLiteral(text)} AS ${column.type})`;
}

/** Parses `probe`, refuses what cannot be applied at a bus position, inlines params and time. */
function transformed(probe: string, o: CompileOptions): AstNode {
  const parsed = parseSql(probe);
  if (parsed.length !== 1 || nodeType(parsed[0]!.ast) !== 'SelectStmt') {
    throw new DuckMeshError(SqlState.syntaxError, `invalid expression in ${o.what}`);
  }
  const tree = rewrite(parsed[0]!.ast, o);
  assertSafeQuery(tree);
  return tree;
}

function rewrite(node: AstNode, o: CompileOptions): AstNode {
  if (Array.isArray(node)) return node.map((n) => rewrite(n, o));
  if (node === null || typeof node !== 'object') return node;
  const type = nodeType(node);
  const body = node[type];
  switch (type) {
    case 'SubLink':
      throw new DuckMeshError(SqlState.featureNotSupported, `subqueries are not supported in ${o.what} (it is applied at its position in the write log)`);
    case 'ParamRef': {
      const i = body.number ?? 0;
      if (i < 1 || i > o.params.length) throw new DuckMeshError(SqlState.undefinedParameter, `there is no parameter $${i}`);
      if (!o.paramTypes) return node;
      return paramLiteral(o.params[i - 1] ?? null, o.paramTypes[i - 1] ?? null);
    }
    case 'FuncCall': {
      const names = stringList(body.funcname);
      const bare = (names[names.length - 1] ?? '').toLowerCase();
      if (body.over) throw new DuckMeshError(SqlState.featureNotSupported, `window functions are not allowed in ${o.what}`);
      if (TIMESTAMPTZ_FUNCS.has(bare) && (body.args ?? []).length === 0) return timeConst(o.now, 'timestamptz');
      break;
    }
    case 'SQLValueFunction': {
      const frozen = sqlValueFunction(body.op, o.now);
      if (frozen) return frozen;
      break;
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(node)) out[k] = rewrite(node[k], o);
  return out;
}

/**
 * An INSERT VALUES expression with its `$n` replaced by literals (numbers stay numbers, the rest
 * text), so the sandboxed DuckDB can evaluate it: DuckDB cannot infer a parameter's type inside
 * `$1 + 1` the way Postgres does, but it can add 4 + 1.
 */
export function inlineExpressionParams(sql: string, params: readonly (string | null)[]): string {
  const parsed = parseSql(`SELECT ${sql}`);
  const inline = (node: AstNode): AstNode => {
    if (Array.isArray(node)) return node.map(inline);
    if (node === null || typeof node !== 'object') return node;
    if (nodeType(node) === 'ParamRef') {
      const i = node.ParamRef.number ?? 0;
      if (i < 1 || i > params.length) throw new DuckMeshError(SqlState.undefinedParameter, `there is no parameter $${i}`);
      return paramLiteral(params[i - 1] ?? null, null);
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(node)) out[k] = inline(node[k]);
    return out;
  };
  const target = inline(parsed[0]!.ast.SelectStmt.targetList[0].ResTarget.val);
  return deparseNode(target);
}

const NUMBER = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function paramLiteral(value: string | null, type: string | null): AstNode {
  if (value === null) return { A_Const: { isnull: true } };
  const text = { A_Const: { sval: { sval: value } } };
  if (type) {
    const typeName = typeNameOf(type);
    if (typeName) return { TypeCast: { arg: text, typeName } };
  }
  if (NUMBER.test(value.trim())) {
    const v = value.trim();
    return /^-?\d+$/.test(v) && Math.abs(Number(v)) < 2 ** 31 ? { A_Const: { ival: { ival: Number(v) } } } : { A_Const: { fval: { fval: v } } };
  }
  return text;
}

/** A DuckDB type name as a parse-tree TypeName (via the Postgres grammar); null if it does not parse. */
function typeNameOf(type: string): AstNode | null {
  try {
    const parsed = parseSql(`SELECT CAST(NULL AS ${type})`);
    return parsed[0]?.ast.SelectStmt.targetList[0].ResTarget.val.TypeCast.typeName ?? null;
  } catch {
    return null;
  }
}

function sqlValueFunction(op: string, now: Date): AstNode | null {
  switch (op) {
    case 'SVFOP_CURRENT_TIMESTAMP':
    case 'SVFOP_CURRENT_TIMESTAMP_N':
      return timeConst(now, 'timestamptz');
    case 'SVFOP_LOCALTIMESTAMP':
    case 'SVFOP_LOCALTIMESTAMP_N':
      return timeConst(now, 'timestamp');
    case 'SVFOP_CURRENT_DATE':
      return timeConst(now, 'date');
    default:
      return null;
  }
}

function timeConst(now: Date, type: 'timestamptz' | 'timestamp' | 'date'): AstNode {
  const iso = now.toISOString();
  const text = type === 'date' ? iso.slice(0, 10) : type === 'timestamp' ? iso.replace('T', ' ').replace('Z', '') : iso;
  return { TypeCast: { arg: { A_Const: { sval: { sval: text } } }, typeName: { names: [{ String: { sval: type } }], typemod: -1 } } };
}

/**
 * A query that makes DuckDB bind the expressions against the table's live schema (no data, no
 * snapshot): unknown columns, type errors and bad functions are reported before the write is
 * acknowledged, not when the commit worker applies it.
 */
export function bindCheckSql(table: TableDef, compiled: CompiledExpressions, o: { alias: string; excluded: boolean }): string {
  const typed = table.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ');
  let from = `(SELECT ${typed}) AS ${quoteIdent(o.alias)}`;
  if (o.excluded) {
    const struct = table.columns.map((c) => `${quoteIdent(c.name)} := CAST(NULL AS ${c.type})`).join(', ');
    from += `, (SELECT struct_pack(${struct}) AS excluded) AS __dm_p`;
  }
  const cols = compiled.set.map((s) => {
    const c = table.columns.find((x) => x.name === s.column)!;
    return `CAST((${s.sql}) AS ${c.type})`;
  });
  return `SELECT ${cols.length > 0 ? cols.join(', ') : '1'} FROM ${from}${compiled.where ? ` WHERE (${compiled.where})` : ''} LIMIT 0`;
}
