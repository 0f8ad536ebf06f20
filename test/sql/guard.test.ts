import { beforeAll, describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import { classifyStatement } from '../../src/sql/classify.js';
import { assertSafeQuery, assertSafeStatementKind } from '../../src/sql/guard.js';
import { initSqlParser, parseSql } from '../../src/sql/parser.js';

beforeAll(async () => {
  await initSqlParser();
});

function guard(sql: string, options: Parameters<typeof assertSafeQuery>[1] = {}): void {
  const [p] = parseSql(sql);
  assertSafeQuery(p!.ast, { source: sql, ...options });
}

function blocked(sql: string): DuckMeshError {
  try {
    guard(sql);
  } catch (err) {
    expect(err).toBeInstanceOf(DuckMeshError);
    return err as DuckMeshError;
  }
  throw new Error(`guard let through: ${sql}`);
}

/** [query, name that must appear in the error message] */
const HOSTILE: [string, string][] = [
  ["SELECT * FROM read_csv('/etc/passwd')", 'read_csv'],
  ["SELECT * FROM read_csv_auto('/etc/passwd')", 'read_csv_auto'],
  ["SELECT * FROM read_parquet('/data/other-tenant/*.parquet')", 'read_parquet'],
  ["SELECT * FROM read_json('x.json')", 'read_json'],
  ["SELECT * FROM read_text('/etc/hosts')", 'read_text'],
  ["SELECT * FROM read_blob('/etc/hosts')", 'read_blob'],
  ["SELECT * FROM glob('/*')", 'glob'],
  ["SELECT * FROM parquet_scan('x.parquet')", 'parquet_scan'],
  ["SELECT * FROM parquet_metadata('x.parquet')", 'parquet_metadata'],
  ["SELECT * FROM sniff_csv('x.csv')", 'sniff_csv'],
  ["SELECT * FROM sqlite_scan('x.db', 't')", 'sqlite_scan'],
  ["SELECT * FROM postgres_scan('dsn', 'public', 't')", 'postgres_scan'],
  ['SELECT * FROM duckdb_settings()', 'duckdb_settings'],
  ['SELECT * FROM duckdb_databases()', 'duckdb_databases'],
  ["SELECT * FROM pragma_table_info('t')", 'pragma_table_info'],
  ["SELECT * FROM query('SELECT 1')", 'query'],
  ["SELECT * FROM query_table('t')", 'query_table'],
  ["SELECT * FROM which_secret('s3://x', 's3')", 'which_secret'],
  // nested: CTE, subquery in FROM/WHERE/SELECT list, LATERAL, function argument, UNION branch
  ["WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x", 'read_csv'],
  ["WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT 1 FROM glob('*')) SELECT * FROM r", 'glob'],
  ["SELECT * FROM (SELECT * FROM read_parquet('x')) s", 'read_parquet'],
  ["SELECT * FROM t WHERE a IN (SELECT a FROM read_csv('x'))", 'read_csv'],
  ["SELECT * FROM t WHERE EXISTS (SELECT 1 FROM glob('/home/*'))", 'glob'],
  ["SELECT (SELECT count(*) FROM read_csv('/etc/passwd')) AS n", 'read_csv'],
  ["SELECT * FROM t, LATERAL read_csv(t.path) r", 'read_csv'],
  ["SELECT * FROM t CROSS JOIN LATERAL (SELECT * FROM glob(t.p)) g", 'glob'],
  ["SELECT length(getenv('HOME'))", 'getenv'],
  ["SELECT upper((SELECT string_agg(file, ',') FROM glob('/*')))", 'glob'],
  ["SELECT 1 UNION SELECT count(*) FROM read_csv('/etc/passwd')", 'read_csv'],
  ["SELECT 1 EXCEPT (SELECT 2 INTERSECT SELECT x FROM read_parquet('p'))", 'read_parquet'],
  ["SELECT sum(a) FILTER (WHERE a > (SELECT 1 FROM glob('*'))) FROM t", 'glob'],
  ["SELECT row_number() OVER (ORDER BY (SELECT 1 FROM glob('*'))) FROM t", 'glob'],
  ["SELECT * FROM t ORDER BY getenv('x')", 'getenv'],
  ["SELECT CASE WHEN true THEN getenv('x') END", 'getenv'],
  ["SELECT * FROM t JOIN read_csv('x') r ON true", 'read_csv'],
  ["SELECT * FROM ROWS FROM (generate_series(1, 2), read_csv('x'))", 'read_csv'],
  ["EXPLAIN ANALYZE SELECT * FROM read_csv('/etc/passwd')", 'read_csv'],
  // qualified, quoted and upper-case spellings
  ["SELECT * FROM pg_catalog.read_csv('/etc/passwd')", 'read_csv'],
  ["SELECT * FROM main.read_csv('/etc/passwd')", 'read_csv'],
  ["SELECT * FROM system.main.read_csv('/etc/passwd')", 'read_csv'],
  ['SELECT * FROM "read_csv"(\'/etc/passwd\')', 'read_csv'],
  ['SELECT * FROM "READ_CSV"(\'/etc/passwd\')', 'read_csv'],
  ["SELECT * FROM READ_CSV('/etc/passwd')", 'read_csv'],
  ["SELECT Read_Parquet('x')", 'read_parquet'],
  ["SELECT GETENV('HOME')", 'getenv'],
  ["SELECT pg_catalog.getenv('HOME')", 'getenv'],
  // settings and server files
  ['SELECT current_setting(name) FROM t', 'current_setting'],
  ["SELECT current_setting('temp_' || 'directory')", 'current_setting'],
  ['SELECT current_setting($1)', 'current_setting'],
  ["SELECT pg_read_file('/etc/passwd')", 'pg_read_file'],
  ["SELECT pg_ls_dir('.')", 'pg_ls_dir'],
  ["SELECT lo_import('/etc/passwd')", 'lo_import'],
  ["SELECT json_execute_serialized_sql('{}')", 'json_execute_serialized_sql'],
  ["SELECT * FROM load_extension('x')", 'load_extension'],
  ['SELECT checkpoint()', 'checkpoint'],
  // relations reaching internals or files
  ['SELECT * FROM other_db.main.t', 'other_db.main.t'],
  ['SELECT * FROM system.main.duckdb_tables', 'system.main.duckdb_tables'],
  ['SELECT * FROM system.t', 'system.t'],
  ['SELECT * FROM temp.t', 'temp.t'],
  ['SELECT * FROM __dm_internal.tables', '__dm_internal.tables'],
  ['SELECT * FROM snap_42.events', 'snap_42.events'],
  ['SELECT * FROM __dm_offsets', '__dm_offsets'],
  ['SELECT * FROM duckdb_tables', 'duckdb_tables'],
  ['SELECT * FROM sqlite_master', 'sqlite_master'],
  ['SELECT * FROM "x.parquet"', 'x.parquet'],
  ['SELECT * FROM "/etc/passwd"', '/etc/passwd'],
  ['SELECT * FROM "s3://bucket/key.csv"', 's3://bucket/key.csv'],
  ['SELECT * FROM t JOIN "data.csv" d ON true', 'data.csv'],
  ['SELECT * FROM t WHERE a IN (SELECT * FROM other.main.t)', 'other.main.t'],
];

describe('assertSafeQuery: hostile corpus', () => {
  it.each(HOSTILE)('%s', (sql, name) => {
    const e = blocked(sql);
    expect(e.sqlstate).toBe('42501');
    expect(e.message).toContain(name);
  });

  it('rejects SELECT INTO and locking clauses with 0A000', () => {
    expect(blocked('SELECT 1 INTO newtable').sqlstate).toBe('0A000');
    expect(blocked('SELECT * FROM t FOR UPDATE').sqlstate).toBe('0A000');
    expect(blocked('SELECT * FROM t FOR SHARE SKIP LOCKED').sqlstate).toBe('0A000');
  });

  it('rejects data-modifying CTEs', () => {
    expect(blocked('WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x').sqlstate).toBe('0A000');
    expect(blocked('WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM x').sqlstate).toBe('0A000');
  });

  it('only verifies queries', () => {
    const [p] = parseSql('DELETE FROM t');
    expect(() => assertSafeQuery(p!.ast)).toThrow(/could not be verified/);
  });

  it('reports the position of the offending call', () => {
    const sql = "SELECT a, getenv('HOME') FROM t";
    const e = blocked(sql);
    expect(e.position).toBe(sql.indexOf('getenv') + 1);
  });

  it('accepts an extra internal-name predicate for tenant catalogs', () => {
    const opts = { isInternalName: (n: string) => /^tenant_\d+$/.test(n) };
    expect(() => guard('SELECT * FROM tenant_7.events', opts)).toThrow(/permission denied for relation tenant_7.events/);
    expect(() => guard('SELECT * FROM public.events', opts)).not.toThrow();
  });

  it('guards the SELECT source of INSERT ... SELECT', () => {
    const [p] = parseSql("INSERT INTO t SELECT * FROM read_csv('/etc/passwd')");
    const s = classifyStatement(p!);
    if (s.kind !== 'insert' || s.source.kind !== 'select') throw new Error('expected INSERT ... SELECT');
    expect(() => assertSafeQuery(s.source.kind === 'select' ? s.source.ast : null)).toThrow(/read_csv/);
  });
});

const BENIGN: string[] = [
  'SELECT 1',
  'SELECT a, count(*), sum(b), avg(c), min(d), max(e) FROM t GROUP BY a HAVING count(*) > 1',
  'SELECT a, row_number() OVER (PARTITION BY b ORDER BY c DESC) FROM t',
  'SELECT a, lag(a) OVER w, sum(a) OVER (w ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t WINDOW w AS (ORDER BY ts)',
  "SELECT date_trunc('hour', ts) AS h, count(*) FROM events WHERE ts >= now() - interval '1 day' GROUP BY 1 ORDER BY 1",
  'SELECT * FROM generate_series(1, 10) g(i)',
  "SELECT * FROM generate_series('2024-01-01'::timestamp, '2024-02-01', interval '1 day')",
  'SELECT * FROM range(10)',
  'SELECT * FROM unnest(ARRAY[1, 2, 3]) WITH ORDINALITY AS u(x, n)',
  "SELECT * FROM t, LATERAL jsonb_array_elements(t.doc -> 'items') e",
  "SELECT lower(name), upper(name), length(name), substr(name, 1, 3), replace(name, 'a', 'b'), name || '!' FROM users",
  "SELECT regexp_replace(s, '[0-9]+', 'N'), split_part(s, ',', 2), trim(both ' ' from s), concat_ws('-', a, b) FROM t",
  "SELECT current_setting('server_version')",
  "SELECT current_setting('search_path', true)",
  "SELECT set_config('application_name', 'x', false)",
  'SELECT version(), current_database(), current_schema(), current_user',
  'SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace',
  'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
  'WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM a JOIN b ON true',
  'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r',
  'SELECT * FROM public.events e LEFT JOIN public.users u USING (user_id) WHERE e.kind = ANY($1)',
  'SELECT 1 UNION SELECT 2 INTERSECT SELECT 3 EXCEPT SELECT 4',
  'VALUES (1, 2), (3, 4)',
  'SELECT coalesce(a, 0), nullif(b, 0), greatest(a, b), least(a, b), abs(a), round(b::numeric, 2) FROM t',
  "SELECT to_char(ts, 'YYYY-MM-DD'), extract(epoch FROM ts), age(ts), ts AT TIME ZONE 'UTC' FROM t",
  "SELECT count(DISTINCT a), string_agg(b, ',' ORDER BY b), array_agg(c), percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FROM t",
  "SELECT doc ->> 'a', doc #> '{b,c}', jsonb_build_object('k', 1) FROM t",
  'SELECT * FROM t TABLESAMPLE SYSTEM (10)',
  'SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b DESC LIMIT 10 OFFSET 5',
  'EXPLAIN SELECT * FROM t',
  'SELECT * FROM "MixedCase"',
  "SELECT 'read_csv(''/etc/passwd'')' AS harmless_string",
  'SELECT read_count, glob_pattern FROM t',
];

describe('assertSafeQuery: benign corpus', () => {
  it.each(BENIGN)('%s', (sql) => {
    expect(() => guard(sql)).not.toThrow();
  });
});

describe('assertSafeStatementKind', () => {
  it('turns unsupported into 0A000 naming the statement', () => {
    const [p] = parseSql('GRANT SELECT ON t TO bob');
    try {
      assertSafeStatementKind(classifyStatement(p!));
      expect.unreachable();
    } catch (err) {
      expect((err as DuckMeshError).sqlstate).toBe('0A000');
      expect((err as DuckMeshError).message).toBe('GRANT is not supported');
    }
  });

  it('accepts every modelled kind', () => {
    for (const sql of ['SELECT 1', 'INSERT INTO t VALUES (1)', 'SET a = 1', 'BEGIN', 'COPY t FROM STDIN', 'CHECKPOINT']) {
      const [p] = parseSql(sql);
      expect(() => assertSafeStatementKind(classifyStatement(p!))).not.toThrow();
    }
  });
});
