import { afterAll, expect, it } from 'vitest';
import { PgBus } from '../../src/bus/postgres/pg-bus.js';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import { DuckMeshError, SqlState } from '../../src/common/errors.js';
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

  it('reports an unreachable Postgres clearly', async () => {
    const err = await PgCatalog.open({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuckMeshError);
    expect((err as DuckMeshError).sqlstate).toBe(SqlState.connectionFailure);
    expect((err as Error).message).toMatch(/Postgres catalog/);
  });
});
