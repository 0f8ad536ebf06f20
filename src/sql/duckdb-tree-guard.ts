/**
 * The sandbox policy applied to DuckDB's own parse tree (json_serialize_sql output), for queries
 * written in DuckDB dialect that the Postgres grammar rejects. Every object in the tree is
 * visited; anything whose kind is not known here fails closed, so a DuckDB upgrade that adds a
 * node type cannot silently widen what tenants may do.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import {
  ALLOWED_TABLE_FUNCTIONS,
  DUCKDB_DIALECT_DENIED,
  deniedFunctionReason,
  deniedRelationReason,
  isAllowedTableFunction,
  isInternalSchema,
  type NamePredicate,
} from './policy.js';

/** ParsedExpression classes (the `class` field). */
const EXPRESSION_CLASSES: ReadonlySet<string> = new Set([
  'BETWEEN', 'CASE', 'CAST', 'COLLATE', 'COLUMN_REF', 'COMPARISON', 'CONJUNCTION', 'CONSTANT', 'DEFAULT',
  'FUNCTION', 'LAMBDA', 'LAMBDA_REF', 'OPERATOR', 'PARAMETER', 'POSITIONAL_REFERENCE', 'STAR', 'SUBQUERY',
  'WINDOW',
]);

/** Query nodes, table refs, result modifiers and order types (the `type` field of non-expressions). */
const NODE_TYPES: ReadonlySet<string> = new Set([
  'SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE',
  'BASE_TABLE', 'JOIN', 'SUBQUERY', 'TABLE_FUNCTION', 'EXPRESSION_LIST', 'EMPTY', 'PIVOT', 'SHOW_REF',
  'ORDER_MODIFIER', 'LIMIT_MODIFIER', 'LIMIT_PERCENT_MODIFIER', 'DISTINCT_MODIFIER',
  'ORDER_DEFAULT', 'ASCENDING', 'DESCENDING',
]);

/** DuckDB's catalog schemas: nothing shims them in DuckDB dialect and they list internal databases. */
const DUCKDB_CATALOG_SCHEMAS: ReadonlySet<string> = new Set(['information_schema', 'pg_catalog']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** Throws 42501 unless every node of a json_serialize_sql result is known and allowed. */
export function assertSafeDuckDbTree(tree: unknown, isInternalName?: NamePredicate): void {
  const stack: Json[] = [tree as Json];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
      continue;
    }
    checkObject(v, isInternalName);
    for (const k in v) {
      const child = v[k]!;
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
}

function checkObject(o: JsonObject, extra: NamePredicate | undefined): void {
  const cls = o['class'];
  if (typeof cls === 'string') {
    if (!EXPRESSION_CLASSES.has(cls)) throw unverifiable(`expression class ${cls}`);
    if (cls === 'FUNCTION' || cls === 'WINDOW') checkFunctionName(o['function_name']);
    return;
  }
  const type = o['type'];
  if (typeof type !== 'string') return;
  if (type.endsWith('_TYPE_INFO')) return;
  if (!NODE_TYPES.has(type)) throw unverifiable(`node type ${type}`);
  switch (type) {
    case 'BASE_TABLE':
      checkBaseTable(o, extra);
      break;
    case 'TABLE_FUNCTION': {
      const fn = o['function'];
      const name = fn && typeof fn === 'object' && !Array.isArray(fn) ? fn['function_name'] : undefined;
      if (typeof name !== 'string') throw unverifiable('table function without a name');
      const bare = name.toLowerCase();
      if (!isAllowedTableFunction(bare)) {
        throw denied(
          'table function',
          bare,
          `Only these table functions may be used in FROM: ${[...ALLOWED_TABLE_FUNCTIONS].join(', ')}.`,
        );
      }
      break;
    }
    case 'SHOW_REF':
      // DESCRIBE/SUMMARIZE <query> carry the query, which is walked; SHOW TABLES etc. list the catalog.
      if (o['query'] === null || typeof o['query'] !== 'object') throw unverifiable('SHOW of catalog objects');
      break;
  }
}

function checkFunctionName(name: Json | undefined): void {
  if (typeof name !== 'string') throw unverifiable('function without a name');
  const bare = name.toLowerCase();
  const reason = deniedFunctionReason(bare);
  if (reason) throw denied('function', bare, `${bare}() ${reason} in DuckMesh queries.`);
  if (DUCKDB_DIALECT_DENIED.has(bare)) {
    throw denied('function', bare, `${bare}() is only available in PostgreSQL-syntax queries.`);
  }
}

function checkBaseTable(o: JsonObject, extra: NamePredicate | undefined): void {
  const catalog = str(o['catalog_name']);
  const schema = str(o['schema_name']);
  const table = str(o['table_name']);
  const shown = [catalog, schema, table].filter((x) => x !== '').join('.');
  if (catalog !== '') throw denied('relation', shown, 'Catalog-qualified names are not allowed.');
  if (schema !== '' && (isInternalSchema(schema, extra) || DUCKDB_CATALOG_SCHEMAS.has(schema.toLowerCase()))) {
    throw denied('relation', shown, `Schema "${schema}" is not accessible.`);
  }
  const reason = deniedRelationReason(table, extra);
  if (reason) throw denied('relation', shown, `The name ${reason}.`);
  // DuckDB's search path includes pg_catalog, whose views describe every attached database.
  if (table.toLowerCase().startsWith('pg_')) {
    throw denied('relation', shown, 'Catalog views are only available in PostgreSQL-syntax queries.');
  }
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : '';
}

function denied(what: string, name: string, detail: string): DuckMeshError {
  return new DuckMeshError(SqlState.insufficientPrivilege, `permission denied for ${what} ${name}`, { detail });
}

function unverifiable(what: string): DuckMeshError {
  return new DuckMeshError(SqlState.insufficientPrivilege, 'statement could not be verified', {
    detail: `Unrecognised ${what} in a DuckDB-dialect query.`,
  });
}
