import { serialize } from 'pg-protocol';
import { describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import {
  CANCEL_REQUEST_CODE,
  FrontendParser,
  parsePasswordMessage,
  parseSASLInitialResponse,
  SSL_REQUEST_CODE,
} from '../../src/wire/codec/frontend.js';
import { cstr, expectDuckMeshError, frame, normalParser, prng, startupPacket } from './helpers.js';

function nextError(parser: FrontendParser, bytes: Buffer): DuckMeshError {
  parser.push(bytes);
  return expectDuckMeshError(() => parser.next());
}

describe('framing errors are FATAL and poison the parser', () => {
  it('length below 4', () => {
    const parser = normalParser();
    const err = nextError(parser, Buffer.from([0x51, 0, 0, 0, 3]));
    expect(err.sqlstate).toBe('08P01');
    expect(err.severity).toBe('FATAL');
    expect(err.message).toBe('invalid message length 3');
    // Poisoned: the same error again, even after more (valid) input.
    parser.push(serialize.sync());
    expect(expectDuckMeshError(() => parser.next())).toBe(err);
  });

  it('negative length', () => {
    const err = nextError(normalParser(), Buffer.from([0x51, 0xff, 0xff, 0xff, 0xfe]));
    expect(err.sqlstate).toBe('08P01');
    expect(err.message).toBe('invalid message length -2');
  });

  it('oversized message is rejected from its header alone, naming the limit', () => {
    const parser = normalParser(1000);
    // Only the 5-byte header has arrived: no waiting for (or allocating) the announced 2 GB.
    const err = nextError(parser, Buffer.from([0x51, 0x7f, 0xff, 0xff, 0xff]));
    expect(err.sqlstate).toBe('54000');
    expect(err.severity).toBe('FATAL');
    expect(err.message).toContain('1000 bytes');
    expect(err.message).toContain('2147483647');
  });

  it('message exactly at the limit is accepted; one byte more is not', () => {
    const limit = 100;
    const ok = serialize.query('x'.repeat(limit - 5)); // length word = 4 + 95 + 1 = 100
    const parser = normalParser(limit);
    parser.push(ok);
    expect(parser.next()).toEqual({ type: 'Query', sql: 'x'.repeat(95) });
    const err = nextError(normalParser(limit), serialize.query('x'.repeat(limit - 4)));
    expect(err.sqlstate).toBe('54000');
  });

  it('small message types have a small limit even with a large maxMessageBytes', () => {
    const err = nextError(normalParser(1 << 30), Buffer.from([0x53 /* S */, 0, 0x01, 0, 0]));
    expect(err.sqlstate).toBe('54000');
    expect(err.message).toContain('10000 bytes');
  });

  it('unknown type byte is rejected before its length arrives', () => {
    const err = nextError(normalParser(), Buffer.from('Z'));
    expect(err.sqlstate).toBe('08P01');
    expect(err.severity).toBe('FATAL');
    expect(err.message).toBe('invalid frontend message type Z');
  });

  it('non-printable type bytes are shown in hex (e.g. a second startup packet)', () => {
    const err = nextError(normalParser(), serialize.startup({ user: 'x' }));
    expect(err.message).toBe('invalid frontend message type 0x00');
  });

  it('backend-only type bytes are not accepted from a client', () => {
    for (const t of ['T', 'Z', 'R', 'K', 'N', 'A', 'G', 'v', 'W', 'V']) {
      const err = nextError(normalParser(), frame(t));
      expect(err.message, t).toBe(`invalid frontend message type ${t}`);
    }
  });
});

describe('content errors are ERROR and the parser continues with the next message', () => {
  function expectRecoverable(body: Buffer, sqlstate: string, message: string | RegExp): void {
    const parser = normalParser();
    parser.push(Buffer.concat([body, serialize.sync()]));
    const err = expectDuckMeshError(() => parser.next());
    expect(err.sqlstate).toBe(sqlstate);
    expect(err.severity).toBe('ERROR');
    if (typeof message === 'string') expect(err.message).toBe(message);
    else expect(err.message).toMatch(message);
    expect(parser.next()).toEqual({ type: 'Sync' });
  }

  it('missing null terminator in Query', () => {
    expectRecoverable(frame('Q', Buffer.from('SELECT 1')), '08P01', 'invalid string in message');
  });

  it('missing terminator in a Parse statement name', () => {
    expectRecoverable(frame('P', Buffer.from('stmt')), '08P01', 'invalid string in message');
  });

  it('invalid UTF-8 in Query', () => {
    const sql = Buffer.concat([Buffer.from("SELECT '"), Buffer.from([0xc3, 0x28]), Buffer.from("'"), Buffer.from([0])]);
    expectRecoverable(frame('Q', sql), '22021', 'invalid byte sequence for encoding "UTF8": 0xc3 0x28');
  });

  it('UTF-16 surrogate encoded in UTF-8 (CESU) in Parse', () => {
    const body = Buffer.concat([cstr('s'), Buffer.from([0x41, 0xed, 0xa0, 0x80, 0]), Buffer.from([0, 0])]);
    expectRecoverable(frame('P', body), '22021', 'invalid byte sequence for encoding "UTF8": 0xed 0xa0 0x80');
  });

  it('overlong encoding and truncated sequence', () => {
    expectRecoverable(frame('Q', Buffer.from([0xc0, 0x80, 0x41, 0])), '22021', 'invalid byte sequence for encoding "UTF8": 0xc0 0x80');
    expectRecoverable(frame('Q', Buffer.from([0x41, 0xe2, 0x82, 0])), '22021', 'invalid byte sequence for encoding "UTF8": 0xe2 0x82');
    expectRecoverable(frame('Q', Buffer.from([0xf4, 0x90, 0x80, 0x80, 0])), '22021', 'invalid byte sequence for encoding "UTF8": 0xf4 0x90 0x80 0x80');
    expectRecoverable(frame('Q', Buffer.from([0xff, 0])), '22021', 'invalid byte sequence for encoding "UTF8": 0xff');
  });

  it('Bind with 2 parameter formats but 3 parameters', () => {
    const body = Buffer.concat([
      cstr(''),
      cstr(''),
      Buffer.from([0, 2, 0, 0, 0, 0]),
      Buffer.from([0, 3]),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0, 0]),
    ]);
    expectRecoverable(frame('B', body), '08P01', 'bind message has 2 parameter formats but 3 parameters');
  });

  it('Bind whose parameter count exceeds the message', () => {
    const body = Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0]), Buffer.from([0xff, 0xff]), Buffer.from([0, 0, 0, 1, 0x41])]);
    expectRecoverable(frame('B', body), '08P01', 'insufficient data left in message');
  });

  it('Bind parameter length beyond the message', () => {
    const body = Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 1]), Buffer.from([0x7f, 0, 0, 0, 1, 2, 3])]);
    expectRecoverable(frame('B', body), '08P01', 'insufficient data left in message');
  });

  it('Bind parameter length below -1', () => {
    const body = Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 1]), Buffer.from([0xff, 0xff, 0xff, 0xfe]), Buffer.from([0, 0])]);
    expectRecoverable(frame('B', body), '08P01', 'invalid length -2 for bind parameter 1');
  });

  it('Bind format-code count beyond the message', () => {
    const body = Buffer.concat([cstr(''), cstr(''), Buffer.from([0x10, 0x00, 0, 0])]);
    expectRecoverable(frame('B', body), '08P01', 'insufficient data left in message');
  });

  it('Bind with an unsupported format code', () => {
    const body = Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 1, 0, 2, 0, 0, 0, 0])]);
    expectRecoverable(frame('B', body), '22023', 'unsupported format code: 2');
    const res = Buffer.concat([cstr(''), cstr(''), Buffer.from([0, 0, 0, 0, 0, 1, 0xff, 0xff])]);
    expectRecoverable(frame('B', res), '22023', 'unsupported format code: -1');
  });

  it('Bind with trailing garbage', () => {
    const good = serialize.bind({ values: ['1'] });
    const body = Buffer.concat([good.subarray(5), Buffer.from([1, 2, 3])]);
    expectRecoverable(frame('B', body), '08P01', 'invalid message format');
  });

  it('Parse whose parameter-type count exceeds the message', () => {
    const body = Buffer.concat([cstr(''), cstr('SELECT $1'), Buffer.from([0, 5, 0, 0, 0, 23])]);
    expectRecoverable(frame('P', body), '08P01', 'insufficient data left in message');
  });

  it('Parse with a truncated count field', () => {
    expectRecoverable(frame('P', Buffer.concat([cstr(''), cstr('SELECT 1'), Buffer.from([0])])), '08P01', 'insufficient data left in message');
  });

  it('Describe and Close with a bad subtype', () => {
    expectRecoverable(frame('D', Buffer.concat([Buffer.from('X'), cstr('')])), '08P01', 'invalid DESCRIBE message subtype 88');
    expectRecoverable(frame('C', Buffer.concat([Buffer.from('Q'), cstr('')])), '08P01', 'invalid CLOSE message subtype 81');
    expectRecoverable(frame('D'), '08P01', 'insufficient data left in message');
  });

  it('Execute without its row count', () => {
    expectRecoverable(frame('E', cstr('')), '08P01', 'insufficient data left in message');
  });

  it('Sync / Flush / Terminate / CopyDone with a body', () => {
    for (const t of ['S', 'H', 'X', 'c']) expectRecoverable(frame(t, [0]), '08P01', 'invalid message format');
  });

  it('Query with bytes after the terminator', () => {
    expectRecoverable(frame('Q', Buffer.from('SELECT 1\0junk')), '08P01', 'invalid message format');
  });
});

