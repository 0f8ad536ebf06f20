import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import { fencedCatalog } from '../../src/catalog/fenced-catalog.js';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import type { Catalog, LeaseGrant } from '../../src/catalog/types.js';
import { SqlState } from '../../src/common/errors.js';
import { followLeadership, LeaderLease, type LeaseState } from '../../src/workers/lease.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

const empty = { addedFiles: [], removedFileIds: [], tableWatermarks: [] };

/** A catalog whose lease calls can be made to fail or hang, as a network partition would. */
class Partitionable {
  mode: 'up' | 'fail' | 'hang' = 'up';
  constructor(private readonly inner: Catalog) {}
  acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    if (this.mode === 'fail') return Promise.reject(new Error('catalog unreachable'));
    if (this.mode === 'hang') return new Promise(() => undefined);
    return this.inner.acquireLease(name, holder, ttlMs);
  }
  releaseLease(name: string, holder: string): Promise<void> {
    if (this.mode !== 'up') return Promise.reject(new Error('catalog unreachable'));
    return this.inner.releaseLease(name, holder);
  }
}

interface Backend {
  /** Two instances on the same fresh storage, as two processes would have. */
  pair: () => Promise<[Catalog, Catalog]>;
}

function leaseSuite(backend: Backend): void {
  it('a lone lease becomes leader at epoch 1 and reports it once', async () => {
    const [cat, other] = await backend.pair();
    const lease = new LeaderLease(cat, { holder: 'a', ttlMs: 600 });
    const events: LeaseState[] = [];
    lease.onChange((s) => events.push(s));
    expect(lease.isLeader).toBe(false);
    expect(lease.fence()).toBeNull();
    await lease.start();
    expect(lease.isLeader).toBe(true);
    expect(lease.epoch).toBe(1);
    expect(lease.fence()).toEqual({ lease: 'commit-worker', holder: 'a', epoch: 1 });
    // Renewals over several ttl periods keep it, with no further events.
    await sleep(1500);
    expect(lease.isLeader).toBe(true);
    expect(lease.epoch).toBe(1);
    expect(events).toEqual([{ isLeader: true, epoch: 1 }]);
    await lease.stop();
    expect(events).toEqual([
      { isLeader: true, epoch: 1 },
      { isLeader: false, epoch: null },
    ]);
    await Promise.all([cat.close(), other.close()]);
  });

  it('two processes: one leader; stop() releases and the other takes over at once with a higher epoch', async () => {
    const [ca, cb] = await backend.pair();
    const a = new LeaderLease(ca, { holder: 'a', ttlMs: 60_000, renewEveryMs: 50 });
    const b = new LeaderLease(cb, { holder: 'b', ttlMs: 60_000, renewEveryMs: 50 });
    const bEvents: LeaseState[] = [];
    b.onChange((s) => bEvents.push(s));
    await a.start();
    await b.start();
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    await sleep(200);
    expect(b.isLeader).toBe(false);
    await a.stop();
    // Well before the 60 s ttl: the release freed it.
    await until(() => b.isLeader, 2000);
    expect(b.epoch).toBe(2);
    expect(bEvents).toEqual([{ isLeader: true, epoch: 2 }]);
    await b.stop();
    await Promise.all([ca.close(), cb.close()]);
  });

  it('a partitioned leader lapses by itself; the other takes over after expiry and the old fence is rejected', async () => {
    const [ca, cb] = await backend.pair();
    const flaky = new Partitionable(ca);
    const a = new LeaderLease(flaky, { holder: 'a', ttlMs: 500 });
    const b = new LeaderLease(cb, { holder: 'b', ttlMs: 500 });
    const aEvents: LeaseState[] = [];
    a.onChange((s) => aEvents.push(s));
    await a.start();
    await b.start();
    expect(a.isLeader).toBe(true);
    const oldFence = a.fence()!;
    const s1 = await ca.publish({ parentSnapshotId: null, watermark: 1, ...empty, fencing: oldFence });

    flaky.mode = 'fail';
    const lostAt = Date.now();
    await until(() => !a.isLeader, 2500);
    // It gives up within the grant's ttl (500 ms) after its last successful renewal; the bound
    // leaves room for a loaded CI machine's timer delays (safety itself rests on fencing, below).
    expect(Date.now() - lostAt).toBeLessThanOrEqual(1500);
    await until(() => b.isLeader, 2000);
    expect(b.epoch!).toBeGreaterThan(oldFence.epoch);
    expect(aEvents.at(-1)).toEqual({ isLeader: false, epoch: null });

    // The old leader's publication with its old epoch writes nothing.
    await expect(ca.publish({ parentSnapshotId: s1.snapshotId, watermark: 2, ...empty, fencing: oldFence })).rejects.toMatchObject({
      sqlstate: SqlState.staleLeader,
    });
    expect((await cb.latestSnapshot())!.snapshotId).toBe(s1.snapshotId);
    await cb.publish({ parentSnapshotId: s1.snapshotId, watermark: 2, ...empty, fencing: b.fence()! });

    // Healed, the old leader stays a follower while the new one renews.
    flaky.mode = 'up';
    await sleep(600);
    expect(a.isLeader).toBe(false);
    expect(b.isLeader).toBe(true);
    await a.stop();
    await b.stop();
    await Promise.all([ca.close(), cb.close()]);
  });

  it('a renewal that hangs does not keep a leader alive past its ttl', async () => {
    const [ca, cb] = await backend.pair();
    const flaky = new Partitionable(ca);
    const a = new LeaderLease(flaky, { holder: 'a', ttlMs: 300 });
    await a.start();
    expect(a.isLeader).toBe(true);
    flaky.mode = 'hang';
    await until(() => !a.isLeader, 1000);
    flaky.mode = 'up';
    // The loop is not stuck behind the hung call: it re-takes the (expired) lease.
    await until(() => a.isLeader, 2000);
    expect(a.epoch).toBe(2);
    await a.stop();
    await Promise.all([ca.close(), cb.close()]);
  });

  it('fencedCatalog publishes with the current fence and refuses when not leader', async () => {
    const [ca, cb] = await backend.pair();
    const a = new LeaderLease(ca, { holder: 'a', ttlMs: 60_000 });
    const b = new LeaderLease(cb, { holder: 'b', ttlMs: 60_000 });
    await a.start();
    await b.start();
    const fa = fencedCatalog(ca, () => a.fence());
    const fb = fencedCatalog(cb, () => b.fence());
    expect(fa.backend).toBe(ca.backend);
    const s1 = await fa.publish({ parentSnapshotId: null, watermark: 1, ...empty });
    await expect(fb.publish({ parentSnapshotId: s1.snapshotId, watermark: 2, ...empty })).rejects.toMatchObject({
      sqlstate: SqlState.staleLeader,
    });
    // A fence that looks current locally but is not in the catalog is still rejected there.
    await expect(
      fencedCatalog(cb, () => ({ lease: 'commit-worker', holder: 'b', epoch: 1 })).publish({ parentSnapshotId: s1.snapshotId, watermark: 2, ...empty }),
    ).rejects.toMatchObject({ sqlstate: SqlState.staleLeader });
    expect((await fb.latestSnapshot())!.snapshotId).toBe(s1.snapshotId);
    await fa.close(); // does not close the shared catalog
    await ca.ping();
    await a.stop();
    await b.stop();
    await Promise.all([ca.close(), cb.close()]);
  });
}

