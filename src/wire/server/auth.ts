import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { verifyCleartextPassword, verifyMd5Response } from '../auth/md5.js';
import { createScramVerifier, parseVerifier, ScramServerSession, type ScramVerifier } from '../auth/scram.js';
import { parsePasswordMessage, parseSASLInitialResponse, type FrontendMessage } from '../codec/frontend.js';
import type { BackendWriter } from '../codec/backend.js';

export interface UserConfig {
  name: string;
  /** SCRAM verifier (`SCRAM-SHA-256$…`), as produced by `duckmesh hash-password`. */
  scram?: string;
  /** Plaintext or `md5…` password, for the md5 and password methods (old clients). */
  password?: string;
  /** Tenant this user belongs to; undefined = admin (may connect to any tenant). */
  tenant?: string;
}

export type AuthMethod = 'trust' | 'scram-sha-256' | 'md5' | 'password';

export interface AuthConfig {
  /**
   * `trust` accepts anyone (loopback only); the others require a configured user. `password`
   * (cleartext) is refused on a connection that is neither TLS nor loopback.
   */
  method: AuthMethod;
  users: UserConfig[];
}

export interface ClientInfo {
  user: string;
  database: string;
  remoteAddress: string;
  /** The connection is encrypted (SSLRequest accepted). */
  tls: boolean;
}

export type PasswordMessage = Extract<FrontendMessage, { type: 'Password' }>;
type Step = (msg: PasswordMessage) => Promise<void>;

interface UserEntry {
  /** For SCRAM: configured, or derived at start from a plaintext password. */
  verifier: ScramVerifier | null;
  /** For md5 / cleartext checks: the plaintext, md5 hash or SCRAM verifier as configured. */
  secret: string;
  tenant?: string;
}

export function isLoopbackAddress(addr: string): boolean {
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  if (isIP(a) === 4) return a.startsWith('127.');
  return a === '::1';
}

/**
 * Runs the authentication exchange of a new connection. Failures are FATAL 28P01/28000 with the
 * same message for unknown users and wrong passwords, so user names cannot be probed.
 */
export class Authenticator {
  private readonly users = new Map<string, UserEntry>();
  /** Compared against for unknown users, so they cost the same work as known ones. */
  private readonly dummySecret = randomBytes(16).toString('hex');

  constructor(
    private readonly config: AuthConfig,
    private readonly log: Logger,
  ) {
    for (const u of config.users) {
      let verifier: ScramVerifier | null = null;
      if (u.scram !== undefined) {
        verifier = parseVerifier(u.scram);
        if (!verifier) throw new Error(`user "${u.name}": malformed SCRAM verifier`);
      } else if (u.password !== undefined && config.method === 'scram-sha-256' && !u.password.startsWith('md5')) {
        verifier = createScramVerifier(u.password);
      }
      const secret = u.password ?? u.scram;
      if (secret === undefined) throw new Error(`user "${u.name}": needs "scram" or "password"`);
      this.users.set(u.name, { verifier, secret, tenant: u.tenant });
    }
  }

  async start(client: ClientInfo, out: BackendWriter, setStep: (s: Step) => void, done: () => Promise<void>): Promise<void> {
    const method = this.config.method;
    if (method === 'trust') {
      await done();
      return;
    }
    const entry = this.users.get(client.user) ?? null;
    const succeed = async () => {
      if (entry!.tenant !== undefined && entry!.tenant !== client.database) {
        throw new DuckMeshError(SqlState.insufficientPrivilege, `user "${client.user}" may not connect to database "${client.database}"`, {
          severity: 'FATAL',
        });
      }
      await done();
    };
    if (method === 'password') return this.cleartext(client, entry, out, setStep, succeed);
    if (method === 'md5') return this.md5(client, entry, out, setStep, succeed);
    return this.scram(client, entry, out, setStep, succeed);
  }

  private fail(client: ClientInfo): DuckMeshError {
    this.log.warn({ user: client.user, remote: client.remoteAddress }, 'authentication failed');
    return new DuckMeshError(SqlState.invalidPassword, `password authentication failed for user "${client.user}"`, { severity: 'FATAL' });
  }

  private cleartext(client: ClientInfo, entry: UserEntry | null, out: BackendWriter, setStep: (s: Step) => void, succeed: () => Promise<void>): void {
    if (!client.tls && !isLoopbackAddress(client.remoteAddress)) {
      // The password would cross the network in the clear.
      throw new DuckMeshError(SqlState.invalidAuthorization, 'cleartext password authentication requires an SSL connection from a non-local host', {
        severity: 'FATAL',
        hint: 'Connect with sslmode=require, or configure auth.method "scram-sha-256".',
      });
    }
    out.authenticationCleartextPassword();
    setStep(async (msg) => {
      const password = parsePasswordMessage(msg.data);
      const ok = verifyCleartextPassword(entry?.secret ?? this.dummySecret, client.user, password);
      if (!ok || !entry) throw this.fail(client);
      await succeed();
    });
  }

  private md5(client: ClientInfo, entry: UserEntry | null, out: BackendWriter, setStep: (s: Step) => void, succeed: () => Promise<void>): void {
    const salt = randomBytes(4);
    out.authenticationMD5Password(salt);
    setStep(async (msg) => {
      const response = parsePasswordMessage(msg.data);
      const ok = verifyMd5Response(entry?.secret ?? this.dummySecret, client.user, salt, response);
      if (!ok || !entry) throw this.fail(client);
      await succeed();
    });
  }

  private scram(client: ClientInfo, entry: UserEntry | null, out: BackendWriter, setStep: (s: Step) => void, succeed: () => Promise<void>): void {
    const scram = new ScramServerSession(entry?.verifier ?? null, { username: client.user });
    out.authenticationSASL(['SCRAM-SHA-256']);
    setStep(async (msg) => {
      const { mechanism, initial } = parseSASLInitialResponse(msg.data);
      if (mechanism !== 'SCRAM-SHA-256') {
        throw new DuckMeshError(SqlState.invalidAuthorization, `unsupported SASL mechanism "${mechanism}"`, { severity: 'FATAL' });
      }
      out.authenticationSASLContinue(scram.handleClientFirst(initial));
      setStep(async (final) => {
        const res = scram.handleClientFinal(final.data);
        if (!res.ok || !entry?.verifier) throw this.fail(client);
        out.authenticationSASLFinal(res.serverFinal!);
        await succeed();
      });
    });
  }
}
