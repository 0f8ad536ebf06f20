import type { Logger } from 'pino';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import { parseVerifier, ScramServerSession, type ScramVerifier } from '../auth/scram.js';
import { parseSASLInitialResponse, type FrontendMessage } from '../codec/frontend.js';
import type { BackendWriter } from '../codec/backend.js';

export interface UserConfig {
  name: string;
  /** SCRAM verifier (`SCRAM-SHA-256$…`), as produced by `duckmesh hash-password`. */
  scram: string;
  /** Tenant this user belongs to; undefined = admin (may connect to any tenant). */
  tenant?: string;
}

export interface AuthConfig {
  /** `trust` accepts anyone (loopback only); `scram-sha-256` requires a configured user. */
  method: 'trust' | 'scram-sha-256';
  users: UserConfig[];
}

export interface ClientInfo {
  user: string;
  database: string;
  remoteAddress: string;
}

type Step = (msg: FrontendMessage) => Promise<void>;

/**
 * Runs the authentication exchange of a new connection. Failures are FATAL 28P01/28000 with the
 * same message for unknown users and wrong passwords, so user names cannot be probed.
 */
export class Authenticator {
  private readonly verifiers = new Map<string, { verifier: ScramVerifier; tenant?: string }>();

  constructor(
    private readonly config: AuthConfig,
    private readonly log: Logger,
  ) {
    for (const u of config.users) {
      const verifier = parseVerifier(u.scram);
      if (!verifier) throw new Error(`user "${u.name}": malformed SCRAM verifier`);
      this.verifiers.set(u.name, { verifier, tenant: u.tenant });
    }
  }

  async start(client: ClientInfo, out: BackendWriter, setStep: (s: Step) => void, done: () => Promise<void>): Promise<void> {
    if (this.config.method === 'trust') {
      await done();
      return;
    }
    const entry = this.verifiers.get(client.user) ?? null;
    const scram = new ScramServerSession(entry?.verifier ?? null);
    const fail = () =>
      new DuckMeshError(SqlState.invalidPassword, `password authentication failed for user "${client.user}"`, { severity: 'FATAL' });
    out.authenticationSASL(['SCRAM-SHA-256']);
    setStep(async (msg) => {
      if (msg.type !== 'Password') throw fail();
      const { mechanism, initial } = parseSASLInitialResponse(msg.data);
      if (mechanism !== 'SCRAM-SHA-256') {
        throw new DuckMeshError(SqlState.invalidAuthorization, `unsupported SASL mechanism "${mechanism}"`, { severity: 'FATAL' });
      }
      out.authenticationSASLContinue(scram.handleClientFirst(initial));
      setStep(async (final) => {
        if (final.type !== 'Password') throw fail();
        const res = scram.handleClientFinal(final.data);
        if (!res.ok || !entry) {
          this.log.warn({ user: client.user, remote: client.remoteAddress }, 'authentication failed');
          throw fail();
        }
        if (entry.tenant !== undefined && entry.tenant !== client.database) {
          throw new DuckMeshError(
            SqlState.insufficientPrivilege,
            `user "${client.user}" may not connect to database "${client.database}"`,
            { severity: 'FATAL' },
          );
        }
        out.authenticationSASLFinal(res.serverFinal!);
        await done();
      });
    });
  }
}

