/**
 * The raw-vector result path (vector-encoders.ts) must send exactly the bytes of the generic
 * path (getItem() + textEncoderFor / binaryEncoderFor) for every type, NULLs, edge values, whole
 * and partial chunks, in text and binary format; and the generic fallback must take over when
 * raw access is off or the chunk is not shaped as expected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBDataChunk } from '@duckdb/node-api';
import { BackendWriter } from '../../src/wire/codec/backend.js';
import { RowEncoder } from '../../src/wire/server/row-encoder.js';
import { rawVectorAccessAvailable, setRawVectorAccess } from '../../src/wire/server/vector-access.js';
import { vectorEncoderFor } from '../../src/wire/server/vector-encoders.js';
import type { FieldDesc } from '../../src/session/results.js';
import { formatDateDays, formatDecimal, formatFloat8, formatTimeMicros, formatTimestampMicros, formatTimestampTZMicros } from '../../src/types/text-encode.js';
import { encodeNumericBinary } from '../../src/types/binary-encode.js';
import {
  writeDateDays, writeDecimal, writeFloat8, writeInt, writeTimeMicros, writeTimestampMicros, POW10,
} from '../../src/types/text-write.js';
import { writeNumericBinary } from '../../src/types/binary-write.js';
import { dataRowFields, prng, rawFrames } from './helpers.js';

let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  await conn.run(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ünïcödé 😀', '')`);
  const many = Array.from({ length: 300 }, (_, i) => `'v${i}'`).join(', ');
  await conn.run(`CREATE TYPE wide AS ENUM (${many})`);
});

afterAll(() => {
  setRawVectorAccess(true);
  conn?.closeSync();
  instance?.closeSync();
});

interface Result {
  fields: FieldDesc[];
  chunks: DuckDBDataChunk[];
}

async function query(sql: string): Promise<Result> {
  const r = await conn.stream(sql);
  const fields: FieldDesc[] = [];
  for (let i = 0; i < r.columnCount; i++) fields.push({ name: r.columnName(i), type: r.columnType(i), tableOid: 0, columnAttr: 0 });
  const chunks: DuckDBDataChunk[] = [];
  for (;;) {
    const c = await r.fetchChunk();
    if (!c || c.rowCount === 0) break;
    chunks.push(c);
  }
  return { fields, chunks };
}

/** All DataRows of a result through a fresh RowEncoder, in `slices` pieces per chunk (cursor-style). */
function encode(
  res: Result, format: number, raw: boolean, slices = 1, wrap?: (c: DuckDBDataChunk) => DuckDBDataChunk, capacity = 256,
): Buffer {
  setRawVectorAccess(raw);
  try {
    return encodeRows(res, format, slices, wrap, capacity);
  } catch (err) {
    // Values the generic path refuses (e.g. dates beyond Postgres' binary range) must be refused alike.
    return Buffer.from(`error: ${(err as Error).name}: ${(err as Error).message}`);
  } finally {
    setRawVectorAccess(true);
  }
}

function encodeRows(res: Result, format: number, slices: number, wrap: ((c: DuckDBDataChunk) => DuckDBDataChunk) | undefined, capacity: number): Buffer {
  {
    const enc = new RowEncoder(res.fields, [format]);
    const w = new BackendWriter(capacity);
    const parts: Buffer[] = [];
    for (const chunk of res.chunks) {
      const n = chunk.rowCount;
      const step = Math.max(1, Math.ceil(n / slices));
      const c = wrap ? wrap(chunk) : chunk;
      for (let from = 0; from < n; from += step) {
        enc.writeChunk(w, c, from, Math.min(n, from + step));
        parts.push(Buffer.from(w.flush()));
      }
    }
    return Buffer.concat(parts);
  }
}

