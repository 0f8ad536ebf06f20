import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import {
  FrontendParser,
  GSSENC_REQUEST_CODE,
  parsePasswordMessage,
  parseSASLInitialResponse,
  type FrontendMessage,
} from '../../src/wire/codec/frontend.js';
import { cstr, frame, normalize, normalParser, parseAll, parseInChunks, prng, startupPacket } from './helpers.js';

/** A realistic client session: startup, simple + extended queries, COPY, teardown. */
function sessionBytes(): { bytes: Buffer; expected: FrontendMessage[] } {
  const binParam = Buffer.from([0, 0, 0, 42, 0xff, 0, 0x80]);
  const bigCopy = Buffer.alloc(70_000, 0x61);
  const parts: Buffer[] = [
    serialize.startup({ user: 'alice', database: 'analytics', application_name: 'tést' }),
    serialize.query('SELECT 1; SELECT \'grüße 🦆\''),
    serialize.parse({ name: 'stmt1', text: 'SELECT $1::int, $2, $3', types: [23, 25, 0] }),
    serialize.bind({ portal: 'p1', statement: 'stmt1', values: ['42', null, binParam], binary: true }),
    serialize.describe({ type: 'P', name: 'p1' }),
    serialize.describe({ type: 'S', name: '' }),
    serialize.execute({ portal: 'p1', rows: 100 }),
    serialize.execute(),
    serialize.flush(),
    serialize.close({ type: 'S', name: 'stmt1' }),
    serialize.close({ type: 'P', name: '' }),
    serialize.sync(),
    serialize.query(''),
    serialize.copyData(Buffer.from('1\tx\n')),
    serialize.copyData(bigCopy),
    serialize.copyDone(),
    serialize.copyFail('client gave up'),
    frame('F', [0, 0, 0, 1]),
    serialize.end(),
  ];
  const expected: FrontendMessage[] = [
    {
      type: 'Startup',
      protocolMajor: 3,
      protocolMinor: 0,
      params: { user: 'alice', database: 'analytics', application_name: 'tést', client_encoding: 'UTF8' },
    },
    { type: 'Query', sql: "SELECT 1; SELECT 'grüße 🦆'" },
    { type: 'Parse', statement: 'stmt1', sql: 'SELECT $1::int, $2, $3', paramTypes: [23, 25, 0] },
    {
      type: 'Bind',
      portal: 'p1',
      statement: 'stmt1',
      paramFormats: [0, 0, 1],
      params: [Buffer.from('42'), null, binParam],
      resultFormats: [1],
    },
    { type: 'Describe', kind: 'P', name: 'p1' },
    { type: 'Describe', kind: 'S', name: '' },
    { type: 'Execute', portal: 'p1', maxRows: 100 },
    { type: 'Execute', portal: '', maxRows: 0 },
    { type: 'Flush' },
    { type: 'Close', kind: 'S', name: 'stmt1' },
    { type: 'Close', kind: 'P', name: '' },
    { type: 'Sync' },
    { type: 'Query', sql: '' },
    { type: 'CopyData', data: Buffer.from('1\tx\n') },
    { type: 'CopyData', data: bigCopy },
    { type: 'CopyDone' },
    { type: 'CopyFail', message: 'client gave up' },
    { type: 'FunctionCall' },
    { type: 'Terminate' },
  ];
  return { bytes: Buffer.concat(parts), expected };
}

