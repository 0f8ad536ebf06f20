/**
 * CREATE TABLE column types: Postgres/DuckDB type names (as libpg-query parses them) → DuckDB
 * storage type and the Postgres catalog view of it; catalog SQL round trip; OID table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModule, parseSync } from 'libpg-query';
import { DuckMeshError } from '../../src/common/errors.js';
import { columnTypeFromSql, resolveColumnType, type ColumnType, type TypeNameRef } from '../../src/types/column-types.js';
import { formatType } from '../../src/types/format-type.js';
import { Oid, PG_TYPES, arrayOidOf, elementOidOf, pgTypeByName, pgTypeByOid } from '../../src/types/oids.js';
import { connectPg, openDuck, type Duck } from './helpers.js';

const { ref: pgRef, reason } = await connectPg();
let duck: Duck;

beforeAll(async () => {
  await loadModule();
  duck = await openDuck();
});
afterAll(async () => {
  duck?.close();
  await pgRef?.client.end();
});

interface RawTypeName {
  names: { String: { sval: string } }[];
  typmods?: { A_Const: { ival: { ival?: number } } }[];
  arrayBounds?: unknown[];
}

/** The TypeName of `CREATE TABLE t (c <decl>)`, as the protocol layer hands it to us. */
function ref(decl: string): TypeNameRef {
  const tree = parseSync(`CREATE TABLE t (c ${decl})`) as {
    stmts: { stmt: { CreateStmt: { tableElts: { ColumnDef: { typeName: RawTypeName } }[] } } }[];
  };
  const tn = tree.stmts[0].stmt.CreateStmt.tableElts[0].ColumnDef.typeName;
  return {
    names: tn.names.map((n) => n.String.sval),
    typmods: (tn.typmods ?? []).map((m) => m.A_Const.ival.ival ?? 0),
    arrayDims: tn.arrayBounds?.length ?? 0,
  };
}

const resolve = (decl: string): ColumnType => resolveColumnType(ref(decl));

