import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import { SnapshotFollower } from '../../src/catalog/snapshot-follower.js';
import type { Catalog, SnapshotInfo } from '../../src/catalog/types.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const empty = { addedFiles: [], removedFileIds: [], tableWatermarks: [] };

async function until(cond: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await sleep(5);
  }
  return Date.now() - start;
}

async function publishSome(cat: Catalog, n: number): Promise<void> {
  let parent = (await cat.latestSnapshot())?.snapshotId ?? null;
  for (let i = 0; i < n; i++) {
    const s = await cat.publish({ parentSnapshotId: parent, watermark: (parent ?? 0) + 1, ...empty });
    parent = s.snapshotId;
  }
}

describe('SnapshotFollower on the embedded catalog', () => {
  const file = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'dm-follow-')), 'catalog.db');

  it('reports the current snapshot at start, then each advance once, in order, woken by onPublish', async () => {
    const cat = new SqliteCatalog(file());
    await publishSome(cat, 2);
    const seen: SnapshotInfo[] = [];
    const f = new SnapshotFollower(cat, (s) => seen.push(s), { pollMs: 60_000 });
    await f.start();
    expect(seen.map((s) => s.snapshotId)).toEqual([2]);
    await publishSome(cat, 3);
    await until(() => seen.at(-1)!.snapshotId === 5, 1000);
    const ids = seen.map((s) => s.snapshotId);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    f.stop();
    await publishSome(cat, 1);
    await sleep(50);
    expect(seen.at(-1)!.snapshotId).toBe(5);
    await cat.close();
  });

  it('falls back to polling when nothing notifies it (another instance publishes)', async () => {
    const db = file();
    const writer = new SqliteCatalog(db);
    const reader = new SqliteCatalog(db);
    const seen: number[] = [];
    const f = new SnapshotFollower(reader, (s) => seen.push(s.snapshotId), { pollMs: 30 });
    await f.start();
    expect(seen).toEqual([]);
    await publishSome(writer, 1);
    await until(() => seen.includes(1), 1000);
    f.stop();
    await writer.close();
    await reader.close();
  });

  it('keeps going after a failing read', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const seen: number[] = [];
    const fake = {
      latestSnapshot: async () => {
        if (fail) throw new Error('catalog down');
        return { snapshotId: 7, watermark: 7, committedAt: 0 };
      },
      onPublish: () => () => undefined,
    };
    const f = new SnapshotFollower(fake, (s) => seen.push(s.snapshotId), { pollMs: 20, onError: (e) => errors.push(e) });
    await f.start();
    expect(errors.length).toBe(1);
    fail = false;
    await until(() => seen.length === 1, 1000);
    f.stop();
  });
});

const pgOk = await postgresAvailable();
const schemas: string[] = [];
afterAll(async () => {
  if (pgOk.ok) await dropPgSchemas(schemas);
});

describeService('SnapshotFollower on the Postgres catalog', pgOk, () => {
  it('another process sees publications promptly through NOTIFY, not the (long) poll', async () => {
    const schema = freshPgSchema('dmfollow');
    schemas.push(schema);
    const writer = await PgCatalog.open({ connectionString: PG_URL, schema });
    const reader = await PgCatalog.open({ connectionString: PG_URL, schema });
    const seen: number[] = [];
    const f = new SnapshotFollower(reader, (s) => seen.push(s.snapshotId), { pollMs: 60_000 });
    await f.start();
    // No wait for the LISTEN session (it connects in the background): whatever it misses before
    // it is up, its on-connect catch-up reports.
    await publishSome(writer, 1);
    const ms = await until(() => seen.includes(1), 2000);
    expect(ms).toBeLessThan(1000);
    await publishSome(writer, 4);
    await until(() => seen.at(-1) === 5, 2000);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    f.stop();
    await writer.close();
    await reader.close();
  });
});
