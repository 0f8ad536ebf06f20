import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Parser } from 'pg-protocol/dist/parser.js';
import { serialize } from 'pg-protocol';
// node-postgres' own SCRAM client (CommonJS): startSession / continueSession / finalizeSession.
import sasl from 'pg/lib/crypto/sasl.js';
import { describe, expect, it } from 'vitest';
import { saslprep } from '../../src/wire/auth/saslprep.js';
import {
  createScramVerifier,
  formatVerifier,
  isScramVerifier,
  parseVerifier,
  SCRAM_SHA_256_PLUS,
  scramMechanisms,
  ScramServerSession,
  verifyScramPlainPassword,
  type ScramVerifier,
} from '../../src/wire/auth/scram.js';
import { BackendWriter } from '../../src/wire/codec/backend.js';
import { parseSASLInitialResponse } from '../../src/wire/codec/frontend.js';
import { expectDuckMeshError, normalParser } from './helpers.js';

const pgSasl = sasl;

/** Runs pg's client against our server session; returns the server's verdict and the client's check. */
async function exchange(
  server: ScramServerSession,
  password: string,
  opts: { stream?: unknown } = {},
): Promise<{ ok: boolean; clientAccepted: boolean }> {
  const client = pgSasl.startSession(['SCRAM-SHA-256'], opts.stream);
  const serverFirst = server.handleClientFirst(Buffer.from(client.response), client.mechanism);
  await pgSasl.continueSession(client, password, serverFirst.toString(), opts.stream);
  const result = server.handleClientFinal(Buffer.from(client.response));
  if (!result.ok) return { ok: false, clientAccepted: false };
  pgSasl.finalizeSession(client, result.serverFinal!.toString()); // throws if the server signature is wrong
  return { ok: true, clientAccepted: true };
}