/** [declaration, DuckDB SQL, pgName, pgOid, typMod] */
const EXPECTED: [string, string, string, number, number][] = [
  ['int', 'INTEGER', 'integer', 23, -1],
  ['integer', 'INTEGER', 'integer', 23, -1],
  ['int4', 'INTEGER', 'integer', 23, -1],
  ['smallint', 'SMALLINT', 'smallint', 21, -1],
  ['bigint', 'BIGINT', 'bigint', 20, -1],
  ['int8', 'BIGINT', 'bigint', 20, -1],
  ['real', 'FLOAT', 'real', 700, -1],
  ['float4', 'FLOAT', 'real', 700, -1],
  ['float(10)', 'FLOAT', 'real', 700, -1],
  ['float', 'DOUBLE', 'double precision', 701, -1],
  ['double precision', 'DOUBLE', 'double precision', 701, -1],
  ['float8', 'DOUBLE', 'double precision', 701, -1],
  ['numeric(18,3)', 'DECIMAL(18,3)', 'numeric(18,3)', 1700, ((18 << 16) | 3) + 4],
  ['decimal(5)', 'DECIMAL(5,0)', 'numeric(5,0)', 1700, (5 << 16) + 4],
  ['numeric', 'DECIMAL(38,10)', 'numeric(38,10)', 1700, ((38 << 16) | 10) + 4],
  ['boolean', 'BOOLEAN', 'boolean', 16, -1],
  ['bool', 'BOOLEAN', 'boolean', 16, -1],
  ['text', 'VARCHAR', 'text', 25, -1],
  ['varchar(20)', 'VARCHAR(20)', 'character varying(20)', 1043, 24],
  ['character varying(3)', 'VARCHAR(3)', 'character varying(3)', 1043, 7],
  ['varchar', 'VARCHAR', 'text', 25, -1],
  ['char(5)', 'CHAR(5)', 'character(5)', 1042, 9],
  ['char', 'CHAR(1)', 'character(1)', 1042, 5],
  ['bpchar', 'VARCHAR', 'text', 25, -1],
  ['name', 'VARCHAR', 'text', 25, -1],
  ['"char"', 'VARCHAR', 'text', 25, -1],
  ['bytea', 'BLOB', 'bytea', 17, -1],
  ['date', 'DATE', 'date', 1082, -1],
  ['time', 'TIME', 'time without time zone', 1083, -1],
  ['time(3)', 'TIME', 'time without time zone', 1083, -1],
  ['time with time zone', 'TIME WITH TIME ZONE', 'time with time zone', 1266, -1],
  ['timetz', 'TIME WITH TIME ZONE', 'time with time zone', 1266, -1],
  ['timestamp', 'TIMESTAMP', 'timestamp without time zone', 1114, -1],
  ['timestamp(3) without time zone', 'TIMESTAMP', 'timestamp without time zone', 1114, -1],
  ['timestamptz', 'TIMESTAMP WITH TIME ZONE', 'timestamp with time zone', 1184, -1],
  ['timestamp with time zone', 'TIMESTAMP WITH TIME ZONE', 'timestamp with time zone', 1184, -1],
  ['interval', 'INTERVAL', 'interval', 1186, -1],
  ['interval day to second', 'INTERVAL', 'interval', 1186, -1],
  ['uuid', 'UUID', 'uuid', 2950, -1],
  ['json', 'JSON', 'json', 114, -1],
  ['jsonb', 'JSON', 'json', 114, -1],
  ['bit(3)', 'BIT', 'text', 25, -1],
  ['varbit', 'BIT', 'text', 25, -1],
  ['int[]', 'INTEGER[]', 'integer[]', 1007, -1],
  ['int[3]', 'INTEGER[]', 'integer[]', 1007, -1],
  ['integer[][]', 'INTEGER[][]', 'integer[]', 1007, -1],
  ['text[]', 'VARCHAR[]', 'text[]', 1009, -1],
  ['varchar(20)[]', 'VARCHAR(20)[]', 'character varying(20)[]', 1015, 24],
  ['numeric(5,2)[]', 'DECIMAL(5,2)[]', 'numeric(5,2)[]', 1231, ((5 << 16) | 2) + 4],
  ['timestamptz[]', 'TIMESTAMP WITH TIME ZONE[]', 'timestamp with time zone[]', 1185, -1],
  ['uuid[]', 'UUID[]', 'uuid[]', 2951, -1],
  ['jsonb[]', 'JSON[]', 'json[]', 199, -1],
  ['bool[]', 'BOOLEAN[]', 'boolean[]', 1000, -1],
  ['bytea[]', 'BLOB[]', 'bytea[]', 1001, -1],
  ['interval[]', 'INTERVAL[]', 'interval[]', 1187, -1],
  ['timetz[]', 'TIME WITH TIME ZONE[]', 'time with time zone[]', 1270, -1],
  // DuckDB's own names
  ['hugeint', 'HUGEINT', 'numeric', 1700, -1],
  ['uhugeint', 'UHUGEINT', 'numeric', 1700, -1],
  ['ubigint', 'UBIGINT', 'numeric', 1700, -1],
  ['uinteger', 'UINTEGER', 'bigint', 20, -1],
  ['usmallint', 'USMALLINT', 'integer', 23, -1],
  ['utinyint', 'UTINYINT', 'integer', 23, -1],
  ['tinyint', 'TINYINT', 'smallint', 21, -1],
  ['int1', 'TINYINT', 'smallint', 21, -1],
  ['blob', 'BLOB', 'bytea', 17, -1],
  ['string', 'VARCHAR', 'text', 25, -1],
  ['double', 'DOUBLE', 'double precision', 701, -1],
  ['datetime', 'TIMESTAMP', 'timestamp without time zone', 1114, -1],
  ['timestamp_ns', 'TIMESTAMP_NS', 'timestamp without time zone', 1114, -1],
  ['timestamp_ms', 'TIMESTAMP_MS', 'timestamp without time zone', 1114, -1],
  ['timestamp_s', 'TIMESTAMP_S', 'timestamp without time zone', 1114, -1],
  ['bignum', 'BIGNUM', 'text', 25, -1],
  ['varint', 'BIGNUM', 'text', 25, -1],
  ['"INTEGER"', 'INTEGER', 'integer', 23, -1],
  ['hugeint[]', 'HUGEINT[]', 'numeric[]', 1231, -1],
  ['utinyint[]', 'UTINYINT[]', 'integer[]', 1007, -1],
];

