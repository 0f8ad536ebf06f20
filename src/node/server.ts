import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createHttpServer } from '../http/http-server.js';
import { Authenticator } from '../wire/server/auth.js';
import { PgServer } from '../wire/server/pg-server.js';
import { DuckMeshNode } from './duckmesh-node.js';

/** A running DuckMesh: the node plus its pg-wire and HTTP listeners. */
export class DuckMeshServer {
  readonly node: DuckMeshNode;
  private pg: PgServer | null = null;
  private http: FastifyInstance | null = null;
  pgPort = 0;
  httpPort = 0;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
  ) {
    this.node = new DuckMeshNode(config, log);
  }

  async start(): Promise<void> {
    await this.node.start();
    if (this.config.auth.method === 'trust') {
      this.log.warn({ host: this.config.host }, 'trust authentication: any local user can connect (loopback only)');
    }
    const auth = new Authenticator(this.config.auth, this.log);
    this.pg = new PgServer(
      {
        host: this.config.host,
        port: this.config.pgPort,
        maxConnections: this.config.limits.maxConnections,
        maxMessageBytes: this.config.limits.maxMessageBytes,
        tls: this.config.tls ?? null,
      },
      auth,
      (tenant, user) => this.node.openSession(tenant, user),
      this.log.child({ component: 'pg' }),
    );
    this.pgPort = await this.pg.listen();
    if (this.config.httpPort !== 0) {
      this.http = createHttpServer(this.node);
      await this.http.listen({ host: this.config.host, port: this.config.httpPort });
      const addr = this.http.server.address();
      this.httpPort = typeof addr === 'object' && addr ? addr.port : this.config.httpPort;
    }
    this.log.info({ pgPort: this.pgPort, httpPort: this.httpPort, host: this.config.host }, 'DuckMesh is ready');
  }

  async stop(): Promise<void> {
    await this.pg?.close();
    await this.http?.close();
    await this.node.stop();
  }
}