function expectSame(res: Result, label: string): void {
  for (const format of [0, 1]) {
    const generic = encode(res, format, false);
    const fast = encode(res, format, true);
    if (!fast.equals(generic) && !generic.toString('latin1').startsWith('error: ')) {
      // Point at the first differing field for a readable failure.
      const a = rawFrames(fast);
      const b = rawFrames(generic);
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const fa = dataRowFields(a[i]!.body);
        const fb = dataRowFields(b[i]!.body);
        for (let j = 0; j < fb.length; j++) {
          expect({ label, format, row: i, col: j, fast: fa[j]?.toString('hex') ?? null })
            .toEqual({ label, format, row: i, col: j, fast: fb[j]?.toString('hex') ?? null });
        }
      }
      expect(a.length).toBe(b.length);
    }
    expect(fast.equals(generic), `${label} format ${format}`).toBe(true);
    // Cursor-style partial chunks give the same bytes as whole ones.
    expect(encode(res, format, true, 3).equals(generic), `${label} format ${format} sliced`).toBe(true);
  }
}

/**
 * Every field must fit the room its encoder reserved wherever the row lands in the buffer:
 * shift the start through every offset of a word and past the growth points.
 */
function expectSameAtEveryOffset(res: Result, label: string): void {
  for (const format of [0, 1]) {
    const generic = encode(res, format, false);
    for (let capacity = 256; capacity < 256 + 72; capacity++) {
      const fast = encode(res, format, true, 1, undefined, capacity);
      expect(fast.equals(generic), `${label} format ${format} capacity ${capacity}`).toBe(true);
    }
  }
}

/** One column of the given values (SQL literals cast to `type`), plus a NULL; `times` over. */
async function column(type: string, literals: string[], times = 1): Promise<Result> {
  const values = [...literals, 'NULL'].map((l) => `((${l})::${type})`).join(', ');
  return query(`SELECT v FROM (VALUES ${values}) t(v)${times > 1 ? `, range(${times}) r(k) ORDER BY k` : ''}`);
}