describe('resolveColumnType', () => {
  it.each(EXPECTED)('%s', (decl, sql, pgName, pgOid, typMod) => {
    const ct = resolve(decl);
    expect({ sql: ct.sql, pgName: ct.pgName, pgOid: ct.pgOid, typMod: ct.typMod }).toEqual({ sql, pgName, pgOid, typMod });
    expect(ct.typLen).toBe(pgTypeByOid(pgOid)!.typlen);
    // The catalog keeps only ct.sql; everything must come back from it.
    expect(columnTypeFromSql(ct.sql)).toEqual(ct);
  });

  it('carries limits and element types', () => {
    expect(resolve('varchar(20)').maxLength).toBe(20);
    expect(resolve('char(5)').maxLength).toBe(5);
    const arr = resolve('varchar(20)[]');
    expect(arr.element).toEqual(resolve('varchar(20)'));
    expect(resolve('int[][]').element!.element!.sql).toBe('INTEGER');
  });

  const ERRORS: [string, string, RegExp][] = [
    ['foo', '42704', /^type "foo" does not exist$/],
    ['public.foo', '42704', /^type "public.foo" does not exist$/],
    ['pg_catalog.foo', '42704', /^type "pg_catalog.foo" does not exist$/],
    ['pg_catalog.hugeint', '42704', /^type "pg_catalog.hugeint" does not exist$/],
    ['serial', '0A000', /^type "serial" is not supported$/],
    ['bigserial', '0A000', /^type "bigserial" is not supported$/],
    ['numeric(39)', '0A000', /^numeric precision 39 is not supported/],
    ['numeric(5,6)', '0A000', /scale 6 is not supported/],
    ['numeric(5,-2)', '0A000', /scale -2 is not supported/],
    ['numeric(0)', '22023', /^NUMERIC precision 0 must be between 1 and 1000$/],
    ['numeric(1001)', '22023', /^NUMERIC precision 1001 must be between 1 and 1000$/],
    ['numeric(1,2,3)', '22023', /^invalid NUMERIC type modifier$/],
    ['varchar(0)', '22023', /^length for type varchar must be at least 1$/],
    ['varchar(10485761)', '22023', /^length for type varchar cannot exceed 10485760$/],
    ['char(0)', '22023', /^length for type char must be at least 1$/],
    ['int4(5)', '42601', /^type modifier is not allowed for type "int4"$/],
    ['text(5)', '42601', /^type modifier is not allowed for type "text"$/],
    ['money', '0A000', /^type "money" is not supported$/],
    ['inet', '0A000', /^type "inet" is not supported$/],
    ['constructor', '42704', /^type "constructor" does not exist$/],
  ];
  it.each(ERRORS)('%s is rejected', (decl, code, message) => {
    let err: DuckMeshError | undefined;
    try {
      resolve(decl);
    } catch (e) {
      err = e as DuckMeshError;
    }
    expect(err).toBeInstanceOf(DuckMeshError);
    expect(err!.sqlstate).toBe(code);
    expect(err!.message).toMatch(message);
    if (decl.includes('serial')) expect(err!.hint).toMatch(/sequences/);
  });

  it('produces DuckDB SQL that DuckDB accepts in CREATE TABLE and CAST', async () => {
    const cols = EXPECTED.map(([, sql], i) => `c${i} ${sql}`).join(', ');
    await duck.conn.run(`CREATE TABLE all_types (${cols})`);
    for (const [, sql] of EXPECTED) await duck.conn.run(`SELECT CAST(NULL AS ${sql})`);
  });
});

