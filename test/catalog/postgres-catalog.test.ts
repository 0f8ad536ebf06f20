import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { PgBus } from '../../src/bus/postgres/pg-bus.js';
import { CATALOG_MIGRATIONS } from '../../src/catalog/postgres/migrations.js';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import { DuckMeshError, SqlState } from '../../src/common/errors.js';
import { runMigrations } from '../../src/common/pg/migrations.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';
import { catalogContract } from './contract.js';

const available = await postgresAvailable();
const schemas: string[] = [];

afterAll(async () => {
  if (available.ok) await dropPgSchemas(schemas);
});

function fresh(): () => Promise<PgCatalog> {
  const schema = freshPgSchema('dmcat');
  schemas.push(schema);
  return () => PgCatalog.open({ connectionString: PG_URL, schema, maxConnections: 4 });
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Makes the next COMMIT of `cat` lose its acknowledgement: a deferred trigger keeps the server busy
 * inside COMMIT (then lets it commit or fails it), while the client side of the socket is
 * destroyed, as a network failure would.
 */
async function loseNextCommitAck(cat: PgCatalog, schema: string, outcome: 'commit' | 'abort'): Promise<void> {
  await admin(async (c) => {
    await c.query(`CREATE OR REPLACE FUNCTION "${schema}".slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_sleep(0.6); ${outcome === 'abort' ? "RAISE EXCEPTION 'commit fails';" : ''} RETURN NULL; END $$`);
    await c.query(`DROP TRIGGER IF EXISTS slow_commit ON "${schema}".snapshots`);
    await c.query(`CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON "${schema}".snapshots
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "${schema}".slow_commit()`);
  });
  const pool = (cat as unknown as { pool: pg.Pool }).pool;
  pool.once('acquire', (client) => {
    const original = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      if (args[0] === 'COMMIT') {
        setTimeout(() => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(), 150);
      }
      return original(...args);
    };
  });
}

describeService('Postgres catalog contract', available, () => {
  catalogContract(async () => {
    const open = fresh();
    return { catalog: await open(), second: open };
  });

  it('shares one schema with the bus without clashing', async () => {
    const schema = freshPgSchema('dmshared');
    schemas.push(schema);
    const [bus, cat] = await Promise.all([
      PgBus.open({ connectionString: PG_URL, schema }),
      PgCatalog.open({ connectionString: PG_URL, schema }),
    ]);
    const seq = await bus.append([{ tenant: 'acme', kind: 'ddl', payload: '{}' }]);
    const s = await cat.publish({ parentSnapshotId: null, watermark: seq, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    expect(s.watermark).toBe(seq);
    await bus.close();
    await cat.close();
  });

  it('upgrades a version-1 catalog in place: existing snapshots kept, leases available', async () => {
    const schema = freshPgSchema('dmupg');
    schemas.push(schema);
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    await runMigrations(pool, schema, 'catalog', CATALOG_MIGRATIONS.filter((m) => m.version === 1));
    await pool.query(`INSERT INTO "${schema}".snapshots (snapshot_id, watermark, committed_at) VALUES (1, 5, $1)`, [Date.now()]);
    await pool.end();
    const cat = await PgCatalog.open({ connectionString: PG_URL, schema });
    expect((await cat.latestSnapshot())!.watermark).toBe(5);
    const g = (await cat.acquireLease('commit-worker', 'n1', 10_000))!;
    const s2 = await cat.publish({ parentSnapshotId: 1, watermark: 6, addedFiles: [], removedFileIds: [], tableWatermarks: [], fencing: { lease: 'commit-worker', holder: 'n1', epoch: g.epoch } });
    expect(s2.snapshotId).toBe(2);
    await cat.close();
  });

  it('many processes racing for one lease: exactly one grant per epoch', async () => {
    const open = fresh();
    const cats = await Promise.all([open(), open(), open()]);
    for (let round = 1; round <= 3; round++) {
      const grants = await Promise.all(
        Array.from({ length: 9 }, (_, i) => cats[i % 3]!.acquireLease('commit-worker', `node-${round}-${i}`, 60_000).then((g) => ({ i, g }))),
      );
      const winners = grants.filter((x) => x.g !== null);
      expect(winners.length).toBe(1);
      expect(winners[0]!.g!.epoch).toBe(round);
      await cats[0]!.releaseLease('commit-worker', `node-${round}-${winners[0]!.i}`);
    }
    await Promise.all(cats.map((c) => c.close()));
  });

  it('a publish whose COMMIT acknowledgement is lost but which committed reports success', async () => {
    const schema = freshPgSchema('dmdoubt');
    schemas.push(schema);
    const cat = await PgCatalog.open({ connectionString: PG_URL, schema, maxConnections: 2 });
    const s1 = await cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    await loseNextCommitAck(cat, schema, 'commit');
    const s2 = await cat.publish({ parentSnapshotId: s1.snapshotId, watermark: 2, addedFiles: [{ tenant: 'acme', tableId: 1, path: 'doubt.parquet', rowCount: 1, byteSize: 1, checksum: '0', minSeq: 2, maxSeq: 2 }], removedFileIds: [], tableWatermarks: [] });
    expect(s2.snapshotId).toBe(s1.snapshotId + 1);
    expect(await cat.latestSnapshot()).toEqual(s2);
    expect((await cat.allFiles()).map((f) => f.path)).toEqual(['doubt.parquet']);
    await cat.close();
  });

  it('a publish whose COMMIT acknowledgement is lost and which did not commit fails with DM006', async () => {
    const schema = freshPgSchema('dmdoubt');
    schemas.push(schema);
    const cat = await PgCatalog.open({ connectionString: PG_URL, schema, maxConnections: 2 });
    const s1 = await cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    await loseNextCommitAck(cat, schema, 'abort');
    const err = await cat
      .publish({ parentSnapshotId: s1.snapshotId, watermark: 2, addedFiles: [], removedFileIds: [], tableWatermarks: [] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuckMeshError);
    expect((err as DuckMeshError).sqlstate).toBe(SqlState.catalogUnavailable);
    expect((err as Error).message).toMatch(/was not published/);
    expect(await cat.latestSnapshot()).toEqual(s1);
    await cat.close();
  });

  it('reports an unreachable Postgres clearly', async () => {
    const err = await PgCatalog.open({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuckMeshError);
    expect((err as DuckMeshError).sqlstate).toBe(SqlState.catalogUnavailable);
    expect((err as Error).message).toMatch(/Postgres catalog/);
  });
});
