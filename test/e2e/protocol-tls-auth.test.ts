/**
 * TLS (SSLRequest → TLS with a configured certificate; sslmode=require and verify-full) and the
 * password methods for old clients (md5, cleartext password), with real psql and node-postgres.
 * The CA and server certificate are generated with the openssl CLI in a temp directory.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/server.js';
import { createScramVerifier, formatVerifier } from '../../src/wire/auth/scram.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const hasPsql = spawnSync('psql', ['--version']).status === 0;
const run = promisify(execFile);

let dir: string;

/** CA → server certificate for localhost / 127.0.0.1 (and a second, unrelated CA). */
function makeCerts(): { ca: string; otherCa: string; cert: string; key: string } {
  const f = (n: string) => path.join(dir, n);
  const ossl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  for (const ca of ['ca', 'other']) {
    ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${ca}.key`), '-out', f(`${ca}.crt`), '-days', '2', '-subj', `/CN=DuckMesh test ${ca}`);
  }
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  ossl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('san.ext'));
  return { ca: f('ca.crt'), otherCa: f('other.crt'), cert: f('server.crt'), key: f('server.key') };
}

async function psql(port: number, conn: string, sql: string, env: NodeJS.ProcessEnv = {}): Promise<{ ok: boolean; out: string }> {
  return run('psql', ['-X', '-At', `${conn} port=${port} dbname=duckmesh connect_timeout=5`, '-c', sql], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: '', ...env },
  }).then(
    (r) => ({ ok: true, out: r.stdout.trim() }),
    (e: { stderr: string }) => ({ ok: false, out: e.stderr }),
  );
}

/** A non-loopback IPv4 address of this machine, to test the "not loopback" rules. */
function externalIPv4(): string | null {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dm-tls-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.runIf(hasOpenssl)('TLS', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let certs: ReturnType<typeof makeCerts>;

  beforeAll(async () => {
    certs = makeCerts();
    srv = await startServer({ flags: { tls: { cert: certs.cert, key: certs.key } } });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it.runIf(hasPsql)('psql connects with sslmode=require and verify-full; a wrong CA is refused', async () => {
    const req = await psql(srv.port, 'host=127.0.0.1 user=tester sslmode=require', '\\conninfo');
    expect(req.ok).toBe(true);
    expect(req.out).toMatch(/SSL connection \(protocol: TLSv1\.[23]/);
    const full = await psql(srv.port, `host=localhost user=tester sslmode=verify-full sslrootcert=${certs.ca}`, 'SELECT 40 + 2');
    expect(full).toEqual({ ok: true, out: '42' });
    const wrong = await psql(srv.port, `host=localhost user=tester sslmode=verify-full sslrootcert=${certs.otherCa}`, 'SELECT 1');
    expect(wrong.ok).toBe(false);
    expect(wrong.out).toMatch(/certificate verify failed/);
  });

  it('node-postgres verifies the server certificate against the CA', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: srv.port, user: 'tester', database: 'duckmesh', ssl: { ca: readFileSync(certs.ca, 'utf8'), servername: 'localhost' } });
    await c.connect();
    try {
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('garbage instead of a TLS handshake closes only that connection', async () => {
    const sock = net.connect(srv.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    const answer = new Promise<string>((resolve) => sock.once('data', (d) => resolve(d.toString('latin1'))));
    const sslRequest = Buffer.alloc(8);
    sslRequest.writeInt32BE(8, 0);
    sslRequest.writeInt32BE(80877103, 4);
    sock.write(sslRequest);
    expect(await answer).toBe('S');
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.on('error', () => undefined);
    sock.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(20)));
    await closed;
    const c = new pg.Client({ host: '127.0.0.1', port: srv.port, user: 'tester', database: 'duckmesh', ssl: { rejectUnauthorized: false } });
    await c.connect();
    expect((await c.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    await c.end();
  });

  it('plaintext bytes pipelined after SSLRequest are refused (08P01)', async () => {
    const sock = net.connect(srv.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let got = Buffer.alloc(0);
    sock.on('data', (d) => (got = Buffer.concat([got, d])));
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    const sslRequest = Buffer.alloc(8);
    sslRequest.writeInt32BE(8, 0);
    sslRequest.writeInt32BE(80877103, 4);
    sock.write(Buffer.concat([sslRequest, Buffer.from('plaintext!')]));
    await closed;
    expect(got.toString('latin1')).toContain('08P01');
  });
});

describe('password authentication methods', () => {
  const users = [
    { name: 'alice', password: 'wonderland' },
    { name: 'bob', password: 'builder', tenant: 'bobs' },
    { name: 'carol', scram: formatVerifier(createScramVerifier('c4r0l')) },
  ];

  async function nodeLogin(port: number, user: string, password: string, database = 'duckmesh', host = '127.0.0.1'): Promise<string> {
    const c = new pg.Client({ host, port, user, password, database });
    try {
      await c.connect();
      const r = await c.query('SELECT current_user AS u');
      await c.end();
      return `ok:${r.rows[0].u}`;
    } catch (err) {
      await c.end().catch(() => undefined);
      return `err:${(err as { code?: string }).code}`;
    }
  }

  it('md5: right password in, wrong password and unknown user 28P01; tenant-bound users stay home', async () => {
    const srv = await startServer({ flags: { auth: { method: 'md5', users: users.slice(0, 2) } } });
    try {
      expect(await nodeLogin(srv.port, 'alice', 'wonderland')).toBe('ok:alice');
      expect(await nodeLogin(srv.port, 'alice', 'nope')).toBe('err:28P01');
      expect(await nodeLogin(srv.port, 'mallory', 'wonderland')).toBe('err:28P01');
      expect(await nodeLogin(srv.port, 'bob', 'builder', 'bobs')).toBe('ok:bob');
      expect(await nodeLogin(srv.port, 'bob', 'builder', 'duckmesh')).toBe('err:42501');
      if (hasPsql) {
        const r = await psql(srv.port, 'host=127.0.0.1 user=alice', 'SELECT 7', { PGPASSWORD: 'wonderland' });
        expect(r).toEqual({ ok: true, out: '7' });
      }
    } finally {
      await srv.stop();
    }
  });

  it('scram-sha-256 accepts configured verifiers and plaintext passwords (derived at start)', async () => {
    const srv = await startServer({ flags: { auth: { method: 'scram-sha-256', users: [users[0], users[2]] } } });
    try {
      expect(await nodeLogin(srv.port, 'alice', 'wonderland')).toBe('ok:alice');
      expect(await nodeLogin(srv.port, 'carol', 'c4r0l')).toBe('ok:carol');
      expect(await nodeLogin(srv.port, 'carol', 'wrong')).toBe('err:28P01');
    } finally {
      await srv.stop();
    }
  });

  it('cleartext password works on loopback; off loopback it needs TLS', async () => {
    const ext = externalIPv4();
    const certs = hasOpenssl ? makeCerts() : null;
    // Bound to all interfaces so the same server sees a loopback and a non-loopback client.
    const srv = await startServer({
      flags: { host: ext ? '0.0.0.0' : '127.0.0.1', auth: { method: 'password', users: users.slice(0, 1) }, ...(certs ? { tls: { cert: certs.cert, key: certs.key } } : {}) },
    });
    try {
      expect(await nodeLogin(srv.port, 'alice', 'wonderland')).toBe('ok:alice');
      expect(await nodeLogin(srv.port, 'alice', 'wrong')).toBe('err:28P01');
      if (!ext) return;
      // From a non-loopback address without TLS the password is not even asked for.
      expect(await nodeLogin(srv.port, 'alice', 'wonderland', 'duckmesh', ext)).toBe('err:28000');
      if (certs) {
        const c = new pg.Client({ host: ext, port: srv.port, user: 'alice', password: 'wonderland', database: 'duckmesh', ssl: { rejectUnauthorized: false } });
        await c.connect();
        expect((await c.query('SELECT 5 AS five')).rows).toEqual([{ five: 5 }]);
        await c.end();
      }
    } finally {
      await srv.stop();
    }
  });
});