describe('SCRAM-SHA-256 against node-postgres’ client', () => {
  it('correct password authenticates both ways (server verifies proof, client verifies signature)', async () => {
    const v = createScramVerifier('correct horse battery staple');
    expect(await exchange(new ScramServerSession(v), 'correct horse battery staple')).toEqual({ ok: true, clientAccepted: true });
  });

  it('wrong password fails without a server-final message', async () => {
    const v = createScramVerifier('right');
    const server = new ScramServerSession(v);
    const client = pgSasl.startSession(['SCRAM-SHA-256']);
    const first = server.handleClientFirst(Buffer.from(client.response));
    await pgSasl.continueSession(client, 'wrong', first.toString());
    expect(server.handleClientFinal(Buffer.from(client.response))).toEqual({ ok: false });
  });

  it('unknown user runs a full fake exchange and fails at the end', async () => {
    const server = new ScramServerSession(null, { username: 'ghost' });
    const client = pgSasl.startSession(['SCRAM-SHA-256']);
    const first = server.handleClientFirst(Buffer.from(client.response)).toString();
    // Looks like a real server-first-message: client nonce echoed, 16-byte salt, 4096 iterations.
    const m = /^r=([^,]+),s=([^,]+),i=(\d+)$/.exec(first)!;
    expect(m[1]!.startsWith(client.response.split('r=')[1]!)).toBe(true);
    expect(Buffer.from(m[2]!, 'base64').length).toBe(16);
    expect(m[3]).toBe('4096');
    await pgSasl.continueSession(client, 'anything', first);
    expect(server.handleClientFinal(Buffer.from(client.response))).toEqual({ ok: false });
  });

  it('fake salts are stable per user name and differ between names', () => {
    const secret = randomBytes(32);
    const saltOf = (username: string) => {
      const s = new ScramServerSession(null, { username, mockSecret: secret });
      return /s=([^,]+)/.exec(s.handleClientFirst(Buffer.from('n,,n=,r=abc')).toString())![1];
    };
    expect(saltOf('ghost')).toBe(saltOf('ghost'));
    expect(saltOf('ghost')).not.toBe(saltOf('phantom'));
  });

  it('each exchange uses a fresh server nonce', () => {
    const v = createScramVerifier('pw', 4096);
    const n1 = new ScramServerSession(v).handleClientFirst(Buffer.from('n,,n=,r=abc')).toString();
    const n2 = new ScramServerSession(v).handleClientFirst(Buffer.from('n,,n=,r=abc')).toString();
    expect(n1).not.toBe(n2);
    expect(n1.startsWith('r=abc')).toBe(true);
  });

  it('gs2 flag "y" (client supports binding, server offers none) is accepted', async () => {
    const v = createScramVerifier('pw');
    // With a truthy stream pg picks SCRAM-SHA-256 (we only offer that) and sends "y,,".
    const client = pgSasl.startSession(['SCRAM-SHA-256'], {});
    expect(client.response.startsWith('y,,')).toBe(true);
    expect(await exchange(new ScramServerSession(v), 'pw', { stream: {} })).toEqual({ ok: true, clientAccepted: true });
  });

  it('gs2 flag "y" is refused when the server supports channel binding (downgrade)', () => {
    const server = new ScramServerSession(createScramVerifier('pw'), { channelBinding: randomBytes(32) });
    const err = expectDuckMeshError(() => server.handleClientFirst(Buffer.from('y,,n=,r=abc')));
    expect(err.sqlstate).toBe('08P01');
    expect(err.message).toBe('SCRAM channel binding negotiation error');
  });

  it('non-ASCII passwords are SASLprepped identically on both sides', async () => {
    for (const pw of ['pässwörd', 'ﬁsh', 'a\u00A0b', 'Ⅸ-\u00ADsoft']) {
      const v = createScramVerifier(pw);
      expect(await exchange(new ScramServerSession(v), pw), pw).toEqual({ ok: true, clientAccepted: true });
    }
  });

  it('works end to end through our codecs and pg-protocol on the client side', async () => {
    const v = createScramVerifier('s3cret');
    const server = new ScramServerSession(v);
    const parser = normalParser();
    const writer = new BackendWriter();
    const decode = (bytes: Buffer) => {
      const out: any[] = [];
      new Parser().parse(bytes, (m) => out.push(m));
      return out;
    };

    writer.authenticationSASL(scramMechanisms(false));
    const [saslReq] = decode(writer.flush());
    const client = pgSasl.startSession(saslReq.mechanisms);

    parser.push(serialize.sendSASLInitialResponseMessage(client.mechanism, client.response));
    const initMsg = parser.next();
    if (initMsg?.type !== 'Password') throw new Error('expected a Password message');
    const { mechanism, initial } = parseSASLInitialResponse(initMsg.data);
    writer.authenticationSASLContinue(server.handleClientFirst(initial, mechanism));
    const [cont] = decode(writer.flush());
    expect(cont.name).toBe('authenticationSASLContinue');

    await pgSasl.continueSession(client, 's3cret', cont.data);
    parser.push(serialize.sendSCRAMClientFinalMessage(client.response));
    const finalMsg = parser.next();
    if (finalMsg?.type !== 'Password') throw new Error('expected a Password message');
    const result = server.handleClientFinal(finalMsg.data);
    expect(result.ok).toBe(true);
    writer.authenticationSASLFinal(result.serverFinal!);
    writer.authenticationOk();
    const [fin, ok] = decode(writer.flush());
    expect(fin.name).toBe('authenticationSASLFinal');
    expect(() => pgSasl.finalizeSession(client, fin.data)).not.toThrow();
    expect(ok.name).toBe('authenticationOk');
  });
});

