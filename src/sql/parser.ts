/**
 * Splits a query string into Postgres parse trees using the real Postgres grammar (libpg-query,
 * WASM). Every later stage works on these trees, never on regexes over SQL text.
 */
import { loadModule, parseSync } from 'libpg-query';
import { DuckMeshError, SqlState } from '../common/errors.js';
import { OffsetMapper } from './offsets.js';
import type { ParsedStatement } from './statements.js';
import { stripTrailingComments } from './tokens.js';

export type { ParsedStatement } from './statements.js';

let loading: Promise<void> | null = null;
let ready = false;

/** Loads the parser's WASM module once; safe to call repeatedly and concurrently. */
export function initSqlParser(): Promise<void> {
  if (!loading) {
    loading = loadModule().then(
      () => {
        ready = true;
      },
      (err: unknown) => {
        // Let a later call retry instead of caching the failure forever.
        loading = null;
        throw err;
      },
    );
  }
  return loading;
}

export function isSqlParserReady(): boolean {
  return ready;
}

function assertReady(): void {
  if (!ready) {
    throw new DuckMeshError(SqlState.internalError, 'SQL parser is not initialised (call initSqlParser() first)');
  }
}

interface RawStmt {
  stmt: unknown;
  stmt_location?: number;
  stmt_len?: number;
}

/**
 * Parses `sql` into its statements. Empty input or input with only comments/semicolons yields [].
 * Syntax errors become 42601 with Postgres' message and a 1-based character position.
 */
export function parseSql(sql: string): ParsedStatement[] {
  assertReady();
  // libpg-query rejects '' outright ("Query cannot be empty"); Postgres treats it as an empty query.
  if (sql.length === 0) return [];
  let result: { stmts?: RawStmt[] };
  try {
    result = parseSync(sql) as { stmts?: RawStmt[] };
  } catch (err) {
    throw toSyntaxError(err);
  }
  const stmts = result.stmts ?? [];
  const mapper = new OffsetMapper(sql);
  const out: ParsedStatement[] = new Array(stmts.length);
  for (let i = 0; i < stmts.length; i++) {
    const raw = stmts[i]!;
    // protobuf JSON omits zero values: a missing stmt_location is 0, a missing stmt_len means "to the end".
    const startByte = raw.stmt_location ?? 0;
    const start = mapper.index(startByte);
    const end = raw.stmt_len ? mapper.index(startByte + raw.stmt_len) : sql.length;
    const { text, offset } = trimmed(sql, start, end);
    out[i] = { ast: raw.stmt, text, location: offset, source: sql };
  }
  return out;
}

/** Slice [start, end) without surrounding whitespace or trailing comments. */
function trimmed(sql: string, start: number, end: number): { text: string; offset: number } {
  while (start < end && isSpace(sql.charCodeAt(start))) start++;
  while (end > start && isSpace(sql.charCodeAt(end - 1))) end--;
  let text = stripTrailingComments(sql.slice(start, end));
  let len = text.length;
  while (len > 0 && isSpace(text.charCodeAt(len - 1))) len--;
  if (len !== text.length) text = text.slice(0, len);
  return { text, offset: start };
}

function isSpace(c: number): boolean {
  // Postgres' scanner whitespace: space, \t, \n, \r, \f, \v.
  return c === 32 || (c >= 9 && c <= 13);
}

function toSyntaxError(err: unknown): DuckMeshError {
  const e = err as { message?: string; sqlDetails?: { message?: string; cursorPosition?: number } };
  const message = e.sqlDetails?.message ?? e.message ?? 'syntax error';
  const cursor = e.sqlDetails?.cursorPosition;
  return new DuckMeshError(SqlState.syntaxError, message, {
    // libpg-query's cursorPosition is the 0-based character offset in the whole string.
    position: typeof cursor === 'number' && cursor >= 0 ? cursor + 1 : undefined,
    cause: err,
  });
}
