/**
 * SQL text the shim generates for DuckDB: literals, and typed tables loaded from rows.
 *
 * Rows are loaded through one JSON string literal and json_transform rather than a VALUES list:
 * DuckDB parses and binds every VALUES cell as its own expression, which made a 1,000-row
 * pg_attribute cost ~70 ms; one string literal is parsed once (~3x faster), and the column types
 * come from the transform spec, so NULL-only columns are still typed.
 */
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import { storageType } from './pg-types.js';
import type { CatalogRelation } from './relations/registry.js';

export { quoteIdent, quoteLiteral };

export type SqlValue = string | number | boolean | null | readonly SqlValue[];

/** A DuckDB literal for a JS value (lists become `[…]`). */
export function sqlLiteral(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`non-finite number in generated SQL: ${v}`);
    return String(v);
  }
  if (typeof v === 'string') return quoteLiteral(v);
  return `[${v.map(sqlLiteral).join(', ')}]`;
}

/** `CAST(NULL AS T) AS "c", …` — the column list of an empty relation. */
export function nullColumns(rel: CatalogRelation): string {
  return rel.columns.map((c) => `CAST(NULL AS ${storageType(c.pgType)}) AS ${quoteIdent(c.name)}`).join(', ');
}

/**
 * `CREATE TABLE target` with `rel`'s columns and rows (arrays in column order). `prefixFrom`
 * names a table with the same layout whose rows come first (the static system rows).
 */
export function createTableSql(target: string, rel: CatalogRelation, rows: readonly (readonly SqlValue[])[], prefixFrom?: string): string {
  if (rows.length === 0) {
    if (prefixFrom !== undefined) return `CREATE TABLE ${target} AS SELECT * FROM ${prefixFrom}`;
    const ddl = rel.columns.map((c) => `${quoteIdent(c.name)} ${storageType(c.pgType)}`).join(', ');
    return `CREATE TABLE ${target} (${ddl})`;
  }
  const names = rel.columns.map((c) => c.name);
  const objects = rows.map((r) => {
    if (r.length !== names.length) throw new Error(`${rel.name}: row has ${r.length} values, expected ${names.length}`);
    const o: Record<string, SqlValue> = {};
    for (let i = 0; i < names.length; i++) o[names[i]!] = r[i]!;
    return o;
  });
  const spec: Record<string, string> = {};
  for (const c of rel.columns) spec[c.name] = storageType(c.pgType);
  const load =
    `SELECT unnest(json_transform(${quoteLiteral(JSON.stringify(objects))}, ` +
    `${quoteLiteral(JSON.stringify([spec]))}), recursive := true)`;
  return prefixFrom === undefined
    ? `CREATE TABLE ${target} AS ${load}`
    : `CREATE TABLE ${target} AS SELECT * FROM ${prefixFrom} UNION ALL ${load}`;
}