describe.skipIf(pgRef === null)(`catalog names match Postgres' format_type${reason ? ` (${reason})` : ''}`, () => {
  // Declarations DuckMesh stores exactly as Postgres would (the rest are documented deviations).
  const FAITHFUL = [
    'int', 'integer', 'int4', 'smallint', 'bigint', 'int8', 'real', 'float4', 'float(10)', 'float', 'double precision', 'float8',
    'numeric(18,3)', 'decimal(5)', 'boolean', 'bool', 'text', 'varchar(20)', 'character varying(3)', 'char(5)', 'char', 'bytea',
    'date', 'time', 'time with time zone', 'timetz', 'timestamp', 'timestamptz', 'timestamp with time zone', 'interval', 'uuid',
    'json', 'int[]', 'int[3]', 'integer[][]', 'text[]', 'varchar(20)[]', 'numeric(5,2)[]', 'timestamptz[]', 'uuid[]', 'bool[]',
    'bytea[]', 'interval[]', 'timetz[]',
  ];
  it.each(FAITHFUL)('%s', async (decl) => {
    const table = `fmt_${FAITHFUL.indexOf(decl)}`;
    await pgRef!.client.query(`CREATE TEMP TABLE ${table} (c ${decl})`);
    const r = await pgRef!.scalar(
      `SELECT format_type(atttypid, atttypmod) || ' ' || atttypid || ' ' || atttypmod FROM pg_attribute
       WHERE attrelid = $1::regclass AND attname = 'c'`, [table]);
    const ct = resolve(decl);
    expect(`${ct.pgName} ${ct.pgOid} ${ct.typMod}`).toBe(r);
  });
});

describe('oids', () => {
  it('has the builtin OIDs the protocol depends on', () => {
    expect(Oid.bool).toBe(16);
    expect(Oid.int8).toBe(20);
    expect(Oid.text).toBe(25);
    expect(Oid.numeric).toBe(1700);
    expect(Oid._int4).toBe(1007);
    expect(Oid._timestamptz).toBe(1185);
    expect(arrayOidOf(Oid.uuid)).toBe(2951);
    expect(elementOidOf(Oid._jsonb)).toBe(Oid.jsonb);
    expect(elementOidOf(Oid.int4)).toBe(0);
    expect(pgTypeByName('timestamptz')?.typlen).toBe(8);
    expect(formatType(Oid._varchar, 24)).toBe('character varying(20)[]');
    expect(formatType(Oid.bpchar, -1)).toBe('bpchar');
  });

  it.skipIf(pgRef === null)('matches pg_type in Postgres 15', async () => {
    const r = await pgRef!.client.query({
      text: `SELECT oid, typname, typlen, typbyval, typtype, typcategory, typispreferred, typelem, typarray, typalign,
                    typstorage, typdelim, typinput::text, typoutput::text, typreceive::text, typsend::text,
                    format_type(oid, NULL)
             FROM pg_type WHERE oid = ANY($1::oid[])`,
      values: [`{${PG_TYPES.map((t) => t.oid).join(',')}}`],
      rowMode: 'array',
    });
    expect(r.rows.length).toBe(PG_TYPES.length);
    for (const row of r.rows as string[][]) {
      const t = pgTypeByOid(Number(row[0]))!;
      expect([t.oid, t.typname, t.typlen, t.typbyval, t.typtype, t.typcategory, t.typispreferred, t.typelem, t.typarray,
        t.typalign, t.typstorage, t.typdelim, t.typinput, t.typoutput, t.typreceive, t.typsend, formatType(t.oid)]).toEqual([
        Number(row[0]), row[1], Number(row[2]), row[3] === 't', row[4], row[5], row[6] === 't', Number(row[7]), Number(row[8]),
        row[9], row[10], row[11], row[12], row[13], row[14], row[15], row[16],
      ]);
    }
  });
});
