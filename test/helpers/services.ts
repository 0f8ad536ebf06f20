import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';

/**
 * External services some suites need (Postgres, NATS JetStream). A suite whose service is down is
 * skipped with a message naming the service and the reason — unless DUCKMESH_REQUIRE_SERVICES=1
 * (CI), where a missing service fails the run instead of silently testing less.
 */
export interface Availability {
  ok: boolean;
  /** What was probed, and why it failed. */
  detail: string;
}

export const PG_URL = process.env['DUCKMESH_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const NATS_URL = process.env['DUCKMESH_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';

export async function postgresAvailable(): Promise<Availability> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true, detail: PG_URL };
  } catch (err) {
    return { ok: false, detail: `${PG_URL}: ${(err as Error).message}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function natsAvailable(): Promise<Availability> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 2000, reconnect: false });
    try {
      // A plain NATS server without JetStream is as useless to the bus as no server.
      await jetstreamManager(nc);
      return { ok: true, detail: NATS_URL };
    } finally {
      await nc.close();
    }
  } catch (err) {
    return { ok: false, detail: `${NATS_URL} (with JetStream): ${(err as Error).message}` };
  }
}

export function servicesRequired(): boolean {
  return process.env['DUCKMESH_REQUIRE_SERVICES'] === '1';
}

/** `describe` that skips (or, when services are required, fails) if the service is unavailable. */
export function describeService(name: string, available: Availability, fn: () => void): void {
  if (available.ok) {
    describe(name, fn);
    return;
  }
  const why = `${name}: service unavailable — ${available.detail}`;
  if (servicesRequired()) {
    describe(name, () => {
      it('has its service available (DUCKMESH_REQUIRE_SERVICES=1)', () => {
        throw new Error(why);
      });
    });
    return;
  }
  console.warn(`skipping ${why} (set DUCKMESH_REQUIRE_SERVICES=1 to fail instead)`);
  describe.skip(`${name} [skipped: ${available.detail}]`, fn);
}

export function randomSuffix(): string {
  return randomBytes(5).toString('hex');
}

/** A schema name no other run uses; drop it with `dropPgSchemas`. */
export function freshPgSchema(prefix = 'dmtest'): string {
  return `${prefix}_${randomSuffix()}`;
}

export async function dropPgSchemas(schemas: readonly string[]): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A stream name and subject no other run uses; delete it with `deleteNatsStreams`. */
export function freshNatsStream(): { stream: string; subject: string } {
  const id = randomSuffix();
  return { stream: `DMTEST_${id}`, subject: `dmtest.${id}` };
}

export async function deleteNatsStreams(streams: readonly string[]): Promise<void> {
  if (streams.length === 0) return;
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: NATS_URL, timeout: 2000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  } finally {
    await nc.close();
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A throwaway PostgreSQL cluster in a temp directory, on its own port, that a test may stop,
 * crash and restart (never the shared server at 127.0.0.1:5432). Needs the server binaries
 * (`initdb`, `pg_ctl`: Debian package postgresql); as root they run as the `postgres` user.
 */
export interface PrivatePostgres {
  port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** pg_ctl stop: "fast" disconnects clients and shuts down cleanly; "immediate" is a crash (WAL recovery on start). */
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops (if running) and deletes the cluster. */
  destroy(): Promise<void>;
  /** Whether the server was last started (and not stopped since). */
  readonly running: boolean;
}

function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(base, versions[0]!, 'bin') : null;
}

/** Whether a private cluster can be made here (binaries present; as root, a `postgres` user to run them). */
export function privatePostgresAvailable(): Availability {
  const bin = postgresBinDir();
  if (!bin) return { ok: false, detail: 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (Debian package postgresql)' };
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return { ok: false, detail: 'running as root and there is no "postgres" user to run initdb/pg_ctl as' };
    }
  }
  return { ok: true, detail: bin };
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(privatePostgresAvailable().detail);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'duckmesh-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['postgres', dir]);
  const run = (tool: string, args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
      execFile(cmd, argv, { timeout: 60_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`${tool} ${args.join(' ')}: ${stderr || err.message}`)) : resolve()));
    });
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`;
  let running = false;
  const cluster: PrivatePostgres = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: async () => {
      await run('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', '-t', '60', 'start']);
      running = true;
    },
    stop: async (mode) => {
      running = false;
      await run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    destroy: async () => {
      if (running) await cluster.stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
    get running() {
      return running;
    },
  };
  await cluster.start();
  return cluster;
}
