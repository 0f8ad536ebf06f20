import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import type { Session } from '../../session/session.js';
import type { Authenticator } from './auth.js';
import { PgConnection, type ConnectionHost } from './pg-connection.js';

export interface PgServerOptions {
  host: string;
  port: number;
  maxConnections: number;
  maxMessageBytes: number;
  /** PEM certificate (chain) and key file paths; enables SSLRequest → TLS. */
  tls?: { cert: string; key: string } | null;
}

/**
 * The TCP transport: accepts connections, hands each to a PgConnection, and routes CancelRequests
 * (which arrive on a separate connection) to the connection holding the matching key.
 */
export class PgServer {
  private server: net.Server | null = null;
  private readonly byPid = new Map<number, { conn: PgConnection; secretKey: number }>();
  private readonly connections = new Set<PgConnection>();
  private readonly host: ConnectionHost;

  constructor(
    private readonly opts: PgServerOptions,
    authenticator: Authenticator,
    openSession: (tenant: string, user: string) => Promise<Session>,
    private readonly log: Logger,
  ) {
    this.host = {
      log,
      maxMessageBytes: opts.maxMessageBytes,
      authenticator,
      openSession,
      upgradeTls: opts.tls ? tlsUpgrader(opts.tls, log) : null,
      registerCancelKey: (conn) => {
        let processId: number;
        do processId = randomInt(1, 2 ** 31 - 1);
        while (this.byPid.has(processId));
        const secretKey = randomInt(1, 2 ** 31 - 1);
        this.byPid.set(processId, { conn, secretKey });
        return { processId, secretKey };
      },
      cancel: (processId, secretKey) => {
        const e = this.byPid.get(processId);
        // Wrong keys are ignored silently, as Postgres does.
        if (e && e.secretKey === secretKey) e.conn.cancelRunning();
      },
      unregister: (conn) => {
        this.connections.delete(conn);
        if (conn.cancelKey) this.byPid.delete(conn.cancelKey.processId);
      },
    };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async listen(): Promise<number> {
    const server = net.createServer((socket) => {
      if (this.connections.size >= this.opts.maxConnections) {
        socket.end(tooManyConnections());
        return;
      }
      this.connections.add(new PgConnection(socket, this.host));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : this.opts.port;
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A hand-built FATAL ErrorResponse (53300) for refusing a connection before any protocol state. */
function tooManyConnections(): Buffer {
  const fields = Buffer.from('SFATAL\0VFATAL\0C53300\0Msorry, too many clients already\0\0', 'utf8');
  const b = Buffer.alloc(5 + fields.length);
  b.write('E', 0, 'ascii');
  b.writeInt32BE(4 + fields.length, 1);
  fields.copy(b, 5);
  return b;
}

/**
 * Server-side TLS over the accepted socket after SSLRequest. The certificate and key are read
 * once at start (a bad path fails the start, not the first client). A client that sends garbage
 * instead of a handshake gets its socket destroyed by the TLS layer; nobody else is affected.
 */
function tlsUpgrader(files: { cert: string; key: string }, log: Logger): (socket: net.Socket) => net.Socket {
  const secureContext = tls.createSecureContext({
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
    minVersion: 'TLSv1.2',
  });
  return (socket) => {
    const secured = new tls.TLSSocket(socket, { isServer: true, secureContext });
    secured.on('error', (err) => {
      log.debug({ err }, 'TLS handshake or stream error');
      secured.destroy();
    });
    return secured;
  };
}