describe('LeaderLease on the embedded (SQLite) catalog', () => {
  leaseSuite({
    pair: async () => {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'dm-lease-')), 'catalog.db');
      return [new SqliteCatalog(file), new SqliteCatalog(file)];
    },
  });
});

const pgAvailable = await postgresAvailable();
const schemas: string[] = [];
afterAll(async () => {
  if (pgAvailable.ok) await dropPgSchemas(schemas);
});

describeService('LeaderLease on the Postgres catalog', pgAvailable, () => {
  leaseSuite({
    pair: async () => {
      const schema = freshPgSchema('dmlease');
      schemas.push(schema);
      const open = () => PgCatalog.open({ connectionString: PG_URL, schema, maxConnections: 3 });
      const a = await open();
      return [a, await open()];
    },
  });
});

describe('followLeadership', () => {
  function fakeLease() {
    let cb: ((s: LeaseState) => void) | null = null;
    const state = { isLeader: false };
    const lease = {
      get isLeader() {
        return state.isLeader;
      },
      onChange(f: (s: LeaseState) => void) {
        cb = f;
        return () => {
          cb = null;
        };
      },
    } as unknown as LeaderLease;
    const emit = (isLeader: boolean, epoch: number | null = isLeader ? 1 : null) => {
      state.isLeader = isLeader;
      cb?.({ isLeader, epoch });
    };
    return { lease, emit, subscribed: () => cb !== null };
  }

  it('starts and stops the task with leadership, never overlapping a stop with the next start', async () => {
    const { lease, emit, subscribed } = fakeLease();
    const log: string[] = [];
    let active = 0;
    const task = {
      start() {
        active++;
        log.push(`start(${active})`);
      },
      async stop() {
        log.push('stopping');
        await sleep(50);
        active--;
        log.push(`stopped(${active})`);
      },
    };
    const unfollow = followLeadership(lease, task);
    emit(true);
    emit(false);
    emit(true); // arrives while the stop is still running
    emit(true, 2); // epoch change while leader: no restart
    await sleep(120);
    expect(log).toEqual(['start(1)', 'stopping', 'stopped(0)', 'start(1)']);
    await unfollow();
    expect(log.at(-1)).toBe('stopped(0)');
    expect(subscribed()).toBe(false);
  });

  it('starts at once if already leader, and reports task errors without wedging', async () => {
    const { lease, emit } = fakeLease();
    emit(true);
    const errors: unknown[] = [];
    let starts = 0;
    const unfollow = followLeadership(
      lease,
      {
        start() {
          starts++;
          if (starts === 1) throw new Error('boom');
        },
        async stop() {},
      },
      (e) => errors.push(e),
    );
    await sleep(10);
    expect(errors.length).toBe(1);
    emit(false);
    emit(true);
    await sleep(10);
    expect(starts).toBe(2);
    await unfollow();
  });
});
