import { randomBytes } from 'node:crypto';
import net from 'node:net';
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
