import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import { classifyWithDuckDb } from '../../src/sql/duckdb-fallback.js';
import { assertSafeDuckDbTree } from '../../src/sql/duckdb-tree-guard.js';
import { initSqlParser, parseSql } from '../../src/sql/parser.js';

let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  await initSqlParser();
  // Same hardening as a tenant sandbox: no extension autoloading.
  instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    threads: '1',
  });
  conn = await instance.connect();
  await conn.run('CREATE TABLE t (a INTEGER, b INTEGER, x VARCHAR)');
  await conn.run('CREATE TABLE events (id INTEGER, kind VARCHAR, ts TIMESTAMP)');
});

afterAll(() => {
  conn?.closeSync();
  instance?.closeSync();
});

async function rejection(sql: string): Promise<DuckMeshError> {
  try {
    await classifyWithDuckDb(sql, conn);
  } catch (err) {
    expect(err).toBeInstanceOf(DuckMeshError);
    return err as DuckMeshError;
  }
  throw new Error(`accepted: ${sql}`);
}

describe('classifyWithDuckDb: accepted DuckDB-dialect SELECTs', () => {
  it.each([
    'SELECT a, sum(b) FROM t GROUP BY ALL',
    'SELECT * EXCLUDE (x) FROM t',
    'SELECT * REPLACE (a + 1 AS a) FROM t',
    'SELECT a, b FROM t QUALIFY row_number() OVER (PARTITION BY a ORDER BY b) = 1',
    'FROM t SELECT a, x',
    'FROM t',
    'SELECT a FROM t ORDER BY ALL',
    'PIVOT t ON a IN (1, 2) USING sum(b) GROUP BY x',
    'SELECT [x * 2 FOR x IN [1, 2, 3]] AS l, list_transform([1, 2], y -> y + 1) AS m',
    "SELECT {'k': a} AS s, a::VARCHAR[] AS arr FROM t",
    'SELECT COLUMNS(* EXCLUDE (x)) FROM t',
    'SELECT kind, count(*) FROM events WHERE ts > now() - INTERVAL 1 DAY GROUP BY ALL',
    'SELECT * FROM range(5) r(i) POSITIONAL JOIN t',
    'SELECT * FROM t USING SAMPLE 10%',
    'WITH w AS (FROM t SELECT a) SELECT * FROM w UNION ALL BY NAME SELECT 1 AS a',
    'SELECT a FROM t WHERE a = $1 GROUP BY ALL',
    'DESCRIBE SELECT * FROM t',
    'SUMMARIZE t',
    'SELECT a, sum(b) FROM t GROUP BY ALL; ',
  ])('%s', async (sql) => {
    const s = await classifyWithDuckDb(sql, conn);
    expect(s.kind).toBe('select');
    expect(s.dialect).toBe('duckdb');
    expect(s.touchesCatalog).toBe(false);
    expect(s.text).toBe(sql.trim().replace(/;\s*$/, ''));
  });
});

describe('classifyWithDuckDb: statement text', () => {
  it('drops trailing semicolons and comments so the text can be wrapped', async () => {
    expect((await classifyWithDuckDb('  FROM t SELECT a; -- why\n', conn)).text).toBe('FROM t SELECT a');
    expect((await classifyWithDuckDb('FROM t SELECT a /* c */ ;', conn)).text).toBe('FROM t SELECT a');
    expect((await classifyWithDuckDb("FROM t SELECT '--x' AS s", conn)).text).toBe("FROM t SELECT '--x' AS s");
  });
});