describe('startup-phase errors are FATAL', () => {
  function startupError(bytes: Buffer): DuckMeshError {
    const err = nextError(new FrontendParser({ maxMessageBytes: 1 << 20 }), bytes);
    expect(err.severity).toBe('FATAL');
    return err;
  }

  it('startup packet length too small or too large', () => {
    expect(startupError(Buffer.from([0, 0, 0, 4])).message).toBe('invalid length of startup packet: 4');
    expect(startupError(Buffer.from([0, 0, 0, 7])).sqlstate).toBe('08P01');
    expect(startupError(Buffer.from([0xff, 0xff, 0xff, 0xff])).message).toBe('invalid length of startup packet: -1');
    const big = startupError(Buffer.from([0, 0, 0x27, 0x11])); // 10001, header alone
    expect(big.sqlstate).toBe('08P01');
    expect(big.message).toBe('invalid length of startup packet: 10001');
  });

  it('unsupported protocol versions', () => {
    const v2 = startupError(startupPacket(2 << 16, Buffer.from([0])));
    expect(v2.sqlstate).toBe('08P01');
    expect(v2.message).toBe('unsupported frontend protocol 2.0: server supports protocol 3');
    const v4 = startupError(startupPacket((4 << 16) | 1, Buffer.from([0])));
    expect(v4.message).toMatch(/unsupported frontend protocol 4\.1/);
    const weird = startupError(startupPacket((1234 << 16) | 9999));
    expect(weird.message).toMatch(/unsupported frontend protocol 1234\.9999/);
  });

  it('missing final terminator or dangling name', () => {
    const noTerm = startupError(startupPacket(3 << 16, Buffer.concat([cstr('user'), cstr('u')])));
    expect(noTerm.message).toBe('invalid startup packet layout: expected terminator as last byte');
    const dangling = startupError(startupPacket(3 << 16, Buffer.concat([cstr('user'), Buffer.from([0x75])])));
    expect(dangling.sqlstate).toBe('08P01');
    const trailing = startupError(startupPacket(3 << 16, Buffer.concat([cstr('user'), cstr('u'), Buffer.from([0, 0x41])])));
    expect(trailing.message).toBe('invalid startup packet layout: expected terminator as last byte');
  });

  it('invalid UTF-8 in a startup parameter', () => {
    const err = startupError(startupPacket(3 << 16, Buffer.concat([cstr('user'), Buffer.from([0xc3, 0x28, 0]), Buffer.from([0])])));
    expect(err.sqlstate).toBe('22021');
  });

  it('plaintext bytes buffered behind an SSLRequest (CVE-2021-23214)', () => {
    const err = startupError(Buffer.concat([serialize.requestSsl(), serialize.startup({ user: 'mallory' })]));
    expect(err.sqlstate).toBe('08P01');
    expect(err.message).toBe('received unencrypted data after SSL request');
  });

  it('wrong lengths for SSL and cancel requests', () => {
    expect(startupError(startupPacket(SSL_REQUEST_CODE, Buffer.alloc(4))).message).toMatch(/invalid length of SSL request packet/);
    expect(startupError(startupPacket(CANCEL_REQUEST_CODE, Buffer.alloc(4))).message).toMatch(/invalid length of cancel request packet/);
  });

  it('a truncated startup packet just waits', () => {
    const parser = new FrontendParser({ maxMessageBytes: 1 << 20 });
    const pkt = serialize.startup({ user: 'x' });
    parser.push(pkt.subarray(0, pkt.length - 1));
    expect(parser.next()).toBeNull();
    expect(parser.next()).toBeNull();
  });
});

