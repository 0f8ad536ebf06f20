/**
 * COPY FROM STDIN / TO STDOUT over the wire: text, CSV and binary formats, one logical write per
 * COPY, errors naming the line, and nothing written on a bad line, CopyFail or disconnect.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server.js';
import { errorOf, RawClient, serialize, tagOf, type RawFrame } from './protocol-client.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let c: RawClient;
let tmp: string;

beforeAll(async () => {
  srv = await startServer();
  c = await RawClient.connect(srv.port);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'dm-copy-'));
  await c.rows('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER, price NUMERIC(8,2), tags TEXT[], ts TIMESTAMP)');
});
afterAll(async () => {
  c.end();
  await srv.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs COPY FROM STDIN with the given CopyData chunks; returns the frames up to ReadyForQuery. */
async function copyIn(sql: string, chunks: (string | Buffer)[], client = c): Promise<RawFrame[]> {
  client.send(serialize.query(sql));
  const head = await client.until('G').catch(async (e) => {
    throw e;
  });
  expect(head.at(-1)!.type).toBe('G');
  for (const ch of chunks) client.send(serialize.copyData(typeof ch === 'string' ? Buffer.from(ch) : ch));
  client.send(serialize.copyDone());
  return client.until('Z');
}

async function count(table: string): Promise<number> {
  return Number((await c.rows(`SELECT count(*) FROM ${table}`))[0]![0]);
}

function seqOf(token: string): number {
  return parseInt(token.slice(4), 16);
}

