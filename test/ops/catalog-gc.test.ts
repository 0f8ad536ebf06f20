import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import type { Catalog, NewFile } from '../../src/catalog/types.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';

/**
 * The catalog methods retention/GC relies on, against every backend:
 * oldestSnapshotLiveAt, filesUnreferencedFrom, forgetFiles.
 */
function gcContract(open: () => Promise<Catalog>): void {
  const file = (tableId: number, name: string, seq: number): NewFile => ({
    tenant: 'acme',
    tableId,
    path: `tenants/acme/tables/${tableId}/${name}`,
    rowCount: 1,
    byteSize: 10,
    checksum: '00000000',
    minSeq: seq,
    maxSeq: seq,
  });

  it('finds files unreferenced from a snapshot on (removed, or of dropped tables) and forgets only those', async () => {
    const c = await open();
    try {
      const t1 = await c.reserveTable({ tenant: 'acme', schema: 'public', name: 't1', columns: [], primaryKey: [] });
      const t2 = await c.reserveTable({ tenant: 'acme', schema: 'public', name: 't2', columns: [], primaryKey: [] });
      await c.markTableCreated(t1, 1);
      await c.markTableCreated(t2, 2);
      const s1 = await c.publish({ parentSnapshotId: null, watermark: 3, addedFiles: [file(t1, 'a', 3)], removedFileIds: [], tableWatermarks: [] });
      const s2 = await c.publish({ parentSnapshotId: s1.snapshotId, watermark: 4, addedFiles: [file(t1, 'b', 4), file(t2, 'x', 4)], removedFileIds: [], tableWatermarks: [] });
      const ids = new Map((await c.allFiles()).map((f) => [f.path.split('/').pop()!, f.fileId]));
      // s3 "compacts" a+b into c; t2 is dropped at seq 6, which s4 covers.
      const s3 = await c.publish({ parentSnapshotId: s2.snapshotId, watermark: 5, addedFiles: [file(t1, 'c', 5)], removedFileIds: [ids.get('a')!, ids.get('b')!], tableWatermarks: [] });
      await c.markTableDropped(t2, 6);
      const s4 = await c.publish({ parentSnapshotId: s3.snapshotId, watermark: 6, addedFiles: [], removedFileIds: [], tableWatermarks: [] });

      const names = async (from: number) => (await c.filesUnreferencedFrom(from)).map((f) => f.path.split('/').pop()).sort();
      expect(await names(s1.snapshotId)).toEqual([]);
      expect(await names(s2.snapshotId)).toEqual([]);
      expect(await names(s3.snapshotId)).toEqual(['a', 'b']);
      expect(await names(s4.snapshotId)).toEqual(['a', 'b', 'x']);

      // forgetFiles re-checks: a live file ('c') is never forgotten, even if asked.
      const forgotten = await c.forgetFiles([ids.get('a')!, (await c.allFiles()).find((f) => f.path.endsWith('/c'))!.fileId], s3.snapshotId);
      expect(forgotten).toEqual([ids.get('a')]);
      expect((await c.allFiles()).map((f) => f.path.split('/').pop()).sort()).toEqual(['b', 'c', 'x']);
      expect(await c.forgetFiles([], s3.snapshotId)).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('oldestSnapshotLiveAt: the oldest snapshot not expired at a given time', async () => {
    const c = await open();
    try {
      let parent: number | null = null;
      for (let i = 1; i <= 4; i++) parent = (await c.publish({ parentSnapshotId: parent, watermark: i, addedFiles: [], removedFileIds: [], tableWatermarks: [] })).snapshotId;
      expect(await c.oldestSnapshotLiveAt(Date.now())).toBe(1);
      const before = Date.now() - 1;
      expect(await c.expireSnapshots(3)).toBe(2);
      const after = Date.now() + 1;
      expect(await c.oldestSnapshotLiveAt(after)).toBe(3);
      // Before the expiry, 1 and 2 were still live.
      expect(await c.oldestSnapshotLiveAt(before)).toBe(1);
      expect(await c.oldestSnapshotLiveAt(Number.MAX_SAFE_INTEGER)).toBe(3);
    } finally {
      await c.close();
    }
  });

  it('oldestSnapshotLiveAt is null without snapshots', async () => {
    const c = await open();
    try {
      expect(await c.oldestSnapshotLiveAt(Date.now())).toBeNull();
    } finally {
      await c.close();
    }
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('retention catalog methods: embedded (SQLite)', () => {
  gcContract(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dm-ops-cat-'));
    dirs.push(dir);
    return new SqliteCatalog(path.join(dir, 'catalog.db'));
  });
});

const available = await postgresAvailable();
const schemas: string[] = [];
afterAll(async () => {
  if (available.ok) await dropPgSchemas(schemas);
});

describeService('retention catalog methods: Postgres', available, () => {
  gcContract(async () => {
    const schema = freshPgSchema('dmopsgc');
    schemas.push(schema);
    return PgCatalog.open({ connectionString: PG_URL, schema, maxConnections: 2 });
  });
});
