/**
 * Differential tests: a value computed by DuckDB and encoded by textEncoderFor() must read
 * exactly like Postgres 15's output for the same literal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBTypeId, VARCHAR, LIST, INTEGER, STRUCT, MAP, structValue, listValue, mapValue } from '@duckdb/node-api';
import { textEncoderFor } from '../../src/types/text-encode.js';
import {
  formatFloat4, formatFloat8, formatDateDays, formatInterval, formatTimestampMicros, formatTimeMicros,
} from '../../src/types/text-encode.js';
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

interface Case {
  /** Postgres type and literal. */
  pg: string;
  lit: string;
  /** DuckDB type and literal when they differ from Postgres'. */
  duck?: string;
  duckLit?: string;
}

function cases(pgType: string, duckType: string, literals: (string | [string, string])[]): Case[] {
  return literals.map((l) => (Array.isArray(l)
    ? { pg: pgType, lit: l[0], duck: duckType, duckLit: l[1] }
    : { pg: pgType, lit: l, duck: duckType }));
}

const CASES: Case[] = [
  ...cases('float8', 'DOUBLE', [
    '0.1', '1e100', '1.5e-7', '-0', 'NaN', 'Infinity', '-Infinity', '123456789012345', '1e15', '1e14', '0.0001',
    '0.00001', '1.7976931348623157e308', '5e-324', '2.2250738585072014e-308', '100', '-1.5', '3.141592653589793',
    '12345678.9', '1e21', '1e22', '1e23', '123456789012345678', '9007199254740993', '18014398509481990', '2.5e-5', '0.000123456789', '9.999999999999999e-5', '1e-7', '2e-7', '0',
  ]),
  ...cases('float4', 'FLOAT', [
    '3.4028235e38', '0.1', '1.5e-7', '1234567', '123456', '1e-45', '1.17549435e-38', '16777216', '-0', 'NaN',
    'Infinity', '-Infinity', '0.3', '7.0e-5', '1e-4', '99999.99', '999999', '1e6', '0.00009999', '2.5', '-3.75',
    '8388608.5', '33554432', '1.4e-45', '3.3554432e7',
  ]),
  ...cases('int2', 'SMALLINT', ['0', '-32768', '32767']),
  ...cases('int4', 'INTEGER', ['0', '-2147483648', '2147483647']),
  ...cases('int8', 'BIGINT', ['0', '-9223372036854775808', '9223372036854775807']),
  ...cases('numeric(18,3)', 'DECIMAL(18,3)', ['1.5', '-0.001', '0', '123456789012345.678', '-999999999999999.999', '0.0005']),
  ...cases('numeric(38,10)', 'DECIMAL(38,10)', ['1234567890123456789012345678.0123456789', '-0.0000000001', '42']),
  ...cases('numeric(4,0)', 'DECIMAL(4,0)', ['9999', '-1', '0']),
  ...cases('numeric(4,4)', 'DECIMAL(4,4)', ['0.1234', '-0.0001']),
  ...cases('numeric', 'HUGEINT', ['170141183460469231731687303715884105727', '-170141183460469231731687303715884105728']),
  ...cases('numeric', 'UBIGINT', ['18446744073709551615']),
  ...cases('numeric', 'UHUGEINT', ['340282366920938463463374607431768211455']),
  ...cases('bool', 'BOOLEAN', ['true', 'false']),
  ...cases('text', 'VARCHAR', ['', 'hello', 'a\tb\nc', 'ünïcødé ✓', 'back\\slash']),
  ...cases('bytea', 'BLOB', [['\\x0102ff', '\\x01\\x02\\xff'], ['\\x', ''], ['abc', 'abc']]),
  ...cases('uuid', 'UUID', ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff']),
  ...cases('json', 'JSON', ['{"a": [1, 2.5, "x"]}', '"s"', 'null']),
  ...cases('date', 'DATE', [
    '2024-01-05', ['0044-03-15 BC', '0044-03-15 (BC)'], 'infinity', '-infinity', '0001-01-01', ['0001-12-31 BC', '0001-12-31 (BC)'],
    '9999-12-31', '10000-01-01', ['4713-01-01 BC', '4713-01-01 (BC)'], '2000-02-29', '1970-01-01', '1969-12-31', '5874897-12-31',
  ]),
  ...cases('time', 'TIME', ['13:04:05.123456', '00:00:00', '24:00:00', '13:04:05.5', '23:59:59.999999', '00:00:00.000001', '12:00:00.12']),
  ...cases('timetz', 'TIMETZ', ['13:04:05+02', '13:04:05.5-05:30', '00:00:00+00', '10:00:00+05:30:15', '23:59:59.999999-15:59:59']),
  ...cases('timestamp', 'TIMESTAMP', [
    '2024-01-05 13:04:05.5', '2024-01-05 00:00:00', ['0044-03-15 10:00:00 BC', '0044-03-15 (BC) 10:00:00'], 'infinity', '-infinity',
    '1900-01-01 00:00:00.000001', '2262-04-11 23:47:16.854775', '1677-09-21 00:12:43.145225', '294000-01-01 00:00:00',
    '1999-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999', ['4713-11-24 00:00:00 BC', '4713-11-24 (BC) 00:00:00'],
  ]),
  ...cases('timestamptz', 'TIMESTAMPTZ', [
    '2024-01-05 13:04:05.5+00', '2024-01-05 13:04:05+02', 'infinity', '-infinity',
    ['0044-03-15 10:00:00+00 BC', '0044-03-15 (BC) 10:00:00+00'], '1850-06-01 12:00:00.25+00',
  ]),
  ...cases('timestamp', 'TIMESTAMP_S', ['2024-01-05 13:04:05', 'infinity', '-infinity']),
  ...cases('timestamp', 'TIMESTAMP_MS', ['2024-01-05 13:04:05.123', '1950-01-01 00:00:00.001', 'infinity']),
  ...cases('timestamp', 'TIMESTAMP_NS', [['2024-01-05 13:04:05.123456', '2024-01-05 13:04:05.123456789'], 'infinity']),
  ...cases('interval', 'INTERVAL', [
    ['1 year 2 mons -3 days 04:05:06.789', '14 months -3 days 14706789000 microseconds'],
    ['-1 day', '-1 days'],
    ['0', '0 seconds'],
    ['-00:00:01', '-1 seconds'],
    ['1 year', '12 months'],
    ['-1 year 2 mons', '-10 months'],
    ['-1 year -2 mons +3 days', '-14 months 3 days'],
    ['1 mon -1 day 00:00:01', '1 month -1 day 1 second'],
    ['100 hours', '360000000000 microseconds'],
    ['-1 years -2 mons -3 days -04:05:06', '-14 months -3 days -14706000000 microseconds'],
    ['1 day -1 second', '1 day -1000000 microseconds'],
    ['178956970 years 7 mons 2147483647 days 2562047788:00:54.775807', '2147483647 months 2147483647 days 9223372036854775807 microseconds'],
    ['-178956970 years -8 mons -2147483648 days -2562047788:00:54.775807', '-2147483648 months -2147483648 days -9223372036854775807 microseconds'],
    ['-1 mons +1 day', '-1 months 1 day'],
    ['3 days -00:00:00.5', '3 days -500000 microseconds'],
  ]),
  ...cases('int4[]', 'INTEGER[]', [['{1,2,NULL}', '[1,2,NULL]'], ['{}', '[]']]),
  ...cases('text[]', 'VARCHAR[]', [
    ['{"a b","c\\"d","",NULL,"NULL","null","x,y","{}","back\\\\slash",plain,"  lead"}',
      `['a b', 'c"d', '', NULL, 'NULL', 'null', 'x,y', '{}', 'back\\\\slash', 'plain', '  lead']`],
  ]),
  ...cases('float8[]', 'DOUBLE[]', [['{0.1,1e+100,NaN,-Infinity}', `[0.1,1e100,'NaN','-Infinity']`]]),
  ...cases('timestamp[]', 'TIMESTAMP[]', [['{"2024-01-05 13:04:05.5",infinity}', `['2024-01-05 13:04:05.5','infinity']`]]),
  ...cases('bytea[]', 'BLOB[]', [['{"\\\\x01ff",NULL}', `SQL:[BLOB '\\x01\\xff', NULL]`]]),
  ...cases('bool[]', 'BOOLEAN[]', [['{t,f}', '[true,false]']]),
  ...cases('int4[]', 'INTEGER[][]', [['{{1,2},{3,4}}', '[[1,2],[3,4]]']]),
  ...cases('numeric(5,2)[]', 'DECIMAL(5,2)[]', [['{1.50,-2.00}', '[1.5,-2]']]),
  ...cases('interval[]', 'INTERVAL[]', [['{"1 day",-00:00:01}', `['1 day', '-1 second']`]]),
  ...cases('uuid[]', 'UUID[3]', [['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL,00000000-0000-0000-0000-000000000001}',
    `['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', NULL, '00000000-0000-0000-0000-000000000001']`]]),
];

describe.skipIf(pgRef === null)(`text encoding matches PostgreSQL 15${reason ? ` (${reason})` : ''}`, () => {
  it.each(CASES.map((c) => [`${c.pg} ${c.lit} (${c.duck})`, c] as const))('%s', async (_name, c) => {
    const expected = await pgRef!.text(c.pg, c.lit);
    const lit = c.duckLit ?? c.lit;
    const { type, value } = lit.startsWith('SQL:')
      ? await duck.value(`SELECT ${lit.slice(4)}`)
      : await duck.value(`SELECT CAST(? AS ${c.duck ?? c.pg})`, [lit]);
    expect(value).not.toBeNull();
    expect(textEncoderFor(type)(value)).toBe(expected);
  });

  it('float8: random bit patterns print like Postgres', async () => {
    const values: number[] = [];
    const dv = new DataView(new ArrayBuffer(8));
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    while (values.length < 400) {
      dv.setUint32(0, (rnd() << 1) ^ rnd());
      dv.setUint32(4, (rnd() << 1) ^ rnd());
      const v = dv.getFloat64(0);
      if (Number.isFinite(v)) values.push(v);
    }
    for (let i = 0; i < 40; i++) values.push(rnd() / 1000, rnd() / 7, 1 / (rnd() + 1), rnd() * 1e10);
    const expected = await pgRef!.client.query({
      text: 'SELECT x::text FROM unnest($1::float8[]) x', values: [`{${values.map((v) => `${v}`).join(',')}}`], rowMode: 'array',
    });
    const got = values.map((v) => formatFloat8(v));
    expect(got).toEqual(expected.rows.map((r) => r[0]));
  });

  it('float4: random bit patterns print like Postgres', async () => {
    const values: number[] = [];
    const dv = new DataView(new ArrayBuffer(4));
    let seed = 987;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    while (values.length < 600) {
      dv.setUint32(0, (rnd() << 1) ^ rnd());
      const v = dv.getFloat32(0);
      if (Number.isFinite(v)) values.push(v);
    }
    // Powers of two have a lopsided rounding interval; exercise that path.
    for (let e = -149; e <= 127; e += 3) values.push(2 ** e, -(2 ** e));
    for (let i = 0; i < 50; i++) values.push(Math.fround(rnd() / 1000), Math.fround(1 / (rnd() + 1)));
    const expected = await pgRef!.client.query({
      text: 'SELECT x::text FROM unnest($1::float4[]) x', values: [`{${values.map((v) => `${v}`).join(',')}}`], rowMode: 'array',
    });
    const got = values.map((v) => formatFloat4(v));
    expect(got).toEqual(expected.rows.map((r) => r[0]));
  });

  it('dates, timestamps and intervals across the range match Postgres', async () => {
    const days: number[] = [];
    for (let d = -2_440_000; d < 2_900_000; d += 9_973) days.push(d);
    const r = await pgRef!.client.query({
      text: `SELECT (date '1970-01-01' + x)::text, (timestamp '1970-01-01' + x * interval '1 day' + x * interval '1.000137 second')::text
             FROM unnest($1::int[]) x`,
      values: [`{${days.join(',')}}`], rowMode: 'array',
    });
    days.forEach((d, i) => {
      expect(formatDateDays(d)).toBe(r.rows[i][0]);
      const us = BigInt(d) * 86_400_000_000n + BigInt(d) * 1_000_137n;
      expect(formatTimestampMicros(us)).toBe(r.rows[i][1]);
    });
    const ivs = [[0, 0, 0n], [-13, 5, -1n], [25, -40, 86_400_000_001n], [1, 1, 1n], [-1, -1, -1n], [0, 0, 3_600_000_000n * 1000n]] as const;
    for (const [m, d, us] of ivs) {
      const text = await pgRef!.scalar(`SELECT make_interval(0, $1, 0, $2, 0, 0, $3::float8 / 1e6)::text`, [m, d, `${us}`]);
      expect(formatInterval(m, d, us)).toBe(text);
    }
  });
});

describe('text encoding of DuckDB-only types', () => {
  it('encodes structs as records, maps in DuckDB style, nested lists inline', () => {
    const st = STRUCT({ a: INTEGER, b: VARCHAR, c: LIST(INTEGER) });
    expect(textEncoderFor(st)(structValue({ a: 1, b: 'a b', c: listValue([1, 2]) }))).toBe('(1,"a b","{1,2}")');
    expect(textEncoderFor(st)(structValue({ a: null, b: '', c: null }))).toBe('(,"",)');
    expect(textEncoderFor(st)(structValue({ a: 2, b: 'q"\\', c: listValue([]) }))).toBe('(2,"q""\\\\",{})');
    const mp = MAP(VARCHAR, INTEGER);
    expect(textEncoderFor(mp)(mapValue([{ key: 'k', value: 1 }, { key: 'z', value: null }]))).toBe('{k=1, z=NULL}');
    const nested = LIST(LIST(VARCHAR));
    expect(textEncoderFor(nested)(listValue([listValue(['a b', null]), null, listValue([])]))).toBe('{{"a b",NULL},NULL,{}}');
  });

  it('exposes primitive formatters', () => {
    expect(formatTimeMicros(0)).toBe('00:00:00');
    expect(formatTimeMicros(86_400_000_000)).toBe('24:00:00');
    expect(formatFloat8(1e100)).toBe('1e+100');
    expect(formatFloat4(Math.fround(0.1))).toBe('0.1');
    expect(DuckDBTypeId.VARCHAR).toBe(17);
  });

  it('encodes real DuckDB values of nested and special types', async () => {
    const d = duck;
    const cases: [string, string][] = [
      [`SELECT {'a': 1, 'b': 'x y'}`, '(1,"x y")'],
      [`SELECT MAP {'k': 'v'}`, '{k=v}'],
      [`SELECT union_value(k := 2)::UNION(k INTEGER, s VARCHAR)`, '2'],
      [`SELECT '0101'::BIT`, '0101'],
      [`SELECT 123456789012345678901234567890::BIGNUM`, '123456789012345678901234567890'],
      [`SELECT [[1, 2], [3]]`, '{{1,2},{3}}'],
      [`SELECT '10:00:00.9999999'::TIME_NS`, '10:00:01'],
      [`SELECT [{'a': 1}]`, '{(1)}'],
      [`SELECT ['a b']::VARCHAR[2]`.replace("['a b']", "['a b', NULL]"), '{"a b",NULL}'],
    ];
    for (const [sql, want] of cases) {
      const { type, value } = await d.value(sql);
      expect(textEncoderFor(type)(value), sql).toBe(want);
    }
  });
});
