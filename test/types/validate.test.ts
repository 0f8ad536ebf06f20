/**
 * Ingest validation, differentially: for each input Postgres either stores a value (and we
 * must produce canonical text that DuckDB casts to a value printing exactly like Postgres'
 * stored value) or raises an error (and we must raise the same SQLSTATE and message).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import { columnTypeFromSql, resolveColumnType } from '../../src/types/column-types.js';
import { textEncoderFor } from '../../src/types/text-encode.js';
import { jsonToText, validatorFor } from '../../src/types/validate.js';
import { connectPg, openDuck, pgStore, type Duck, type Outcome } from './helpers.js';

const { ref: pgRef, reason } = await connectPg();
let duck: Duck;

beforeAll(async () => {
  duck = await openDuck();
});
afterAll(async () => {
  duck?.close();
  await pgRef?.client.end();
});

/** [postgres column type, DuckDB column type, inputs] */
const TABLE: [string, string, string[]][] = [
  ['int2', 'SMALLINT', ['1', ' +12 ', '-32768', '32768', 'abc', '', '1.5', '99999999999abc', '0x10', '  ', '-0', '1e3', '\t7\n']],
  ['int4', 'INTEGER', ['2147483647', '-2147483648', '2147483648', '99999999999', '12abc', '+', '-', '007']],
  ['int8', 'BIGINT', ['9223372036854775807', '-9223372036854775808', '9223372036854775808', '123456789012345678901234', ' 42 ']],
  ['bool', 'BOOLEAN', ['t', 'TRUE', ' yes ', 'on', 'of', 'off', 'o', '1', '0', '2', 'maybe', 'tr', 'f', 'FA', 'n', '', 'y', 'truex', 'ye']],
  ['float8', 'DOUBLE', [
    '0.1', '1e400', '1e-400', '-0', 'NaN', 'nan(12)', '-Infinity', 'inf', '+inf', '  .5  ', '1.', '1e', 'x', '',
    '4.9e-324', '2.4e-324', '2.5e-324', '1.7976931348623157e308', '1.7976931348623159e308', 'INFINITY', '-nan', ' 1e5 ', '1e+5',
    '123456789012345678901234567890', '0.30000000000000004', 'infinit', '- 1',
  ]],
  ['float4', 'FLOAT', [
    '3.4028235e38', '3.4028236e38', '1e-46', '7e-46', '7.1e-46', '1e-45', '1.4e-45', '0.1', '16777217', '1e39', '-1.5e-7',
    '1.00000005960464477539062499', '1.000000059604644775390625', '1.00000005960464477539062501', '0.3', 'NaN', '-inf',
  ]],
  ['numeric(18,3)', 'DECIMAL(18,3)', [
    '1.5', '-0.0005', '0.0005', '0.00049', '9.9995', '999999999999999.999', '999999999999999.9995', '1000000000000000', '1e15',
    '1e14', 'abc', '', 'inf', '-Infinity', ' -1.5e2 ', '.5', '5.', '1e-1000', '1e100000', '-0', '+3', '1e', '1.2.3', '1 2',
  ]],
  ['numeric(3,3)', 'DECIMAL(3,3)', ['0.9995', '0.9994', '-0.5', '1']],
  ['numeric(5,0)', 'DECIMAL(5,0)', ['99999.4', '99999.5', '-99999.5', '12.5', '-12.5']],
  ['numeric(38,10)', 'DECIMAL(38,10)', ['1234567890123456789012345678.01234567891', '12345678901234567890123456789', '0.00000000005']],
  ['text', 'VARCHAR', ['abc', '', ' padded ', 'ünï ✓ 😀']],
  ['varchar(3)', 'VARCHAR(3)', ['abc', 'abcd', 'abc  ', 'ab ', 'äöü', 'äöüx', '😀😀😀', '😀😀😀😀', '']],
  ['char(3)', 'CHAR(3)', ['a', 'abc', 'abcd', 'abc   ', '', '😀']],
  ['bytea', 'BLOB', ['\\x0102ff', '\\x01 02', '\\x0 1', '\\x012', '\\xzz', 'abc', 'a\\\\b\\001ü', 'a\\b', '\\x', '\\X01', "it's", '\\\\x01']],
  ['uuid', 'UUID', [
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}', 'A0EEBC999C0B4EF8BB6D6BB9BD380A11',
    'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1', ' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', 'a0eebc999-c0b-4ef8-bb6d-6bb9bd380a11', 'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  ]],
  ['json', 'JSON', [
    '{"a": 1}', '[1, 2', 'x', '', '"s"', ' 1 ', 'null', '{"a":[true,false,null,1.5e3]}', '[1,2,]', 'NaN', '1e400',
    '{"a":1,"a":2}', '"\\uD83D\\uDE00"', '"\\u0000"', "{'a':1}", '01', '-0', '"tab\there"',
  ]],
  ['date', 'DATE', [
    '2024-01-05', '2024-02-30', '2024-13-01', '0044-03-15 BC', '01/05/2024', '1/5/24', '20240105', '240105', 'Jan 5 2024',
    'January 5, 2024', '5 Jan 2024', '2024-Jan-05', 'Fri Jan 05 2024', 'infinity', '-infinity', 'epoch', '4714-11-24 BC',
    '4714-11-23 BC', '5874897-12-31', '5874898-01-01', '0000-01-01', 'x', '', '2024-01-05 13:04:05', '2024-01-05T13:04:05Z',
    '05.01.2024', '2024/01/05', '13/05/2024', '2024-01-32', '1-2-3', '99-01-01', '69-01-01', '70-01-01', '2024-02-29', '2023-02-29',
    ' 2024-01-05 ', '2024-01-05 BC', '2024-01-05 AD', '10000-01-01', 'Feb 30 2024', '2024-1-5', 'jan 2024 5', '2024-01-05 25:00',
    '2024-01', 'tomorrowx', '+infinity', '123-1-2', '1-1-123', '001-02-03',
  ]],
  ['time', 'TIME', [
    '13:04:05', '13:04:05.123456789', '24:00:00', '24:00:01', '25:00', '12:34.5', '1:2:3', '23:59:59.9999999', '10:00 pm',
    '12:00 am', '12:00 pm', '13:00 pm', 'allballs', '2024-01-05 13:04:05+02', '13:04', 'x', '23:59:60', '12:60', '', '13:04:05 UTC',
    '2024-02-30 10:00', 'T130405', '04:05:06.5 America/New_York',
  ]],
  ['timetz', 'TIME WITH TIME ZONE', [
    '13:04:05+02', '13:04:05-05:30', '13:04:05', '13:04:05 UTC', '13:04:05+16', '13:04:05 EST', '13:04:05+0530', '13:04:05+530',
    '00:00:00+15:59:59', '13:04:05.5-05:30:15', '13:04:05 Z', 'allballs', '2024-01-05 13:04:05 America/New_York',
    '13:04:05 America/New_York',
  ]],
  ['timestamp', 'TIMESTAMP', [
    '2024-01-05 13:04:05', '2024-01-05T13:04:05.123456Z', '2024-01-05 13:04:05+02', 'Jan 5 2024 1:04:05 PM', '2024-01-05 24:00:00',
    '2024-01-05 24:00:01', '2024-01-05 13:04:05.9999995', '2024-01-05 13:04:05.0000005', '2024-01-05 13:04:05.0000015',
    '2024-12-31 23:59:59.9999999', 'epoch', 'infinity', '-infinity', '0044-03-15 10:00:00 BC', '2024-01-05 13:04:05 BC', 'x', '',
    '2024-01-05 25:00', '4714-11-24 00:00:00 BC', '4714-11-23 23:59:59 BC', '20240105T130405', '20240105 130405',
    '2024-01-05T13:04:05.5+05:30', '2024-01-05 13:04:05 America/New_York', '2024-01-05 13:04:05 foo/bar', '2024-01-05 13:04:05 zz',
    '2024-01-05T13:04', '2024-01-05 13', '2024-01-05T', '2024-01-05 13:04:05.', '1999-12-31 23:59:60', ' 2024-01-05  13:04:05 ',
    'January 5, 2024 13:04', '2024-01-05 13:04:05 +02:00', '2024-01-05 13:04:05 -0800', '13:04:05', '+infinity',
  ]],
  ['timestamptz', 'TIMESTAMP WITH TIME ZONE', [
    '2024-01-05 13:04:05+02', '2024-01-05 13:04:05-08:00', '2024-01-05 13:04:05Z', '2024-01-05 13:04:05 EST',
    '2024-01-05 13:04:05 America/New_York', '2024-03-10 02:30 America/New_York', '2024-11-03 01:30 America/New_York',
    '1850-01-01 12:00 Europe/Berlin', '2024-01-05 10:00 japan', '2024-01-05 13:04:05+15:59', '2024-01-05 13:04:05+16',
    '0044-03-15 10:00:00+02 BC', '2024-01-05 13:04:05', 'infinity', 'epoch', '2024-01-05T13:04:05.123+0530', '2024-07-01 12:00 CEST',
    '2024-07-01 12:00 Europe/London', '2024-01-05 13:04:05 +5', '4714-11-24 00:00:00+01 BC', '2024-01-05 13:04:05 UTC',
    '2024-01-05 13:04:05 GMT', '2024-01-05 13:04:05 zulu', 'Fri, 05 Jan 2024 13:04:05 +0000',
  ]],
  ['interval', 'INTERVAL', [
    '1 year 2 mons 3 days 04:05:06.5', '1.5 years', '1.5 months', '1.5 days', '1 04:05', '-1 -04:05:06', '1-2', '-1-2',
    '@ 1 year 2 mons ago', 'P1Y2M3DT4H5M6.5S', 'P0001-02-03T04:05:06', 'PT1.5S', 'P1W', '5', '1.5 weeks', '0.1 microseconds',
    '1 day 2 days', '1 2', 'x', '', '1 hour 04:05', '04:05 hours', '1 millisecond 2 microseconds', '1.5 seconds 2 ms',
    '2147483648 days', '2147483647 days', '178956970 years 7 months', '178956970 years 8 months', '-178956970 years -8 months',
    '1 decade', '2 centuries', '1 millennium', '3 mins 4 secs', '1 mon -1 day', '100000000 hours', '1day', '+1 day', '1 day ago',
    'ago', '1 week 1 day', '1.25 hours', '-1.5 days', '1 year -1 mons', '0.5 microseconds', '1.5 microseconds', '2.5 microseconds',
    '04:05:06.7 ago', '1 2:03:04', '1 +02:03', '-00:00:01', 'P-1Y', 'p1y', 'P1Y2', '1 yr 2 hrs 3 secs', '10 milliseconds',
    '1 microsecondsxyz', '0.0000001 years', '1:60', '1:59:60', '1:59:61', '1:2:3.5', '99999999999 seconds', '1 year 2 years',
    '9999999999999999 seconds', '3000000000 days', '3000000000 hours', '99999999999999999999 seconds', '-2147483648 days',
    '2147483647 months', '-2147483648 months 1 year', 'P1.5Y', 'PT36H', 'P1DT', 'P', '1 day 04:05 ago', '2562047788 hours',
    '2562047789 hours',
  ]],
  ['int4[]', 'INTEGER[]', [
    '{1,2,NULL}', '{}', '{1,2', '{1,{2}}', '{{1,2},{3}}', '{1,2}x', '1,2', '[1:2]={1,2}', '{1,a}', '{ 1 , 2 }', '{"1"}', '{null,NULL}',
    '{"NULL"}', ' {1} ', '{1,}', '{,1}', '[1:3]={1,2}', '{{}}', '{1 2}',
  ]],
  ['text[]', 'VARCHAR[]', [
    '{ "a b" , NULL, null, "NULL", c\\\\d , e\\ f }', '{"",""}', '{a,b}', '{"a\\"b","c\\\\d"}', '{\\NULL}', '{ spaced out }',
    '{"{}",",",quote"}', '{é,ü}', '{"x" y}',
  ]],
  ['int4[][]', 'INTEGER[][]', ['{{1,2},{3,4}}', '{{1},{NULL}}', '{}']],
  ['numeric(5,2)[]', 'DECIMAL(5,2)[]', ['{1.555,2}', '{1000}']],
  ['timestamptz[]', 'TIMESTAMP WITH TIME ZONE[]', ['{"2024-01-05 13:04:05+02",infinity}']],
  ['bool[]', 'BOOLEAN[]', ['{t,f,yes,NULL}']],
  ['uuid[]', 'UUID[]', ['{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}']],
  ['bytea[]', 'BLOB[]', ['{"\\\\x01ff",abc}']],
  ['varchar(2)[]', 'VARCHAR(2)[]', ['{ab,abc}', '{"a  "}']],
  ['interval[]', 'INTERVAL[]', ['{"1 day","-1 year 2 mons"}']],
  ['date[]', 'DATE[]', ['{2024-01-05,"0044-03-15 BC",infinity}']],
];

const cases = TABLE.flatMap(([pgType, duckType, inputs]) => inputs.map((input) => ({ pgType, duckType, input })));

function ours(duckType: string, input: string): Outcome & { canonical?: string } {
  try {
    const canonical = validatorFor(columnTypeFromSql(duckType))(input);
    return { ok: true, text: canonical, canonical };
  } catch (e) {
    if (!(e instanceof DuckMeshError)) throw e;
    return { ok: false, code: e.sqlstate, message: e.message };
  }
}

describe.skipIf(pgRef === null)(`validation matches PostgreSQL 15${reason ? ` (${reason})` : ''}`, () => {
  it.each(cases.map((c) => [`${c.pgType} ${JSON.stringify(c.input)}`, c] as const))('%s', async (_n, c) => {
    const expected = await pgStore(pgRef!, c.pgType, c.input);
    const got = ours(c.duckType, c.input);
    if (!expected.ok) {
      expect(got.ok ? `accepted as ${got.text}` : { code: got.code, message: got.message })
        .toEqual({ code: expected.code, message: expected.message });
      return;
    }
    expect(got.ok ? 'ok' : `${got.code}: ${got.message}`).toBe('ok');
    const { type, value } = await duck.value(`SELECT CAST(? AS ${c.duckType})`, [got.text]);
    expect(value === null ? null : textEncoderFor(type)(value)).toBe(expected.text);
  });
});

describe.skipIf(pgRef === null)('randomised inputs match PostgreSQL 15', () => {
  let seed = Number(process.env.DUCKMESH_TEST_SEED ?? 4242);
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];

  async function compare(pgType: string, duckType: string, inputs: string[]): Promise<void> {
    for (const input of inputs) {
      const expected = await pgStore(pgRef!, pgType, input);
      const got = ours(duckType, input);
      if (!expected.ok) {
        expect(got.ok ? `accepted as ${got.text}` : { code: got.code, message: got.message }, input)
          .toEqual({ code: expected.code, message: expected.message });
        continue;
      }
      expect(got.ok ? 'ok' : `${got.code}: ${got.message}`, input).toBe('ok');
      const { type, value } = await duck.value(`SELECT CAST(? AS ${duckType})`, [got.text]);
      expect(value === null ? null : textEncoderFor(type)(value), input).toBe(expected.text);
    }
  }

  it('intervals', async () => {
    const units = ['year', 'mons', 'weeks', 'days', 'hours', 'min', 'secs', 'ms', 'us', 'decade', 'century'];
    const inputs: string[] = [];
    for (let i = 0; i < 150; i++) {
      const parts: string[] = [];
      const used = new Set<string>();
      for (let k = 0; k < 1 + rnd(4); k++) {
        const u = pick(units);
        if (used.has(u)) continue;
        used.add(u);
        const sign = rnd(3) === 0 ? '-' : '';
        const num = rnd(2) === 0 ? `${rnd(1000)}` : `${rnd(100)}.${rnd(1000)}`;
        parts.push(`${sign}${num} ${u}`);
      }
      if (rnd(3) === 0) parts.push(`${rnd(2) ? '-' : ''}${rnd(30)}:${String(rnd(60)).padStart(2, '0')}:${String(rnd(60)).padStart(2, '0')}.${rnd(1000000)}`);
      if (rnd(5) === 0) parts.push('ago');
      inputs.push(parts.join(' '));
    }
    await compare('interval', 'INTERVAL', inputs);
  });

  it('numerics with rounding', async () => {
    const inputs: string[] = [];
    for (let i = 0; i < 150; i++) {
      const int = `${rnd(10 ** 6)}`.repeat(1 + rnd(3)).slice(0, 1 + rnd(17));
      const frac = `${rnd(10 ** 8)}`.padStart(8, '0').slice(0, rnd(9));
      const exp = rnd(4) === 0 ? `e${rnd(2) ? '-' : ''}${rnd(20)}` : '';
      inputs.push(`${rnd(4) === 0 ? '-' : ''}${int}${frac ? `.${frac}` : ''}${exp}`);
    }
    await compare('numeric(18,3)', 'DECIMAL(18,3)', inputs);
    await compare('numeric(10,5)', 'DECIMAL(10,5)', inputs.slice(0, 60));
  });

  it('timestamps in assorted spellings', async () => {
    const months = ['Jan', 'February', 'mar', 'APR', 'Sept', 'dec'];
    const inputs: string[] = [];
    for (let i = 0; i < 150; i++) {
      const y = 1 + rnd(3000);
      const mo = 1 + rnd(12);
      const d = 1 + rnd(31);
      const time = `${rnd(25)}:${String(rnd(61)).padStart(2, '0')}${rnd(2) ? `:${String(rnd(61)).padStart(2, '0')}` : ''}${rnd(2) ? `.${rnd(10 ** 7)}` : ''}`;
      const zone = pick(['', 'Z', '+02', '-05:30', ' UTC', ' EST', ' +0100', ' Europe/Paris', ' BC']);
      const ys = String(y).padStart(4, '0');
      const date = pick([
        `${ys}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
        `${mo}/${d}/${ys}`,
        `${pick(months)} ${d} ${ys}`,
        `${d} ${pick(months)} ${ys}`,
      ]);
      inputs.push(`${date}${pick([' ', 'T'])}${time}${zone}`);
    }
    await compare('timestamptz', 'TIMESTAMP WITH TIME ZONE', inputs);
    await compare('timestamp', 'TIMESTAMP', inputs.slice(0, 80));
  });
});

describe('validation without a reference server', () => {
  const v = (sql: string, input: string): string => validatorFor(columnTypeFromSql(sql))(input);
  const err = (sql: string, input: string): { code: string; message: string } => {
    try {
      v(sql, input);
    } catch (e) {
      return { code: (e as DuckMeshError).sqlstate, message: (e as DuckMeshError).message };
    }
    throw new Error(`accepted ${input}`);
  };

  it('produces canonical DuckDB text', () => {
    expect(v('INTEGER', ' +12 ')).toBe('12');
    expect(v('BOOLEAN', ' Yes ')).toBe('true');
    expect(v('DOUBLE', '1e100')).toBe('1e+100');
    expect(v('DECIMAL(18,3)', '1.5')).toBe('1.500');
    expect(v('DATE', '0044-03-15 BC')).toBe('0044-03-15 (BC)');
    expect(v('TIMESTAMP WITH TIME ZONE', '2024-01-05T13:04:05+02:00')).toBe('2024-01-05 11:04:05+00');
    expect(v('TIMESTAMP', '2024-01-05T13:04:05Z')).toBe('2024-01-05 13:04:05');
    expect(v('INTERVAL', '1 year 2 mons -3 days 04:05:06.5')).toBe('14 months -3 days 14706500000 microseconds');
    expect(v('BLOB', '\\x00ff41')).toBe('\\x00\\xFFA');
    expect(v('INTEGER[]', '{1,NULL, 3}')).toBe('["1", NULL, "3"]');
    expect(v('INTEGER[]', '[1, null, 3]')).toBe('["1", NULL, "3"]');
    expect(v('VARCHAR[]', '["a\\"b", "c\\\\d"]')).toBe('["a\\"b", "c\\\\d"]');
    expect(v('CHAR(3)', 'a')).toBe('a  ');
    expect(v('UUID', '{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}')).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
    expect(v('UTINYINT', '255')).toBe('255');
    expect(v('HUGEINT', '-170141183460469231731687303715884105728')).toBe('-170141183460469231731687303715884105728');
    expect(v('BIT', 'X1F')).toBe('00011111');
  });

  it('raises Postgres errors for DuckDB-only types and DuckMesh limits', () => {
    expect(err('UTINYINT', '256')).toEqual({ code: '22003', message: 'value "256" is out of range for type utinyint' });
    expect(err('UBIGINT', '-1')).toEqual({ code: '22003', message: 'value "-1" is out of range for type ubigint' });
    expect(err('DECIMAL(18,3)', 'NaN').code).toBe('0A000');
    expect(err('TIMESTAMP', '294276-12-31 23:59:59')).toEqual({ code: '22008', message: 'timestamp out of range: "294276-12-31 23:59:59"' });
    expect(err('TIMESTAMP_NS', '2300-01-01')).toEqual({ code: '22008', message: 'timestamp out of range: "2300-01-01"' });
    expect(err('INTEGER[]', '[1:2')).toMatchObject({ code: '22P02' });
    expect(err('INTEGER[][]', '{1,2}')).toMatchObject({ code: '0A000', message: 'array has 1 dimension where 2 are expected' });
    expect(err('INTEGER[]', '{{1},{2}}')).toMatchObject({ code: '0A000', message: 'array has 2 dimensions where 1 is expected' });
    expect(err('BIT', '')).toMatchObject({ code: '0A000' });
    expect(err('INTEGER[]', '[0:1]={1,2}')).toMatchObject({ code: '0A000' });
    expect(err('VARCHAR', 'a\u0000b')).toMatchObject({ code: '22021' });
    expect(err('BIT', '012')).toEqual({ code: '22P02', message: '"2" is not a valid binary digit' });
    // Postgres' json accepts a lone surrogate escape; DuckDB's JSON cannot hold it.
    expect(err('JSON', '"\\ud800"')).toMatchObject({ code: '0A000' });
    expect(err('JSON', '["\\udc00"]')).toMatchObject({ code: '0A000' });
    expect(v('JSON', '"\\\\ud800"')).toBe('"\\\\ud800"');
  });

  it('accepts named time zones and now/today', () => {
    expect(v('TIMESTAMP WITH TIME ZONE', '2024-07-01 12:00 Europe/Berlin')).toBe('2024-07-01 10:00:00+00');
    expect(v('DATE', 'today')).toMatch(/^\d{4}-\d\d-\d\d$/);
    expect(v('TIMESTAMP', 'now')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
  });

  it('canonical text casts in DuckDB to the intended value', async () => {
    const strings = ['a"b', 'c\\d', "it's", '[x]', '{y}', 'a,b', ' lead', 'trail ', 'NULL', 'null', '', 'line\nbreak', 'ü😀'];
    const literal = v('VARCHAR[]', JSON.stringify(strings));
    const { value } = await duck.value(`SELECT CAST(? AS VARCHAR[])`, [literal]);
    expect((value as { items: unknown[] }).items).toEqual(strings);
    const nested = v('VARCHAR[][]', JSON.stringify([['a"', null], [], null, ['[]']]));
    const r = await duck.value(`SELECT CAST(? AS VARCHAR[][])::JSON::VARCHAR`, [nested]);
    expect(JSON.parse(r.value as string)).toEqual([['a"', null], [], null, ['[]']]);
    const bytes = v('BLOB', '\\x00015c41ff27');
    const b = await duck.value(`SELECT hex(CAST(? AS BLOB))`, [bytes]);
    expect(b.value).toBe('00015C41FF27');
  });
});

describe('jsonToText', () => {
  const ct = (sql: string) => columnTypeFromSql(sql);

  it('maps JSON values onto column types', () => {
    expect(jsonToText(ct('INTEGER'), 42)).toBe('42');
    expect(jsonToText(ct('INTEGER'), '42')).toBe('42');
    expect(jsonToText(ct('INTEGER'), null)).toBeNull();
    expect(jsonToText(ct('DOUBLE'), 0.1)).toBe('0.1');
    expect(jsonToText(ct('DECIMAL(10,2)'), 1.005)).toBe('1.01');
    expect(jsonToText(ct('BOOLEAN'), true)).toBe('true');
    expect(jsonToText(ct('VARCHAR'), 12)).toBe('12');
    expect(jsonToText(ct('JSON'), { a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(jsonToText(ct('JSON'), 'str')).toBe('"str"');
    expect(jsonToText(ct('INTEGER[]'), [1, null, 3])).toBe('["1", NULL, "3"]');
    expect(jsonToText(ct('INTEGER[][]'), [[1], [], null])).toBe('[["1"], [], NULL]');
    expect(jsonToText(ct('INTEGER[]'), '{1,2}')).toBe('["1", "2"]');
    expect(jsonToText(ct('TIMESTAMP WITH TIME ZONE'), '2024-01-05T13:04:05+02:00')).toBe('2024-01-05 11:04:05+00');
  });

  it('rejects the wrong JSON type with 22P02 naming the column type', () => {
    const e = (sql: string, v: unknown): DuckMeshError => {
      try {
        jsonToText(ct(sql), v);
      } catch (x) {
        return x as DuckMeshError;
      }
      throw new Error('accepted');
    };
    expect(e('INTEGER', true)).toMatchObject({ sqlstate: '22P02', message: 'invalid input for type integer: expected a number or string, got JSON boolean' });
    expect(e('DATE', 5)).toMatchObject({ sqlstate: '22P02', message: 'invalid input for type date: expected a string, got JSON number' });
    expect(e('INTEGER[]', 5)).toMatchObject({ sqlstate: '22P02', message: 'invalid input for type integer[]: expected an array or string, got JSON number' });
    expect(e('VARCHAR', { a: 1 })).toMatchObject({ sqlstate: '22P02' });
    expect(e('INTEGER', 1.5)).toMatchObject({ sqlstate: '22P02', message: 'invalid input syntax for type integer: "1.5"' });
    expect(e('INTEGER[]', [1, 'x'])).toMatchObject({ sqlstate: '22P02', message: 'invalid input syntax for type integer: "x"' });
  });
});

describe('resolveColumnType is consistent with the catalog round trip', () => {
  it('round-trips', () => {
    const t = resolveColumnType({ names: ['pg_catalog', 'varchar'], typmods: [20], arrayDims: 0 });
    expect(columnTypeFromSql(t.sql)).toEqual(t);
  });
});
