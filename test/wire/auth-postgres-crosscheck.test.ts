/**
 * Cross-checks our verifiers against a real PostgreSQL at 127.0.0.1:5432 (if one is reachable
 * without a password). Each case creates a throwaway role, reads pg_authid.rolpassword and drops
 * the role again. Without a reachable server the cases are skipped with a note.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5PasswordHash } from '../../src/wire/auth/md5.js';
import { createScramVerifier, formatVerifier, parseVerifier, ScramServerSession, verifyScramPlainPassword } from '../../src/wire/auth/scram.js';

// node-postgres' SCRAM client, to log in against a verifier that Postgres produced.
import sasl from 'pg/lib/crypto/sasl.js';

const pgSasl = sasl;

let client: pg.Client | null = null;
let unavailable = '';

beforeAll(async () => {
  const c = new pg.Client({
    host: '127.0.0.1',
    port: 5432,
    user: process.env.PGUSER ?? 'postgres',
    database: process.env.PGDATABASE ?? 'postgres',
    connectionTimeoutMillis: 2000,
  });
  try {
    await c.connect();
    client = c;
  } catch (err) {
    unavailable = `PostgreSQL at 127.0.0.1:5432 not reachable (${(err as Error).message})`;
    await c.end().catch(() => undefined);
  }
});

afterAll(async () => {
  await client?.end();
});

/** Lets Postgres hash `password` with the given method; returns rolpassword. */
async function rolpassword(method: 'scram-sha-256' | 'md5', role: string, password: string): Promise<string> {
  const c = client!;
  await c.query(`SET password_encryption = '${method}'`);
  await c.query(`DROP ROLE IF EXISTS ${role}`);
  // PASSWORD takes a literal; quote it the way Postgres expects.
  await c.query(`CREATE ROLE ${role} PASSWORD '${password.replace(/'/g, "''")}'`);
  try {
    const r = await c.query<{ rolpassword: string }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]);
    return r.rows[0]!.rolpassword;
  } finally {
    await c.query(`DROP ROLE IF EXISTS ${role}`);
  }
}

const role = `duckmesh_wire_test_${process.pid}`;

describe('verifiers agree with PostgreSQL', () => {
  it('SCRAM-SHA-256: same verifier from the same salt; Postgres-made verifier accepts a SCRAM login', async (ctx) => {
    if (!client) ctx.skip(unavailable);
    for (const password of ['s3cret', 'pässwörd ﬁ', "it's a\u00A0space"]) {
      const stored = await rolpassword('scram-sha-256', role, password);
      const v = parseVerifier(stored);
      expect(v, stored).not.toBeNull();
      // Recreate with Postgres' salt and iteration count: must be identical, SASLprep included.
      expect(formatVerifier(createScramVerifier(password, v!.iterations, v!.salt))).toBe(stored);
      expect(verifyScramPlainPassword(v!, password)).toBe(true);
      expect(verifyScramPlainPassword(v!, password + 'x')).toBe(false);

      const server = new ScramServerSession(v);
      const session = pgSasl.startSession(['SCRAM-SHA-256']);
      const first = server.handleClientFirst(Buffer.from(session.response), session.mechanism);
      await pgSasl.continueSession(session, password, first.toString());
      const result = server.handleClientFinal(Buffer.from(session.response));
      expect(result.ok).toBe(true);
      expect(() => pgSasl.finalizeSession(session, result.serverFinal!.toString())).not.toThrow();
    }
  });

  it('md5: same stored hash as Postgres', async (ctx) => {
    if (!client) ctx.skip(unavailable);
    const stored = await rolpassword('md5', role, 'hunter2');
    expect(stored).toBe(md5PasswordHash(role, 'hunter2'));
  });
});
