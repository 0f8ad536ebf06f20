import { expect, it } from 'vitest';
import { DuckMeshError, SqlState } from '../../src/common/errors.js';
import type { Catalog, NewFile } from '../../src/catalog/types.js';

export interface CatalogUnderTest {
  catalog: Catalog;
  /** Another instance on the same storage, open at the same time (a second process). */
  second: () => Promise<Catalog>;
}

const file = (tableId: number, p: string, minSeq: number, maxSeq: number, tenant = 'acme'): NewFile => ({
  tenant,
  tableId,
  path: p,
  rowCount: 10,
  byteSize: 100,
  checksum: '00000000',
  minSeq,
  maxSeq,
});

const col = { name: 'x', type: 'INTEGER', notNull: false, defaultValue: null };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LEASE = 'commit-worker';

/** The Catalog contract: every backend runs these cases against fresh, empty storage from `make`. */
export function catalogContract(make: () => Promise<CatalogUnderTest>): void {
  it('registers tables around their bus position and resolves them per snapshot', async () => {
    const { catalog: cat } = await make();
    const id = await cat.reserveTable({ tenant: 'acme', schema: 'public', name: 't', columns: [col], primaryKey: [] });
    expect(await cat.liveTables('acme')).toEqual([]);
    await cat.markTableCreated(id, 5);
    await cat.markTableCreated(id, 9); // idempotent: the first position wins
    expect((await cat.liveTables('acme')).map((t) => [t.name, t.createdSeq])).toEqual([['t', 5]]);

    const s1 = await cat.publish({ parentSnapshotId: null, watermark: 4, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    const s2 = await cat.publish({ parentSnapshotId: s1.snapshotId, watermark: 7, addedFiles: [file(id, 'a.parquet', 6, 7)], removedFileIds: [], tableWatermarks: [{ tableId: id, seq: 7 }] });
    expect((await cat.snapshotContents('acme', s1.snapshotId)).tables).toEqual([]);
    const c2 = await cat.snapshotContents('acme', s2.snapshotId);
    expect(c2.tables.map((t) => t.name)).toEqual(['t']);
    expect(c2.files.get(id)!.map((f) => f.path)).toEqual(['a.parquet']);
    expect(await cat.tableWatermark(id, s2.snapshotId)).toBe(7);
    expect((await cat.snapshotContents('other', s2.snapshotId)).tables).toEqual([]);

    await cat.markTableDropped(id, 8);
    const s3 = await cat.publish({ parentSnapshotId: s2.snapshotId, watermark: 8, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    expect((await cat.snapshotContents('acme', s3.snapshotId)).tables).toEqual([]);
    // Time travel still sees the old snapshot's content.
    expect((await cat.snapshotContents('acme', s2.snapshotId)).tables.length).toBe(1);
    await cat.close();
  });

  it('rejects a publication whose parent is not the newest snapshot (no forked history)', async () => {
    const { catalog: cat } = await make();
    const s1 = await cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    await cat.publish({ parentSnapshotId: s1.snapshotId, watermark: 2, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    await expect(cat.publish({ parentSnapshotId: s1.snapshotId, watermark: 3, addedFiles: [file(1, 'x.parquet', 3, 3)], removedFileIds: [], tableWatermarks: [] })).rejects.toThrow(/rejected/);
    await expect(cat.publish({ parentSnapshotId: null, watermark: 3, addedFiles: [], removedFileIds: [], tableWatermarks: [] })).rejects.toThrow(/rejected/);
    expect((await cat.allFiles()).length).toBe(0);
    await cat.close();
  });

  it('finds snapshots by time and never moves the watermark backwards', async () => {
    const { catalog: cat } = await make();
    const s1 = await cat.publish({ parentSnapshotId: null, watermark: 10, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    expect((await cat.snapshotAsOf(Date.now() + 1000))!.snapshotId).toBe(s1.snapshotId);
    expect(await cat.snapshotAsOf(s1.committedAt - 1)).toBeNull();
    await expect(cat.publish({ parentSnapshotId: s1.snapshotId, watermark: 5, addedFiles: [], removedFileIds: [], tableWatermarks: [] })).rejects.toThrow(/backwards/);
    await cat.close();
  });

  it('two processes publishing on the same parent: exactly one wins, the loser registers nothing', async () => {
    const { catalog: a, second } = await make();
    const b = await second();
    const base = await a.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    const results = await Promise.allSettled([
      a.publish({ parentSnapshotId: base.snapshotId, watermark: 2, addedFiles: [file(1, 'from-a.parquet', 2, 2)], removedFileIds: [], tableWatermarks: [] }),
      b.publish({ parentSnapshotId: base.snapshotId, watermark: 2, addedFiles: [file(1, 'from-b.parquet', 2, 2)], removedFileIds: [], tableWatermarks: [] }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(String(lost.reason)).toMatch(/rejected/);
    expect((await b.allFiles()).length).toBe(1);
    expect((await b.latestSnapshot())!.snapshotId).toBe(base.snapshotId + 1);
    await b.close();
    await a.close();
  });

  it('retires removed files in the snapshot that removes them; older snapshots keep them', async () => {
    const { catalog: cat } = await make();
    const id = await cat.reserveTable({ tenant: 'acme', schema: 'public', name: 't', columns: [col], primaryKey: ['x'] });
    await cat.markTableCreated(id, 1);
    const s1 = await cat.publish({ parentSnapshotId: null, watermark: 3, addedFiles: [file(id, 'a.parquet', 1, 2), file(id, 'b.parquet', 3, 3)], removedFileIds: [], tableWatermarks: [{ tableId: id, seq: 3 }] });
    const before = (await cat.snapshotContents('acme', s1.snapshotId)).files.get(id)!;
    expect(before.map((f) => f.path)).toEqual(['a.parquet', 'b.parquet']);
    const a = before[0]!;
    expect(a).toMatchObject({ tenant: 'acme', tableId: id, rowCount: 10, byteSize: 100, checksum: '00000000', minSeq: 1, maxSeq: 2, addedSnapshot: s1.snapshotId, removedSnapshot: null });
    const s2 = await cat.publish({ parentSnapshotId: s1.snapshotId, watermark: 5, addedFiles: [file(id, 'c.parquet', 1, 5)], removedFileIds: [a.fileId], tableWatermarks: [{ tableId: id, seq: 5 }] });
    expect((await cat.snapshotContents('acme', s2.snapshotId)).files.get(id)!.map((f) => f.path)).toEqual(['b.parquet', 'c.parquet']);
    expect((await cat.snapshotContents('acme', s1.snapshotId)).files.get(id)!.map((f) => f.path)).toEqual(['a.parquet', 'b.parquet']);
    const all = await cat.allFiles();
    expect(all.map((f) => [f.path, f.removedSnapshot])).toEqual([
      ['a.parquet', s2.snapshotId],
      ['b.parquet', null],
      ['c.parquet', null],
    ]);
    expect(await cat.tableWatermark(id, s1.snapshotId)).toBe(3);
    expect(await cat.tableWatermark(id, s2.snapshotId)).toBe(5);
    // A snapshot that does not touch the table keeps its last watermark.
    const s3 = await cat.publish({ parentSnapshotId: s2.snapshotId, watermark: 6, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    expect(await cat.tableWatermark(id, s3.snapshotId)).toBe(5);
    expect(await cat.tableWatermark(999, s3.snapshotId)).toBe(0);
    await cat.close();
  });

  it('round-trips table definitions, tenants, snapshots and large sequence numbers', async () => {
    const { catalog: cat } = await make();
    expect(await cat.latestSnapshot()).toBeNull();
    expect(await cat.getTable(12345)).toBeNull();
    for (const t of ['beta', 'Zeta', 'acme', 'beta']) await cat.ensureTenant(t);
    expect(await cat.listTenants()).toEqual(['Zeta', 'acme', 'beta']);
    const columns = [
      { name: 'id', type: 'BIGINT', notNull: true, defaultValue: null },
      { name: 'amount', type: 'DECIMAL(18,3)', notNull: false, defaultValue: '0.000' },
    ];
    const id1 = await cat.reserveTable({ tenant: 'acme', schema: 'sales', name: 'orders', columns, primaryKey: ['id'] });
    const id2 = await cat.reserveTable({ tenant: 'acme', schema: 'sales', name: 'refunds', columns, primaryKey: [] });
    expect(id2).toBeGreaterThan(id1);
    const big = 2 ** 40 + 7;
    await cat.markTableCreated(id1, big);
    await cat.markTableDropped(id1, big + 5);
    await cat.markTableDropped(id1, big + 9); // idempotent
    expect(await cat.getTable(id1)).toEqual({
      tableId: id1,
      tenant: 'acme',
      schema: 'sales',
      name: 'orders',
      columns,
      primaryKey: ['id'],
      schemaVersion: 1,
      createdSeq: big,
      droppedSeq: big + 5,
      compatibility: 'backward',
    });
    const s = await cat.publish({ parentSnapshotId: null, watermark: big + 1, addedFiles: [file(id1, 'big.parquet', big, big + 1)], removedFileIds: [], tableWatermarks: [{ tableId: id1, seq: big + 1 }] });
    expect(await cat.getSnapshot(s.snapshotId)).toEqual(s);
    expect(await cat.latestSnapshot()).toEqual(s);
    expect(await cat.getSnapshot(s.snapshotId + 1)).toBeNull();
    expect(await cat.tableWatermark(id1, s.snapshotId)).toBe(big + 1);
    const contents = await cat.snapshotContents('acme', s.snapshotId);
    expect(contents.tables.map((t) => t.name)).toEqual(['orders']);
    expect(contents.files.get(id1)![0]!.maxSeq).toBe(big + 1);
    await cat.ping();
    await cat.close();
  });

  it('refuses the contents of a snapshot that does not exist with DM003', async () => {
    const { catalog: cat } = await make();
    const err = await cat.snapshotContents('acme', 42).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuckMeshError);
    expect((err as DuckMeshError).sqlstate).toBe(SqlState.snapshotUnavailable);
    await cat.close();
  });

  it('never shows a torn snapshot while another process publishes', async () => {
    const { catalog: writer, second } = await make();
    const reader = await second();
    const id = await writer.reserveTable({ tenant: 'acme', schema: 'public', name: 't', columns: [col], primaryKey: [] });
    await writer.markTableCreated(id, 1);
    let parent: number | null = null;
    const publishing = (async () => {
      for (let i = 1; i <= 30; i++) {
        const s = await writer.publish({ parentSnapshotId: parent, watermark: i + 1, addedFiles: [file(id, `f${i}.parquet`, i, i)], removedFileIds: [], tableWatermarks: [{ tableId: id, seq: i }] });
        parent = s.snapshotId;
      }
    })();
    let checks = 0;
    while (parent === null || parent < 30 || checks === 0) {
      const latest = await reader.latestSnapshot();
      if (latest) {
        const c = await reader.snapshotContents('acme', latest.snapshotId);
        // Snapshot k has exactly the k files published up to it.
        expect(c.files.get(id)!.length).toBe(latest.snapshotId);
        checks++;
      }
      if (parent !== null && parent >= 30) break;
      await new Promise((r) => setImmediate(r));
    }
    await publishing;
    expect(checks).toBeGreaterThan(0);
    await reader.close();
    await writer.close();
  });

  it('leases: two holders compete for a free lease and exactly one wins', async () => {
    const { catalog: a, second } = await make();
    const b = await second();
    const grants = await Promise.all([a.acquireLease(LEASE, 'node-a', 60_000), b.acquireLease(LEASE, 'node-b', 60_000)]);
    expect(grants.filter((g) => g !== null).length).toBe(1);
    const winner = grants[0] ? 'node-a' : 'node-b';
    const won = grants.find((g) => g !== null)!;
    expect(won.epoch).toBe(1);
    expect(won.expiresAt).toBeGreaterThan(Date.now() + 50_000);
    // The loser keeps losing while the grant is unexpired, from either instance.
    const loser = winner === 'node-a' ? 'node-b' : 'node-a';
    expect(await a.acquireLease(LEASE, loser, 60_000)).toBeNull();
    expect(await b.acquireLease(LEASE, loser, 60_000)).toBeNull();
    // Other lease names are independent.
    expect(await b.acquireLease('compactor', loser, 60_000)).toMatchObject({ epoch: 1 });
    await b.close();
    await a.close();
  });

  it('leases: renewal keeps the lease and its epoch; release hands it over with a higher epoch', async () => {
    const { catalog: cat } = await make();
    const g1 = (await cat.acquireLease(LEASE, 'node-a', 60_000))!;
    await sleep(5);
    const g2 = (await cat.acquireLease(LEASE, 'node-a', 60_000))!;
    expect(g2.epoch).toBe(g1.epoch);
    expect(g2.expiresAt).toBeGreaterThanOrEqual(g1.expiresAt);
    expect(await cat.acquireLease(LEASE, 'node-b', 60_000)).toBeNull();
    await cat.releaseLease(LEASE, 'node-b'); // not the holder: no effect
    expect(await cat.acquireLease(LEASE, 'node-b', 60_000)).toBeNull();
    await cat.releaseLease(LEASE, 'node-a');
    const g3 = (await cat.acquireLease(LEASE, 'node-b', 60_000))!;
    expect(g3.epoch).toBe(g1.epoch + 1);
    // The old holder's fence is dead; the new one's works.
    await expect(
      cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [], fencing: { lease: LEASE, holder: 'node-a', epoch: g1.epoch } }),
    ).rejects.toMatchObject({ sqlstate: SqlState.staleLeader });
    await cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [], fencing: { lease: LEASE, holder: 'node-b', epoch: g3.epoch } });
    await expect(cat.acquireLease(LEASE, 'node-a', 0)).rejects.toThrow(/ttlMs/);
    await cat.close();
  });

  it('leases: after expiry another holder takes over; the old leader\'s fenced publish is rejected and writes nothing', async () => {
    const { catalog: a, second } = await make();
    const b = await second();
    const ga = (await a.acquireLease(LEASE, 'node-a', 200))!;
    expect(ga).not.toBeNull();
    const fenceA = { lease: LEASE, holder: 'node-a', epoch: ga.epoch };
    const s1 = await a.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [file(1, 'a1.parquet', 1, 1)], removedFileIds: [], tableWatermarks: [], fencing: fenceA });
    expect(await b.acquireLease(LEASE, 'node-b', 60_000)).toBeNull();
    await sleep(350);
    const gb = (await b.acquireLease(LEASE, 'node-b', 60_000))!;
    expect(gb).not.toBeNull();
    expect(gb.epoch).toBeGreaterThan(ga.epoch);
    // The old leader cannot renew any more …
    expect(await a.acquireLease(LEASE, 'node-a', 200)).toBeNull();
    // … and its publication, built on the right parent, is fenced off.
    const err = await a
      .publish({ parentSnapshotId: s1.snapshotId, watermark: 2, addedFiles: [file(1, 'stale.parquet', 2, 2)], removedFileIds: [], tableWatermarks: [{ tableId: 1, seq: 2 }], fencing: fenceA })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuckMeshError);
    expect((err as DuckMeshError).sqlstate).toBe(SqlState.staleLeader);
    expect((err as Error).message).toMatch(/no longer the leader.*epoch/);
    expect((await b.allFiles()).map((f) => f.path)).toEqual(['a1.parquet']);
    expect((await b.latestSnapshot())!.snapshotId).toBe(s1.snapshotId);
    expect(await b.tableWatermark(1, s1.snapshotId + 1)).toBe(0);
    // Right epoch, wrong holder: rejected too.
    await expect(
      a.publish({ parentSnapshotId: s1.snapshotId, watermark: 2, addedFiles: [], removedFileIds: [], tableWatermarks: [], fencing: { lease: LEASE, holder: 'node-a', epoch: gb.epoch } }),
    ).rejects.toMatchObject({ sqlstate: SqlState.staleLeader });
    // The new leader publishes.
    const s2 = await b.publish({ parentSnapshotId: s1.snapshotId, watermark: 2, addedFiles: [file(1, 'b2.parquet', 2, 2)], removedFileIds: [], tableWatermarks: [], fencing: { lease: LEASE, holder: 'node-b', epoch: gb.epoch } });
    expect(s2.snapshotId).toBe(s1.snapshotId + 1);
    await b.close();
    await a.close();
  });

  it('leases: an expired grant fences its holder even if nobody took over; re-taking it bumps the epoch', async () => {
    const { catalog: cat } = await make();
    await expect(
      cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [], fencing: { lease: LEASE, holder: 'node-a', epoch: 1 } }),
    ).rejects.toThrow(/never been granted/);
    const g1 = (await cat.acquireLease(LEASE, 'node-a', 100))!;
    await sleep(250);
    await expect(
      cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [file(1, 'late.parquet', 1, 1)], removedFileIds: [], tableWatermarks: [], fencing: { lease: LEASE, holder: 'node-a', epoch: g1.epoch } }),
    ).rejects.toThrow(/expired/);
    expect(await cat.allFiles()).toEqual([]);
    expect(await cat.latestSnapshot()).toBeNull();
    const g2 = (await cat.acquireLease(LEASE, 'node-a', 60_000))!;
    expect(g2.epoch).toBe(g1.epoch + 1);
    await expect(
      cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [], fencing: { lease: LEASE, holder: 'node-a', epoch: g1.epoch } }),
    ).rejects.toMatchObject({ sqlstate: SqlState.staleLeader });
    const s = await cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [], fencing: { lease: LEASE, holder: 'node-a', epoch: g2.epoch } });
    expect(s.snapshotId).toBe(1);
    await cat.close();
  });

  it('onPublish tells this process about its own publications, not about rejected ones', async () => {
    const { catalog: cat } = await make();
    const seen: number[] = [];
    const off = cat.onPublish((id) => seen.push(id));
    const s1 = await cat.publish({ parentSnapshotId: null, watermark: 1, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    await expect(cat.publish({ parentSnapshotId: null, watermark: 2, addedFiles: [], removedFileIds: [], tableWatermarks: [] })).rejects.toThrow(/rejected/);
    await sleep(100);
    // A backend that also delivers notifications across processes may echo our own: at least once.
    expect(new Set(seen)).toEqual(new Set([s1.snapshotId]));
    off();
    await cat.publish({ parentSnapshotId: s1.snapshotId, watermark: 2, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    await sleep(100);
    expect(new Set(seen)).toEqual(new Set([s1.snapshotId]));
    await cat.close();
  });

  it('schema registry: records versions once, follows the newest, and resolves tables as of each snapshot', async () => {
    const { catalog: cat } = await make();
    const v1cols = [{ ...col, id: 1 }];
    const id = await cat.reserveTable({ tenant: 'acme', schema: 'public', name: 't', columns: v1cols, primaryKey: [] });
    await cat.markTableCreated(id, 2);
    expect((await cat.tableVersions(id)).map((v) => [v.version, v.seq, v.name, v.change])).toEqual([[1, 2, 't', 'create table']]);
    const v2cols = [...v1cols, { name: 'y', type: 'VARCHAR', notNull: false, defaultValue: 'a', id: 2, missingValue: 'a' }];
    const v2 = { tableId: id, version: 2, schema: 'public', name: 't', columns: v2cols, primaryKey: [], seq: 5, change: 'add column y' };
    expect((await cat.recordTableVersion(v2)).seq).toBe(5);
    expect((await cat.recordTableVersion(v2)).seq).toBe(5); // idempotent
    // Another entry claiming the same version loses: the stored one comes back unchanged.
    const lost = await cat.recordTableVersion({ ...v2, seq: 6, columns: v1cols, change: 'other' });
    expect([lost.seq, lost.change]).toEqual([5, 'add column y']);
    await cat.recordTableVersion({ tableId: id, version: 3, schema: 'public', name: 'renamed', columns: v2cols, primaryKey: [], seq: 8, change: 'rename table' });
    const live = (await cat.liveTables('acme'))[0]!;
    expect([live.name, live.schemaVersion, live.columns.length, live.compatibility]).toEqual(['renamed', 3, 2, 'backward']);
    // Replaying an older version does not move the live definition back.
    await cat.recordTableVersion(v2);
    expect((await cat.getTable(id))!.schemaVersion).toBe(3);
    await cat.setTableCompatibility(id, 'full');
    expect((await cat.getTable(id))!.compatibility).toBe('full');

    const s1 = await cat.publish({ parentSnapshotId: null, watermark: 4, addedFiles: [{ ...file(id, 'v1.parquet', 3, 3), schemaVersion: 1 }], removedFileIds: [], tableWatermarks: [{ tableId: id, seq: 3 }] });
    const s2 = await cat.publish({ parentSnapshotId: s1.snapshotId, watermark: 7, addedFiles: [{ ...file(id, 'v2.parquet', 6, 7), schemaVersion: 2, mutations: true }], removedFileIds: [], tableWatermarks: [{ tableId: id, seq: 7 }], busHead: 9 });
    const s3 = await cat.publish({ parentSnapshotId: s2.snapshotId, watermark: 9, addedFiles: [], removedFileIds: [], tableWatermarks: [] });
    const c1 = await cat.snapshotContents('acme', s1.snapshotId);
    expect(c1.tables.map((t) => [t.name, t.schemaVersion, t.columns.length])).toEqual([['t', 1, 1]]);
    expect(c1.versions!.get(id)!.map((v) => v.version)).toEqual([1]);
    const c2 = await cat.snapshotContents('acme', s2.snapshotId);
    expect(c2.tables.map((t) => [t.name, t.schemaVersion, t.columns.length])).toEqual([['t', 2, 2]]);
    expect(c2.files.get(id)!.map((f) => [f.path, f.schemaVersion, f.mutations])).toEqual([
      ['v1.parquet', 1, false],
      ['v2.parquet', 2, true],
    ]);
    expect(c2.tableWatermarks!.get(id)).toBe(7);
    const c3 = await cat.snapshotContents('acme', s3.snapshotId);
    expect(c3.tables.map((t) => [t.name, t.schemaVersion])).toEqual([['renamed', 3]]);
    expect(c3.tableWatermarks!.get(id)).toBe(7);
    expect(c3.recentSnapshots!.map((s) => [s.snapshotId, s.busHead])).toEqual([
      [s3.snapshotId, null],
      [s2.snapshotId, 9],
      [s1.snapshotId, null],
    ]);
    await cat.close();
  });

  it('metadata objects: an event log resolved per watermark, idempotent per entry', async () => {
    const { catalog: cat } = await make();
    const view = (sql: string) => ({ key: 'view:public.v', kind: 'view' as const, dropped: false, body: { sql } });
    await cat.recordObjects('acme', 3, [view('SELECT 1'), { key: 'comment:table:1', kind: 'comment', dropped: false, body: { text: 'hello' } }]);
    await cat.recordObjects('acme', 3, [view('SELECT 999')]); // replay of the same entry: ignored
    await cat.recordObjects('acme', 6, [view('SELECT 2')]);
    await cat.recordObjects('acme', 9, [{ key: 'view:public.v', kind: 'view', dropped: true, body: {} }]);
    await cat.recordObjects('other', 4, [view('SELECT 4')]);
    const at = async (w: number | null) => (await cat.objectsAt('acme', w)).map((o) => [o.key, o.body['sql'] ?? o.body['text'], o.seq]);
    expect(await at(2)).toEqual([]);
    expect(await at(3)).toEqual([
      ['view:public.v', 'SELECT 1', 3],
      ['comment:table:1', 'hello', 3],
    ]);
    expect(await at(7)).toEqual([
      ['comment:table:1', 'hello', 3],
      ['view:public.v', 'SELECT 2', 6],
    ]);
    expect(await at(null)).toEqual([['comment:table:1', 'hello', 3]]);
    expect((await cat.objectsAt('other', null)).length).toBe(1);
    await cat.close();
  });

  it('idempotency keys: one reservation wins, the first receipt sticks, stale reservations can be taken over', async () => {
    const { catalog: a, second } = await make();
    const b = await second();
    const r = { tenant: 'acme', key: 'k1', fingerprint: 'fp', now: 1000 };
    const results = await Promise.all([a.reserveIdempotencyKey({ ...r, owner: 'A' }), b.reserveIdempotencyKey({ ...r, owner: 'B' })]);
    expect(results.filter((x) => x === null).length).toBe(1);
    const winner = results[0] === null ? 'A' : 'B';
    const existing = results.find((x) => x !== null)!;
    expect(existing).toMatchObject({ owner: winner, fingerprint: 'fp', firstSeq: null, reservedAt: 1000 });
    // Only the holder of exactly that reservation can hand it over.
    expect(await a.takeOverIdempotencyKey('acme', 'k1', 'nobody', 1000, 'C', 2000)).toBe(false);
    expect(await a.takeOverIdempotencyKey('acme', 'k1', winner, 1000, 'C', 2000)).toBe(true);
    expect((await b.getIdempotencyKey('acme', 'k1'))!.owner).toBe('C');
    const claimed = await a.claimIdempotencyReceipt({ ...r, firstSeq: 10, lastSeq: 12, rows: 3 });
    expect([claimed.firstSeq, claimed.lastSeq, claimed.rows]).toEqual([10, 12, 3]);
    const again = await b.claimIdempotencyReceipt({ ...r, firstSeq: 20, lastSeq: 20, rows: 3 });
    expect([again.firstSeq, again.lastSeq]).toEqual([10, 12]);
    expect(await a.takeOverIdempotencyKey('acme', 'k1', 'C', 2000, 'D', 3000)).toBe(false); // has a receipt
    await a.releaseIdempotencyKey('acme', 'k1', 'C'); // has a receipt: kept
    expect((await a.getIdempotencyKey('acme', 'k1'))!.firstSeq).toBe(10);
    // A claim without a reservation (recovery by the commit worker) creates the record.
    const fresh = await a.claimIdempotencyReceipt({ tenant: 'acme', key: 'k2', fingerprint: 'fp2', firstSeq: 30, lastSeq: 30, rows: 1, now: 5000 });
    expect(fresh).toMatchObject({ key: 'k2', firstSeq: 30 });
    // Released reservations disappear; pruning removes old keys only.
    expect(await a.reserveIdempotencyKey({ tenant: 'acme', key: 'k3', fingerprint: 'x', owner: 'E', now: 9000 })).toBeNull();
    await a.releaseIdempotencyKey('acme', 'k3', 'E');
    expect(await a.getIdempotencyKey('acme', 'k3')).toBeNull();
    expect(await a.getIdempotencyKey('other', 'k1')).toBeNull();
    expect(await a.pruneIdempotencyKeys(4000)).toBe(1);
    expect(await a.getIdempotencyKey('acme', 'k1')).toBeNull();
    expect(await a.getIdempotencyKey('acme', 'k2')).not.toBeNull();
    await b.close();
    await a.close();
  });

  it('tenant settings, write failures, snapshot listing and expiry', async () => {
    const { catalog: cat } = await make();
    expect(await cat.tenantSettings('acme')).toEqual({});
    await cat.setTenantSetting('acme', 'require_idempotency_key', 'on');
    await cat.setTenantSetting('acme', 'require_idempotency_key', 'off');
    await cat.setTenantSetting('acme', 'other', 'x');
    expect(await cat.tenantSettings('acme')).toEqual({ require_idempotency_key: 'off', other: 'x' });
    await cat.setTenantSetting('acme', 'other', null);
    expect(await cat.tenantSettings('acme')).toEqual({ require_idempotency_key: 'off' });
    expect(await cat.tenantSettings('beta')).toEqual({});

    const fail = { tenant: 'acme', firstSeq: 3, lastSeq: 4, sqlstate: '22003', message: 'integer out of range', recordedAt: 1 };
    await cat.recordWriteFailure(fail);
    await cat.recordWriteFailure({ ...fail, message: 'replayed' });
    let parent: number | null = null;
    for (let w = 1; w <= 5; w++) {
      parent = (await cat.publish({ parentSnapshotId: parent, watermark: w, addedFiles: [], removedFileIds: [], tableWatermarks: [] })).snapshotId;
    }
    expect((await cat.snapshotContents('acme', 3)).writeFailures).toEqual([]);
    expect((await cat.snapshotContents('acme', 4)).writeFailures).toEqual([fail]);
    expect((await cat.listSnapshots(4, 2)).map((s) => [s.snapshotId, s.watermark, s.expiredAt])).toEqual([
      [4, 4, null],
      [3, 3, null],
    ]);
    expect(await cat.expireSnapshots(3)).toBe(2);
    expect(await cat.expireSnapshots(3)).toBe(0);
    const err = await cat.snapshotContents('acme', 2).catch((e: unknown) => e);
    expect(err).toMatchObject({ sqlstate: SqlState.snapshotUnavailable });
    expect((err as Error).message).toMatch(/snapshot 2 has expired.*oldest available snapshot is 3/);
    expect((await cat.getSnapshot(2))!.snapshotId).toBe(2);
    expect((await cat.listSnapshots(5, 10)).filter((s) => s.expiredAt !== null).map((s) => s.snapshotId)).toEqual([2, 1]);
    await cat.close();
  });
}
