/** Public surface of the SQL front end: parse, classify, guard. */
export { initSqlParser, isSqlParserReady, parseSql } from './parser.js';
export { classifyStatement, commandTag } from './classify.js';
export { assertSafeQuery, assertSafeStatementKind, type GuardOptions } from './guard.js';
export { classifyWithDuckDb, type DuckDbFallbackOptions, type DuckDbSelect } from './duckdb-fallback.js';
export { touchesCatalog, isCatalogFunction } from './catalog-refs.js';
export type * from './statements.js';
