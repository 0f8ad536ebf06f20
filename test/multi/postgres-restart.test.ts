import { rmSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import { DataLayout } from '../../src/storage/layout.js';
import { checkCatalogHistory, NodeProcess, sleep, sqlstate, trackParameterStatus, until, withSchema } from '../helpers/cluster.js';
import { tempDataDir } from '../helpers/server.js';
import { describeService, privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/services.js';

/**
 * DESIGN §8 against a real database going away: DuckMesh on a private, throwaway Postgres cluster
 * (never the shared one) that the test stops cleanly, crashes (`pg_ctl stop -m immediate`: no
 * shutdown checkpoint, WAL recovery on start) and restarts.
 */

const available = privatePostgresAvailable();
const dataDir = tempDataDir('duckmesh-pgrestart-');
let cluster: PrivatePostgres | null = null;
let node: NodeProcess;
let url = '';
/** Acknowledged rows "w:n" (w = writer), and rows whose write failed with an unknown outcome. */
const acked = new Set<string>();
const unknown = new Set<string>();

afterAll(async () => {
  await node?.stop();
  await cluster?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

async function count(c: pg.Client): Promise<number> {
  return (await c.query('SELECT count(*)::INTEGER AS c FROM ev')).rows[0].c as number;
}

/** Writers that keep inserting, recording what was acknowledged and what failed (and how). */
function writers(n: number): { stop: () => Promise<Record<string, number>> } {
  let stopped = false;
  const errors: Record<string, number> = {};
  const loops = Array.from({ length: n }, async (_, w) => {
    let i = 0;
    while (!stopped) {
      let c: pg.Client | null = null;
      try {
        c = await node.connect('acme');
        while (!stopped) {
          const k = `${w}:${i}`;
          try {
            await c.query(`INSERT INTO ev VALUES (${w}, ${i}), (${w}, ${i + 1000000})`);
            acked.add(k);
          } catch (err) {
            unknown.add(k);
            const code = sqlstate(err) ?? 'transport';
            errors[code] = (errors[code] ?? 0) + 1;
            throw err;
          } finally {
            i++;
          }
        }
      } catch {
        await sleep(50);
      } finally {
        await c?.end().catch(() => undefined);
      }
    }
  });
  return {
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
      return errors;
    },
  };
}

describeService('DuckMesh on a private Postgres cluster that stops, crashes and restarts', available, () => {
  beforeAll(async () => {
    cluster = await startPrivatePostgres();
    url = withSchema(cluster.url, 'duckmesh');
    node = await NodeProcess.create({ id: 'pgr1', dataDir, bus: url, catalog: url, env: { DUCKMESH_LEASE_TTL_MS: '1500' } });
    await node.start();
    const c = await node.connect('acme');
    await c.query('CREATE TABLE ev (w INTEGER, n INTEGER)');
    await c.end();
  }, 120_000);

  it('pg_ctl stop -m fast: writes fail fast (DM005/DM006), reads keep serving, /readyz 503; pg_ctl start: resumes by itself', async () => {
    const c = await node.connect('acme', { options: '-c duckmesh.visibility_timeout=15000' });
    const status = trackParameterStatus(c);
    await c.query('INSERT INTO ev VALUES (-1, 1), (-1, 1000001)');
    acked.add('-1:1');
    const before = await count(c);
    await cluster!.stop('fast');
    const started = Date.now();
    const err = await c.query('INSERT INTO ev VALUES (-1, 2), (-1, 1000002)').then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).not.toBeNull();
    // No pooled connection survived the shutdown: nothing was sent, so the outcome is known — the
    // bus (DM005) or the catalog (DM006), whichever the write needed first, is unavailable.
    expect(['DM005', 'DM006'], err!.message).toContain(sqlstate(err));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await count(c)).toBe(before);
    const fresh = await node.connect('acme');
    expect(await count(fresh)).toBe(before);
    await fresh.end();
    const r = await node.readyz();
    expect(r.status).toBe(503);
    expect(r.body.checks['bus']).toMatch(/unreachable/);
    expect(r.body.checks['catalog']).toMatch(/unreachable/);

    await cluster!.start();
    await until('readyz to report ready', async () => (await node.readyz()).status === 200, 20_000, 100);
    await until('a write to be acknowledged', () => c.query('INSERT INTO ev VALUES (-1, 3), (-1, 1000003)'), 20_000, 100);
    acked.add('-1:3');
    // Read-your-writes: the commit worker is back and publishes it.
    expect(await count(c)).toBe(before + 2);
    expect(status.get('duckmesh.last_visibility_token')).toMatch(/^dm1\./);
    await c.end();
  }, 60_000);

  it('Postgres crashes (immediate shutdown) under concurrent writers: every acknowledged write survives exactly once', async () => {
    if (!cluster!.running) await cluster!.start(); // after a failure above
    const load = writers(4);
    await sleep(800 + Math.random() * 700);
    const ackedAtCrash = acked.size;
    await cluster!.stop('immediate');
    await sleep(500);
    await cluster!.start();
    await sleep(1000);
    const errors = await load.stop();
    expect(acked.size).toBeGreaterThan(ackedAtCrash);

    const c = await until('a session', () => node.connect('acme', { options: '-c duckmesh.visibility_timeout=20000' }), 20_000, 100);
    // A write with a token covering everything acknowledged so far.
    await until('a write to be acknowledged', () => c.query('INSERT INTO ev VALUES (-1, 4), (-1, 1000004)'), 20_000, 100);
    acked.add('-1:4');
    const { rows } = await c.query('SELECT w, n, count(*)::INTEGER AS c FROM ev GROUP BY w, n');
    await c.end();
    const present = new Map<string, number>(rows.map((r) => [`${r.w}:${r.n}`, r.c as number]));
    const missing: string[] = [];
    for (const k of acked) {
      const [w, n] = k.split(':').map(Number);
      if (present.get(`${w}:${n}`) !== 1 || present.get(`${w}:${n! + 1000000}`) !== 1) missing.push(k);
    }
    expect(missing).toEqual([]);
    for (const [k, cnt] of present) {
      expect(cnt, k).toBe(1);
      const [w, n] = k.split(':').map(Number);
      const key = `${w}:${n! % 1000000}`;
      expect(acked.has(key) || unknown.has(key), `row ${k} was never written`).toBe(true);
      // Both rows of a write, or neither.
      expect(present.has(`${w}:${n! >= 1000000 ? n! - 1000000 : n! + 1000000}`), `half of write ${key}`).toBe(true);
    }
    const catalog = await PgCatalog.open({ connectionString: cluster!.url, schema: 'duckmesh', maxConnections: 2 });
    try {
      expect((await checkCatalogHistory(catalog, new DataLayout(dataDir), { deep: true })).problems).toEqual([]);
    } finally {
      await catalog.close();
    }
    console.log(`[pg-restart] Postgres crashed under load: ${acked.size} acknowledged writes all present once; failed writes: ${JSON.stringify(errors)}`);
  }, 90_000);
});
