/**
 * pgjdbc (Debian libpostgresql-jdbc-java): DatabaseMetaData, typed PreparedStatements (server-side
 * prepared and binary after pgjdbc's prepareThreshold), batches, setFetchSize streaming (portal
 * suspension), cancel and query timeout. The Java side (jdbc/Conformance.java) prints one line
 * per case; the values are asserted here.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has, HERE, port, run } from './helpers.js';

const JAR = '/usr/share/java/postgresql.jar';
const ready = has('javac', ['-version']) && existsSync(JAR);
let out: Record<string, string> = {};
let build: string;

describe.runIf(ready)('pgjdbc', () => {
  beforeAll(async () => {
    build = mkdtempSync(path.join(os.tmpdir(), 'conf-jdbc-'));
    const javac = await run('javac', ['-d', build, '-cp', JAR, path.join(HERE, 'jdbc', 'Conformance.java')]);
    if (javac.code !== 0) throw new Error(javac.stderr);
    const r = await run('java', ['-cp', `${JAR}:${build}`, 'Conformance', `jdbc:postgresql://127.0.0.1:${port()}/conf_jdbc?user=tester`], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`java failed: ${r.stderr}\n${r.stdout}`);
    for (const line of r.stdout.trim().split('\n')) {
      const i = line.indexOf('|');
      out[line.slice(0, i)] = line.slice(i + 1);
    }
  });
  afterAll(() => rmSync(build, { recursive: true, force: true }));

  it('connects and reports a PostgreSQL server', () => {
    expect(out['server_version']).toBe('PostgreSQL 16');
    expect(out['ddl']).toBe('ok');
  });

  it('batch insert with typed parameters', () => {
    expect(out['batch_insert']).toBe('250 250');
  });

  it('typed getters over a server-prepared statement (10 executions, binary after the 5th)', () => {
    expect(out['typed_select']).toBe('7,item-7,1.75,14,false,2024-03-04 05:06:07.123,2024-02-29,0.875,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a07');
  });

  it('DatabaseMetaData.getTables', () => {
    expect(out['get_tables']).toBe('public.jt:TABLE:null');
  });

  it('DatabaseMetaData.getColumns', () => {
    expect(out['get_columns']!.split(';')).toEqual([
      'id:-5:int8:19:0:NO:1',
      'name:12:text:2147483647:0:NO:2',
      'price:2:numeric:10:2:YES:3',
      'qty:4:int4:10:0:YES:4',
      'ok:-7:bool:1:0:YES:5',
      'ts:93:timestamp:29:6:YES:6',
      'd:91:date:13:0:YES:7',
      'score:8:float8:17:17:YES:8',
      'u:1111:uuid:2147483647:0:YES:9',
    ]);
  });

  it('DatabaseMetaData.getPrimaryKeys', () => {
    expect(out['get_primary_keys']).toBe('id:1:jt_pkey');
  });

  it('DatabaseMetaData.getSchemas', () => {
    expect(out['get_schemas']).toBe('information_schema;pg_catalog;public');
  });

  it('DatabaseMetaData.getTypeInfo maps Postgres types to java.sql.Types', () => {
    expect(out['get_type_info']).toBe('bool=-7;int2=5;int4=4;int8=-5;float4=7;float8=8;numeric=2;text=12;varchar=12;bytea=-2;date=91;time=92;timestamp=93;timestamptz=93;uuid=1111;');
  });

  it('setFetchSize streams 20,000 rows through a suspended portal', () => {
    expect(out['fetch_size_streaming']).toBe('20000 199990000');
  });

  it('Statement.cancel and setQueryTimeout end a running query with 57014; the connection stays usable', () => {
    expect(out['cancel']).toBe('57014');
    expect(out['query_timeout']).toBe('57014');
    expect(out['after_cancel_alive']).toBe('250 62750');
  });

  it('errors carry the SQLSTATE; rollback discards a transaction', () => {
    expect(out['error_sqlstate']).toBe('42P01');
    expect(out['transaction_rollback']).toBe('0');
  });

  it('ResultSetMetaData names and types', () => {
    expect(out['result_set_metadata']).toBe('id:int8;name:text;price:numeric;ts:timestamp;');
  });

  it('COMMENT ON TABLE is accepted', () => {
    expect(out['comment']).toBe('ok');
  });

  it('COMMENT ON TABLE shows as REMARKS in getTables (pg_description built from stored comments)', () => {
    expect(out['get_tables_remarks']).toBe('public.jt:TABLE:jdbc table');
  });

  // Same values as pgjdbc gets from PostgreSQL 15 for the same statements.
  it("CREATE VIEW: getTables(…, {\"VIEW\"}) with REMARKS from COMMENT ON VIEW, getColumns of the view, rows through it", () => {
    expect(out['view_ddl']).toBe('ok');
    expect(out['get_views']).toBe('public.jv:VIEW:jdbc view');
    expect(out['get_view_columns']!.split(';')).toEqual(['id:-5:int8:19:0:YES:1', 'name:12:text:2147483647:0:YES:2', 'price:2:numeric:10:2:YES:3']);
    expect(out['view_rows']).toBe('125 3937.50');
  });
});