const SCALARS: [string, string[]][] = [
  ['BOOLEAN', ['true', 'false']],
  ['TINYINT', ['-128', '127', '0', '-1', '9', '10', '99', '100']],
  ['SMALLINT', ['-32768', '32767', '0', '-10']],
  ['INTEGER', ['-2147483648', '2147483647', '0', '-1', '1000000', '99999999', '100000000']],
  ['BIGINT', [
    '-9223372036854775808', '9223372036854775807', '0', '-1', '4294967295', '4294967296', '-4294967296', '-4294967297',
    '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740991', '-9007199254740992', '-9007199254740993',
    '9999999999999999', '10000000000000000', '2251799813685247', '2251799813685248', '-2251799813685248', '-2251799813685249',
    '999999999', '1000000000', '123456789012345',
  ]],
  ['UTINYINT', ['0', '255']],
  ['USMALLINT', ['0', '65535']],
  ['UINTEGER', ['0', '4294967295', '2147483648']],
  ['UBIGINT', ['0', '18446744073709551615', '9007199254740991', '9007199254740992', '4294967296', '9223372036854775808']],
  ['FLOAT', ["'nan'", "'inf'", "'-inf'", '0', '-0.0', '1.5', '0.1', '3.4028235e38', '1e-45', '-7.0e-5', '16777216', '123456.7']],
  ['DOUBLE', [
    "'nan'", "'inf'", "'-inf'", '0', '-0.0', '0.1', '0.1 + 0.2', '12.34', '-12.5', '1e-4', '9.999999999999999e-5', '0.00012',
    '1e15', '999999999999999', '1e12', '999999999999.5', '1099511627775.5', '123456789.123', '5e-324', '1.7976931348623157e308',
    '2.2250738585072014e-308', '1e21', '1e22', '3.141592653589793', '100', '0.5', '2.5', '1e-7', '123.456e-3', '1/3',
  ]],
  ['DECIMAL(4,2)', ['0', '-99.99', '99.99', '0.05', '-0.05', '1', '-1']],
  ['DECIMAL(4,0)', ['9999', '-9999', '0']],
  ['DECIMAL(9,4)', ['-99999.9999', '99999.9999', '0.0001', '-0.0001', '12.5', '0']],
  ['DECIMAL(9,0)', ['999999999', '-999999999']],
  ['DECIMAL(18,6)', ['999999999999.999999', '-999999999999.999999', '0.000001', '9007199254.740991', '9007199254.740992', '-1.5', '0', '1234.5678', '10000']],
  ['DECIMAL(18,0)', ['999999999999999999', '-999999999999999999', '0', '9007199254740993']],
  ['DECIMAL(18,18)', ['0.999999999999999999', '-0.999999999999999999', '0.000000000000000001', '0']],
  ['DECIMAL(15,3)', ['999999999999.999', '-0.001', '1.001', '10000.000']],
  ['DECIMAL(12,5)', ['9999999.99999', '-1.00001', '0.10000']],
  ['DECIMAL(38,10)', ['9999999999999999999999999999.9999999999', '-1.5', '0']],
  ['DECIMAL(38,0)', ['99999999999999999999999999999999999999', '-1']],
  ['HUGEINT', ['170141183460469231731687303715884105727', '-170141183460469231731687303715884105728', '0']],
  ['UHUGEINT', ['340282366920938463463374607431768211455', '0']],
  ['VARCHAR', [
    "''", "'a'", "'abcdefghijkl'", "'abcdefghijklm'", `repeat('x', 1000)`, "'héllo'", "'😀'", "'日本語のテキスト'",
    "'ééééééé'" /* 14 bytes */, "'éééééé'" /* 12 bytes */, "'a\tb\\c\"d''e'", `repeat('ü', 300)`, "'NULL'",
  ]],
  ['JSON', [`'{"a": 1, "b": [true, null, "ü"]}'`, "'[]'", `'"a string that is long enough"'`]],
  ['BLOB', ["''", "'\\x00\\xFF'", "'abc'", "'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09\\x0A\\x0B\\x0C\\x0D'", `repeat('z', 100)::BLOB`]],
  ['mood', ["'sad'", "'happy'", "'ünïcödé 😀'", "''"]],
  ['wide', ["'v0'", "'v299'", "'v255'", "'v256'"]],
  ['DATE', [
    "'1970-01-01'", "'2000-01-01'", "'1999-12-31'", "'0001-01-01'", "'0044-03-15 (BC)'", "'0001-12-31 (BC)'", "'infinity'",
    "'-infinity'", "'5881580-07-10'", "'2024-02-29'", "'1900-03-01'", "'9999-12-31'", "'10000-01-01'",
  ]],
  // Beyond Postgres' binary range: both paths refuse them in binary format (same error).
  ['DATE', ["'5877642-06-25 (BC)'"]],
  ['TIMESTAMP', ["'290309-12-22 (BC) 00:00:00'"]],
  ['TIME', ["'00:00:00'", "'23:59:59.999999'", "'24:00:00'", "'12:34:56.5'", "'01:02:03.000001'", "'10:00:00.120'"]],
  ['TIMESTAMP', [
    "'1970-01-01 00:00:00'", "'2024-01-01 00:00:37'", "'1969-12-31 23:59:59.999999'", "'2000-01-01 00:00:00'", "'1500-06-01 12:00:00.5'",
    "'infinity'", "'-infinity'", "'0001-01-01 00:00:00'", "'0044-03-15 (BC) 10:00:00'", "'4713-11-24 (BC) 00:00:00'",
    "'294247-01-10 04:00:54.775806'", "'2255-06-05 23:47:34.740991'", "'1684-07-28 00:12:25.259009'", "'1827-09-21 00:00:00'",
    "'2112-04-12 00:00:00'", "'1900-01-01 00:00:00.000001'",
  ]],
  ['TIMESTAMPTZ', ["'1970-01-01 00:00:00+00'", "'2024-06-30 23:59:59.123+02'", "'infinity'", "'-infinity'", "'1000-01-01 00:00:00+00'", "'0044-03-15 (BC) 10:00:00+00'"]],
  ['TIMESTAMP_S', ["'1970-01-01 00:00:00'", "'2024-01-01 12:34:56'", "'infinity'", "'-infinity'", "'0044-03-15 (BC) 10:00:00'", "'1000-01-01 00:00:01'", "'9999-12-31 23:59:59'"]],
  ['TIMESTAMP_MS', ["'1970-01-01 00:00:00'", "'2024-01-01 12:34:56.789'", "'infinity'", "'-infinity'", "'1500-01-01 00:00:00.001'", "'1969-12-31 23:59:59.999'"]],
  ['TIMESTAMP_NS', ["'1970-01-01 00:00:00'", "'2024-01-01 12:34:56.789123456'", "'1969-12-31 23:59:59.999999999'", "'1800-01-01 00:00:00.000000999'", "'infinity'", "'-infinity'"]],
  ['INTERVAL', [
    "'1 year 2 months 3 days 04:05:06.5'", "'-1 year -2 days'", "'0 seconds'", "'-00:00:01'", "'100000 hours'", "to_months(1) - to_days(1) + to_hours(1)",
    "'178000000 years'", "to_microseconds(9223372036854775807)", "to_microseconds(-9223372036854775807)",
  ]],
  ['UUID', [
    "'00000000-0000-0000-0000-000000000000'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'", "'80000000-0000-0000-0000-000000000000'",
    "'7fffffff-ffff-ffff-ffff-ffffffffffff'", "'0123e4567-e89b-12d3-a456-426614174000'".replace("'0", "'"), "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
  ]],
  ['TIMETZ', ["'12:34:56+02'", "'00:00:00-11:30'"]],
  ['TIME_NS', ["'12:34:56.123456789'"]],
  ['INTEGER[]', ['[1, 2, NULL]', '[]']],
  ['VARCHAR[]', [`['a', NULL, 'b c', '']`]],
  ['STRUCT(a INTEGER, b VARCHAR)', [`{'a': 1, 'b': 'x'}`]],
  ['MAP(VARCHAR, INTEGER)', [`MAP {'k': 1}`]],
  ['BIT', [`'0101'`]],
];