describe('SCRAM test vector (RFC 7677 section 3)', () => {
  it('reproduces the published exchange byte for byte', () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const v = createScramVerifier('pencil', 4096, salt);
    const server = new ScramServerSession(v, { serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' });
    const first = server.handleClientFirst(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    expect(first.toString()).toBe('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    const result = server.handleClientFinal(
      Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='),
    );
    expect(result.ok).toBe(true);
    expect(result.serverFinal!.toString()).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });
});

/** Minimal SCRAM client written from the RFC, to exercise tls-server-end-point binding. */
function scramClientFinal(password: string, v: ScramVerifier, clientFirstBare: string, serverFirst: string, cbindInput: Buffer): string {
  const nonce = /r=([^,]+)/.exec(serverFirst)![1];
  const withoutProof = `c=${cbindInput.toString('base64')},r=${nonce}`;
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const salted = pbkdf2Sync(password, v.salt, v.iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const sig = createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ sig[i]!));
  return `${withoutProof},p=${proof.toString('base64')}`;
}

describe('SCRAM-SHA-256-PLUS (tls-server-end-point)', () => {
  const certHash = createHash('sha256').update('pretend DER certificate').digest();

  it('advertises PLUS first when binding data is available', () => {
    expect(scramMechanisms(true)).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    expect(scramMechanisms(false)).toEqual(['SCRAM-SHA-256']);
  });

  it('accepts matching binding data', () => {
    const v = createScramVerifier('pw', 4096);
    const server = new ScramServerSession(v, { channelBinding: certHash });
    const gs2 = 'p=tls-server-end-point,,';
    const bare = 'n=,r=clientnonce123';
    const first = server.handleClientFirst(Buffer.from(gs2 + bare), SCRAM_SHA_256_PLUS).toString();
    const final = scramClientFinal('pw', v, bare, first, Buffer.concat([Buffer.from(gs2), certHash]));
    expect(server.handleClientFinal(Buffer.from(final)).ok).toBe(true);
  });

  it('rejects binding data for a different certificate', () => {
    const v = createScramVerifier('pw', 4096);
    const server = new ScramServerSession(v, { channelBinding: certHash });
    const gs2 = 'p=tls-server-end-point,,';
    const bare = 'n=,r=clientnonce123';
    const first = server.handleClientFirst(Buffer.from(gs2 + bare), SCRAM_SHA_256_PLUS).toString();
    const final = scramClientFinal('pw', v, bare, first, Buffer.concat([Buffer.from(gs2), randomBytes(32)]));
    const err = expectDuckMeshError(() => server.handleClientFinal(Buffer.from(final)));
    expect(err.sqlstate).toBe('08P01');
    expect(err.message).toBe('SCRAM channel binding check failed');
  });

  it('rejects PLUS without TLS binding data, and mismatched mechanism/flag pairs', () => {
    const v = createScramVerifier('pw', 4096);
    expect(expectDuckMeshError(() => new ScramServerSession(v).handleClientFirst(Buffer.from('p=tls-server-end-point,,n=,r=x'), SCRAM_SHA_256_PLUS)).sqlstate).toBe('08P01');
    expect(expectDuckMeshError(() => new ScramServerSession(v).handleClientFirst(Buffer.from('p=tls-server-end-point,,n=,r=x'))).message).toBe('malformed SCRAM message');
    expect(expectDuckMeshError(() => new ScramServerSession(v, { channelBinding: certHash }).handleClientFirst(Buffer.from('n,,n=,r=x'), SCRAM_SHA_256_PLUS)).message).toBe('malformed SCRAM message');
    expect(expectDuckMeshError(() => new ScramServerSession(v, { channelBinding: certHash }).handleClientFirst(Buffer.from('p=tls-unique,,n=,r=x'), SCRAM_SHA_256_PLUS)).message).toBe('unsupported SCRAM channel-binding type "tls-unique"');
  });
});

describe('SCRAM protocol errors', () => {
  const v = createScramVerifier('pw', 4096);
  const first = (msg: string) => expectDuckMeshError(() => new ScramServerSession(v).handleClientFirst(Buffer.from(msg)));

  it('malformed client-first messages', () => {
    for (const msg of ['', 'x,,n=,r=abc', 'n', 'n,,', 'n,,r=abc', 'n,,n=', 'n,,n=,r=', 'n,,n=,r=a,b', 'n,,n=,r=ab\x01c', 'n,x,n=,r=abc']) {
      const err = first(msg);
      expect(err.sqlstate, JSON.stringify(msg)).toBe('08P01');
      expect(err.severity).toBe('FATAL');
    }
  });

  it('authorization identity and mandatory extensions are not supported', () => {
    expect(first('n,a=admin,n=,r=abc').sqlstate).toBe('0A000');
    expect(first('n,,m=ext,n=,r=abc').sqlstate).toBe('0A000');
  });

  it('unknown SASL mechanism', () => {
    const err = expectDuckMeshError(() => new ScramServerSession(v).handleClientFirst(Buffer.from('n,,n=,r=abc'), 'SCRAM-SHA-1'));
    expect(err.message).toBe('client selected an invalid SASL authentication mechanism');
  });

  it('malformed or mismatched client-final messages', () => {
    const run = (finalMsg: (nonce: string) => string) => {
      const s = new ScramServerSession(v);
      const nonce = /r=([^,]+)/.exec(s.handleClientFirst(Buffer.from('n,,n=,r=abc')).toString())![1]!;
      return expectDuckMeshError(() => s.handleClientFinal(Buffer.from(finalMsg(nonce))));
    };
    const proof = Buffer.alloc(32).toString('base64');
    expect(run((n) => `c=biws,r=${n}`).message).toBe('malformed SCRAM message'); // no proof
    expect(run((n) => `r=${n},p=${proof}`).message).toBe('malformed SCRAM message'); // no c=
    expect(run((n) => `c=eSws,r=${n},p=${proof}`).message).toBe('SCRAM channel binding check failed'); // flag changed
    expect(run((n) => `c=biws,r=${n}X,p=${proof}`).message).toBe('invalid SCRAM response');
    expect(run((n) => `c=biws,r=${n},p=AAAA`).message).toBe('malformed SCRAM message'); // short proof
    expect(run((n) => `c=biws,r=${n},p=!!notbase64`).message).toBe('malformed SCRAM message');
  });

  it('out-of-order and repeated calls', () => {
    const s = new ScramServerSession(v);
    expect(expectDuckMeshError(() => s.handleClientFinal(Buffer.from('c=biws,r=x,p=x'))).sqlstate).toBe('08P01');
    const s2 = new ScramServerSession(v);
    s2.handleClientFirst(Buffer.from('n,,n=,r=abc'));
    expect(expectDuckMeshError(() => s2.handleClientFirst(Buffer.from('n,,n=,r=abc'))).sqlstate).toBe('08P01');
  });
});

describe('SCRAM verifiers', () => {
  it('format/parse round trip', () => {
    const v = createScramVerifier('pw', 10000, Buffer.from('0123456789abcdef'));
    const s = formatVerifier(v);
    expect(s).toMatch(/^SCRAM-SHA-256\$10000:MDEyMzQ1Njc4OWFiY2RlZg==\$[A-Za-z0-9+/]{43}=:[A-Za-z0-9+/]{43}=$/);
    const back = parseVerifier(s)!;
    expect(back.iterations).toBe(10000);
    expect(back.salt.equals(v.salt)).toBe(true);
    expect(back.storedKey.equals(v.storedKey)).toBe(true);
    expect(back.serverKey.equals(v.serverKey)).toBe(true);
    expect(formatVerifier(back)).toBe(s);
    expect(isScramVerifier(s)).toBe(true);
  });

  it('keys for the RFC 7677 "pencil" example (consistent with the verified exchange above)', () => {
    const v = createScramVerifier('pencil', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    expect(formatVerifier(v)).toBe(
      'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    );
  });

  it('rejects malformed verifier strings', () => {
    const good = formatVerifier(createScramVerifier('pw', 4096));
    const [, iterSalt, keys] = good.split('$');
    for (const bad of [
      '',
      'md5abc',
      'plaintext',
      good.replace('SCRAM-SHA-256', 'SCRAM-SHA-1'),
      `SCRAM-SHA-256$0:${iterSalt!.split(':')[1]}$${keys}`,
      `SCRAM-SHA-256$${iterSalt}$${keys!.split(':')[0]}`,
      `SCRAM-SHA-256$${iterSalt}$AAAA:${keys!.split(':')[1]}`,
      `SCRAM-SHA-256$${iterSalt}$${keys}x`,
      good + '$extra',
    ]) {
      expect(parseVerifier(bad), bad).toBeNull();
    }
  });

  it('verifyScramPlainPassword', () => {
    const v = createScramVerifier('hunter2');
    expect(verifyScramPlainPassword(v, 'hunter2')).toBe(true);
    expect(verifyScramPlainPassword(v, 'hunter3')).toBe(false);
  });

  it('saslprep: ASCII untouched (even control characters), non-ASCII mapped and normalized', () => {
    expect(saslprep('plain ASCII \t\x01')).toBe('plain ASCII \t\x01');
    expect(saslprep('a\u00A0b')).toBe('a b');
    expect(saslprep('soft\u00ADhyphen')).toBe('softhyphen');
    expect(saslprep('ﬁ')).toBe('fi');
    expect(saslprep('Ⅸ')).toBe('IX');
    // Prohibited after mapping (private use) → Postgres falls back to the raw password.
    expect(saslprep('é\uE000')).toBe('é\uE000');
  });
});
