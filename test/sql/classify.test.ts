import { beforeAll, describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import { classifyStatement, commandTag } from '../../src/sql/classify.js';
import { initSqlParser, parseSql } from '../../src/sql/parser.js';
import type { Statement } from '../../src/sql/statements.js';

beforeAll(async () => {
  await initSqlParser();
});

function one(sql: string): Statement {
  const stmts = parseSql(sql);
  expect(stmts).toHaveLength(1);
  return classifyStatement(stmts[0]!);
}

/** Classification without the raw AST, for readable toEqual/toMatchObject. */
function plain(sql: string): unknown {
  return JSON.parse(JSON.stringify(one(sql), (k, v) => (k === 'ast' ? undefined : v)));
}

function rejects(sql: string, sqlstate: string, message?: RegExp): DuckMeshError {
  try {
    one(sql);
  } catch (err) {
    expect(err).toBeInstanceOf(DuckMeshError);
    const e = err as DuckMeshError;
    expect(e.sqlstate, `${sql}: ${e.message}`).toBe(sqlstate);
    if (message) expect(e.message).toMatch(message);
    return e;
  }
  throw new Error(`expected ${sql} to be rejected`);
}

const int4 = { names: ['pg_catalog', 'int4'], typmods: [], arrayDims: 0 };

describe('select', () => {
  it('classifies SELECT, VALUES, set operations and WITH', () => {
    for (const sql of [
      'SELECT a, count(*) FROM t GROUP BY a',
      'VALUES (1), (2)',
      'SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3',
      'WITH x AS (SELECT 1 AS a) SELECT a FROM x',
      '(SELECT 1) ORDER BY 1 LIMIT 1',
    ]) {
      expect(plain(sql)).toEqual({ kind: 'select', text: sql, touchesCatalog: false });
    }
  });

  it('folds EXPLAIN <select> into select with the text as written', () => {
    const s = one('EXPLAIN ANALYZE SELECT * FROM t');
    expect(s).toMatchObject({ kind: 'select', text: 'EXPLAIN ANALYZE SELECT * FROM t', touchesCatalog: false });
    expect(s.kind === 'select' && s.explain).toEqual({ options: ['analyze'] });
    expect(Object.keys((s as { ast: object }).ast)).toEqual(['ExplainStmt']);
    expect(one('EXPLAIN INSERT INTO t VALUES (1)')).toEqual({ kind: 'unsupported', tag: 'EXPLAIN' });
  });

  it.each([
    ['SELECT * FROM pg_catalog.pg_class', true],
    ['SELECT * FROM information_schema.tables', true],
    ['SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace', true],
    ['SELECT * FROM t WHERE x IN (SELECT oid FROM pg_type)', true],
    ['SELECT version()', true],
    ["SELECT current_setting('server_version')", true],
    ["SELECT set_config('a', 'b', false)", true],
    ['SELECT pg_get_userbyid(10)', true],
    ['SELECT format_type(23, -1)', true],
    ['SELECT pg_table_is_visible(1)', true],
    ["SELECT has_table_privilege('t', 'select')", true],
    ['SELECT current_schemas(true)', true],
    ['SELECT current_database()', true],
    ['SELECT current_user', true],
    ['SELECT session_user', true],
    ['SELECT current_schema', true],
    ['SELECT pg_backend_pid()', true],
    ['SELECT pg_encoding_to_char(6)', true],
    ['SELECT array_upper(a, 1) FROM t', true],
    ["SELECT 't'::regclass", true],
    ["SELECT CAST('int4' AS regtype)", true],
    ['SELECT 1::oid', true],
    ["SELECT * FROM t WHERE a OPERATOR(pg_catalog.~) 'x'", true],
    ['SELECT obj_description(1, $1)', true],
    ['WITH x AS (SELECT * FROM pg_settings) SELECT 1', true],
    ['SELECT a FROM t', false],
    ["SELECT date_trunc('day', ts), count(*) FROM events GROUP BY 1", false],
    ['SELECT current_date, now()', false],
    ["SELECT upper(name) || '!' FROM users WHERE id = $1", false],
    ['SELECT * FROM public.pg_like_but_not', false],
  ])('touchesCatalog(%s) = %s', (sql, expected) => {
    const s = one(sql);
    expect(s.kind).toBe('select');
    expect(s.kind === 'select' && s.touchesCatalog).toBe(expected);
  });
});

describe('createTable', () => {
  it('decodes columns, types, defaults, NOT NULL and primary keys', () => {
    expect(
      plain(`CREATE TABLE IF NOT EXISTS s.t (
        id int PRIMARY KEY,
        name varchar(20) NOT NULL DEFAULT 'x',
        v numeric(10,2)[] DEFAULT -1.5,
        d date DEFAULT '2024-01-01'::date,
        m int[][],
        b boolean NULL DEFAULT false,
        z bigint DEFAULT 0
      )`),
    ).toEqual({
      kind: 'createTable',
      schema: 's',
      name: 't',
      ifNotExists: true,
      columns: [
        { name: 'id', type: int4, notNull: true, default: null },
        {
          name: 'name',
          type: { names: ['pg_catalog', 'varchar'], typmods: [20], arrayDims: 0 },
          notNull: true,
          default: { kind: 'const', value: 'x', typeHint: null },
        },
        {
          name: 'v',
          type: { names: ['pg_catalog', 'numeric'], typmods: [10, 2], arrayDims: 1 },
          notNull: false,
          default: { kind: 'const', value: '-1.5', typeHint: null },
        },
        {
          name: 'd',
          type: { names: ['date'], typmods: [], arrayDims: 0 },
          notNull: false,
          default: { kind: 'const', value: '2024-01-01', typeHint: { names: ['date'], typmods: [], arrayDims: 0 } },
        },
        { name: 'm', type: { ...int4, arrayDims: 2 }, notNull: false, default: null },
        {
          name: 'b',
          type: { names: ['pg_catalog', 'bool'], typmods: [], arrayDims: 0 },
          notNull: false,
          default: { kind: 'const', value: 'false', typeHint: null },
        },
        {
          name: 'z',
          type: { names: ['pg_catalog', 'int8'], typmods: [], arrayDims: 0 },
          notNull: false,
          default: { kind: 'const', value: '0', typeHint: null },
        },
      ],
      primaryKey: ['id'],
    });
  });

  it('supports table-level PRIMARY KEY (a, b), making the columns NOT NULL', () => {
    expect(plain('CREATE TABLE t (a int, b text, c float8, PRIMARY KEY (a, b))')).toMatchObject({
      kind: 'createTable',
      schema: null,
      ifNotExists: false,
      columns: [
        { name: 'a', notNull: true },
        { name: 'b', notNull: true },
        { name: 'c', notNull: false },
      ],
      primaryKey: ['a', 'b'],
    });
  });

  it.each([
    ['CREATE TEMP TABLE t (a int)', /TEMPORARY/],
    ['CREATE UNLOGGED TABLE t (a int)', /UNLOGGED/],
    ['CREATE TABLE t AS SELECT 1', /CREATE TABLE AS/],
    ['CREATE TABLE t (a int) INHERITS (p)', /INHERITS/],
    ['CREATE TABLE t (a int) PARTITION BY RANGE (a)', /PARTITION BY/],
    ['CREATE TABLE t (a int REFERENCES p(id))', /FOREIGN KEY/],
    ['CREATE TABLE t (a int, FOREIGN KEY (a) REFERENCES p(id))', /FOREIGN KEY/],
    ['CREATE TABLE t (a int CHECK (a > 0))', /CHECK/],
    ['CREATE TABLE t (a int UNIQUE)', /UNIQUE/],
    ['CREATE TABLE t (a int, UNIQUE (a))', /UNIQUE/],
    ['CREATE TABLE t (a int, EXCLUDE USING gist (a WITH =))', /EXCLUDE/],
    ['CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a + 1) STORED)', /GENERATED/],
    ['CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY)', /IDENTITY/],
    ['CREATE TABLE t (a timestamptz DEFAULT now())', /non-constant DEFAULT/],
    ['CREATE TABLE t (a int DEFAULT 1 + 1)', /non-constant DEFAULT/],
    ['CREATE TABLE t (LIKE other)', /LIKE/],
    ['CREATE TABLE t ()', /tables without columns are not supported/],
    ['CREATE TABLE t (a text COLLATE "C")', /COLLATE/],
    ['CREATE TABLE c.s.t (a int)', /cross-database/],
  ])('rejects %s with 0A000', (sql, message) => {
    rejects(sql, '0A000', message);
  });

  it('rejects duplicate columns and bad keys like Postgres', () => {
    rejects('CREATE TABLE t (a int, a text)', '42701', /column "a" specified more than once/);
    rejects('CREATE TABLE t (a int, PRIMARY KEY (b))', '42703', /column "b" named in key does not exist/);
    rejects('CREATE TABLE t (a int PRIMARY KEY, b int, PRIMARY KEY (b))', '42P16');
    rejects('CREATE TABLE t (a int NULL NOT NULL)', '42601', /conflicting NULL\/NOT NULL/);
  });
});

describe('dropTable', () => {
  it('decodes targets, IF EXISTS and CASCADE', () => {
    expect(plain('DROP TABLE IF EXISTS a, s.b CASCADE')).toEqual({
      kind: 'dropTable',
      targets: [
        { schema: null, name: 'a' },
        { schema: 's', name: 'b' },
      ],
      ifExists: true,
      cascade: true,
    });
    expect(plain('DROP TABLE t')).toEqual({
      kind: 'dropTable',
      targets: [{ schema: null, name: 't' }],
      ifExists: false,
      cascade: false,
    });
  });

  it('leaves other DROP kinds to unsupported / raw', () => {
    expect(one('DROP FUNCTION f()')).toEqual({ kind: 'unsupported', tag: 'DROP FUNCTION' });
    expect(one('DROP SCHEMA s')).toEqual({ kind: 'unsupported', tag: 'DROP SCHEMA' });
    expect(one('DROP MATERIALIZED VIEW v')).toEqual({ kind: 'unsupported', tag: 'DROP MATERIALIZED VIEW' });
    expect(one('DROP VIEW v').kind).toBe('dropView');
  });
});

describe('update / delete', () => {
  it('decodes UPDATE SET cells and deparses WHERE', () => {
    expect(plain("UPDATE s.t SET a = 1, b = b + 1, c = 'x'::text, (d, e) = (2, $1) WHERE id = 5 AND name LIKE 'x%'")).toEqual({
      kind: 'update',
      schema: 's',
      table: 't',
      alias: null,
      set: [
        { column: 'a', value: { kind: 'const', value: '1', typeHint: null } },
        { column: 'b', value: { kind: 'expr', sql: 'b + 1' } },
        { column: 'c', value: { kind: 'const', value: 'x', typeHint: { names: ['text'], typmods: [], arrayDims: 0 } } },
        { column: 'd', value: { kind: 'const', value: '2', typeHint: null } },
        { column: 'e', value: { kind: 'param', index: 1, typeHint: null } },
      ],
      whereSql: "id = 5 AND name LIKE 'x%'",
    });
  });

  it('decodes DELETE', () => {
    expect(plain('DELETE FROM t WHERE a IN (SELECT 1)')).toEqual({
      kind: 'delete',
      schema: null,
      table: 't',
      alias: null,
      whereSql: 'a IN (SELECT 1)',
    });
    expect(plain('DELETE FROM t')).toMatchObject({ kind: 'delete', whereSql: null });
  });

  it.each([
    ['UPDATE t SET a = 1 RETURNING *', /RETURNING/],
    ['UPDATE t SET a = u.a FROM u WHERE u.id = t.id', /FROM/],
    ['DELETE FROM t RETURNING a', /RETURNING/],
    ['DELETE FROM t USING u WHERE u.id = t.id', /USING/],
    ['WITH x AS (SELECT 1) DELETE FROM t', /WITH/],
    ['UPDATE t SET (a, b) = (SELECT 1, 2)', /sub-SELECT/],
  ])('rejects %s with 0A000', (sql, message) => {
    rejects(sql, '0A000', message);
  });
});

describe('set / reset / show', () => {
  it.each([
    ['SET extra_float_digits = 3', { kind: 'set', name: 'extra_float_digits', value: '3', local: false }],
    ["SET application_name = 'PostgreSQL JDBC Driver'", { kind: 'set', name: 'application_name', value: 'PostgreSQL JDBC Driver', local: false }],
    ['SET search_path TO a, b', { kind: 'set', name: 'search_path', value: 'a, b', local: false }],
    [`SET search_path = "$user", public`, { kind: 'set', name: 'search_path', value: '"$user", public', local: false }],
    ["SET SESSION search_path = 'MySchema'", { kind: 'set', name: 'search_path', value: '"MySchema"', local: false }],
    ['SET LOCAL statement_timeout = 0', { kind: 'set', name: 'statement_timeout', value: '0', local: true }],
    ['SET x.y = -1.5', { kind: 'set', name: 'x.y', value: '-1.5', local: false }],
    ['SET DuckMesh.Min_Visibility_Token = 42', { kind: 'set', name: 'duckmesh.min_visibility_token', value: '42', local: false }],
    ["SET datestyle = 'ISO', 'MDY'", { kind: 'set', name: 'datestyle', value: 'ISO, MDY', local: false }],
    ['SET standard_conforming_strings = on', { kind: 'set', name: 'standard_conforming_strings', value: 'on', local: false }],
    ['SET client_min_messages TO DEFAULT', { kind: 'set', name: 'client_min_messages', value: null, local: false }],
    ["SET TIME ZONE 'UTC'", { kind: 'set', name: 'timezone', value: 'UTC', local: false }],
    ['SET TIME ZONE LOCAL', { kind: 'set', name: 'timezone', value: null, local: false }],
    ["SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE", { kind: 'set', name: 'timezone', value: '+02:00', local: false }],
    ["SET NAMES 'UTF8'", { kind: 'set', name: 'client_encoding', value: 'UTF8', local: false }],
    ['RESET search_path', { kind: 'reset', name: 'search_path' }],
    ['RESET ALL', { kind: 'reset', name: 'all' }],
    ['SHOW search_path', { kind: 'show', name: 'search_path' }],
    ['SHOW ALL', { kind: 'show', name: 'all' }],
    ['SHOW TIME ZONE', { kind: 'show', name: 'timezone' }],
    ['SHOW TRANSACTION ISOLATION LEVEL', { kind: 'show', name: 'transaction_isolation' }],
    ['SHOW "DateStyle"', { kind: 'show', name: 'datestyle' }],
  ])('%s', (sql, expected) => {
    expect(plain(sql)).toEqual(expected);
  });

  it('classifies SET [SESSION CHARACTERISTICS AS] TRANSACTION', () => {
    const sql = 'SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED';
    expect(plain(sql)).toEqual({ kind: 'setTransaction', text: sql, session: true, isolation: 'read committed' });
    expect(plain('SET TRANSACTION READ ONLY')).toEqual({
      kind: 'setTransaction',
      text: 'SET TRANSACTION READ ONLY',
      session: false,
      readOnly: true,
    });
  });
});

describe('transaction control', () => {
  it.each([
    ['BEGIN', { kind: 'transaction', action: 'begin' }],
    ['BEGIN READ ONLY', { kind: 'transaction', action: 'begin', readOnly: true }],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE', { kind: 'transaction', action: 'begin', isolation: 'serializable', readOnly: false }],
    ['START TRANSACTION', { kind: 'transaction', action: 'begin' }],
    ['COMMIT', { kind: 'transaction', action: 'commit' }],
    ['END', { kind: 'transaction', action: 'commit' }],
    ['COMMIT AND CHAIN', { kind: 'transaction', action: 'commit', chain: true }],
    ['ROLLBACK', { kind: 'transaction', action: 'rollback' }],
    ['ABORT', { kind: 'transaction', action: 'rollback' }],
    ['SAVEPOINT s1', { kind: 'transaction', action: 'savepoint', name: 's1' }],
    ['RELEASE SAVEPOINT s1', { kind: 'transaction', action: 'release', name: 's1' }],
    ['ROLLBACK TO SAVEPOINT s1', { kind: 'transaction', action: 'rollbackTo', name: 's1' }],
    ['ROLLBACK TO s1', { kind: 'transaction', action: 'rollbackTo', name: 's1' }],
    ["PREPARE TRANSACTION 'x'", { kind: 'unsupported', tag: 'PREPARE TRANSACTION' }],
  ])('%s', (sql, expected) => {
    expect(plain(sql)).toEqual(expected);
  });
});

describe('prepared statements', () => {
  it('PREPARE keeps the inner statement with its own text and location', () => {
    const sql = 'select 1; PREPARE p (int, text[]) AS INSERT INTO t VALUES ($1, $2)';
    const stmts = parseSql(sql);
    const s = classifyStatement(stmts[1]!);
    expect(s.kind).toBe('prepare');
    if (s.kind !== 'prepare') return;
    expect(s.name).toBe('p');
    expect(s.paramTypes).toEqual([int4, { names: ['text'], typmods: [], arrayDims: 1 }]);
    expect(s.statement.text).toBe('INSERT INTO t VALUES ($1, $2)');
    expect(sql.slice(s.statement.location, s.statement.location + s.statement.text.length)).toBe(s.statement.text);
    expect(classifyStatement(s.statement)).toMatchObject({ kind: 'insert', table: 't' });
    const bare = one('PREPARE q AS SELECT $1::int');
    expect(bare.kind === 'prepare' && [bare.paramTypes, bare.statement.text]).toEqual([[], 'SELECT $1::int']);
  });

  it('EXECUTE decodes its arguments as cells', () => {
    expect(plain("EXECUTE p(1, 'a', NULL, -2.5, $1, now())")).toEqual({
      kind: 'execute',
      name: 'p',
      params: [
        { kind: 'const', value: '1', typeHint: null },
        { kind: 'const', value: 'a', typeHint: null },
        { kind: 'const', value: null, typeHint: null },
        { kind: 'const', value: '-2.5', typeHint: null },
        { kind: 'param', index: 1, typeHint: null },
        { kind: 'expr', sql: 'now()' },
      ],
    });
    expect(plain('EXECUTE p')).toEqual({ kind: 'execute', name: 'p', params: [] });
  });

  it('DEALLOCATE', () => {
    expect(plain('DEALLOCATE p')).toEqual({ kind: 'deallocate', name: 'p' });
    expect(plain('DEALLOCATE PREPARE ALL')).toEqual({ kind: 'deallocate', name: null });
  });
});

describe('other session statements', () => {
  it.each([
    ['DISCARD ALL', { kind: 'discard', target: 'all' }],
    ['DISCARD PLANS', { kind: 'discard', target: 'plans' }],
    ['DISCARD SEQUENCES', { kind: 'discard', target: 'sequences' }],
    ['DISCARD TEMP', { kind: 'discard', target: 'temp' }],
    ['LISTEN chan', { kind: 'listen', channel: 'chan' }],
    ['UNLISTEN chan', { kind: 'unlisten', channel: 'chan' }],
    ['UNLISTEN *', { kind: 'unlisten', channel: null }],
    ["NOTIFY chan, 'hi'", { kind: 'notify', channel: 'chan', payload: 'hi' }],
    ['NOTIFY chan', { kind: 'notify', channel: 'chan', payload: null }],
    ['CHECKPOINT', { kind: 'checkpoint' }],
    ['VACUUM t', { kind: 'vacuum' }],
    ['VACUUM ANALYZE t', { kind: 'vacuum' }],
    ['ANALYZE t', { kind: 'analyze' }],
  ])('%s', (sql, expected) => {
    expect(plain(sql)).toEqual(expected);
  });
});

describe('copy', () => {
  it('lifts relation, columns, direction and options', () => {
    expect(plain("COPY s.t (a, b) FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ',', FORCE_NOT_NULL (a))")).toEqual({
      kind: 'copy',
      schema: 's',
      table: 't',
      columns: ['a', 'b'],
      isFrom: true,
      isProgram: false,
      filename: null,
      options: { format: 'csv', header: 'true', delimiter: ',', force_not_null: ['a'] },
      query: null,
      whereSql: null,
    });
  });

  it('handles COPY (query) TO STDOUT, legacy options, files and programs', () => {
    expect(plain('COPY (SELECT a FROM t WHERE b > 1) TO STDOUT (FORMAT binary)')).toMatchObject({
      table: null,
      isFrom: false,
      query: 'SELECT a FROM t WHERE b > 1',
      options: { format: 'binary' },
    });
    expect(plain("COPY t TO '/tmp/x' CSV HEADER")).toMatchObject({ filename: '/tmp/x', options: { format: 'csv', header: 'true' } });
    expect(plain("COPY t FROM PROGRAM 'ls'")).toMatchObject({ isProgram: true, filename: 'ls', isFrom: true });
    expect(plain('COPY t FROM STDIN WHERE a > 1')).toMatchObject({ whereSql: 'a > 1' });
  });
});

describe('raw kinds for later handlers', () => {
  it.each([
    ['DECLARE c CURSOR FOR SELECT 1', 'declareCursor'],
    ['FETCH 10 FROM c', 'fetch'],
    ['MOVE c', 'fetch'],
    ['CLOSE c', 'closeCursor'],
    ['CLOSE ALL', 'closeCursor'],
    ['CREATE INDEX ON t (a)', 'createIndex'],
    ["COMMENT ON TABLE t IS 'x'", 'comment'],
    ['ALTER TABLE t ADD COLUMN b int', 'alterTable'],
    ['ALTER TABLE t RENAME TO u', 'alterTable'],
    ['ALTER TABLE t RENAME COLUMN a TO b', 'alterTable'],
    ['CREATE VIEW v AS SELECT 1', 'createView'],
    ['DROP VIEW v', 'dropView'],
  ])('%s → %s', (sql, kind) => {
    const s = one(sql);
    expect(s.kind).toBe(kind);
    expect((s as { text: string }).text).toBe(sql);
    expect((s as { ast: object }).ast).toBeTypeOf('object');
  });
});

describe('unsupported statements carry the Postgres command tag', () => {
  it.each([
    ["CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", 'CREATE FUNCTION'],
    ['CREATE PROCEDURE p() LANGUAGE sql AS $$ select 1 $$', 'CREATE PROCEDURE'],
    ['GRANT SELECT ON t TO bob', 'GRANT'],
    ['REVOKE SELECT ON t FROM bob', 'REVOKE'],
    ['CREATE ROLE r', 'CREATE ROLE'],
    ['CREATE USER u', 'CREATE USER'],
    ['ALTER SYSTEM SET work_mem = 1', 'ALTER SYSTEM'],
    ['DO $$ BEGIN END $$', 'DO'],
    ['CALL p()', 'CALL'],
    ['LOCK TABLE t', 'LOCK TABLE'],
    ['CREATE EXTENSION postgis', 'CREATE EXTENSION'],
    ["LOAD 'x'", 'LOAD'],
    ['TRUNCATE t', 'TRUNCATE TABLE'],
    ['CREATE SCHEMA s', 'CREATE SCHEMA'],
    ['CREATE SEQUENCE s', 'CREATE SEQUENCE'],
    ['CREATE MATERIALIZED VIEW m AS SELECT 1', 'CREATE MATERIALIZED VIEW'],
    ['ALTER INDEX i RENAME TO j', 'ALTER INDEX'],
    ['ALTER VIEW v RENAME TO w', 'ALTER VIEW'],
    ['CREATE DATABASE d', 'CREATE DATABASE'],
    ["CREATE TYPE mood AS ENUM ('a')", 'CREATE TYPE'],
    ['MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE', 'MERGE'],
    ['REINDEX TABLE t', 'REINDEX'],
    ['CLUSTER t', 'CLUSTER'],
    ['REFRESH MATERIALIZED VIEW m', 'REFRESH MATERIALIZED VIEW'],
    ['SET CONSTRAINTS ALL DEFERRED', 'SET CONSTRAINTS'],
    ['CREATE TRIGGER tr AFTER INSERT ON t EXECUTE FUNCTION f()', 'CREATE TRIGGER'],
    ['ALTER ROLE r SUPERUSER', 'ALTER ROLE'],
    ['DROP ROLE r', 'DROP ROLE'],
    ['DROP INDEX i', 'DROP INDEX'],
    ['ALTER SEQUENCE s RESTART', 'ALTER SEQUENCE'],
    ['SECURITY LABEL ON TABLE t IS NULL', 'SECURITY LABEL'],
  ])('%s → %s', (sql, tag) => {
    expect(one(sql)).toEqual({ kind: 'unsupported', tag });
  });

  it('commandTag covers modelled statements too', () => {
    const tag = (sql: string) => commandTag(parseSql(sql)[0]!.ast);
    expect(tag('SELECT 1')).toBe('SELECT');
    expect(tag('INSERT INTO t VALUES (1)')).toBe('INSERT');
    expect(tag('START TRANSACTION')).toBe('START TRANSACTION');
    expect(tag('ROLLBACK TO s')).toBe('ROLLBACK');
    expect(tag('RESET ALL')).toBe('RESET');
    expect(tag('SET a = 1')).toBe('SET');
    expect(tag('DISCARD ALL')).toBe('DISCARD ALL');
    expect(tag('DEALLOCATE ALL')).toBe('DEALLOCATE ALL');
    expect(tag('CLOSE ALL')).toBe('CLOSE CURSOR ALL');
    expect(tag('CREATE TABLE t (a int)')).toBe('CREATE TABLE');
    expect(tag('DROP TABLE t')).toBe('DROP TABLE');
    expect(tag('COPY t FROM STDIN')).toBe('COPY');
    expect(tag('ANALYZE')).toBe('ANALYZE');
  });
});

describe('multi-statement strings', () => {
  it('classifies each statement independently', () => {
    const stmts = parseSql("BEGIN; INSERT INTO t VALUES (1); SELECT * FROM t; SET search_path = s; COMMIT");
    expect(stmts.map((p) => classifyStatement(p).kind)).toEqual(['transaction', 'insert', 'select', 'set', 'transaction']);
    expect(stmts.map((p) => p.text)).toEqual(['BEGIN', 'INSERT INTO t VALUES (1)', 'SELECT * FROM t', 'SET search_path = s', 'COMMIT']);
  });
});
