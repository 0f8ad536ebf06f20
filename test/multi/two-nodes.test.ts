import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import { DataLayout } from '../../src/storage/layout.js';
import {
  checkCatalogHistory,
  NodeProcess,
  sleep,
  TcpProxy,
  tokenSeq,
  trackParameterStatus,
  until,
  withSchema,
} from '../helpers/cluster.js';
import { tempDataDir } from '../helpers/server.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';

/**
 * Scale-out (DESIGN §2, §8): two `duckmesh serve` processes share one Postgres bus + catalog and
 * ONE data directory. Each node reaches Postgres through its own TCP proxy — its "network link" —
 * so that a test can partition one node from the database.
 */

const TTL_MS = 1500;
/** A dead leader is replaced after at most ttl + ttl/3 (renewal period); plus scheduling slack. */
const TAKEOVER_BOUND_MS = TTL_MS + TTL_MS / 3 + 700;

const available = await postgresAvailable();
const schema = freshPgSchema('dmmulti');
const dataDir = tempDataDir('duckmesh-multi-');
const pgTarget = (() => {
  const u = new URL(PG_URL);
  return { host: u.hostname, port: Number(u.port || 5432) };
})();

let proxy1: TcpProxy;
let proxy2: TcpProxy;
let n1: NodeProcess;
let n2: NodeProcess;

/** Every acknowledged write of the whole file: "writer:n" → token. Checked at the end. */
const acked = new Map<string, string>();
let nextN = 0;

