/**
 * DuckDB-dialect SELECTs (GROUP BY ALL, SELECT * EXCLUDE, QUALIFY, FROM-first, ...) that the
 * Postgres grammar rejects. DuckDB parses them itself; we inspect DuckDB's own parse tree with
 * the same policy as the Postgres guard *before* anything is bound (binding a table function
 * such as read_csv already touches the file system), then prepare to confirm it is a SELECT and
 * that the tables exist.
 */
import { StatementType, type DuckDBConnection, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { DuckMeshError, SqlState } from '../common/errors.js';
import { assertSafeDuckDbTree } from './duckdb-tree-guard.js';
import { isSqlParserReady, parseSql } from './parser.js';
import type { NamePredicate } from './policy.js';
import type { SelectStatement } from './statements.js';
import { stripTrailingComments } from './tokens.js';

export interface DuckDbFallbackOptions {
  /** The error libpg-query raised for `sql`; recomputed when omitted. */
  pgError?: DuckMeshError;
  /** Extra internal names (tenant catalogs, snapshot schemas) to refuse. */
  isInternalName?: NamePredicate;
}

export type DuckDbSelect = SelectStatement & { dialect: 'duckdb' };

export async function classifyWithDuckDb(
  sql: string,
  conn: DuckDBConnection,
  options: DuckDbFallbackOptions = {},
): Promise<DuckDbSelect> {
  const pgError = (): DuckMeshError => options.pgError ?? postgresError(sql);

  let extracted;
  try {
    extracted = await conn.extractStatements(sql);
  } catch {
    // Neither grammar accepts it: report it the way Postgres would.
    throw pgError();
  }
  if (extracted.count === 0) throw pgError();
  if (extracted.count > 1) {
    // Multiple statements, or a construct (PIVOT without IN list) DuckDB expands into several.
    throw new DuckMeshError(
      SqlState.featureNotSupported,
      'this DuckDB-syntax query expands to multiple statements, which is not supported',
      { hint: 'Send one statement at a time; for PIVOT, list the pivot values explicitly with IN (...).' },
    );
  }

  const tree = await serialize(sql, conn);
  if (tree.error) {
    // json_serialize_sql only serialises SELECTs; anything else is not a query we run.
    if (/only select statements/i.test(tree.error_message ?? '')) throw pgError();
    throw new DuckMeshError(SqlState.insufficientPrivilege, 'statement could not be verified', {
      detail: tree.error_message,
    });
  }
  if (!Array.isArray(tree.statements) || tree.statements.length !== 1) {
    throw new DuckMeshError(SqlState.insufficientPrivilege, 'statement could not be verified');
  }
  assertSafeDuckDbTree(tree.statements[0], options.isInternalName);

  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await extracted.prepare(0);
  } catch (err) {
    throw fromDuckDbError(err);
  }
  try {
    if (prepared.statementType !== StatementType.SELECT) throw pgError();
  } finally {
    prepared.destroySync();
  }
  const text = await statementText(sql, conn, tree.statements[0]);
  return { kind: 'select', text, touchesCatalog: false, ast: null, dialect: 'duckdb' };
}

interface SerializedSql {
  error: boolean;
  error_message?: string;
  statements?: unknown[];
}

async function serialize(sql: string, conn: DuckDBConnection): Promise<SerializedSql> {
  // Bound as a parameter: the tenant's text is data here, never spliced into SQL.
  const reader = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const cell = reader.getRows()[0]?.[0];
  if (typeof cell !== 'string') {
    throw new DuckMeshError(SqlState.internalError, 'json_serialize_sql returned no result');
  }
  return JSON.parse(cell) as SerializedSql;
}

/** The Postgres parser's complaint about `sql`, so clients see a Postgres-shaped syntax error. */
function postgresError(sql: string): DuckMeshError {
  if (isSqlParserReady()) {
    try {
      parseSql(sql);
    } catch (err) {
      if (err instanceof DuckMeshError) return err;
    }
  }
  return new DuckMeshError(SqlState.syntaxError, 'syntax error');
}

/**
 * DuckDB bind errors → Postgres SQLSTATEs. Only the first line is kept, without DuckDB's
 * "Did you mean ..." suggestions, which can name internal catalogs.
 */
function fromDuckDbError(err: unknown): DuckMeshError {
  const full = err instanceof Error ? err.message : String(err);
  const message = full.split('\n')[0]!.replace(/\s*Did you mean.*$/s, '').trim();
  let state: string = SqlState.syntaxError;
  if (/^Catalog Error: Table/i.test(message) || /^Catalog Error:.*\bTable with name\b/i.test(message)) {
    state = SqlState.undefinedTable;
  } else if (/^Catalog Error:.*Function with name/i.test(message)) {
    state = SqlState.undefinedFunction;
  } else if (/^Binder Error:.*column/i.test(message)) {
    state = SqlState.undefinedColumn;
  }
  return new DuckMeshError(state, message.replace(/^[A-Za-z ]+ Error:\s*/, ''), { cause: err });
}

/**
 * The verified statement without trailing semicolons/comments, so callers can wrap it. Comments
 * are found with the Postgres scanner; if DuckDB would read the shortened text differently, the
 * original (already verified) text is kept instead.
 */
async function statementText(sql: string, conn: DuckDBConnection, verified: unknown): Promise<string> {
  const original = sql.trim();
  let text = original;
  for (;;) {
    const next = stripTrailingComments(text).replace(/;\s*$/, '').trimEnd();
    if (next === text) break;
    text = next;
  }
  if (text === original || text === original.replace(/;+$/, '').trimEnd()) return text;
  const again = await serialize(text, conn);
  const same = !again.error && shape(again.statements?.[0]) === shape(verified);
  return same ? text : original;
}

/** A tree's structure without source offsets (trimming leading whitespace shifts them). */
function shape(tree: unknown): string {
  return JSON.stringify(tree, (k, v: unknown) => (k === 'query_location' ? undefined : v));
}