describe('COPY FROM STDIN', () => {
  it('text format: escapes, NULLs, arrays, split CopyData — one bus write for the whole COPY', async () => {
    const before = seqOf((await c.rows('SHOW duckmesh.last_visibility_token'))[0]![0]!);
    const data = '1\twidget\t3\t9.50\t{a,b}\t2024-01-02 03:04:05\n2\ttab\\there\\nnewline\t\\N\t0.10\t\\N\t\\N\n3\tback\\\\slash \\x41\\101\t7\t1\t{}\t2024-02-29 00:00:00\n';
    // Split in the middle of a row and of an escape sequence.
    const frames = await copyIn('COPY items FROM STDIN', [data.slice(0, 13), data.slice(13, 40), data.slice(40)]);
    expect(errorOf(frames)).toBeNull();
    expect(tagOf(frames)).toEqual(['COPY 3']);
    const after = seqOf((await c.rows('SHOW duckmesh.last_visibility_token'))[0]![0]!);
    expect(after - before).toBe(1);
    const rows = await c.rows('SELECT id, name, qty, price, tags, ts FROM items ORDER BY id');
    expect(rows).toEqual([
      ['1', 'widget', '3', '9.50', '{a,b}', '2024-01-02 03:04:05'],
      ['2', 'tab\there\nnewline', null, '0.10', null, null],
      ['3', 'back\\slash AA', '7', '1.00', '{}', '2024-02-29 00:00:00'],
    ]);
  });

  it('csv with HEADER, quoted delimiters/newlines/quotes, FORCE_NULL and a column list', async () => {
    await c.rows('CREATE TABLE people (id INTEGER, name TEXT, note TEXT)');
    const csv = 'id,name,note\n1,"Smith, J","said ""hi""\nthen left"\n2,,""\n3,"",x\r\n';
    const frames = await copyIn(`COPY people (id, name, note) FROM STDIN WITH (FORMAT csv, HEADER true, FORCE_NULL (note))`, [csv]);
    expect(errorOf(frames)).toBeNull();
    expect(tagOf(frames)).toEqual(['COPY 3']);
    expect(await c.rows('SELECT id, name, note FROM people ORDER BY id')).toEqual([
      ['1', 'Smith, J', 'said "hi"\nthen left'],
      ['2', null, null],
      ['3', '', 'x'],
    ]);
  });

  it('csv with DELIMITER, NULL marker, HEADER MATCH and the \\. end marker', async () => {
    await c.rows('CREATE TABLE semis (a INTEGER, b TEXT)');
    const frames = await copyIn(`COPY semis FROM STDIN WITH (FORMAT csv, DELIMITER ';', NULL 'NA', HEADER match)`, ['a;b\n1;NA\n2;"NA"\n\\.\nignored;after\n']);
    expect(errorOf(frames)).toBeNull();
    expect(await c.rows('SELECT a, b FROM semis ORDER BY a')).toEqual([
      ['1', null],
      ['2', 'NA'],
    ]);
    const bad = await copyIn(`COPY semis FROM STDIN WITH (FORMAT csv, HEADER match)`, ['x,b\n3,z\n']);
    expect(errorOf(bad)?.['C']).toBe('22P04');
    expect(errorOf(bad)?.['M']).toContain('column name mismatch in header line field 1');
  });

  it('a malformed line fails the COPY naming line and column, and writes nothing', async () => {
    await c.rows('CREATE TABLE stock (sku TEXT, qty INTEGER)');
    const frames = await copyIn('COPY stock FROM STDIN WITH (FORMAT csv, HEADER)', ['sku,qty\na,1\nb,abc\nc,3\n']);
    const e = errorOf(frames)!;
    expect(e['C']).toBe('22P02');
    expect(e['M']).toContain('invalid input syntax for type integer: "abc"');
    expect(e['W']).toBe('COPY stock, line 3, column qty: "abc"');
    expect(await count('stock')).toBe(0);
    // The connection is usable afterwards (stray CopyData/CopyDone were ignored).
    expect(await c.rows('SELECT 42')).toEqual([['42']]);
  });

  it('wrong field counts are 22P04 with the line', async () => {
    const missing = await copyIn('COPY stock FROM STDIN', ['a\t1\nb\n']);
    expect(errorOf(missing)).toMatchObject({ C: '22P04', M: 'missing data for column "qty"', W: 'COPY stock, line 2: "b"' });
    const extra = await copyIn('COPY stock FROM STDIN', ['a\t1\t2\n']);
    expect(errorOf(extra)).toMatchObject({ C: '22P04', M: 'extra data after last expected column' });
    expect(await count('stock')).toBe(0);
  });

  it('CopyFail writes nothing (57014)', async () => {
    c.send(serialize.query('COPY stock FROM STDIN'));
    await c.until('G');
    c.send(serialize.copyData(Buffer.from('a\t1\n')), serialize.copyFail('client gave up'));
    const frames = await c.until('Z');
    expect(errorOf(frames)).toMatchObject({ C: '57014', M: 'COPY from stdin failed: client gave up' });
    expect(await count('stock')).toBe(0);
  });

  it('a client disconnect mid-COPY writes nothing', async () => {
    const d = await RawClient.connect(srv.port);
    d.send(serialize.query('COPY stock FROM STDIN'));
    await d.until('G');
    d.send(serialize.copyData(Buffer.from('a\t1\nb\t2\n')));
    await new Promise((r) => setTimeout(r, 100));
    d.socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    expect(await count('stock')).toBe(0);
  });

  it('a CancelRequest mid-COPY ends it with 57014 and writes nothing', async () => {
    const d = await RawClient.connect(srv.port);
    const key = d.backendKeyData();
    d.send(serialize.query('COPY stock FROM STDIN'));
    await d.until('G');
    d.send(serialize.copyData(Buffer.from('a\t1\nb\t2\n')));
    await new Promise((r) => setTimeout(r, 100));
    const canceller = net.connect(srv.port, '127.0.0.1');
    await new Promise((r) => canceller.once('connect', r));
    canceller.end(serialize.cancel(key.processId, key.secretKey));
    const frames = await d.until('Z');
    expect(errorOf(frames)).toMatchObject({ C: '57014' });
    // Data the client still sends afterwards is ignored; the connection goes on.
    d.send(serialize.copyData(Buffer.from('c\t3\n')), serialize.copyDone());
    expect(await d.rows('SELECT 1')).toEqual([['1']]);
    d.end();
    expect(await count('stock')).toBe(0);
  });

  it('inside BEGIN the COPY is buffered: ROLLBACK discards it, COMMIT writes it', async () => {
    await c.rows('BEGIN');
    let frames = await copyIn('COPY stock FROM STDIN', ['r\t1\n']);
    expect(tagOf(frames)).toEqual(['COPY 1']);
    expect(frames.at(-1)!.body.toString()).toBe('T');
    await c.rows('ROLLBACK');
    expect(await count('stock')).toBe(0);
    await c.rows('BEGIN');
    frames = await copyIn('COPY stock FROM STDIN', ['k\t1\nl\t2\n']);
    expect(tagOf(frames)).toEqual(['COPY 2']);
    await c.rows('COMMIT');
    expect(await count('stock')).toBe(2);
  });

  it('duckmesh.idempotency_key: a repeated COPY answers the original token and writes nothing; other data → DM004', async () => {
    await c.rows('CREATE TABLE idem_copy (k TEXT, n INTEGER)');
    const token = async () => (await c.rows('SHOW duckmesh.last_visibility_token'))[0]![0]!;
    await c.rows(`SET duckmesh.idempotency_key = 'copy-1'`);
    expect(tagOf(await copyIn('COPY idem_copy FROM STDIN', ['a\t1\nb\t2\n']))).toEqual(['COPY 2']);
    const first = await token();
    // The same input, split differently, with the same key: the original receipt, nothing new.
    await c.rows(`SET duckmesh.idempotency_key = 'copy-1'`);
    const again = await copyIn('COPY idem_copy FROM STDIN', ['a\t1\n', 'b\t2\n']);
    expect(errorOf(again)).toBeNull();
    expect(await token()).toBe(first);
    // The key was consumed: the next COPY without a key is an ordinary write.
    expect(await c.rows('SHOW duckmesh.idempotency_key')).toEqual([['']]);
    await c.rows(`SET duckmesh.idempotency_key = 'copy-1'`);
    const other = await copyIn('COPY idem_copy FROM STDIN', ['a\t1\nb\t3\n']);
    expect(errorOf(other)?.['C']).toBe('DM004');
    expect(await c.rows('SELECT k, n FROM idem_copy ORDER BY k')).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('binary format round-trips through COPY TO STDOUT (BINARY)', async () => {
    await c.rows('CREATE TABLE bin_src (i2 SMALLINT, i8 BIGINT, f8 DOUBLE PRECISION, n NUMERIC(10,3), b BOOLEAN, t TEXT, bt BYTEA, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, u UUID, arr INTEGER[], tarr TEXT[])');
    await c.rows('CREATE TABLE bin_dst (i2 SMALLINT, i8 BIGINT, f8 DOUBLE PRECISION, n NUMERIC(10,3), b BOOLEAN, t TEXT, bt BYTEA, d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, u UUID, arr INTEGER[], tarr TEXT[])');
    await c.rows(
      `INSERT INTO bin_src VALUES (-3, 9007199254740993, 1.5, -12.345, true, 'héllo', '\\x00ff10', '1999-12-31', '2024-05-06 07:08:09.123456', '2024-05-06 07:08:09+02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,NULL,3}', '{"a b",NULL,"c,d"}'), (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
    );
    const out = await c.query('COPY bin_src TO STDOUT (FORMAT binary)');
    expect(out.find((f) => f.type === 'H')!.body[0]).toBe(1);
    const data = Buffer.concat(out.filter((f) => f.type === 'd').map((f) => f.body));
    expect(data.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
    expect(tagOf(out)).toEqual(['COPY 2']);
    // (INTERVAL columns are left out: the commit worker cannot store them yet — see the report.)
    // Feed it back in odd-sized chunks.
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += 7) chunks.push(data.subarray(i, i + 7));
    const frames = await copyIn('COPY bin_dst FROM STDIN (FORMAT binary)', chunks);
    expect(errorOf(frames)).toBeNull();
    expect(tagOf(frames)).toEqual(['COPY 2']);
    const cols = 'i2, i8, f8, n, b, t, bt, d, ts, tz, u, arr, tarr';
    const src = await c.rows(`SELECT ${cols} FROM bin_src ORDER BY i2 NULLS LAST`);
    expect(await c.rows(`SELECT ${cols} FROM bin_dst ORDER BY i2 NULLS LAST`)).toEqual(src);
    expect(src[0]).toEqual(['-3', '9007199254740993', '1.5', '-12.345', 't', 'héllo', '\\x00ff10', '1999-12-31', '2024-05-06 07:08:09.123456', '2024-05-06 05:08:09+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{1,NULL,3}', '{"a b",NULL,"c,d"}']);
  });

  it('binary with a bad signature or wrong field count fails', async () => {
    const bad = await copyIn('COPY stock FROM STDIN (FORMAT binary)', ['not a copy file']);
    expect(errorOf(bad)?.['C']).toBe('22P04');
    const header = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
    const oneField = Buffer.from([0, 1, 0, 0, 0, 1, 0x41, 0xff, 0xff]);
    const wrong = await copyIn('COPY stock FROM STDIN (FORMAT binary)', [header, oneField]);
    expect(errorOf(wrong)).toMatchObject({ C: '22P04', M: 'row field count is 1, expected 2' });
  });

  it('refuses server files and programs (42501) and unknown options (42601)', async () => {
    for (const sql of ["COPY stock FROM '/etc/passwd'", "COPY stock TO '/tmp/x'", "COPY stock FROM PROGRAM 'id'", "COPY (SELECT 1) TO PROGRAM 'cat'"]) {
      expect(errorOf(await c.query(sql))?.['C']).toBe('42501');
    }
    expect(errorOf(await c.query('COPY stock FROM STDIN (BOGUS 1)'))?.['C']).toBe('42601');
    expect(errorOf(await c.query("COPY stock FROM STDIN (FORMAT binary, DELIMITER ',')"))?.['C']).toBe('42601');
    expect(errorOf(await c.query('COPY nowhere FROM STDIN'))?.['C']).toBe('42P01');
  });
});

describe('COPY TO STDOUT', () => {
  beforeAll(async () => {
    await c.rows('CREATE TABLE out_t (id INTEGER, s TEXT, n NUMERIC(6,2))');
    await c.rows(`INSERT INTO out_t VALUES (1, E'a\\tb\\nc\\\\d', 1.5), (2, NULL, NULL), (3, 'x,"y"', -2)`);
  });

  function copyData(frames: RawFrame[]): string[] {
    return frames.filter((f) => f.type === 'd').map((f) => f.body.toString('utf8'));
  }

  it('text: one CopyData per row, Postgres escaping and \\N', async () => {
    const f = await c.query('COPY out_t TO STDOUT');
    expect(copyData(f)).toEqual(['1\ta\\tb\\nc\\\\d\t1.50\n', '2\t\\N\t\\N\n', '3\tx,"y"\t-2.00\n']);
    expect(tagOf(f)).toEqual(['COPY 3']);
  });

  it('csv with HEADER and a query', async () => {
    const f = await c.query(`COPY (SELECT id, s FROM out_t WHERE id <> 1 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)`);
    expect(copyData(f).join('')).toBe('id,s\n2,\n3,"x,""y"""\n');
    const q = await c.query(`COPY out_t (id, s) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *, NULL 'NULL')`);
    expect(copyData(q).join('')).toBe('"1","a\tb\nc\\d"\n"2",NULL\n"3","x,""y"""\n');
  });

  it('streams a large export without holding it whole', async () => {
    const f = await c.query('COPY (SELECT i, i * 2 AS j FROM range(100000) t(i)) TO STDOUT');
    const data = copyData(f);
    expect(data).toHaveLength(100000);
    expect(data[99999]).toBe('99999\t199998\n');
    expect(tagOf(f)).toEqual(['COPY 100000']);
  });
});

const hasPsql = spawnSync('psql', ['--version']).status === 0;
const run = promisify(execFile);

describe.runIf(hasPsql)('psql \\copy', () => {
  const psql = (args: string[]) =>
    run('psql', ['-X', '-h', '127.0.0.1', '-p', String(srv.port), '-U', 'tester', '-d', 'duckmesh', '-v', 'ON_ERROR_STOP=1', ...args], { encoding: 'utf8' });

  it('copies a client file in and back out, text and csv', async () => {
    await c.rows('CREATE TABLE pq (id INTEGER, label TEXT)');
    const inFile = path.join(tmp, 'in.csv');
    writeFileSync(inFile, 'id,label\n1,"one, uno"\n2,two\n');
    const outFile = path.join(tmp, 'out.txt');
    // One psql session: its read waits for its own COPY (read-your-writes).
    const r = await psql(['-c', `\\copy pq FROM '${inFile}' WITH (FORMAT csv, HEADER)`, '-c', `\\copy (SELECT id, label FROM pq ORDER BY id) TO '${outFile}'`]);
    expect(r.stdout.trim().split('\n')).toEqual(['COPY 2', 'COPY 2']);
    expect(readFileSync(outFile, 'utf8')).toBe('1\tone, uno\n2\ttwo\n');
    const failed = await psql(['-c', `\\copy pq FROM '${outFile}' WITH (FORMAT csv)`]).then(
      () => null,
      (e: { stderr: string }) => e.stderr,
    );
    expect(failed).toContain('invalid input syntax for type integer');
    expect(failed).toContain('COPY pq, line 1, column id');
  });
});