describe('raw-vector encoders produce the generic bytes', () => {
  it('raw access is available on this platform', () => {
    expect(rawVectorAccessAvailable()).toBe(true);
  });

  for (const [type, literals] of SCALARS) {
    it(`${type}: ${literals.length} values and NULL`, async () => {
      const res = await column(type, literals);
      expectSame(res, type);
      // Enough rows that fields land at every distance from the end of the output buffer.
      expectSameAtEveryOffset(await column(type, literals, 12), type);
    });
  }

  it('uses a raw encoder for every fixed-width scalar type', async () => {
    const fastTypes = [
      'BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'FLOAT', 'DOUBLE',
      'DECIMAL(4,1)', 'DECIMAL(9,2)', 'DECIMAL(18,3)', 'DATE', 'TIME', 'TIMESTAMP', 'TIMESTAMPTZ', 'TIMESTAMP_S', 'TIMESTAMP_MS',
      'TIMESTAMP_NS', 'INTERVAL', 'UUID', 'VARCHAR', 'BLOB', 'mood',
    ];
    for (const t of fastTypes) {
      const res = await column(t, []);
      for (const format of [0, 1]) expect(vectorEncoderFor(res.fields[0]!.type!, format), `${t}/${format}`).not.toBeNull();
    }
    const res = await column('DECIMAL(38,2)', []);
    expect(vectorEncoderFor(res.fields[0]!.type!, 0)).toBeNull();
  });

  it('reads constant and dictionary vectors as flat ones (the C API flattens fetched chunks)', async () => {
    await conn.run(`CREATE OR REPLACE TABLE dict AS SELECT i % 3 AS k, 'dictionary string value ' || (i % 3)::VARCHAR AS s FROM range(5000) t(i)`);
    const res = await query(`SELECT 42 AS c, 'a constant long string' AS s, NULL::INTEGER AS n, d.s AS ds, d.k FROM dict d`);
    const rows = rawFrames(encode(res, 0, true)).map((f) => dataRowFields(f.body).map((v) => v?.toString('utf8') ?? null));
    expect(rows.length).toBe(5000);
    rows.forEach((row, i) => {
      expect(row).toEqual(['42', 'a constant long string', null, `dictionary string value ${i % 3}`, `${i % 3}`]);
    });
    expectSame(res, 'constant and dictionary');
  });

  it('keeps a leading byte-order mark (the generic path drops it: TextDecoder strips BOMs)', async () => {
    const res = await query(`SELECT chr(65279) || 'abc' AS v`);
    const fast = rawFrames(encode(res, 0, true));
    expect(dataRowFields(fast[0]!.body)[0]).toEqual(Buffer.from('\u{feff}abc', 'utf8'));
    const generic = rawFrames(encode(res, 0, false));
    expect(dataRowFields(generic[0]!.body)[0]).toEqual(Buffer.from('abc', 'utf8'));
  });
});

