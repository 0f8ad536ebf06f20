import { rmSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import { DataLayout } from '../../src/storage/layout.js';
import { checkCatalogHistory, NodeProcess, sqlstate, TcpProxy, trackParameterStatus, until, withSchema } from '../helpers/cluster.js';
import { tempDataDir } from '../helpers/server.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';

/**
 * DESIGN §8: the bus or catalog database going away makes writes fail fast with a clear SQLSTATE
 * (DM005 bus, DM006 catalog), reads keep serving the last snapshot, /readyz reports not ready, and
 * everything resumes by itself when the database returns. DuckMesh reaches Postgres through two TCP
 * proxies — one for the bus URL, one for the catalog URL — that the test cuts (new connections
 * refused, open ones reset: what clients see when Postgres stops) and restores.
 */

const TTL_MS = 1500;
/** "Fast": well under the 5 s connect timeout of the Postgres pools. */
const FAIL_FAST_MS = 2000;
const QUERY_TIMEOUT_MS = 3000;
/** A partition resets nothing: calls fail at the statement bound or the pools' 5 s connect timeout. */
const PARTITION_BOUND_MS = 5000 + 1500;

const available = await postgresAvailable();
const schema = freshPgSchema('dmout');
const dataDir = tempDataDir('duckmesh-outage-');
const pgTarget = (() => {
  const u = new URL(PG_URL);
  return { host: u.hostname, port: Number(u.port || 5432) };
})();

let busProxy: TcpProxy;
let catalogProxy: TcpProxy;
let node: NodeProcess;
let session: pg.Client;
let status: Map<string, string>;
/** Acknowledged rows "n" → token, checked at the end. */
const acked = new Map<number, string>();
/** Writes that failed with "outcome unknown" (DM008): present at most once. */
const maybe = new Set<number>();
let nextN = 0;

async function insert(c: pg.Client, s: Map<string, string>): Promise<string> {
  const n = nextN++;
  await c.query(`INSERT INTO ev VALUES (${n}, 'x')`);
  const token = s.get('duckmesh.last_visibility_token')!;
  acked.set(n, token);
  return token;
}

/** Runs `fn`, expecting it to fail; returns the SQLSTATE, message and how long it took. */
async function failure(fn: () => Promise<unknown>): Promise<{ code: string | undefined; message: string; ms: number }> {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    return { code: sqlstate(err), message: (err as Error).message, ms: Date.now() - started };
  }
  throw new Error('expected a failure, but it succeeded');
}

async function count(c: pg.Client): Promise<number> {
  return (await c.query('SELECT count(*)::INTEGER AS c FROM ev')).rows[0].c as number;
}

/** Waits until the node is ready again and a fresh write becomes visible with its token. */
async function expectRecovery(): Promise<number> {
  const started = Date.now();
  await until('readyz to report ready', async () => (await node.readyz()).status === 200, 20_000, 100);
  const c = await until(
    'a session to open',
    () => node.connect('acme', { options: '-c duckmesh.visibility_timeout=15000' }),
    20_000,
    100,
  );
  try {
    const s = trackParameterStatus(c);
    await until('a write to be acknowledged', () => insert(c, s), 20_000, 100);
    // Read-your-writes waits for the write's token: the commit worker is back.
    expect(await count(c)).toBe(acked.size);
  } finally {
    await c.end();
  }
  return Date.now() - started;
}

afterAll(async () => {
  await session?.end().catch(() => undefined);
  await node?.stop();
  await Promise.all([busProxy?.close(), catalogProxy?.close()]);
  if (available.ok) await dropPgSchemas([schema]);
  rmSync(dataDir, { recursive: true, force: true });
});

