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

/**
 * `CREATE TABLE target` with `rel`'s columns and rows (arrays in column order). `prefixFrom`
 * names a table with the same layout whose rows come first (the static system rows).
 *
 * Columns holding the same value in every row are emitted as typed constants instead of JSON
 * fields, and JSON keys are short (`c0`, `c1`, …): catalog rows are mostly constant columns, and
 * the JSON text is what DuckDB spends its time parsing.
 */
export function createTableSql(target: string, rel: CatalogRelation, rows: readonly (readonly SqlValue[])[], prefixFrom?: string): string {
  if (rows.length === 0) {
    if (prefixFrom !== undefined) return `CREATE TABLE ${target} AS SELECT * FROM ${prefixFrom}`;
    const ddl = rel.columns.map((c) => `${quoteIdent(c.name)} ${storageType(c.pgType)}`).join(', ');
    return `CREATE TABLE ${target} (${ddl})`;
  }
  const n = rel.columns.length;
  for (const r of rows) {
    if (r.length !== n) throw new Error(`${rel.name}: row has ${r.length} values, expected ${n}`);
  }
  const varying: number[] = [];
  const select: string[] = [];
  rel.columns.forEach((c, i) => {
    const first = JSON.stringify(rows[0]![i]);
    const constant = rows.length > 1 && rows.every((r) => JSON.stringify(r[i]) === first);
    const type = storageType(c.pgType);
    if (constant) {
      select.push(`CAST(${sqlLiteral(rows[0]![i]!)} AS ${type}) AS ${quoteIdent(c.name)}`);
    } else {
      select.push(`__dm_row.c${varying.length} AS ${quoteIdent(c.name)}`);
      varying.push(i);
    }
  });
  const spec: Record<string, string> = {};
  varying.forEach((col, k) => (spec[`c${k}`] = storageType(rel.columns[col]!.pgType)));
  const objects = rows.map((r) => {
    const o: Record<string, SqlValue> = {};
    varying.forEach((col, k) => (o[`c${k}`] = r[col]!));
    return o;
  });
  const source = varying.length === 0
    ? `(SELECT 1 FROM range(${rows.length})) AS __dm_row`
    : `(SELECT unnest(json_transform(${quoteLiteral(JSON.stringify(objects))}, ${quoteLiteral(JSON.stringify([spec]))})) AS __dm_row)`;
  const load = `SELECT ${select.join(", ")} FROM ${source}`;
  return prefixFrom === undefined
    ? `CREATE TABLE ${target} AS ${load}`
    : `CREATE TABLE ${target} AS SELECT * FROM ${prefixFrom} UNION ALL ${load}`;
}

/**
 * Joins DDL statements into a few multi-statement strings: DuckDB runs them in order, and each
 * separate call costs a round trip into the engine (~1 ms), which dominated shim creation.
 */
export function batchStatements(statements: readonly string[], perBatch = 50): string[] {
  const out: string[] = [];
  for (let i = 0; i < statements.length; i += perBatch) out.push(statements.slice(i, i + perBatch).join(';\n'));
  return out;
}