describe('multi-chunk results with mixed validity', () => {
  const EXPRS = [
    'i::BOOLEAN', '(i % 128)::TINYINT', 'i::SMALLINT', 'i * 1000003', '(i - 2500) * 3074457345618258', '(i * 800000)::UINTEGER',
    '(i * 0.37)::FLOAT', 'i / 7.0', '(i * 12.34)::DOUBLE', '(i * 1.25)::DECIMAL(9,2)', '(i * 123456789.123)::DECIMAL(18,3)',
    `DATE '1970-01-01' + (i * 97 - 200000)::INTEGER`, `TIMESTAMP '1970-01-01' + to_microseconds((i - 2500)::BIGINT * 7777777777777)`,
    `TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * 37)`, `TIME '00:00:00' + to_microseconds(i::BIGINT * 17280000)`,
    `'/page/' || i::VARCHAR`, `repeat('ab', i % 13)`, `repeat('é', i % 9) || i::VARCHAR`, `to_months(i % 30) + to_microseconds(i::BIGINT * 1001)`,
    `gen_random_uuid()`, `(i % 5)::VARCHAR::mood`, `(i % 3)::VARCHAR::BLOB`, `[i, NULL]`, `i::HUGEINT * 1000000000000`,
  ];

  it('every type over 5,000 rows, NULLs at varying densities', async () => {
    const cols = EXPRS.map((e, k) => {
      const mod = 2 + (k % 9);
      return `CASE WHEN i % ${mod} = ${k % mod} THEN NULL ELSE ${e} END AS c${k}`;
    });
    // Mood casts need a valid label: map 0..4 onto the enum's labels.
    const sql = `SELECT ${cols.join(', ')} FROM range(5000) t(i)`
      .replace(`(i % 5)::VARCHAR::mood`, `(['sad','ok','happy','ünïcödé 😀',''])[(i % 5) + 1]::mood`);
    const res = await query(sql);
    expect(res.chunks.length).toBeGreaterThan(2);
    expectSame(res, 'mixed');
  });

  it('results wider than the unrolled row loop (generic loop) match too', async () => {
    const cols = Array.from({ length: 70 }, (_, k) =>
      [`i + ${k}`, `(i * ${k})::VARCHAR || 'a somewhat longer text'`, `CASE WHEN i % 3 = ${k % 3} THEN NULL ELSE i * 0.25 END`][k % 3]! + ` AS c${k}`);
    expectSame(await query(`SELECT ${cols.join(', ')} FROM range(2500) t(i)`), 'wide');
  });

  it('all-NULL and never-NULL columns side by side', async () => {
    const res = await query(`SELECT NULL::INTEGER a, i b, NULL::VARCHAR c, i::VARCHAR d, NULL e FROM range(4100) t(i)`);
    expectSame(res, 'null columns');
  });
});