describe('FrontendParser decodes pg-protocol serialize output', () => {
  it('a whole session in one chunk', () => {
    const { bytes, expected } = sessionBytes();
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    const got = parseAll(parser, bytes);
    expect(normalize(got)).toEqual(normalize(expected));
    expect(parser.bufferedBytes).toBe(0);
    expect(parser.next()).toBeNull();
  });

  it('the same session fed one byte at a time', () => {
    const { bytes, expected } = sessionBytes();
    const got = parseInChunks(new FrontendParser({ maxMessageBytes: 1 << 20 }), bytes, [1]);
    expect(normalize(got)).toEqual(normalize(expected));
  });

  it('the same session in random chunk sizes (views stay intact after later pushes)', () => {
    const { bytes, expected } = sessionBytes();
    const rnd = prng(7);
    for (let round = 0; round < 20; round++) {
      const sizes = Array.from({ length: 64 }, () => 1 + Math.floor(rnd() * (round < 10 ? 16 : 9000)));
      // All messages are collected first and compared at the end, so any Buffer view that a later
      // push or compaction overwrote would show up as a mismatch.
      const got = parseInChunks(new FrontendParser({ maxMessageBytes: 1 << 20 }), bytes, sizes);
      expect(normalize(got)).toEqual(normalize(expected));
    }
  });

  it('returns null until a message is complete, then exactly that message', () => {
    const parser = normalParser();
    const q = serialize.query('SELECT 42');
    parser.push(q.subarray(0, 1));
    expect(parser.next()).toBeNull();
    parser.push(q.subarray(1, 5));
    expect(parser.next()).toBeNull();
    parser.push(q.subarray(5, q.length - 1));
    expect(parser.next()).toBeNull();
    expect(parser.bufferedBytes).toBe(q.length - 1);
    parser.push(q.subarray(q.length - 1));
    expect(parser.next()).toEqual({ type: 'Query', sql: 'SELECT 42' });
    expect(parser.next()).toBeNull();
  });

  it('many small messages in one chunk', () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 5000; i++) {
      parts.push(serialize.parse({ text: `SELECT ${i}` }), serialize.bind({ values: [String(i)] }), serialize.execute(), serialize.sync());
    }
    const got = parseAll(normalParser(), Buffer.concat(parts));
    expect(got).toHaveLength(20_000);
    expect(got[4 * 4321]).toEqual({ type: 'Parse', statement: '', sql: 'SELECT 4321', paramTypes: [] });
    expect(got[4 * 4321 + 1]).toEqual({
      type: 'Bind',
      portal: '',
      statement: '',
      paramFormats: [0],
      params: [Buffer.from('4321')],
      resultFormats: [0],
    });
  });

  it('a 5 MB CopyData message arriving in 64 KiB chunks', () => {
    const payload = Buffer.alloc(5 << 20);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const got = parseInChunks(normalParser(8 << 20), serialize.copyData(payload), [65536]);
    expect(got).toHaveLength(1);
    const msg = got[0]!;
    expect(msg.type).toBe('CopyData');
    expect(msg.type === 'CopyData' && msg.data.equals(payload)).toBe(true);
  });

  it('Bind with no parameters and no result formats', () => {
    const body = Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 0, 0, 0])]);
    expect(parseAll(normalParser(), frame('B', body))).toEqual([
      { type: 'Bind', portal: '', statement: '', paramFormats: [], params: [], resultFormats: [] },
    ]);
  });

  it('Bind with one format code for all parameters and an empty (non-NULL) value', () => {
    const body = Buffer.concat([
      cstr('portal'),
      cstr('s'),
      Buffer.from([0, 1, 0, 1]), // one format: binary
      Buffer.from([0, 2]), // two params
      Buffer.from([0, 0, 0, 0]), // empty value
      Buffer.from([0, 0, 0, 2, 0xbe, 0xef]),
      Buffer.from([0, 2, 0, 0, 0, 1]), // two result formats
    ]);
    expect(parseAll(normalParser(), frame('B', body))).toEqual([
      {
        type: 'Bind',
        portal: 'portal',
        statement: 's',
        paramFormats: [1],
        params: [Buffer.alloc(0), Buffer.from([0xbe, 0xef])],
        resultFormats: [0, 1],
      },
    ]);
  });

  it('Parse parameter type OIDs are unsigned', () => {
    const body = Buffer.concat([cstr(''), cstr('SELECT $1'), Buffer.from([0, 2, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 20])]);
    expect(parseAll(normalParser(), frame('P', body))).toEqual([
      { type: 'Parse', statement: '', sql: 'SELECT $1', paramTypes: [0xffffffff, 20] },
    ]);
  });

  it('Execute with a negative row limit means all rows', () => {
    const body = Buffer.concat([cstr(''), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    expect(parseAll(normalParser(), frame('E', body))).toEqual([{ type: 'Execute', portal: '', maxRows: 0 }]);
  });

  it('a real U+FFFD in SQL is accepted', () => {
    expect(parseAll(normalParser(), serialize.query("SELECT '\uFFFD'"))).toEqual([{ type: 'Query', sql: "SELECT '\uFFFD'" }]);
  });
});

