import { describe, expect, it } from 'vitest';
import { decodeToken, encodeToken } from '../../src/visibility/token.js';
import { VisibilityTracker } from '../../src/visibility/tracker.js';
import { RwGate } from '../../src/ingest/rw-gate.js';

describe('visibility tokens', () => {
  it('round-trip and order as strings like their sequences', () => {
    const seqs = [1, 9, 10, 255, 256, 4096, 2 ** 40, 2 ** 52];
    const tokens = seqs.map(encodeToken);
    expect(tokens.map(decodeToken)).toEqual(seqs);
    expect([...tokens].sort()).toEqual(tokens);
  });
  it('reject malformed input with DM002', () => {
    for (const bad of ['', 'dm1.', 'dm1.xyz', 'dm2.0000000000000001', '12']) {
      expect(() => decodeToken(bad)).toThrowError(expect.objectContaining({ sqlstate: 'DM002' }));
    }
  });
});

describe('VisibilityTracker', () => {
  it('wakes waiters when a covering snapshot is published, and times out with DM001 otherwise', async () => {
    const t = new VisibilityTracker();
    t.publish({ snapshotId: 1, watermark: 0, committedAt: 0 });
    const w = t.waitFor(5, 5000);
    t.publish({ snapshotId: 2, watermark: 3, committedAt: 0 });
    t.publish({ snapshotId: 3, watermark: 6, committedAt: 0 });
    expect((await w).snapshotId).toBe(3);
    await expect(t.waitFor(100, 20)).rejects.toMatchObject({ sqlstate: 'DM001' });
    expect(t.latest()!.snapshotId).toBe(3);
    t.publish({ snapshotId: 2, watermark: 3, committedAt: 0 });
    expect(t.latest()!.snapshotId).toBe(3);
  });
});

describe('RwGate', () => {
  it('lets shared holders overlap and makes exclusive wait for them', async () => {
    const g = new RwGate();
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const s1 = g.withShared(async () => {
      order.push('s1 start');
      await held;
      order.push('s1 end');
    });
    const s2 = g.withShared(async () => order.push('s2'));
    const x = g.withExclusive(async () => order.push('x'));
    const s3 = g.withShared(async () => order.push('s3'));
    await s2;
    release();
    await Promise.all([s1, x, s3]);
    expect(order).toEqual(['s1 start', 's2', 's1 end', 'x', 's3']);
  });
});
