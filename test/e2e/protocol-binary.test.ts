/**
 * Binary result format for every supported type: the extended protocol asks for format 1, and
 * each value is decoded independently (node-postgres' pg-types binary parsers where it has one,
 * by hand otherwise; node-postgres' client itself cannot receive binary rows). When a real PostgreSQL is reachable on 127.0.0.1:5432 the bytes are also compared
 * with what Postgres itself sends for the same values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pgTypes from 'pg-types';
import { startServer } from '../helpers/server.js';
import { dataRowFields, errorOf, RawClient, serialize } from './protocol-client.js';

interface Case {
  col: string;
  type: string;
  /** Postgres text input inserted on both servers. */
  input: string;
  oid: number;
  decode: (b: Buffer) => unknown;
  expected: unknown;
}

const binaryParser = (oid: number) => pgTypes.getTypeParser(oid, 'binary') as (b: Buffer) => unknown;

function arrayInts(b: Buffer): (number | null)[] {
  const ndim = b.readInt32BE(0);
  expect(ndim).toBe(1);
  const n = b.readInt32BE(12);
  const out: (number | null)[] = [];
  let p = 20;
  for (let i = 0; i < n; i++) {
    const len = b.readInt32BE(p);
    p += 4;
    if (len < 0) out.push(null);
    else {
      out.push(b.readInt32BE(p));
      p += len;
    }
  }
  return out;
}

const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

const CASES: Case[] = [
  { col: 'c_int2', type: 'SMALLINT', input: '-32768', oid: 21, decode: binaryParser(21), expected: -32768 },
  { col: 'c_int4', type: 'INTEGER', input: '2147483647', oid: 23, decode: binaryParser(23), expected: 2147483647 },
  { col: 'c_int8', type: 'BIGINT', input: '-9223372036854775808', oid: 20, decode: (b) => b.readBigInt64BE(0).toString(), expected: '-9223372036854775808' },
  { col: 'c_float4', type: 'REAL', input: '1.5', oid: 700, decode: binaryParser(700), expected: 1.5 },
  { col: 'c_float8', type: 'DOUBLE PRECISION', input: '-0.1', oid: 701, decode: binaryParser(701), expected: -0.1 },
  { col: 'c_numeric', type: 'NUMERIC(12,3)', input: '-123456.789', oid: 1700, decode: binaryParser(1700), expected: -123456.789 },
  { col: 'c_bool', type: 'BOOLEAN', input: 'true', oid: 16, decode: binaryParser(16), expected: true },
  { col: 'c_text', type: 'TEXT', input: 'héllo wörld', oid: 25, decode: (b) => b.toString('utf8'), expected: 'héllo wörld' },
  { col: 'c_varchar', type: 'VARCHAR(20)', input: 'abc', oid: 1043, decode: (b) => b.toString('utf8'), expected: 'abc' },
  { col: 'c_bytea', type: 'BYTEA', input: '\\x00ff7f', oid: 17, decode: (b) => b.toString('hex'), expected: '00ff7f' },
  { col: 'c_date', type: 'DATE', input: '2024-02-29', oid: 1082, decode: (b) => new Date(PG_EPOCH_MS + b.readInt32BE(0) * 86400000).toISOString().slice(0, 10), expected: '2024-02-29' },
  { col: 'c_time', type: 'TIME', input: '13:14:15.123456', oid: 1083, decode: (b) => b.readBigInt64BE(0), expected: 47655123456n },
  { col: 'c_ts', type: 'TIMESTAMP', input: '2024-05-06 07:08:09.5', oid: 1114, decode: (b) => b.readBigInt64BE(0), expected: BigInt(Date.UTC(2024, 4, 6, 7, 8, 9, 500) - PG_EPOCH_MS) * 1000n },
  { col: 'c_tstz', type: 'TIMESTAMPTZ', input: '2024-05-06 07:08:09+02', oid: 1184, decode: (b) => (binaryParser(1184)(b) as Date).toISOString(), expected: '2024-05-06T05:08:09.000Z' },
  { col: 'c_uuid', type: 'UUID', input: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', oid: 2950, decode: (b) => b.toString('hex'), expected: 'a0eebc999c0b4ef8bb6d6bb9bd380a11' },
  { col: 'c_json', type: 'JSON', input: '{"a": [1, 2]}', oid: 114, decode: (b) => JSON.parse(b.toString('utf8')), expected: { a: [1, 2] } },
  { col: 'c_int4arr', type: 'INTEGER[]', input: '{1,NULL,3}', oid: 1007, decode: arrayInts, expected: [1, null, 3] },
  { col: 'c_textarr', type: 'TEXT[]', input: '{"a b",NULL,c}', oid: 1009, decode: binaryParser(1009), expected: ['a b', null, 'c'] },
  { col: 'c_int8arr', type: 'BIGINT[]', input: '{}', oid: 1016, decode: binaryParser(1016), expected: [] },
];

let srv: Awaited<ReturnType<typeof startServer>>;
let c: RawClient;
let real: RawClient | null = null;

/** Runs `sql` with all results in binary: the RowDescription type OIDs and the raw field bytes. */
async function binaryQuery(client: RawClient, sql: string): Promise<{ oids: number[]; rows: (Buffer | null)[][] }> {
  client.send(
    serialize.parse({ text: sql }),
    serialize.bind({ binary: true }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  );
  const frames = await client.until('Z');
  const err = errorOf(frames);
  if (err) throw new Error(`${err['C']}: ${err['M']}`);
  const desc = frames.find((f) => f.type === 'T')!.body;
  const n = desc.readInt16BE(0);
  const oids: number[] = [];
  let p = 2;
  for (let i = 0; i < n; i++) {
    p = desc.indexOf(0, p) + 1;
    oids.push(desc.readInt32BE(p + 6));
    expect(desc.readInt16BE(p + 16)).toBe(1); // format code
    p += 18;
  }
  return { oids, rows: frames.filter((f) => f.type === 'D').map((f) => dataRowFields(f.body)) };
}

beforeAll(async () => {
  srv = await startServer();
  c = await RawClient.connect(srv.port);
  const ddl = `CREATE TABLE bin_all (${CASES.map((k) => `${k.col} ${k.type}`).join(', ')})`;
  const values = `(${CASES.map((k) => `'${k.input.replace(/'/g, "''")}'`).join(', ')})`;
  await c.rows(ddl);
  await c.rows(`INSERT INTO bin_all VALUES ${values}, (${CASES.map(() => 'NULL').join(', ')})`);
  // The same table in a real PostgreSQL, through the same raw client, when one is reachable.
  try {
    const candidate = await RawClient.connect(5432, { user: process.env['PGUSER'] ?? 'postgres', database: 'postgres' });
    await candidate.rows(ddl.replace('CREATE TABLE', 'CREATE TEMP TABLE'));
    await candidate.rows(`INSERT INTO bin_all VALUES ${values}`);
    real = candidate;
  } catch {
    real = null;
  }
});
afterAll(async () => {
  c.end();
  real?.end();
  await srv.stop();
});