describe('startup phase', () => {
  it('SSLRequest keeps the parser in startup mode; the next packet is the Startup', () => {
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    parser.push(serialize.requestSsl());
    expect(parser.next()).toEqual({ type: 'SSLRequest' });
    expect(parser.inStartupMode).toBe(true);
    parser.push(serialize.startup({ user: 'bob' }));
    expect(parser.next()).toEqual({
      type: 'Startup',
      protocolMajor: 3,
      protocolMinor: 0,
      params: { user: 'bob', client_encoding: 'UTF8' },
    });
    expect(parser.inStartupMode).toBe(false);
    parser.push(serialize.sync());
    expect(parser.next()).toEqual({ type: 'Sync' });
  });

  it('GSSENCRequest, then SSLRequest, then Startup', () => {
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    parser.push(startupPacket(GSSENC_REQUEST_CODE));
    expect(parser.next()).toEqual({ type: 'GSSENCRequest' });
    parser.push(serialize.requestSsl());
    expect(parser.next()).toEqual({ type: 'SSLRequest' });
    parser.push(serialize.startup({ user: 'carol', database: 'db' }));
    expect(parser.next()?.type).toBe('Startup');
  });

  it('CancelRequest', () => {
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    parser.push(serialize.cancel(31337, -559038737));
    expect(parser.next()).toEqual({ type: 'CancelRequest', processId: 31337, secretKey: -559038737 });
  });

  it('startupDone() is idempotent and switches to typed messages', () => {
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    parser.startupDone();
    parser.startupDone();
    parser.push(serialize.query('SELECT 1'));
    expect(parser.next()).toEqual({ type: 'Query', sql: 'SELECT 1' });
  });

  it('reports a newer 3.x minor version and _pq_ options for negotiation', () => {
    const body = Buffer.concat([cstr('user'), cstr('u'), cstr('_pq_.compression'), cstr('on'), Buffer.from([0])]);
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    parser.push(startupPacket((3 << 16) | 2, body));
    expect(parser.next()).toEqual({
      type: 'Startup',
      protocolMajor: 3,
      protocolMinor: 2,
      params: { user: 'u', '_pq_.compression': 'on' },
    });
  });

  it('a "__proto__" startup key is a plain entry, not a prototype change', () => {
    const body = Buffer.concat([cstr('__proto__'), cstr('x'), cstr('user'), cstr('u'), Buffer.from([0])]);
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    parser.push(startupPacket(3 << 16, body));
    const msg = parser.next();
    expect(msg?.type).toBe('Startup');
    if (msg?.type !== 'Startup') return;
    expect(Object.keys(msg.params).sort()).toEqual(['__proto__', 'user']);
    expect(msg.params['__proto__']).toBe('x');
    expect(Object.getPrototypeOf(msg.params)).toBeNull();
  });

  it('Startup packet with no parameters at all', () => {
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    parser.push(startupPacket(3 << 16, Buffer.from([0])));
    expect(parser.next()).toEqual({ type: 'Startup', protocolMajor: 3, protocolMinor: 0, params: {} });
  });
});

describe('password-message payloads', () => {
  it('PasswordMessage (cleartext and md5)', () => {
    const parser = normalParser();
    parser.push(Buffer.concat([serialize.password('s3cret pässword'), serialize.password('md5abc')]));
    const a = parser.next();
    const b = parser.next();
    expect(a?.type).toBe('Password');
    expect(b?.type).toBe('Password');
    if (a?.type !== 'Password' || b?.type !== 'Password') return;
    expect(parsePasswordMessage(a.data)).toBe('s3cret pässword');
    expect(parsePasswordMessage(b.data)).toBe('md5abc');
  });

  it('SASLInitialResponse and SASLResponse', () => {
    const parser = normalParser();
    parser.push(serialize.sendSASLInitialResponseMessage('SCRAM-SHA-256', 'n,,n=*,r=abcdef'));
    parser.push(serialize.sendSCRAMClientFinalMessage('c=biws,r=abcdefXYZ,p=cHJvb2Y='));
    const first = parser.next();
    const second = parser.next();
    if (first?.type !== 'Password' || second?.type !== 'Password') throw new Error('expected Password messages');
    const init = parseSASLInitialResponse(first.data);
    expect(init.mechanism).toBe('SCRAM-SHA-256');
    expect(init.initial.toString()).toBe('n,,n=*,r=abcdef');
    expect(second.data.toString()).toBe('c=biws,r=abcdefXYZ,p=cHJvb2Y=');
  });

  it('SASLInitialResponse without an initial response (length -1)', () => {
    const data = Buffer.concat([cstr('SCRAM-SHA-256'), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    const r = parseSASLInitialResponse(data);
    expect(r.mechanism).toBe('SCRAM-SHA-256');
    expect(r.initial.length).toBe(0);
  });
});
