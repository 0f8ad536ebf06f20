import { readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { connect, startServer } from '../helpers/server.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let c: pg.Client;

function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      // SQLite WAL/shm sizes move with every statement; the question is which files exist.
      else if (!/\.db-(wal|shm)$/.test(e.name) && !/\.db$/.test(e.name)) out.push(`${p}:${statSync(p).size}`);
    }
  };
  walk(dir);
  return out.sort();
}

beforeAll(async () => {
  srv = await startServer();
  c = await connect(srv.port);
  await c.query('CREATE TABLE t (x INTEGER)');
  await c.query('INSERT INTO t VALUES (1)');
  await c.query('SELECT * FROM t');
});
afterAll(async () => {
  await c.end();
  await srv.stop();
});

describe('hostile SQL is refused and the file system is unchanged', () => {
  const hostile = [
    `SELECT * FROM read_csv('/etc/passwd')`,
    `SELECT * FROM read_text('/etc/passwd')`,
    `SELECT * FROM read_parquet('/tmp/x.parquet')`,
    `COPY t TO '/tmp/duckmesh-hostile-copy.csv'`,
    `COPY (SELECT 1) TO '/tmp/duckmesh-hostile-copy2.csv'`,
    `ATTACH '/tmp/duckmesh-hostile.db' AS h`,
    `ATTACH ':memory:' AS h2`,
    `DETACH snap_1`,
    `USE snap_1`,
    `INSTALL httpfs`,
    `LOAD httpfs`,
    `SET enable_external_access = true`,
    `SELECT getenv('HOME')`,
    `SELECT * FROM glob('/etc/*')`,
    `SELECT * FROM duckdb_settings()`,
    `SELECT * FROM duckdb_databases()`,
    `SELECT current_setting('temp_directory')`,
    `SELECT * FROM (SELECT * FROM read_csv('/etc/passwd')) s`,
    `WITH x AS (SELECT * FROM read_csv_auto('/etc/hosts')) SELECT * FROM x`,
    `SELECT 1 UNION ALL SELECT count(*) FROM read_json('/etc/passwd')`,
    `SELECT * FROM '/etc/passwd'`,
    `FROM read_csv('/etc/passwd') SELECT *`,
    `SELECT * FROM t, LATERAL (SELECT * FROM read_blob('/etc/passwd')) z`,
    `PRAGMA database_list`,
    `CALL pragma_version()`,
    `CREATE TABLE s2 AS SELECT * FROM read_csv('/etc/passwd')`,
    `EXPORT DATABASE '/tmp/duckmesh-export'`,
    `SELECT * FROM memory.main.sqlite_master`,
  ];
  for (const sql of hostile) {
    it(`refuses: ${sql}`, async () => {
      const before = snapshotTree(srv.dataDir);
      const err = (await c.query(sql).catch((e: unknown) => e)) as pg.DatabaseError;
      expect(err).toBeInstanceOf(Error);
      expect(['42501', '0A000', '42601', '42P01', '42883', '42704', '3F000', '55P02']).toContain(err.code);
      expect(snapshotTree(srv.dataDir)).toEqual(before);
      expect(existsSync('/tmp/duckmesh-hostile-copy.csv')).toBe(false);
      expect(existsSync('/tmp/duckmesh-hostile-copy2.csv')).toBe(false);
      expect(existsSync('/tmp/duckmesh-hostile.db')).toBe(false);
      expect(existsSync('/tmp/duckmesh-export')).toBe(false);
      // The session still works afterwards.
      const ok = await c.query('SELECT count(*)::INTEGER AS n FROM t');
      expect(ok.rows[0].n).toBe(1);
    });
  }
});
