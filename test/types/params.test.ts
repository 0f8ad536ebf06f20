/**
 * Bind parameters: binary values produced by Postgres' own send functions and text values
 * must decode to text DuckDB casts to the same value Postgres would use; invalid text must
 * fail like Postgres' input functions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANY, SQLNULL } from '@duckdb/node-api';
import { DuckMeshError } from '../../src/common/errors.js';
import { decodeParam, duckDBTypeToParamOid, paramTypeToDuckDB } from '../../src/types/params.js';
import { textEncoderFor } from '../../src/types/text-encode.js';
import { connectPg, openDuck, type Duck } from './helpers.js';

const { ref: pgRef, reason } = await connectPg();
let duck: Duck;

beforeAll(async () => {
  duck = await openDuck();
});
afterAll(async () => {
  duck?.close();
  await pgRef?.client.end();
});

/** [postgres type, literals]; numeric compares as numeric(38,10), the DuckDB parameter type. */
const VALUES: [string, string[]][] = [
  ['bool', ['t', 'false']],
  ['int2', ['-32768', '12']],
  ['int4', ['2147483647', '-1']],
  ['int8', ['-9223372036854775808', '42']],
  ['oid', ['4294967295', '0']],
  ['float4', ['0.1', '-3.4028235e38', 'NaN', '-Infinity', '1e-45']],
  ['float8', ['0.1', '1e100', '-0', 'Infinity', '5e-324']],
  ['numeric', ['1.5', '-0.0000000001', '123456789012345678.9', '0', '100000000000000000000000000']],
  ['text', ['héllo ✓', '']],
  ['varchar', ['abc']],
  ['bpchar', ['ab  ']],
  ['name', ['relname']],
  ['bytea', ['\\x00ff5c27', '\\x']],
  ['json', ['{"a": [1, 2]}']],
  ['jsonb', ['{"a": [1, 2]}']],
  ['uuid', ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']],
  ['date', ['2024-01-05', '0044-03-15 BC', 'infinity', '-infinity']],
  ['time', ['13:04:05.123456', '24:00:00']],
  ['timetz', ['13:04:05.5-05:30', '00:00:00+00']],
  ['timestamp', ['2024-01-05 13:04:05.5', '0044-03-15 10:00:00 BC', 'infinity', '-infinity', '1900-01-01 00:00:00.000001']],
  ['timestamptz', ['2024-01-05 13:04:05.5+02', 'infinity']],
  ['interval', ['1 year 2 mons -3 days 04:05:06.789', '-1 day', '00:00:00']],
  ['varbit', ['0101', '1']],
  ['int4[]', ['{1,NULL,3}', '{}']],
  ['text[]', ['{"a b","c\\"d",NULL,""}']],
  ['float8[]', ['{0.1,NaN}']],
  ['numeric[]', ['{1.5,-2}']],
  ['timestamptz[]', ['{"2024-01-05 13:04:05+02",NULL}']],
  ['uuid[]', ['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}']],
  ['bytea[]', ['{"\\\\x01ff"}']],
  ['bool[]', ['{t,f,NULL}']],
  ['date[]', ['{2024-01-05}']],
  ['interval[]', ['{"1 day 00:00:01"}']],
];

const CASES = VALUES.flatMap(([type, lits]) => lits.map((lit) => ({ type, lit })));

function compareType(type: string): string {
  return type.replace(/^numeric/, 'numeric(38,10)');
}

async function castInDuck(oid: number, canonical: string): Promise<string | null> {
  const sql = paramTypeToDuckDB(oid);
  const { type, value } = await duck.value(sql === null ? 'SELECT ?::VARCHAR' : `SELECT CAST(? AS ${sql})`, [canonical]);
  return value === null ? null : textEncoderFor(type)(value);
}

describe.skipIf(pgRef === null)(`parameters decode like Postgres${reason ? ` (${reason})` : ''}`, () => {
  it.each(CASES.map((c) => [`${c.type} ${c.lit}`, c] as const))('binary %s', async (_n, c) => {
    const oid = Number(await pgRef!.scalar('SELECT $1::regtype::oid', [c.type]));
    const bytes = await pgRef!.send(c.type, c.lit);
    const expected = await pgRef!.text(compareType(c.type), c.lit);
    const canonical = decodeParam(oid, 1, bytes);
    expect(await castInDuck(oid, canonical)).toBe(expected);
  });

  it.each(CASES.map((c) => [`${c.type} ${c.lit}`, c] as const))('text %s', async (_n, c) => {
    const oid = Number(await pgRef!.scalar('SELECT $1::regtype::oid', [c.type]));
    const expected = await pgRef!.text(compareType(c.type), c.lit);
    const canonical = decodeParam(oid, 0, Buffer.from(c.lit));
    expect(await castInDuck(oid, canonical)).toBe(expected);
  });

  const BAD: [string, string][] = [
    ['int4', 'abc'], ['int4', '99999999999'], ['int2', '1.5'], ['int8', ''], ['bool', 'maybe'], ['float8', '1e400'],
    ['float4', 'x'], ['numeric', 'abc'], ['date', '2024-02-30'], ['timestamp', 'x'], ['timestamptz', '2024-13-01'],
    ['interval', '1 fortnight'], ['uuid', 'nope'], ['json', '{'], ['bytea', '\\xzz'], ['int4[]', '{1,'], ['int4[]', '{a}'],
    ['time', '25:00'], ['oid', '-2147483649'], ['oid', '4294967296'],
  ];
  it.each(BAD)('text %s %j fails like Postgres', async (type, lit) => {
    const oid = Number(await pgRef!.scalar('SELECT $1::regtype::oid', [type]));
    const pgOutcome = await pgRef!.cast(type, lit);
    expect(pgOutcome.ok).toBe(false);
    let err: DuckMeshError | undefined;
    try {
      decodeParam(oid, 0, Buffer.from(lit));
    } catch (e) {
      err = e as DuckMeshError;
    }
    expect(err).toBeInstanceOf(DuckMeshError);
    if (!pgOutcome.ok) expect({ code: err!.sqlstate, message: err!.message }).toEqual({ code: pgOutcome.code, message: pgOutcome.message });
  });
});

describe('parameter types', () => {
  it('maps Postgres OIDs to DuckDB cast types', () => {
    expect(paramTypeToDuckDB(23)).toBe('INTEGER');
    expect(paramTypeToDuckDB(20)).toBe('BIGINT');
    expect(paramTypeToDuckDB(1700)).toBe('DECIMAL(38,10)');
    expect(paramTypeToDuckDB(1184)).toBe('TIMESTAMP WITH TIME ZONE');
    expect(paramTypeToDuckDB(1007)).toBe('INTEGER[]');
    expect(paramTypeToDuckDB(1009)).toBe('VARCHAR[]');
    expect(paramTypeToDuckDB(3802)).toBe('JSON');
    expect(paramTypeToDuckDB(0)).toBeNull();
    expect(paramTypeToDuckDB(705)).toBeNull();
    expect(paramTypeToDuckDB(2205)).toBeNull();
    expect(paramTypeToDuckDB(999999)).toBeNull();
  });

  it('passes unknown and text parameters through unchanged', () => {
    expect(decodeParam(0, 0, Buffer.from(' anything {} '))).toBe(' anything {} ');
    expect(decodeParam(25, 0, Buffer.from('x'))).toBe('x');
    expect(decodeParam(705, 1, Buffer.from('raw'))).toBe('raw');
    expect(decodeParam(2205, 0, Buffer.from('pg_class'))).toBe('pg_class');
  });

  it('rejects malformed binary values', () => {
    expect(() => decodeParam(23, 1, Buffer.alloc(3))).toThrow(/incorrect binary data format/);
    expect(() => decodeParam(1007, 1, Buffer.from('0000000100000000000000140000000100000001', 'hex'))).toThrow(/element type/);
    expect(() => decodeParam(600, 1, Buffer.alloc(16))).toThrow(/no binary input function available for type point/);
  });

  it('describes DuckDB-inferred parameter types', async () => {
    await duck.conn.run(`CREATE TABLE pt (a INTEGER, b VARCHAR, c DECIMAL(10,2), d TIMESTAMPTZ, e INTEGER[], f UBIGINT, g HUGEINT, h BOOLEAN, i DATE, j UTINYINT)`);
    const prepared = await duck.conn.prepare(
      `SELECT * FROM pt WHERE a = $1 AND b = $2 AND c = $3 AND d = $4 AND e = $5 AND f = $6 AND g = $7 AND h = $8 AND i = $9 AND j = $10`,
    );
    const oids = Array.from({ length: prepared.parameterCount }, (_, i) => duckDBTypeToParamOid(prepared.parameterType(i + 1)));
    expect(oids).toEqual([23, 25, 1700, 1184, 1007, 1700, 1700, 16, 1082, 23]);
    expect(duckDBTypeToParamOid(SQLNULL)).toBe(25);
    expect(duckDBTypeToParamOid(ANY)).toBe(25);
  });

  it('rejects multidimensional and lower-bounded arrays, which DuckDB lists cannot hold', async () => {
    const err = (oid: number, format: 0 | 1, data: Buffer): string => {
      try {
        decodeParam(oid, format, data);
      } catch (e) {
        return (e as DuckMeshError).sqlstate;
      }
      return 'ok';
    };
    expect(err(1007, 0, Buffer.from('{{1,2},{3,4}}'))).toBe('0A000');
    expect(err(1007, 0, Buffer.from('[0:1]={1,2}'))).toBe('0A000');
    if (pgRef !== null) {
      expect(err(1007, 1, await pgRef.send('int4[]', '{{1,2},{3,4}}'))).toBe('0A000');
      expect(err(1007, 1, await pgRef.send('int4[]', '[0:1]={1,2}'))).toBe('0A000');
    }
  });
});
