/**
 * Parses SQL the rewriter itself generates (lookup subqueries, session relations) into parse
 * trees to splice into the client's tree. Only trusted text built from constants goes through
 * here; client SQL is never re-parsed or edited as text.
 */
import { parseSql } from '../../sql/parser.js';
import type { AstNode } from './ast.js';

/** `{ SelectStmt }` of one generated query. */
export function parseSelect(sql: string): AstNode {
  const stmts = parseSql(sql);
  if (stmts.length !== 1) throw new Error(`generated SQL is not one statement: ${sql}`);
  return stmts[0]!.ast;
}

/** One generated expression. */
export function parseExpr(sql: string): AstNode {
  return parseSelect(`SELECT ${sql}`).SelectStmt.targetList[0].ResTarget.val;
}
