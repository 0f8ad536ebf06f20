/**
 * COPY is executed by a dedicated handler (bulk ingest / export); classification only lifts
 * out what that handler needs so it never has to read the raw tree.
 */
import { defElemValue, deparseNode, relationName, stringList } from './ast.js';
import type { AstNode, CopyOptionValue, CopyStatement, ParsedStatement } from './statements.js';
import { codeTokens, matchingParen } from './tokens.js';

export function classifyCopy(p: ParsedStatement, s: AstNode): CopyStatement {
  const rel = s.relation ? relationName(s.relation) : null;
  const options: Record<string, CopyOptionValue> = {};
  for (const o of s.options ?? []) {
    const d = o.DefElem;
    // An option without a value (HEADER, FREEZE) means true, as Postgres' defGetBoolean reads it.
    if (d) options[String(d.defname).toLowerCase()] = d.arg === undefined ? 'true' : defElemValue(d.arg);
  }
  return {
    kind: 'copy',
    ast: { CopyStmt: s },
    schema: rel?.schema ?? null,
    table: rel?.name ?? null,
    columns: s.attlist ? stringList(s.attlist) : null,
    isFrom: s.is_from === true,
    isProgram: s.is_program === true,
    filename: s.filename ?? null,
    options,
    query: s.query ? queryText(p, s.query) : null,
    whereSql: s.whereClause ? deparseNode(s.whereClause) : null,
  };
}

/** Text between the parentheses of COPY ( query ) TO ...; deparsed if the scanner disagrees. */
function queryText(p: ParsedStatement, query: AstNode): string {
  try {
    const tokens = codeTokens(p.text);
    if (tokens[1]?.text === '(') {
      const close = matchingParen(tokens, 1);
      if (close > 2) return p.text.slice(tokens[2]!.start, tokens[close - 1]!.end);
    }
  } catch {
    // fall through
  }
  return deparseNode(query);
}
