/**
 * A tenant-like DuckDB instance for compat tests: sandboxed and locked like the engine's, with
 * the instance setup, one snapshot catalog of typed empty views (what the engine builds for
 * tables without files), the snapshot's user views, and that snapshot's catalog shim.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import type { SnapshotContents } from '../../src/catalog/types.js';
import { quoteIdent } from '../../src/common/sql-text.js';
import { instanceSetupSql, snapshotShimSql, type RewriteContext } from '../../src/compat/index.js';
import { resolveObjects } from '../../src/engine/catalog-objects.js';
import { tableScanSql } from '../../src/engine/snapshot-binding.js';
import { initSqlParser } from '../../src/sql/parser.js';

export interface ShimDb {
  conn: DuckDBConnection;
  catalogName: string;
  ctx: RewriteContext;
  /** Milliseconds spent in instanceSetupSql and snapshotShimSql statements. */
  setupMs: { instance: number; snapshot: number };
  query(sql: string, params?: DuckDBValue[]): Promise<Record<string, unknown>[]>;
  close(): void;
}

export async function createShimDb(contents: SnapshotContents, user = 'corpus_user'): Promise<ShimDb> {
  await initSqlParser();
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
  });
  const conn = await instance.connect();
  for (const s of ["SET TimeZone = 'UTC'", 'SET enable_external_access = false', 'SET lock_configuration = true']) await conn.run(s);
  let t0 = performance.now();
  for (const s of instanceSetupSql()) await conn.run(s);
  const instanceMs = performance.now() - t0;
  const catalogName = `snap_${contents.snapshot.snapshotId}`;
  await conn.run(`ATTACH ':memory:' AS ${quoteIdent(catalogName)}`);
  const views = resolveObjects(contents.objects ?? [], contents.tables).views;
  const schemas = new Set(['public', ...contents.tables.map((t) => t.schema), ...views.map((v) => v.schema)]);
  for (const s of schemas) await conn.run(`CREATE SCHEMA ${quoteIdent(catalogName)}.${quoteIdent(s)}`);
  for (const t of contents.tables) {
    await conn.run(`CREATE VIEW ${quoteIdent(catalogName)}.${quoteIdent(t.schema)}.${quoteIdent(t.name)} AS ${tableScanSql(t, [])}`);
  }
  // What the engine binds for user views (engine/snapshot-binding.ts); ones that do not bind here are skipped.
  for (const v of views) {
    await conn.run(`CREATE VIEW ${quoteIdent(catalogName)}.${quoteIdent(v.schema)}.${quoteIdent(v.name)} AS ${v.sql}`).catch(() => undefined);
  }
  t0 = performance.now();
  for (const s of snapshotShimSql(contents, catalogName, { tenant: 'corpus', user })) await conn.run(s);
  const snapshotMs = performance.now() - t0;
  await conn.run(`USE ${quoteIdent(catalogName)}.public`);
  const settings: Record<string, string> = {
    search_path: '"$user", public', server_version: '16.4', server_version_num: '160004', timezone: 'UTC',
    application_name: 'corpus', datestyle: 'ISO, MDY', client_encoding: 'UTF8', standard_conforming_strings: 'on',
    transaction_isolation: 'read committed', integer_datetimes: 'on', is_superuser: 'off', extra_float_digits: '1',
  };
  const ctx: RewriteContext = {
    catalogName,
    database: 'corpus',
    user,
    searchPath: ['$user', 'public'],
    setting: (name) => settings[name],
    serverVersion: '16.4',
    backendPid: 4242,
    serverPort: 5432,
  };
  return {
    conn,
    catalogName,
    ctx,
    setupMs: { instance: instanceMs, snapshot: snapshotMs },
    async query(sql, params) {
      const reader = await conn.runAndReadAll(sql, params);
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}
