import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';
import { checkFiles } from '../../src/storage/integrity.js';

let srv: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  srv = await startServer();
});
afterAll(async () => {
  await srv.stop();
});

describe('16 concurrent writers × 1,000 INSERTs', () => {
  it('makes every acknowledged row visible exactly once, with totally ordered tokens and monotonic snapshots', async () => {
    const WRITERS = 16;
    const PER_WRITER = 1000;
    const setup = await connect(srv.port);
    await setup.query('CREATE TABLE ev (writer INTEGER, n INTEGER, payload TEXT)');

    const tokens: string[] = [];
    let stop = false;
    const observedSnapshots: number[] = [];
    const observedCounts: number[] = [];
    const reader = (async () => {
      const r = await connect(srv.port);
      await r.query('SET duckmesh.read_your_writes = off');
      while (!stop) {
        const res = await r.query('SELECT count(*)::INTEGER AS n FROM ev');
        observedCounts.push(res.rows[0].n);
        observedSnapshots.push(Number((await r.query('SHOW duckmesh.last_snapshot_id')).rows[0]['duckmesh.last_snapshot_id']));
      }
      await r.end();
    })();

    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        const c = await connect(srv.port);
        const mine: string[] = [];
        for (let i = 0; i < PER_WRITER; i++) {
          await c.query(`INSERT INTO ev VALUES (${w}, ${i}, 'row-${w}-${i}')`);
          mine.push((await c.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token']);
        }
        // A session's own tokens strictly increase.
        for (let i = 1; i < mine.length; i++) expect(mine[i]! > mine[i - 1]!).toBe(true);
        tokens.push(...mine);
        await c.end();
      }),
    );

    const last = tokens.reduce((a, b) => (a > b ? a : b));
    await setup.query(`SET duckmesh.min_visibility_token = '${last}'`);
    const all = await setup.query('SELECT writer, n, count(*)::INTEGER AS c FROM ev GROUP BY writer, n');
    stop = true;
    await reader;

    expect(all.rows.length).toBe(WRITERS * PER_WRITER);
    expect(all.rows.every((r) => r.c === 1)).toBe(true);
    // Tokens are distinct and totally ordered (string order = sequence order).
    expect(new Set(tokens).size).toBe(WRITERS * PER_WRITER);
    const sorted = [...tokens].sort();
    expect(sorted.map((t) => parseInt(t.slice(4), 16))).toEqual([...sorted.map((t) => parseInt(t.slice(4), 16))].sort((a, b) => a - b));
    // A reader never goes back in time.
    for (let i = 1; i < observedSnapshots.length; i++) {
      expect(observedSnapshots[i]!).toBeGreaterThanOrEqual(observedSnapshots[i - 1]!);
      expect(observedCounts[i]!).toBeGreaterThanOrEqual(observedCounts[i - 1]!);
    }
    expect(observedSnapshots.length).toBeGreaterThan(1);
    // Snapshot ids strictly increase with non-decreasing watermarks.
    const node = srv.server.node;
    let prev = 0;
    let prevW = 0;
    const latest = (await node.catalog.latestSnapshot())!;
    for (let id = 1; id <= latest.snapshotId; id++) {
      const s = await node.catalog.getSnapshot(id);
      expect(s).not.toBeNull();
      expect(s!.snapshotId).toBeGreaterThan(prev);
      expect(s!.watermark).toBeGreaterThanOrEqual(prevW);
      prev = s!.snapshotId;
      prevW = s!.watermark;
    }
    expect(await checkFiles(node.catalog, node.layout, { deep: true })).toEqual([]);
    await setup.end();
  });
});