describe('classifyWithDuckDb: rejected', () => {
  it.each([
    ["FROM read_csv('/etc/passwd')", 'read_csv'],
    ["SELECT * FROM 'x.parquet'", 'x.parquet'],
    ["SELECT * FROM '/etc/passwd'", '/etc/passwd'],
    ['SELECT * FROM "data.csv" GROUP BY ALL', 'data.csv'],
    ["SELECT * FROM glob('*') GROUP BY ALL", 'glob'],
    ["PIVOT (FROM read_csv('/etc/passwd')) ON a IN (1) USING count(*)", 'read_csv'],
    ["PIVOT t ON a IN (1) USING first(getenv('HOME'))", 'getenv'],
    ["SELECT * EXCLUDE (a) FROM read_parquet('/data/*.parquet')", 'read_parquet'],
    ["FROM t SELECT getenv('HOME')", 'getenv'],
    ["SELECT current_setting('temp_directory') FROM t GROUP BY ALL", 'current_setting'],
    ['SELECT current_database() FROM t GROUP BY ALL', 'current_database'],
    ['FROM duckdb_settings()', 'duckdb_settings'],
    ['FROM duckdb_tables', 'duckdb_tables'],
    ['FROM system.main.t', 'system.main.t'],
    ['FROM memory.main.t', 'memory.main.t'],
    ['FROM information_schema.tables SELECT table_catalog', 'information_schema.tables'],
    ['FROM pg_class SELECT relname', 'pg_class'],
    ['FROM __dm_internal.offsets', '__dm_internal.offsets'],
    ["WITH x AS (FROM read_text('/etc/hosts')) SELECT * FROM x", 'read_text'],
    ["SELECT (FROM glob('/*') SELECT count(*)) GROUP BY ALL", 'glob'],
    ["FROM t, LATERAL (SELECT * FROM read_csv(t.x)) GROUP BY ALL", 'read_csv'],
    ["FROM t SELECT a UNION ALL FROM read_json('x.json') SELECT 1", 'read_json'],
    ["SELECT \"READ_CSV\"('x') GROUP BY ALL", 'read_csv'],
    ["FROM main.read_csv('/etc/passwd')", 'read_csv'],
    ["FROM query('SELECT 1')", 'query'],
    ["SELECT json_execute_serialized_sql('{}') GROUP BY ALL", 'json_execute_serialized_sql'],
  ])('%s', async (sql, name) => {
    const e = await rejection(sql);
    expect(e.sqlstate).toBe('42501');
    expect(e.message).toContain(name);
  });

  it('refuses catalog listings it cannot verify (SHOW TABLES)', async () => {
    const e = await rejection('SHOW TABLES');
    expect(e.sqlstate).toBe('42501');
    expect(e.message).toBe('statement could not be verified');
  });

  it('reports non-SELECT statements with the Postgres syntax error', async () => {
    const sql = "ATTACH 'other.db' AS o";
    let pgMessage = '';
    let pgPosition: number | undefined;
    try {
      parseSql(sql);
    } catch (err) {
      pgMessage = (err as DuckMeshError).message;
      pgPosition = (err as DuckMeshError).position;
    }
    const e = await rejection(sql);
    expect(e.sqlstate).toBe('42601');
    expect(e.message).toBe(pgMessage);
    expect(e.position).toBe(pgPosition);
    for (const other of ['PRAGMA version', "INSTALL httpfs", "COPY t TO 'x.csv'", 'CALL pragma_version()']) {
      expect((await rejection(other)).sqlstate, other).toBe('42601');
    }
  });

  it('reports garbage the way Postgres would', async () => {
    const e = await rejection('SELEKT 1 GROUP BY ALL');
    expect(e.sqlstate).toBe('42601');
    expect(e.message).toBe('syntax error at or near "SELEKT"');
    expect(e.position).toBe(1);
  });

  it('refuses constructs that expand to several statements', async () => {
    expect((await rejection('PIVOT t ON a USING sum(b)')).sqlstate).toBe('0A000');
    expect((await rejection('FROM t; FROM t')).sqlstate).toBe('0A000');
  });

  it('maps bind errors: missing table → 42P01, missing column → 42703', async () => {
    const missing = await rejection('FROM nope SELECT 1');
    expect(missing.sqlstate).toBe('42P01');
    expect(missing.message).not.toMatch(/Did you mean/);
    expect((await rejection('FROM t SELECT nope')).sqlstate).toBe('42703');
  });
});

describe('assertSafeDuckDbTree', () => {
  it('fails closed on unknown node kinds', () => {
    expect(() => assertSafeDuckDbTree({ node: { type: 'SELECT_NODE', from_table: { type: 'SOMETHING_NEW' } } })).toThrow(
      /could not be verified/,
    );
    expect(() => assertSafeDuckDbTree({ node: { type: 'SELECT_NODE', select_list: [{ class: 'NEW_EXPR' }] } })).toThrow(
      /could not be verified/,
    );
  });
});