describeService('Postgres bus/catalog outage', available, () => {
  beforeAll(async () => {
    busProxy = await TcpProxy.start(pgTarget);
    catalogProxy = await TcpProxy.start(pgTarget);
    node = await NodeProcess.create({
      id: 'outage1',
      dataDir,
      // node-postgres' client-side statement bound: a partition must not hang calls for minutes.
      bus: `${withSchema(PG_URL, schema, busProxy.port)}&query_timeout=${QUERY_TIMEOUT_MS}`,
      catalog: `${withSchema(PG_URL, schema, catalogProxy.port)}&query_timeout=${QUERY_TIMEOUT_MS}`,
      env: { DUCKMESH_LEASE_TTL_MS: String(TTL_MS) },
    });
    await node.start();
    session = await node.connect('acme', { options: '-c duckmesh.visibility_timeout=10000' });
    status = trackParameterStatus(session);
    await session.query('CREATE TABLE ev (n INTEGER, note TEXT)');
    for (let i = 0; i < 5; i++) await insert(session, status);
    expect(await count(session)).toBe(5);
    expect((await node.readyz()).status).toBe(200);
  }, 60_000);

  it('Postgres away: writes fail fast (DM005/DM006), reads serve the last snapshot, /readyz is 503; all resumes by itself', async () => {
    const before = await count(session);
    await Promise.all([busProxy.cut(), catalogProxy.cut()]);

    const w = await failure(() => session.query(`INSERT INTO ev VALUES (-1, 'lost')`));
    expect(['DM005', 'DM006'], w.message).toContain(w.code);
    expect(w.ms).toBeLessThan(FAIL_FAST_MS);
    expect(w.message).toMatch(/Postgres (ingest bus|catalog).*unreachable/);
    const ddl = await failure(() => session.query('CREATE TABLE other (x INTEGER)'));
    expect(ddl.code).toBe('DM006');
    expect(ddl.ms).toBeLessThan(FAIL_FAST_MS);

    // Reads: the open session and a new one both answer from the last snapshot.
    expect(await count(session)).toBe(before);
    const fresh = await node.connect('acme');
    expect(await count(fresh)).toBe(before);
    // A token the cluster has not reached fails with the documented SQLSTATE, never a stale answer.
    await fresh.query(`SET duckmesh.visibility_timeout = 300`);
    await fresh.query(`SET duckmesh.min_visibility_token = 'dm1.${(1e6).toString(16).padStart(16, '0')}'`);
    const stale = await failure(() => fresh.query('SELECT count(*) FROM ev'));
    expect(stale.code).toBe('DM001');
    await fresh.end();

    const started = Date.now();
    const r = await node.readyz();
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.status).toBe(503);
    expect(r.body.ready).toBe(false);
    expect(r.body.checks['bus']).toMatch(/unreachable|no answer/);
    expect(r.body.checks['catalog']).toMatch(/unreachable|no answer/);
    expect(r.body.checks['storage']).toBe('ok');
    expect((await node.http('/healthz')).status).toBe(200);
    // The commit worker steps down once its lease lapses: it cannot renew it.
    await until('the worker to stand down', async () => (await node.readyz()).body.checks['worker'] === 'standby', 5000);

    await Promise.all([busProxy.restore(), catalogProxy.restore()]);
    const ms = await expectRecovery();
    // The session that saw the failures works again too.
    await insert(session, status);
    expect(await count(session)).toBe(acked.size);
    console.log(`[outage] Postgres away: write failed with ${w.code} in ${w.ms} ms; recovered ${ms} ms after it returned`);
  }, 60_000);

  it('bus away only: writes fail fast with DM005; reads and DDL-free sessions keep working; resumes by itself', async () => {
    await busProxy.cut();
    const w = await failure(() => session.query(`INSERT INTO ev VALUES (-2, 'lost')`));
    expect(w.code).toBe('DM005');
    expect(w.ms).toBeLessThan(FAIL_FAST_MS);
    expect(w.message).toMatch(/ingest bus/);
    expect(await count(session)).toBe(acked.size);
    const r = await node.readyz();
    expect(r.status).toBe(503);
    expect(r.body.checks['bus']).not.toBe('ok');
    expect(r.body.checks['catalog']).toBe('ok');
    await busProxy.restore();
    const ms = await expectRecovery();
    console.log(`[outage] bus away: write failed with ${w.code} in ${w.ms} ms; recovered ${ms} ms after it returned`);
  }, 60_000);

  it('catalog away only: writes to a table whose schema is cached are acknowledged (durable on the bus) and become visible when it returns; DDL and unknown tenants fail fast with DM006', async () => {
    await catalogProxy.cut();
    // The bus is up and this process has the table's schema: the write is durable, so it is
    // acknowledged (DESIGN §4: acknowledged = durable on the bus). It cannot become visible before
    // the catalog returns: a read waiting for it fails with DM001 naming the token, never a stale answer.
    const token = await insert(session, status);
    const reader = await node.connect('acme');
    await reader.query(`SET duckmesh.visibility_timeout = 300`);
    await reader.query(`SET duckmesh.min_visibility_token = '${token}'`);
    const wait = await failure(() => count(reader));
    expect(wait.code).toBe('DM001');
    expect(wait.message).toContain(token);
    // Without a token the last snapshot is served.
    await reader.query('RESET duckmesh.min_visibility_token');
    expect(await count(reader)).toBe(acked.size - 1);

    // What needs the catalog fails fast with DM006: DDL, a tenant this process has never seen.
    const ddl = await failure(() => session.query('CREATE TABLE other (x INTEGER)'));
    expect(ddl.code).toBe('DM006');
    expect(ddl.ms).toBeLessThan(FAIL_FAST_MS);
    expect(ddl.message).toMatch(/Postgres catalog.*unreachable/);
    const tenant = await failure(() => node.connect('newtenant'));
    expect(tenant.code).toBe('DM006');
    expect(tenant.ms).toBeLessThan(FAIL_FAST_MS);
    const r = await node.readyz();
    expect(r.status).toBe(503);
    expect(r.body.checks['catalog']).not.toBe('ok');
    expect(r.body.checks['bus']).toBe('ok');

    await catalogProxy.restore();
    await reader.query(`SET duckmesh.visibility_timeout = 15000`);
    await reader.query(`SET duckmesh.min_visibility_token = '${token}'`);
    expect(await count(reader)).toBe(acked.size);
    await reader.end();
    const ms = await expectRecovery();
    console.log(`[outage] catalog away: DDL failed with ${ddl.code} in ${ddl.ms} ms; the acknowledged write became visible; recovered ${ms} ms after it returned`);
  }, 60_000);

  it('network partition (nothing reset): writes fail within a bound, reads serve the last snapshot, /readyz is 503 in bounded time; all resumes by itself', async () => {
    expect(await count(session)).toBe(acked.size);
    busProxy.blackhole();
    catalogProxy.blackhole();
    try {
      const w = await failure(() => session.query(`INSERT INTO ev VALUES (-3, 'unknown')`));
      // The append was sent and no answer came: its outcome is unknown (DM008) — or, had no
      // connection been available, nothing was sent (DM005/DM006).
      expect(['DM005', 'DM006', 'DM008'], w.message).toContain(w.code);
      if (w.code === 'DM008') maybe.add(-3);
      expect(w.ms).toBeLessThan(PARTITION_BOUND_MS);
      const w2 = await failure(() => session.query(`INSERT INTO ev VALUES (-4, 'unknown')`));
      expect(['DM005', 'DM006', 'DM008'], w2.message).toContain(w2.code);
      if (w2.code === 'DM008') maybe.add(-4);
      expect(w2.ms).toBeLessThan(PARTITION_BOUND_MS);
      expect(await count(session)).toBe(acked.size);
      const started = Date.now();
      const r = await node.readyz();
      expect(Date.now() - started).toBeLessThan(4000);
      expect(r.status).toBe(503);
      console.log(`[outage] partition: writes failed with ${w.code} in ${w.ms} ms, then ${w2.code} in ${w2.ms} ms; readyz ${JSON.stringify(r.body.checks)}`);
    } finally {
      await Promise.all([busProxy.restore(), catalogProxy.restore()]);
    }
    const ms = await expectRecovery();
    console.log(`[outage] partition healed: recovered in ${ms} ms`);
  }, 60_000);

  it('afterwards: nothing lost, nothing duplicated, history consistent', async () => {
    const c = await node.connect('acme', { options: '-c duckmesh.visibility_timeout=15000' });
    const max = [...acked.values()].sort().pop()!;
    await c.query(`SET duckmesh.min_visibility_token = '${max}'`);
    const { rows } = await c.query('SELECT n, count(*)::INTEGER AS c FROM ev GROUP BY n ORDER BY n');
    await c.end();
    const present = rows.map((r) => r.n as number).filter((n) => !maybe.has(n));
    expect(present).toEqual([...acked.keys()].sort((a, b) => a - b));
    expect(rows.filter((r) => r.c !== 1)).toEqual([]);
    const catalog = await PgCatalog.open({ connectionString: PG_URL, schema, maxConnections: 2 });
    try {
      expect((await checkCatalogHistory(catalog, new DataLayout(dataDir), { deep: true })).problems).toEqual([]);
    } finally {
      await catalog.close();
    }
  });
});
