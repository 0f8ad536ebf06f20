import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { PgBus } from '../../src/bus/postgres/pg-bus.js';
import { DuckMeshError, SqlState } from '../../src/common/errors.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable, randomSuffix } from '../helpers/services.js';
import { busContract } from './contract.js';

const available = await postgresAvailable();
const schemas: string[] = [];

afterAll(async () => {
  if (available.ok) await dropPgSchemas(schemas);
});

function freshBus(): { schema: string; open: (applicationName?: string) => Promise<PgBus> } {
  const schema = freshPgSchema('dmbus');
  schemas.push(schema);
  return { schema, open: (applicationName) => PgBus.open({ connectionString: PG_URL, schema, applicationName, maxConnections: 6 }) };
}

describeService('Postgres bus contract', available, () => {
  busContract(async () => {
    const { open } = freshBus();
    return { bus: await open(), reopen: () => open(), second: () => open() };
  });

  it('two processes migrating the same schema at once do not collide', async () => {
    const { schema, open } = freshBus();
    const buses = await Promise.all([open(), open(), open()]);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const { rows } = await client.query(`SELECT component, version FROM "${schema}".duckmesh_schema_migrations ORDER BY version`);
    await client.end();
    expect(rows).toEqual([{ component: 'bus', version: 1 }]);
    await Promise.all(buses.map((b) => b.close()));
  });

  it('survives its connections being killed: DM005 at worst, then appends resume with no duplicate sequence', async () => {
    const appName = `dmtest-kill-${randomSuffix()}`;
    const { open } = freshBus();
    const bus = await open(appName);
    const watcher = await open();
    const acked: number[] = [];
    for (let i = 0; i < 20; i++) acked.push(await bus.append([{ tenant: 't', kind: 'rows', payload: JSON.stringify({ i }) }]));

    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [appName]);
    expect(killed.rowCount).toBeGreaterThan(0);
    await admin.end();

    // The very next append may hit a dead pooled connection: it must fail cleanly (DM005, or DM008
    // when the statement was sent before the connection died).
    try {
      acked.push(await bus.append([{ tenant: 't', kind: 'rows', payload: JSON.stringify({ i: 20 }) }]));
    } catch (err) {
      expect(err).toBeInstanceOf(DuckMeshError);
      expect([SqlState.busUnavailable, SqlState.writeOutcomeUnknown]).toContain((err as DuckMeshError).sqlstate);
      expect((err as Error).message).toMatch(/Postgres ingest bus/);
    }
    // …and within a few seconds appends succeed again.
    const deadline = Date.now() + 5000;
    let resumed = false;
    while (!resumed && Date.now() < deadline) {
      try {
        acked.push(await bus.append([{ tenant: 't', kind: 'rows', payload: JSON.stringify({ i: 21 }) }]));
        resumed = true;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(resumed).toBe(true);
    // The LISTEN session was killed too; it reconnects and hears other processes again.
    const heard = new Promise<number>((resolve) => bus.onAppend((h) => resolve(h)));
    const fromOther = await watcher.append([{ tenant: 't', kind: 'rows', payload: '{}' }]);
    expect(await Promise.race([heard, new Promise((r) => setTimeout(() => r(-1), 5000))])).toBeGreaterThanOrEqual(fromOther);

    const all = await watcher.read(0, { maxEntries: 1000, maxBytes: 1 << 24 });
    const seqs = all.map((e) => e.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    for (const s of acked) expect(seqs).toContain(s);
    expect(await watcher.head()).toBe(seqs.length);
    await bus.close();
    await watcher.close();
  });

  it('fails fast with DM005 when Postgres is unreachable', async () => {
    const started = Date.now();
    const err = await PgBus.open({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test', schema: 'unused' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuckMeshError);
    expect((err as DuckMeshError).sqlstate).toBe(SqlState.busUnavailable);
    expect((err as Error).message).toMatch(/Postgres ingest bus/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
