/**
 * Binary result encoding: bytes must equal what Postgres' own send functions produce for
 * the same value (checked against a live Postgres 15), and decode with pg's binary parsers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DuckDBTypeId, INTEGER, LIST, STRUCT, VARCHAR, listValue, structValue } from '@duckdb/node-api';
import { binaryEncoderFor, encodeNumericBinary } from '../../src/types/binary-encode.js';
import { describeDuckDBType } from '../../src/types/result-types.js';
import { decodeNumericBinary } from '../../src/types/format-numeric.js';
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

/** [postgres type, DuckDB type, literal, DuckDB literal if different] */
const CASES: [string, string, string, string?][] = [
  ['int2', 'SMALLINT', '-32768'], ['int2', 'TINYINT', '-7'], ['int4', 'INTEGER', '2147483647'], ['int4', 'UTINYINT', '255'],
  ['int4', 'USMALLINT', '65535'], ['int8', 'UINTEGER', '4294967295'], ['int8', 'BIGINT', '-9223372036854775808'],
  ['float4', 'FLOAT', '3.4028235e38'], ['float4', 'FLOAT', '-0.1'], ['float8', 'DOUBLE', '0.1'], ['float8', 'DOUBLE', '-Infinity'],
  ['float8', 'DOUBLE', 'NaN'], ['bool', 'BOOLEAN', 'true'], ['bool', 'BOOLEAN', 'false'],
  ['numeric(18,3)', 'DECIMAL(18,3)', '1.5'], ['numeric(18,3)', 'DECIMAL(18,3)', '0'], ['numeric(18,3)', 'DECIMAL(18,3)', '-0.001'],
  ['numeric(18,3)', 'DECIMAL(18,3)', '123456789012345.678'], ['numeric(38,10)', 'DECIMAL(38,10)', '1234567890123456789012345678.0123456789'],
  ['numeric(38,10)', 'DECIMAL(38,10)', '-10000.0000000001'], ['numeric(4,0)', 'DECIMAL(4,0)', '9999'], ['numeric(9,0)', 'DECIMAL(9,0)', '100000000'],
  ['numeric(4,4)', 'DECIMAL(4,4)', '0.0001'], ['numeric(10,8)', 'DECIMAL(10,8)', '12.00000001'], ['numeric(20,0)', 'DECIMAL(20,0)', '10000000000000000000'],
  ['numeric', 'HUGEINT', '-170141183460469231731687303715884105728'], ['numeric', 'UBIGINT', '18446744073709551615'],
  ['numeric', 'UHUGEINT', '0'], ['text', 'VARCHAR', 'héllo ✓'], ['json', 'JSON', '{"a": [1, "x"]}'],
  ['bytea', 'BLOB', '\\x00ff10', '\\x00\\xff\\x10'], ['uuid', 'UUID', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ['date', 'DATE', '2024-01-05'], ['date', 'DATE', '1999-12-31'], ['date', 'DATE', '0044-03-15 BC', '0044-03-15 (BC)'],
  ['date', 'DATE', 'infinity'], ['date', 'DATE', '-infinity'],
  ['time', 'TIME', '13:04:05.123456'], ['time', 'TIME', '24:00:00'], ['timetz', 'TIMETZ', '13:04:05.5-05:30'], ['timetz', 'TIMETZ', '01:02:03+02'],
  ['timestamp', 'TIMESTAMP', '2024-01-05 13:04:05.5'], ['timestamp', 'TIMESTAMP', '1900-01-01 00:00:00'], ['timestamp', 'TIMESTAMP', 'infinity'],
  ['timestamp', 'TIMESTAMP', '-infinity'], ['timestamp', 'TIMESTAMP_MS', '2024-01-05 13:04:05.123'], ['timestamp', 'TIMESTAMP_S', '1960-06-01 00:00:01'],
  ['timestamp', 'TIMESTAMP_NS', '2024-01-05 13:04:05.123456', '2024-01-05 13:04:05.123456789'],
  ['timestamptz', 'TIMESTAMPTZ', '2024-01-05 13:04:05.5+02'], ['timestamptz', 'TIMESTAMPTZ', 'infinity'],
  ['interval', 'INTERVAL', '1 year 2 mons -3 days 04:05:06.789', '14 months -3 days 14706789000 microseconds'],
  ['interval', 'INTERVAL', '-1 day -00:00:01', '-1 days -1000000 microseconds'],
  ['int4[]', 'INTEGER[]', '{1,NULL,3}', '[1,NULL,3]'], ['int4[]', 'INTEGER[]', '{}', '[]'], ['int8[]', 'BIGINT[]', '{-1,9223372036854775807}', '[-1,9223372036854775807]'],
  ['text[]', 'VARCHAR[]', '{"a b",NULL,""}', `['a b', NULL, '']`], ['float8[]', 'DOUBLE[]', '{0.1,-Infinity}', `[0.1, '-Infinity']`],
  ['numeric(5,2)[]', 'DECIMAL(5,2)[]', '{1.50,NULL,-0.01}', '[1.5, NULL, -0.01]'], ['bool[]', 'BOOLEAN[]', '{t,f}', '[true,false]'],
  ['timestamp[]', 'TIMESTAMP[]', '{"2024-01-05 13:04:05",infinity}', `['2024-01-05 13:04:05', 'infinity']`],
  ['uuid[]', 'UUID[]', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', `['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']`],
  ['date[]', 'DATE[]', '{2024-01-05,NULL}', `['2024-01-05', NULL]`], ['interval[]', 'INTERVAL[]', '{"1 day"}', `['1 day']`],
  ['int4[]', 'INTEGER[3]', '{1,2,3}', '[1,2,3]'], ['numeric[]', 'HUGEINT[]', '{1,-2}', '[1,-2]'],
];

describe.skipIf(pgRef === null)(`binary encoding matches Postgres' send functions${reason ? ` (${reason})` : ''}`, () => {
  it.each(CASES.map((c) => [`${c[0]} ${c[2]} (${c[1]})`, c] as const))('%s', async (_n, [pgType, duckType, lit, duckLit]) => {
    const expected = await pgRef!.send(pgType, lit);
    const { type, value } = await duck.value(`SELECT CAST(? AS ${duckType})`, [duckLit ?? lit]);
    const got = binaryEncoderFor(type)(value);
    expect(got.toString('hex')).toBe(expected!.toString('hex'));
    // The OID we announce must be the type whose bytes these are.
    const oid = await pgRef!.scalar(`SELECT $1::regtype::oid`, [pgType.replace(/\(.*\)/, '')]);
    expect(describeDuckDBType(type).typeOid).toBe(Number(oid));
  });
});

describe('binary encoding decodes with pg-types', () => {
  const parse = (oid: number, buf: Buffer): unknown => pg.types.getTypeParser(oid, 'binary')(buf as unknown as string);

  it('round-trips scalars and arrays', async () => {
    const v = async (sql: string): Promise<[number, Buffer]> => {
      const { type, value } = await duck.value(sql);
      return [describeDuckDBType(type).typeOid, binaryEncoderFor(type)(value)];
    };
    expect(parse(...(await v('SELECT 42::INTEGER')))).toBe(42);
    expect(parse(...(await v('SELECT -7::SMALLINT')))).toBe(-7);
    expect(parse(...(await v('SELECT 0.25::DOUBLE')))).toBe(0.25);
    expect(parse(...(await v('SELECT true')))).toBe(true);
    expect(parse(...(await v(`SELECT 'abc'`)))).toBe('abc');
    expect(Number(parse(...(await v('SELECT 12345.678::DECIMAL(10,3)'))))).toBe(12345.678);
    expect((parse(...(await v(`SELECT TIMESTAMP '2024-01-05 13:04:05.5'`))) as Date).toISOString()).toBe('2024-01-05T13:04:05.500Z');
    expect((parse(...(await v(`SELECT TIMESTAMPTZ '2024-01-05 13:04:05+02'`))) as Date).toISOString()).toBe('2024-01-05T11:04:05.000Z');
    expect(parse(...(await v('SELECT [1, NULL, 3]::INTEGER[]')))).toEqual([1, null, 3]);
    expect(parse(...(await v(`SELECT ['a', 'b c']`)))).toEqual(['a', 'b c']);
  });

  it('numeric binary encodes and decodes symmetrically', () => {
    for (const [v, s] of [[0n, 0], [1n, 0], [-1n, 5], [10000n, 0], [123456789n, 4], [-5n, 38], [10n ** 37n, 2], [99999999n, 8]] as const) {
      const text = decodeNumericBinary(encodeNumericBinary(v, s));
      const sign = v < 0n ? '-' : '';
      const abs = (v < 0n ? -v : v).toString().padStart(s + 1, '0');
      expect(text).toBe(s === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -s)}.${abs.slice(-s)}`);
    }
  });

  it('sends types without a Postgres counterpart as their text', () => {
    const st = STRUCT({ a: INTEGER, b: VARCHAR });
    expect(describeDuckDBType(st).typeOid).toBe(25);
    expect(binaryEncoderFor(st)(structValue({ a: 1, b: 'x y' })).toString()).toBe('(1,"x y")');
    const nested = LIST(LIST(INTEGER));
    expect(describeDuckDBType(nested).typeOid).toBe(25);
    expect(binaryEncoderFor(nested)(listValue([listValue([1]), listValue([2, 3])])).toString()).toBe('{{1},{2,3}}');
    expect(DuckDBTypeId.STRUCT).toBe(25);
  });
});