describe('non-inlined strings', () => {
  it('long, short, multi-block and shuffled strings read in ranges match the generic path', async () => {
    await conn.run(`CREATE OR REPLACE TABLE strs AS SELECT i, CASE WHEN i % 11 = 0 THEN NULL
      WHEN i % 5 = 0 THEN repeat(chr((97 + i % 26)::INTEGER), (13 + i % 40)::INTEGER)
      WHEN i % 7 = 0 THEN repeat('ß' || i::VARCHAR, (1 + i % 900)::INTEGER)
      ELSE 'row ' || i::VARCHAR || ' of a longer text' END AS s FROM range(12000) t(i)`);
    for (const sql of [
      'SELECT s, i FROM strs ORDER BY i',
      'SELECT s FROM strs ORDER BY hash(i)',
      `SELECT s || '' AS a, upper(s) AS b, encode(s) AS c FROM strs`,
      `SELECT CASE WHEN i % 3 = 0 THEN s END AS a FROM strs ORDER BY s DESC NULLS FIRST`,
    ]) {
      expectSame(await query(sql), sql);
    }
  });

  it('falls back to one read per string when a copy does not match the string prefixes', async () => {
    const res = await query(`SELECT 'a string longer than twelve bytes ' || i::VARCHAR AS s FROM range(100) t(i)`);
    const chunk = res.chunks[0]!;
    const { PointedStrings } = await import('../../src/wire/server/vector-access.js');
    const { createRequire } = await import('node:module');
    const req = createRequire(createRequire(import.meta.url).resolve('@duckdb/node-api'));
    const b = req('@duckdb/node-bindings') as {
      data_chunk_get_vector(c: unknown, i: number): unknown;
      vector_get_data(v: unknown, n: number): Uint8Array;
    };
    const data = b.vector_get_data(b.data_chunk_get_vector(chunk.chunk, 0), chunk.rowCount * 16);
    const words = new Uint32Array(data.buffer, data.byteOffset, chunk.rowCount * 4);
    const ps = new PointedStrings();
    expect(ps.read(words, null, chunk.rowCount, 0, chunk.rowCount)).toBe(true);
    expect(ps.block[5]).toBeGreaterThanOrEqual(0);
    const copy = Buffer.from(ps.blocks[ps.block[5]!]!.subarray(ps.offset[5]!, ps.offset[5]! + words[20]!));
    expect(copy.toString()).toBe('a string longer than twelve bytes 5');
    // Corrupt one prefix (in a copy of the string_t array; the pointers stay real).
    const forged = new Uint32Array(words);
    forged[4 * 7 + 1] ^= 0xff;
    expect(ps.read(forged, null, chunk.rowCount, 0, chunk.rowCount)).toBe(false);
    expect([...ps.block.subarray(0, chunk.rowCount)].every((x) => x === -1)).toBe(true);
    expect(ps.blocks.length).toBe(0);
  });
});

describe('BackendWriter field hooks and buffer reuse', () => {
  it('reserveField/commitField frame a field like fieldBytes', () => {
    const a = new BackendWriter(256);
    const b = new BackendWriter(256);
    for (let i = 0; i < 500; i++) {
      const value = Buffer.from(`value ${i} `.repeat(1 + (i % 50)));
      a.beginDataRow(2);
      a.fieldBytes(value);
      a.fieldNull();
      a.endDataRow();
      b.beginDataRow(2);
      const p = b.reserveField(value.length + 10);
      value.copy(b.buffer, p);
      b.commitField(p + value.length);
      b.fieldNull();
      b.endDataRow();
    }
    expect(b.flush().equals(a.flush())).toBe(true);
  });

  it('flushed batches are never overwritten while later batches of any size are written', () => {
    const w = new BackendWriter(1024);
    const flushed: Buffer[] = [];
    const expected: Buffer[] = [];
    let seed = 7;
    for (let batch = 0; batch < 300; batch++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const rows = batch % 50 === 49 ? 1 : 1 + (seed % 400);
      const mine = new BackendWriter(1024);
      for (let r = 0; r < rows; r++) {
        const v = `${batch}:${r}:${'x'.repeat((seed >> 4) % 300)}`;
        w.beginDataRow(1);
        w.fieldString(v);
        w.endDataRow();
        mine.dataRow([v]);
      }
      flushed.push(w.flush());
      expected.push(Buffer.from(mine.flush()));
    }
    for (let i = 0; i < flushed.length; i++) expect(flushed[i]!.equals(expected[i]!), `batch ${i}`).toBe(true);
  });
});

describe('fallback to getItem()', () => {
  it('is used, with identical bytes, when the chunk has no raw handle', async () => {
    const res = await query(`SELECT i, i::VARCHAR AS s, i * 0.5 AS d, CASE WHEN i % 2 = 0 THEN NULL ELSE i END AS n FROM range(3000) t(i)`);
    // A chunk-like object that is not node-api's DuckDBDataChunk (no `.chunk`).
    const opaque = (c: DuckDBDataChunk): DuckDBDataChunk =>
      ({ rowCount: c.rowCount, getColumnVector: (i: number) => c.getColumnVector(i) }) as unknown as DuckDBDataChunk;
    for (const format of [0, 1]) {
      expect(encode(res, format, true, 1, opaque).equals(encode(res, format, false)), `format ${format}`).toBe(true);
      expect(encode(res, format, true, 1, opaque).equals(encode(res, format, true)), `format ${format}`).toBe(true);
    }
  });

  it('is used when raw access is switched off', async () => {
    setRawVectorAccess(false);
    try {
      expect(rawVectorAccessAvailable()).toBe(false);
    } finally {
      setRawVectorAccess(true);
    }
    expect(rawVectorAccessAvailable()).toBe(true);
  });
});

