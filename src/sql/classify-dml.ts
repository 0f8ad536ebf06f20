/**
 * INSERT / UPDATE / DELETE → the shapes the ingest bus understands. VALUES rows are decoded
 * cell by cell straight from the tree (the ingest hot path); predicates and computed values are
 * deparsed so a later stage can evaluate them in DuckDB.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import { deparseNode, nodeType, relationName, unsupported } from './ast.js';
import { decodeCell } from './cells.js';
import { OffsetMapper } from './offsets.js';
import { parseSql } from './parser.js';
import type {
  AstNode,
  Cell,
  DeleteStatement,
  InsertSource,
  InsertStatement,
  OnConflict,
  ParsedStatement,
  SetItem,
  UpdateStatement,
} from './statements.js';
import { codeTokens, findTopLevel, matchingParen, type Token } from './tokens.js';

export function classifyInsert(p: ParsedStatement, s: AstNode): InsertStatement {
  if (s.override && s.override !== 'OVERRIDING_NOT_SET') throw unsupported('INSERT ... OVERRIDING is not supported');
  const rel = s.relation;
  const { schema, name } = relationName(rel);
  const columns = s.cols ? s.cols.map(insertColumn) : null;
  const returning = (s.returningClause?.exprs?.length ?? s.returningList?.length ?? 0) > 0;
  return {
    kind: 'insert',
    schema,
    table: name,
    alias: rel.alias?.aliasname ?? null,
    columns,
    source: insertSource(p, s),
    onConflict: s.onConflictClause ? onConflict(s.onConflictClause) : null,
    returning,
  };
}

function insertColumn(n: AstNode): string {
  const rt = n.ResTarget;
  if (rt.indirection) throw unsupported(`INSERT into a subfield or array element of column "${rt.name}" is not supported`);
  return rt.name;
}

function insertSource(p: ParsedStatement, s: AstNode): InsertSource {
  const sel = s.selectStmt?.SelectStmt;
  if (sel === undefined) {
    if (s.selectStmt !== undefined) throw unsupported(`INSERT source ${nodeType(s.selectStmt)} is not supported`);
    return { kind: 'defaultValues' };
  }
  if (s.withClause) {
    // WITH ... INSERT INTO t SELECT: the CTEs belong to the source query, so hand them down.
    if (sel.withClause) throw unsupported('WITH on both INSERT and its source query is not supported');
    const merged = { SelectStmt: { ...sel, withClause: s.withClause } };
    return { kind: 'select', sql: deparseNode(merged), ast: merged };
  }
  if (isPlainValues(sel)) return { kind: 'values', rows: decodeRows(p, sel.valuesLists) };
  return { kind: 'select', sql: sliceInsertQuery(p, s) ?? deparseNode(s.selectStmt), ast: s.selectStmt };
}

function isPlainValues(sel: AstNode): boolean {
  return (
    sel.valuesLists !== undefined &&
    sel.sortClause === undefined &&
    sel.limitCount === undefined &&
    sel.limitOffset === undefined &&
    sel.withClause === undefined &&
    sel.lockingClause === undefined
  );
}

function decodeRows(p: ParsedStatement, lists: AstNode[]): Cell[][] {
  const rows: Cell[][] = new Array(lists.length);
  let width = -1;
  for (let r = 0; r < lists.length; r++) {
    const items: AstNode[] = lists[r].List?.items ?? [];
    if (width === -1) width = items.length;
    else if (items.length !== width) {
      throw new DuckMeshError(SqlState.syntaxError, 'VALUES lists must all be the same length', {
        position: firstLocation(p, items),
      });
    }
    const row: Cell[] = new Array(items.length);
    for (let c = 0; c < items.length; c++) row[c] = decodeCell(items[c]);
    rows[r] = row;
  }
  return rows;
}

function firstLocation(p: ParsedStatement, items: AstNode[]): number | undefined {
  const first = items[0];
  if (!first) return undefined;
  const body = first[nodeType(first)];
  return typeof body?.location === 'number' && body.location >= 0
    ? new OffsetMapper(p.source).position(body.location)
    : undefined;
}

function onConflict(oc: AstNode): OnConflict {
  const target: string[] = [];
  const infer = oc.infer;
  if (infer) {
    if (infer.conname) throw unsupported('ON CONFLICT ON CONSTRAINT is not supported');
    if (infer.whereClause) throw unsupported('ON CONFLICT with an index predicate is not supported');
    for (const e of infer.indexElems ?? []) {
      const ie = e.IndexElem;
      if (!ie?.name || ie.expr) throw unsupported('ON CONFLICT on an expression is not supported');
      target.push(ie.name);
    }
  }
  const action: 'nothing' | 'update' = oc.action === 'ONCONFLICT_UPDATE' ? 'update' : 'nothing';
  if (oc.action !== 'ONCONFLICT_UPDATE' && oc.action !== 'ONCONFLICT_NOTHING') {
    throw unsupported(`ON CONFLICT action ${String(oc.action)} is not supported`);
  }
  return {
    action,
    target,
    set: action === 'update' ? setItems(oc.targetList ?? []) : [],
    whereSql: oc.whereClause ? deparseNode(oc.whereClause) : null,
  };
}

/** SET a = x, (b, c) = (y, z). `excluded.col` and other expressions become `expr` cells. */
function setItems(targets: AstNode[]): SetItem[] {
  return targets.map((t) => {
    const rt = t.ResTarget;
    if (rt.indirection) throw unsupported(`assignment to a subfield or array element of column "${rt.name}" is not supported`);
    const mar = rt.val?.MultiAssignRef;
    if (mar) {
      const row = mar.source?.RowExpr;
      if (!row) throw unsupported('multiple-column assignment from a sub-SELECT is not supported');
      return { column: rt.name, value: decodeCell(row.args[mar.colno - 1]) };
    }
    return { column: rt.name, value: decodeCell(rt.val) };
  });
}