async function leaseRow(): Promise<{ holder: string; epoch: number; live: boolean } | undefined> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT holder, epoch::int AS epoch, expires_at > clock_timestamp() AS live FROM "${schema}".leases`);
    return rows[0];
  } finally {
    await c.end();
  }
}

/** One two-row INSERT through `c`; returns the token DuckMesh reported for it. */
async function write(c: pg.Client, status: Map<string, string>, writer: string): Promise<string> {
  const n = nextN;
  nextN += 2;
  await c.query(`INSERT INTO ev VALUES ('${writer}', ${n}), ('${writer}', ${n + 1})`);
  const token = status.get('duckmesh.last_visibility_token')!;
  acked.set(`${writer}:${n}`, token);
  acked.set(`${writer}:${n + 1}`, token);
  return token;
}

/** Reads writer's rows through `node` at a snapshot covering `token`. */
async function readWith(node: NodeProcess, token: string, writer: string, timeoutMs = 10_000): Promise<{ ns: number[]; snapshot: number }> {
  const c = await node.connect('acme', { options: `-c duckmesh.visibility_timeout=${timeoutMs}` });
  try {
    const status = trackParameterStatus(c);
    await c.query(`SET duckmesh.min_visibility_token = '${token}'`);
    const { rows } = await c.query(`SELECT n FROM ev WHERE writer = '${writer}' ORDER BY n`);
    return { ns: rows.map((r) => r.n as number), snapshot: Number(status.get('duckmesh.last_snapshot_id')) };
  } finally {
    await c.end();
  }
}

/** The node whose /readyz reports the commit worker as leader (null if none, throws if two). */
async function leaders(): Promise<string[]> {
  const out: string[] = [];
  for (const n of [n1, n2]) {
    if (!n.alive) continue;
    const r = await n.readyz(3000).catch(() => null);
    if (r?.body.checks['worker']?.startsWith('leader')) out.push(n.id);
  }
  return out;
}

/**
 * A writer that keeps inserting through `node` until stopped, tolerating errors (a node being
 * killed or partitioned); returns the tokens of its acknowledged writes.
 */
function backgroundWriter(node: NodeProcess, writer: string): { stop: () => Promise<string[]> } {
  let stopped = false;
  const tokens: string[] = [];
  const done = (async () => {
    while (!stopped) {
      let c: pg.Client | null = null;
      try {
        c = await node.connect('acme');
        const status = trackParameterStatus(c);
        while (!stopped) {
          tokens.push(await write(c, status, writer));
          await sleep(15);
        }
      } catch {
        await sleep(100);
      } finally {
        await c?.end().catch(() => undefined);
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
      return tokens;
    },
  };
}

afterAll(async () => {
  await Promise.all([n1?.stop(), n2?.stop()]);
  await Promise.all([proxy1?.close(), proxy2?.close()]);
  if (available.ok) await dropPgSchemas([schema]);
  rmSync(dataDir, { recursive: true, force: true });
});

describeService('two duckmesh processes sharing one Postgres bus + catalog and one data directory', available, () => {
  beforeAll(async () => {
    proxy1 = await TcpProxy.start(pgTarget);
    proxy2 = await TcpProxy.start(pgTarget);
    const spec = (id: string, proxy: TcpProxy) => {
      const url = withSchema(PG_URL, schema, proxy.port);
      return { id, dataDir, bus: url, catalog: url, env: { DUCKMESH_LEASE_TTL_MS: String(TTL_MS) } };
    };
    n1 = await NodeProcess.create(spec('node1', proxy1));
    n2 = await NodeProcess.create(spec('node2', proxy2));
    // node1 first, so that it is the first leader.
    await n1.start();
    await until('node1 to lead', async () => (await leaders()).includes('node1'));
    await n2.start();
  }, 90_000);

  it('both start on the one data directory: the embedded data-dir lock is not taken with a shared catalog', async () => {
    expect(n1.alive && n2.alive).toBe(true);
    expect(existsSync(path.join(dataDir, 'LOCK'))).toBe(false);
    for (const n of [n1, n2]) {
      const r = await n.readyz();
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.checks).toMatchObject({ bus: 'ok', catalog: 'ok', storage: 'ok' });
    }
  });

  it('a write through node 1 is read with its token through node 2, and the other way round', async () => {
    const c1 = await n1.connect('acme');
    const s1 = trackParameterStatus(c1);
    await c1.query('CREATE TABLE ev (writer TEXT, n INTEGER)');
    const t1 = await write(c1, s1, 'a');
    // The token is also readable with SHOW, and is the one reported as ParameterStatus.
    expect((await c1.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token']).toBe(t1);
    const r2 = await readWith(n2, t1, 'a');
    expect(r2.ns).toEqual([0, 1]);

    const c2 = await n2.connect('acme');
    const s2 = trackParameterStatus(c2);
    const t2 = await write(c2, s2, 'b');
    expect(tokenSeq(t2)).toBeGreaterThan(tokenSeq(t1));
    expect((await readWith(n1, t2, 'b')).ns).toEqual([2, 3]);
    // A token issued by node 2 covers node 1's earlier write too, on either node.
    expect((await readWith(n1, t2, 'a')).ns).toEqual([0, 1]);
    expect((await readWith(n2, t2, 'a')).ns).toEqual([0, 1]);
    await c1.end();
    await c2.end();
  });

  it('exactly one commit worker is active: the lease holder; the other process is a standby', async () => {
    expect(await leaders()).toEqual(['node1']);
    const r2 = await n2.readyz();
    expect(r2.body.checks['worker']).toBe('standby');
    const lease = await leaseRow();
    expect(lease).toMatchObject({ holder: 'node1', live: true });
    // Only the leader has committed anything.
    expect(await n1.metric('duckmesh_commit_seconds_count')).toBeGreaterThan(0);
    expect(await n2.metric('duckmesh_commit_seconds_count')).toBe(0);
  });

  it('kill -9 of the leader: the standby takes over within the lease TTL and writes keep becoming visible', async () => {
    const bg = backgroundWriter(n2, 'k');
    await sleep(400);
    const epochBefore = (await leaseRow())!.epoch;
    const killedAt = Date.now();
    await n1.kill('SIGKILL');
    // node2's lease log line carries the time it became leader.
    const line = await until(
      'node2 to become leader',
      () => n2.logs.find((l) => l.msg === 'lease: leader' && (l['epoch'] as number) > epochBefore),
      15_000,
    );
    const takeoverMs = line.time - killedAt;
    expect(takeoverMs).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
    await sleep(300);
    const tokens = await bg.stop();
    expect(tokens.length).toBeGreaterThan(5);
    // Every write acknowledged before, during and after the failover is visible through node2.
    const last = tokens[tokens.length - 1]!;
    const seen = await readWith(n2, last, 'k');
    const mine = [...acked].filter(([k]) => k.startsWith('k:')).map(([k]) => Number(k.slice(2)));
    expect(seen.ns).toEqual(mine.sort((x, y) => x - y));
    expect(await leaders()).toEqual(['node2']);
    console.log(`[two-nodes] leader killed; node2 took over after ${takeoverMs} ms (ttl ${TTL_MS} ms), ${tokens.length} writes acknowledged across the failover`);

    // The killed node comes back as a standby on the same data directory.
    await n1.start();
    await until('node1 to report standby', async () => (await n1.readyz()).body.checks['worker'] === 'standby');
    const c = await n1.connect('acme');
    const s = trackParameterStatus(c);
    const t = await write(c, s, 'k');
    await c.end();
    expect((await readWith(n1, t, 'k')).ns.length).toBe(mine.length + 2);
  }, 60_000);

  it('SIGSTOP the leader past its TTL: the other takes over; after SIGCONT the stale leader publishes nothing and steps down', async () => {
    // node2 leads now; node1 is the standby. Let node2 catch up and go idle, so that whatever it
    // commits after this point can only be a publication after the SIGSTOP.
    expect(await leaders()).toEqual(['node2']);
    const c0 = await n1.connect('acme');
    const t0 = await write(c0, trackParameterStatus(c0), 's');
    await c0.end();
    await readWith(n2, t0, 's');
    const commitsBefore = await until('node2 to go idle', async () => {
      const a = await n2.metric('duckmesh_commit_seconds_count');
      await sleep(300);
      return a === (await n2.metric('duckmesh_commit_seconds_count')) ? a : 0;
    });
    const epochBefore = (await leaseRow())!.epoch;
    n2.pause();
    const pausedAt = Date.now();
    // Writes arrive while the old leader is frozen: work it would publish if it could.
    const bg = backgroundWriter(n1, 's');
    try {
      const line = await until(
        'node1 to take over from the stopped leader',
        () => n1.logs.find((l) => l.msg === 'lease: leader' && (l['epoch'] as number) > epochBefore),
        15_000,
      );
      expect(line.time - pausedAt).toBeLessThanOrEqual(TAKEOVER_BOUND_MS);
      await sleep(500);
    } finally {
      n2.resume();
    }
    const resumedAt = Date.now();
    // The resumed process sees pending bus entries (notifications queued while it was stopped,
    // its idle re-check) while its lease has lapsed: it must not publish them.
    await sleep(TTL_MS);
    const tokens = await bg.stop();
    const last = tokens[tokens.length - 1]!;
    expect((await readWith(n1, last, 's')).ns.length).toBe([...acked.keys()].filter((k) => k.startsWith('s:')).length);
    // One leader (node1); node2 knows it is not.
    expect(await leaders()).toEqual(['node1']);
    expect((await n2.readyz()).body.checks['worker']).toBe('standby');
    expect(n2.logs.some((l) => l.msg === 'lease: not leader' && l.time >= resumedAt - 50)).toBe(true);
    expect(await n2.metric('duckmesh_commit_seconds_count')).toBe(commitsBefore);
    const rejected = n2.logs.filter((l) => l.msg.startsWith('commit worker: commit failed') && l.time >= resumedAt - 50);
    for (const l of rejected) expect((l['err'] as { sqlstate?: string }).sqlstate).toBe('DM007');
    console.log(
      `[two-nodes] SIGSTOP/SIGCONT: node1 took over; the resumed node2 published nothing (${rejected.length} attempt(s) refused with DM007)`,
    );
  }, 60_000);

  it('a stale leader partitioned mid-publication: its in-flight publish is rejected by the catalog (DM007) once it gets through', async () => {
    // node1 leads now. Freeze its next publication at LOCK TABLE, then cut its link to Postgres
    // (renewals fail): node2 takes over. Then let the frozen publication through.
    expect(await leaders()).toEqual(['node1']);
    let frozenAt = 0;
    proxy1.freezeOn('LOCK TABLE', () => {
      frozenAt = Date.now();
      void proxy1.cut({ keepFrozen: true });
    });
    const bg = backgroundWriter(n2, 'f');
    try {
      await until('node1 to start a publication', () => frozenAt > 0, 10_000, 5);
      const epochBefore = (await leaseRow())!.epoch;
      await until(
        'node2 to take over from the partitioned leader',
        () => n2.logs.find((l) => l.msg === 'lease: leader' && (l['epoch'] as number) > epochBefore),
        15_000,
      );
      // node2 publishes: node2's writes become visible through node2.
      await sleep(300);
      const c = await n2.connect('acme');
      const s = trackParameterStatus(c);
      const t = await write(c, s, 'f');
      await c.end();
      await readWith(n2, t, 'f');
      expect(Date.now() - frozenAt).toBeLessThan(12_000); // well inside the server's idle-in-transaction limit
      const releasedAt = Date.now();
      proxy1.release();
      const rejection = await until(
        'the frozen publication to be rejected',
        () => n1.logs.find((l) => l.msg.startsWith('commit worker: commit failed') && l.time >= releasedAt - 50),
        10_000,
      );
      const err = rejection['err'] as { sqlstate?: string; message?: string };
      expect(err.sqlstate).toBe('DM007');
      // Rejected by the catalog inside the publishing transaction (not just refused locally).
      expect(err.message).toMatch(/is no longer the leader of lease "commit-worker" at epoch \d+: the lease is at epoch \d+ \(held by "node2"\)/);
      expect(await n1.metric('duckmesh_snapshot_publication_failures_total')).toBeGreaterThanOrEqual(1);
      console.log(`[two-nodes] partitioned leader's in-flight publication rejected by the catalog: ${err.message}`);
    } finally {
      proxy1.release();
      await proxy1.restore();
      await bg.stop();
    }
    await until('node1 to reconnect as a standby', async () => {
      const r = await n1.readyz();
      return r.status === 200 && r.body.checks['worker'] === 'standby';
    }, 20_000);
    expect(await leaders()).toEqual(['node2']);
  }, 60_000);

  it('afterwards: one linear snapshot history, no missing file, every acknowledged write exactly once', async () => {
    const maxToken = [...acked.values()].sort().pop()!;
    const c = await n1.connect('acme', { options: '-c duckmesh.visibility_timeout=15000' });
    await c.query(`SET duckmesh.min_visibility_token = '${maxToken}'`);
    const { rows } = await c.query('SELECT writer, n, count(*)::INTEGER AS c FROM ev GROUP BY writer, n');
    await c.end();
    const present = new Map(rows.map((r) => [`${r.writer}:${r.n}`, r.c as number]));
    const missing = [...acked.keys()].filter((k) => !present.has(k));
    const duplicated = [...present].filter(([, count]) => count !== 1);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    const catalog = await PgCatalog.open({ connectionString: PG_URL, schema, maxConnections: 2 });
    try {
      const h = await checkCatalogHistory(catalog, new DataLayout(dataDir), { deep: true });
      expect(h.problems).toEqual([]);
      expect(h.snapshots).toBeGreaterThan(3);
      console.log(`[two-nodes] ${acked.size} acknowledged rows, ${h.snapshots} snapshots, ${h.files} files: consistent`);
    } finally {
      await catalog.close();
    }
  }, 60_000);
});
