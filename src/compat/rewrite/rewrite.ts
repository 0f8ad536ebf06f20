/**
 * rewriteCatalogQuery(): a client's catalog SELECT (Postgres parse tree) → DuckDB SQL over the
 * shim. Works only on the tree (handlers per node kind, see walker.ts) and deparses the result
 * with pgsql-deparser; client SQL text is never edited.
 */
import { deparseSync } from 'pgsql-parser';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { kindOf, type AstNode } from './ast.js';
import { rewriteIndirection, rewriteTypeCast } from './casts.js';
import type { RewriteContext, RewriteResult } from './context.js';
import { rewriteFuncCall } from './functions.js';
import { rewriteAExpr, rewriteJoinExpr } from './operators.js';
import { rewriteRangeFunction, rewriteRangeVar } from './relations.js';
import { rewriteSelectStmt } from './select.js';
import { sqlValueFunction } from './session-values.js';
import { vectorNames } from './vectors.js';
import { collectCteNames, createWalker, type Handler } from './walker.js';

export type { RewriteContext, RewriteResult, SetConfigCall } from './context.js';

const HANDLERS: Readonly<Record<string, Handler>> = {
  SelectStmt: (w, b) => rewriteSelectStmt(w, b),
  CaseExpr: (w, b, display) => ({
    CaseExpr: {
      ...w.fields({ ...b, args: undefined, defresult: undefined }),
      ...(b.args ? { args: b.args.map((a: AstNode) => (a.CaseWhen ? { CaseWhen: { ...a.CaseWhen, expr: w.x(a.CaseWhen.expr), result: w.x(a.CaseWhen.result, display) } } : w.x(a))) } : {}),
      ...(b.defresult !== undefined ? { defresult: w.x(b.defresult, display) } : {}),
    },
  }),
  CoalesceExpr: (w, b, display) => ({ CoalesceExpr: { ...b, args: (b.args ?? []).map((a: AstNode) => w.x(a, display)) } }),
  RangeVar: (w, b) => rewriteRangeVar(w, b),
  RangeFunction: (w, b) => rewriteRangeFunction(w, b),
  FuncCall: (w, b) => rewriteFuncCall(w, b),
  TypeCast: (w, b, display) => rewriteTypeCast(w, b, display),
  A_Expr: (w, b) => rewriteAExpr(w, b),
  JoinExpr: (w, b) => rewriteJoinExpr(w, b),
  A_Indirection: (w, b) => rewriteIndirection(w, b),
  // COLLATE pg_catalog."default" / "C": DuckDB compares bytes, which is what C collation means.
  CollateClause: (w, b, display) => w.x(b.arg, display),
  SQLValueFunction: (w, b) => sqlValueFunction(w.ctx, b.op) ?? { SQLValueFunction: b },
  ColumnRef: (_w, b) => {
    // pg_catalog.pg_class.oid → pg_class.oid (the shim range keeps the relation name as alias).
    const f: AstNode[] = b.fields ?? [];
    const first = f[0]?.String?.sval;
    if (f.length >= 3 && (first === 'pg_catalog' || first === 'information_schema')) return { ColumnRef: { ...b, fields: f.slice(1) } };
    return { ColumnRef: b };
  },
};

/** Like rewriteCatalogQuery, also reporting set_config() calls the session should apply. */
export function rewriteCatalogQueryDetailed(ast: AstNode, ctx: RewriteContext): RewriteResult {
  const k = kindOf(ast);
  let stmt = ast;
  let explain: AstNode | undefined;
  if (k === 'ExplainStmt') {
    explain = ast.ExplainStmt;
    stmt = explain.query;
  }
  if (kindOf(stmt) !== 'SelectStmt') {
    throw new DuckMeshError(SqlState.featureNotSupported, 'only SELECT statements can read the catalog');
  }
  const w = createWalker(ctx, { cteNames: collectCteNames(stmt), vectors: vectorNames(stmt) }, HANDLERS);
  const rewritten = w.x(stmt);
  const out = explain !== undefined ? { ExplainStmt: { ...explain, query: rewritten } } : rewritten;
  return { sql: deparseSync(out, { pretty: false }), setConfig: w.setConfig };
}

/** DuckDB SQL answering the catalog query `ast` (a SelectStmt or EXPLAIN of one) for the session `ctx`. */
export function rewriteCatalogQuery(ast: AstNode, ctx: RewriteContext): string {
  return rewriteCatalogQueryDetailed(ast, ctx).sql;
}