describe('buffer writers match the string formatters', () => {
  const rng = prng;
  const buf = Buffer.alloc(128);
  const text = (end: number): string => buf.toString('latin1', 0, end);

  it('float8', () => {
    const rand = rng(1);
    const f64 = new Float64Array(1);
    const u32 = new Uint32Array(f64.buffer);
    const values: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const digits = Math.floor(rand() * 17);
      const scale = Math.floor(rand() * 20) - 4;
      values.push(Math.round(rand() * 10 ** digits) / 10 ** scale);
      values.push(rand() * 10 ** (Math.floor(rand() * 30) - 10));
      u32[0] = Math.floor(rand() * 2 ** 32);
      u32[1] = Math.floor(rand() * 2 ** 32);
      values.push(f64[0]!);
    }
    for (let k = 0; k < 16; k++) {
      for (const v of [10 ** -k, 1 - 10 ** -k, 2 ** 40 / 10 ** k, 1e12 - 10 ** -k, 2 ** -k, 0.1 * k, 1e-4 * (1 + k)]) values.push(v, -v);
    }
    let mismatches = 0;
    for (const v of values) {
      const got = text(writeFloat8(buf, 0, v));
      const want = formatFloat8(v);
      if (got !== want && mismatches++ < 5) expect(got, `${v}`).toBe(want);
    }
    expect(mismatches).toBe(0);
  });

  it('integers and decimals', () => {
    const rand = rng(2);
    for (let i = 0; i < 100_000; i++) {
      const v = Math.floor((rand() - 0.5) * 2 ** Math.floor(rand() * 54));
      expect(text(writeInt(buf, 0, v))).toBe(`${v}`);
      const scale = Math.floor(rand() * 19);
      if (Number.isSafeInteger(v)) {
        expect(text(writeDecimal(buf, 0, v, scale, POW10[scale]!))).toBe(formatDecimal(BigInt(v), scale));
        const end = writeNumericBinary(buf, 0, v, scale);
        if (end >= 0) expect(Buffer.from(buf.subarray(0, end)).equals(encodeNumericBinary(BigInt(v), scale)), `${v} ${scale}`).toBe(true);
      }
    }
    for (const v of [0, -0, 9, 10, 99, 100, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1)]) expect(text(writeInt(buf, 0, v))).toBe(`${v === 0 ? 0 : v}`);
  });

  it('dates, times and timestamps', () => {
    const rand = rng(3);
    for (let i = 0; i < 100_000; i++) {
      const days = Math.floor((rand() - 0.5) * 2 * 2_000_000_000);
      expect(text(writeDateDays(buf, 0, days))).toBe(formatDateDays(days));
      const small = Math.floor((rand() - 0.5) * 2 * 800_000);
      expect(text(writeDateDays(buf, 0, small))).toBe(formatDateDays(small));
      const us = Math.floor((rand() - 0.5) * 2 * 9e15);
      expect(text(writeTimestampMicros(buf, 0, us, false))).toBe(formatTimestampMicros(BigInt(us)));
      expect(text(writeTimestampMicros(buf, 0, us, true))).toBe(formatTimestampTZMicros(BigInt(us)));
      const tod = Math.floor(rand() * 86_400_000_001);
      expect(text(writeTimeMicros(buf, 0, tod))).toBe(formatTimeMicros(tod));
      const whole = Math.floor(rand() * 86_400) * 1_000_000;
      expect(text(writeTimeMicros(buf, 0, whole))).toBe(formatTimeMicros(whole));
    }
  });
});

describe('vectorEncoderFor', () => {
  it('has no raw encoder for nested and wide types', async () => {
    const res = await query(`SELECT [1] a, {'x': 1} b, 1::HUGEINT c, '12:00:00+01'::TIMETZ d, '0101'::BIT e`);
    for (const f of res.fields) {
      expect(vectorEncoderFor(f.type!, 0), f.name).toBeNull();
      expect(vectorEncoderFor(f.type!, 1), f.name).toBeNull();
    }
    expect(res.fields[0]!.type!.typeId).toBe(DuckDBTypeId.LIST);
  });
});