export function classifyUpdate(s: AstNode): UpdateStatement {
  if (s.withClause) throw unsupported('WITH on UPDATE is not supported');
  if (s.fromClause) throw unsupported('UPDATE ... FROM is not supported');
  if (s.returningClause?.exprs || s.returningList) throw unsupported('UPDATE ... RETURNING is not supported');
  const { schema, name } = relationName(s.relation);
  return {
    kind: 'update',
    schema,
    table: name,
    alias: s.relation.alias?.aliasname ?? null,
    set: setItems(s.targetList ?? []),
    whereSql: whereSql(s.whereClause),
  };
}

export function classifyDelete(s: AstNode): DeleteStatement {
  if (s.withClause) throw unsupported('WITH on DELETE is not supported');
  if (s.usingClause) throw unsupported('DELETE ... USING is not supported');
  if (s.returningClause?.exprs || s.returningList) throw unsupported('DELETE ... RETURNING is not supported');
  const { schema, name } = relationName(s.relation);
  return {
    kind: 'delete',
    schema,
    table: name,
    alias: s.relation.alias?.aliasname ?? null,
    whereSql: whereSql(s.whereClause),
  };
}

function whereSql(where: AstNode): string | null {
  if (!where) return null;
  if (where.CurrentOfExpr) throw unsupported('WHERE CURRENT OF is not supported');
  return deparseNode(where);
}

/**
 * The source query's own text inside `INSERT INTO t [AS a] [(cols)] <query> [ON CONFLICT ...]
 * [RETURNING ...]`, found with the scanner and verified by re-parsing; null to fall back to deparse.
 */
function sliceInsertQuery(p: ParsedStatement, s: AstNode): string | null {
  try {
    const tokens = codeTokens(p.text);
    const mapper = new OffsetMapper(p.source);
    const relStart = mapper.index(s.relation.location) - p.location;
    let i = tokens.findIndex((t) => t.start === relStart);
    if (i < 0) return null;
    i++;
    while (tokens[i]?.text === '.') i += 2;
    if (s.relation.alias) {
      if (tokens[i]?.lower !== 'as') return null;
      i += 2;
    }
    if (s.cols) {
      if (tokens[i]?.text !== '(') return null;
      const close = matchingParen(tokens, i);
      if (close < 0) return null;
      i = close + 1;
    }
    const first: Token | undefined = tokens[i];
    if (!first) return null;
    let end = p.text.length;
    if (s.onConflictClause) {
      end = mapper.index(s.onConflictClause.location) - p.location;
    } else if (s.returningClause || s.returningList) {
      const r = findTopLevel(tokens, 'returning', i);
      if (r < 0) return null;
      end = tokens[r]!.start;
    }
    const sql = p.text.slice(first.start, end).trim();
    const check = parseSql(sql);
    return check.length === 1 && nodeType(check[0]!.ast) === 'SelectStmt' ? check[0]!.text : null;
  } catch {
    return null;
  }
}