describe('auth payload helpers reject malformed input', () => {
  it('PasswordMessage without terminator or with trailing bytes', () => {
    expect(expectDuckMeshError(() => parsePasswordMessage(Buffer.from('abc'))).message).toBe('invalid password packet size');
    expect(expectDuckMeshError(() => parsePasswordMessage(Buffer.from('abc\0d\0'))).sqlstate).toBe('08P01');
    expect(expectDuckMeshError(() => parsePasswordMessage(Buffer.from([0xc3, 0x28, 0]))).sqlstate).toBe('22021');
  });

  it('SASLInitialResponse with a wrong length', () => {
    const short = Buffer.concat([cstr('SCRAM-SHA-256'), Buffer.from([0, 0, 0, 10]), Buffer.from('abc')]);
    expect(expectDuckMeshError(() => parseSASLInitialResponse(short)).sqlstate).toBe('08P01');
    expect(expectDuckMeshError(() => parseSASLInitialResponse(Buffer.from('SCRAM'))).sqlstate).toBe('08P01');
    expect(expectDuckMeshError(() => parseSASLInitialResponse(Buffer.concat([cstr('M'), Buffer.from([0xff, 0xff, 0xff, 0xf0])]))).sqlstate).toBe('08P01');
  });
});

describe('fuzz: arbitrary input never crashes or hangs', () => {
  function drain(parser: FrontendParser, bytes: Buffer, rnd: () => number): void {
    let p = 0;
    let guard = 0;
    while (p < bytes.length) {
      const n = 1 + Math.floor(rnd() * 40);
      parser.push(bytes.subarray(p, p + n));
      p += n;
      for (;;) {
        if (++guard > 100_000) throw new Error('parser did not make progress');
        let m;
        try {
          m = parser.next();
        } catch (err) {
          if (!(err instanceof DuckMeshError)) throw err;
          if (err.severity === 'FATAL') return; // connection would close here
          continue; // recoverable: keep reading, as the server does
        }
        if (!m) break;
      }
    }
  }

  it('random bytes in startup and normal mode', () => {
    const rnd = prng(12345);
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 200) }, () => Math.floor(rnd() * 256)));
      const parser = new FrontendParser({ maxMessageBytes: 4096 });
      if (i % 2 === 0) parser.startupDone();
      drain(parser, bytes, rnd);
    }
  });

  it('valid streams with random byte mutations', () => {
    const rnd = prng(999);
    const base = Buffer.concat([
      serialize.parse({ name: 's', text: 'SELECT $1, $2', types: [23, 25] }),
      serialize.bind({ statement: 's', values: ['1', Buffer.from([1, 2, 3]), null] }),
      serialize.describe({ type: 'P' }),
      serialize.execute({ rows: 5 }),
      serialize.sync(),
      serialize.query('SELECT 1'),
      serialize.copyData(Buffer.from('a,b\n')),
      serialize.copyDone(),
    ]);
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.from(base);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let f = 0; f < flips; f++) bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
      drain(normalParser(4096), bytes, rnd);
    }
  });
});