describe('binary result format', () => {
  it('every supported type has the Postgres OID and decodes to the inserted value; NULL is -1', async () => {
    const { oids, rows } = await binaryQuery(c, `SELECT ${CASES.map((k) => k.col).join(', ')} FROM bin_all ORDER BY c_int2 NULLS LAST`);
    const actualOids = Object.fromEntries(CASES.map((k, i) => [k.col, oids[i]]));
    const wantOids = Object.fromEntries(CASES.map((k) => [k.col, k.col === 'c_varchar' ? actualOids['c_varchar'] : k.oid]));
    expect(actualOids).toEqual(wantOids);
    expect([25, 1043]).toContain(actualOids['c_varchar']);
    const decoded = Object.fromEntries(CASES.map((k, i) => [k.col, k.decode(rows[0]![i]!)]));
    expect(decoded).toEqual(Object.fromEntries(CASES.map((k) => [k.col, k.expected])));
    expect(rows[1]!.every((v) => v === null)).toBe(true);
  });

  it('interval, and values computed by DuckDB (not stored), are binary too', async () => {
    const { oids, rows } = await binaryQuery(c, `SELECT INTERVAL '1 year 2 days 03:04:05.5' AS iv, 40 + 2 AS n, 'x' || 'y' AS s`);
    expect(oids).toEqual([1186, 23, 25]);
    const iv = rows[0]![0]!;
    expect([iv.readBigInt64BE(0), iv.readInt32BE(8), iv.readInt32BE(12)]).toEqual([11045500000n, 2, 12]);
    expect(rows[0]![1]!.readInt32BE(0)).toBe(42);
    expect(rows[0]![2]!.toString()).toBe('xy');
  });

  it('sends the same bytes as PostgreSQL for the same values (when one is reachable)', async (ctx) => {
    if (!real) {
      ctx.skip();
      return;
    }
    const cols = CASES.map((k) => k.col).join(', ');
    const ours = (await binaryQuery(c, `SELECT ${cols} FROM bin_all WHERE c_int2 IS NOT NULL`)).rows[0]!;
    const theirs = (await binaryQuery(real, `SELECT ${cols} FROM bin_all`)).rows[0]!;
    const hex = (r: (Buffer | null)[]) => Object.fromEntries(CASES.map((k, i) => [k.col, r[i]?.toString('hex') ?? null]));
    expect(hex(ours)).toEqual(hex(theirs));
    const iv = `SELECT INTERVAL '1 year 2 days 03:04:05.5' AS iv`;
    expect((await binaryQuery(c, iv)).rows[0]![0]!.toString('hex')).toBe((await binaryQuery(real, iv)).rows[0]![0]!.toString('hex'));
  });
});
