/**
 * instanceSetupSql(): everything the Postgres catalog surface needs that does not depend on a
 * snapshot, created once per tenant DuckDB instance in the attached catalog `__dm_pgshim`:
 * function macros, catalogs with fixed content (pg_am, pg_collation, …) or none (pg_policy,
 * pg_trigger, …), and the system rows every snapshot's pg_class/pg_attribute/pg_type start with.
 *
 * ATTACH ':memory:' and CREATE MACRO/TABLE still work after `lock_configuration`, so this runs
 * on the sandboxed instance. Statements are idempotent (IF NOT EXISTS / OR REPLACE) and batched
 * (several per string) to save engine round trips.
 */
import { keywordRows, KEYWORDS_RELATION } from './keywords.js';
import { instanceMacros } from './instance-macros.js';
import { instanceInfoSchemaTable, instanceObject, SHIM_CATALOG } from './names.js';
import { ALL_CATALOG_RELATIONS, pgCatalogRelation, type CatalogRelation } from './relations/registry.js';
import { createMacroSql } from './shim-functions.js';
import { batchStatements, createTableSql, quoteIdent, type SqlValue } from './sql-build.js';
import {
  builtinTypeRows,
  staticCatalogRows,
  systemAttributeRows,
  systemClassRows,
  systemNamespaceRows,
} from './system-rows.js';

/** Instance tables holding the system part of snapshot catalogs (see snapshot-shim.ts). */
export const SYSTEM_ROWS_TABLE: Readonly<Record<'pg_namespace' | 'pg_class' | 'pg_attribute' | 'pg_type', string>> = {
  pg_namespace: '__dm_sys_pg_namespace',
  pg_class: '__dm_sys_pg_class',
  pg_attribute: '__dm_sys_pg_attribute',
  pg_type: '__dm_sys_pg_type',
};

function orReplace(createSql: string): string {
  return createSql.replace(/^CREATE (TABLE|MACRO) /, 'CREATE OR REPLACE $1 ');
}

function relation(name: string): CatalogRelation {
  const r = pgCatalogRelation(name);
  if (r === undefined) throw new Error(`unknown catalog relation ${name}`);
  return r;
}

/** Tables with fixed content; built once per process (the rows never change). */
let staticTables: string[] | undefined;

function staticTableSql(): string[] {
  if (staticTables !== undefined) return staticTables;
  const out: string[] = [];
  const rows = staticCatalogRows();
  for (const r of ALL_CATALOG_RELATIONS) {
    if (r.home !== 'instance') continue;
    const table = r.schema === 'information_schema' ? instanceInfoSchemaTable(r.name) : r.name;
    out.push(orReplace(createTableSql(instanceObject(table), r, r.schema === 'pg_catalog' ? (rows.get(r.name) ?? []) : [])));
  }
  out.push(orReplace(createTableSql(instanceObject(KEYWORDS_RELATION.name), KEYWORDS_RELATION, keywordRows())));
  const system: [keyof typeof SYSTEM_ROWS_TABLE, SqlValue[][]][] = [
    ['pg_namespace', systemNamespaceRows()],
    ['pg_class', systemClassRows()],
    ['pg_attribute', systemAttributeRows()],
    ['pg_type', builtinTypeRows()],
  ];
  for (const [name, sysRows] of system) {
    out.push(orReplace(createTableSql(instanceObject(SYSTEM_ROWS_TABLE[name]), relation(name), sysRows)));
  }
  return (staticTables = out);
}

/** `startedAt` is what pg_postmaster_start_time() reports. */
export function instanceSetupSql(startedAt: Date = new Date()): string[] {
  const macros = instanceMacros(startedAt.toISOString()).map((m) => orReplace(createMacroSql(instanceObject(m.name), m)));
  return [`ATTACH IF NOT EXISTS ':memory:' AS ${quoteIdent(SHIM_CATALOG)}`, ...batchStatements([...macros, ...staticTableSql()])];
}
