import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { runBackup, type BackupManifest } from '../../src/ops/backup.js';
import { runCheck } from '../../src/ops/check.js';
import { OpsError } from '../../src/ops/data-dir.js';
import { runRestore } from '../../src/ops/restore.js';
import { decodeToken } from '../../src/visibility/token.js';
import { connect, startServer, tempDataDir } from '../helpers/server.js';
import { insertBatches, lastSnapshot, rowsAt } from './helpers.js';

const DAY = 86_400_000;
const embedded = (dataDir: string) => ({ dataDir, catalog: 'embedded', bus: 'embedded', nodeId: 'backup-test' });
const ALL = 'SELECT id, batch, payload FROM t ORDER BY id';

interface Ack {
  ids: number[];
  seq: number;
}

/** A writer inserting until stopped; records each acknowledged statement's ids and bus position. */
function writer(c: pg.Client, firstId: number, acks: Ack[], state: { stop: boolean }): Promise<void> {
  return (async () => {
    let id = firstId;
    let b = 0;
    while (!state.stop) {
      const rows = 1 + (b % 7) * 3;
      const ids: number[] = [];
      const values: string[] = [];
      for (let r = 0; r < rows; r++, id++) {
        ids.push(id);
        values.push(`(${id}, ${b}, 'w${firstId} ${id}')`);
      }
      await c.query(`INSERT INTO t (id, batch, payload) VALUES ${values.join(', ')}`);
      const token = (await c.query('SHOW duckmesh.last_visibility_token')).rows[0] as Record<string, string>;
      acks.push({ ids, seq: decodeToken(Object.values(token)[0]!) });
      b++;
    }
  })();
}

describe('backup and restore', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('backup DURING ingest → restore into a new directory → check clean → every snapshot returns identical results, nothing acknowledged before the backup is lost', async () => {
    const src = tempDataDir('dm-ops-bk-src-');
    const bk = path.join(tempDataDir('dm-ops-bk-'), 'backup');
    const dst = path.join(tempDataDir('dm-ops-bk-dst-'), 'data');
    dirs.push(src, path.dirname(bk), path.dirname(dst));

    const source = await startServer({ dataDir: src });
    const snapshots: number[] = [];
    const acks: Ack[] = [];
    let manifest: BackupManifest;
    let ackedBeforeBackup: Set<number>;
    const c = await connect(source.port);
    try {
      await c.query('CREATE TABLE t (id INTEGER, batch INTEGER, payload TEXT)');
      // Some history: several snapshots to time travel to.
      let next = 1;
      for (let i = 0; i < 4; i++) {
        next = await insertBatches(c, 't', 1, 25, next);
        await c.query('SELECT count(*) FROM t');
        snapshots.push(await lastSnapshot(c));
      }
      const state = { stop: false };
      const clients = await Promise.all([connect(source.port), connect(source.port), connect(source.port)]);
      const writers = clients.map((w, i) => writer(w, 100_000 * (i + 1), acks, state));
      try {
        await new Promise((r) => setTimeout(r, 800));
        ackedBeforeBackup = new Set(acks.flatMap((a) => a.ids));
        manifest = await runBackup(embedded(src), bk);
        // Writers keep going after the backup's instant.
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        state.stop = true;
        await Promise.all(writers);
        await Promise.all(clients.map((w) => w.end()));
      }
      await c.query('SELECT count(*) FROM t');
      expect(acks.length).toBeGreaterThan(20);
      expect(acks.some((a) => a.seq > manifest.bus_head)).toBe(true);
      expect(acks.some((a) => a.seq <= manifest.bus_head && a.seq > manifest.watermark) || manifest.bus_head === manifest.watermark).toBe(true);

      // The backup is complete and self-describing.
      expect(manifest.pause_ms).toBeLessThan(1000);
      expect(manifest.watermark).toBeLessThanOrEqual(manifest.bus_head);
      expect(manifest.snapshot_id).toBeGreaterThanOrEqual(snapshots[3]!);
      const onDisk = JSON.parse(readFileSync(path.join(bk, 'manifest.json'), 'utf8')) as BackupManifest;
      expect(onDisk).toEqual(manifest);
      for (const f of manifest.files) expect(existsSync(path.join(bk, f.path))).toBe(true);

      // ---- restore
      const restored = await runRestore(bk, dst);
      expect(restored.manifest.snapshot_id).toBe(manifest.snapshot_id);
      const check = await runCheck(embedded(dst), { safetyMs: DAY });
      expect(check.problems).toEqual([]);
      expect(check.ok).toBe(true);
      expect(check.snapshot_id).toBe(manifest.snapshot_id);
      expect(check.bus_head).toBe(manifest.bus_head);

      const target = await startServer({ dataDir: dst });
      const r = await connect(target.port);
      try {
        // Every snapshot of the backup, old and newest, answers exactly as on the source.
        const compare = [...snapshots, manifest.snapshot_id!];
        for (let id = snapshots[3]! + 1; id < manifest.snapshot_id!; id += Math.max(1, Math.floor((manifest.snapshot_id! - snapshots[3]!) / 4))) compare.push(id);
        for (const id of compare) {
          const want = await rowsAt(c, id, ALL);
          expect(await rowsAt(r, id, ALL), `snapshot ${id}`).toEqual(want);
        }
        expect((await rowsAt(r, snapshots[0]!, 'SELECT count(*)::int AS n FROM t'))[0]).toEqual({ n: 25 });

        // The restored node applies the bus entries above the backup's watermark: afterwards it
        // holds exactly the writes acknowledged up to the backup's bus head — all of those
        // acknowledged before the backup began, none twice, none from after its instant.
        const deadline = Date.now() + 30_000;
        while ((await target.server.node.catalog.latestSnapshot())!.watermark < manifest.bus_head) {
          if (Date.now() > deadline) throw new Error('restored node did not catch up');
          await new Promise((res) => setTimeout(res, 50));
        }
        const got = ((await r.query('SELECT id FROM t ORDER BY id')).rows as { id: number }[]).map((x) => x.id);
        const expected = new Set<number>(Array.from({ length: 100 }, (_, i) => i + 1));
        for (const a of acks) if (a.seq <= manifest.bus_head) for (const id of a.ids) expected.add(id);
        expect(got.length).toBe(new Set(got).size);
        expect(got).toEqual([...expected].sort((x, y) => x - y));
        for (const id of ackedBeforeBackup) expect(expected.has(id)).toBe(true);
        // New writes on the restored node continue the sequence (no reuse of positions).
        await r.query("INSERT INTO t VALUES (-1, -1, 'after restore')");
        expect((await r.query('SELECT count(*)::int AS n FROM t WHERE id = -1')).rows[0].n).toBe(1);
        const token = (await r.query('SHOW duckmesh.last_visibility_token')).rows[0] as Record<string, string>;
        expect(decodeToken(Object.values(token)[0]!)).toBe(manifest.bus_head + 1);
      } finally {
        await r.end();
        await target.stop({ keepData: true });
      }
    } finally {
      await c.end();
      await source.stop({ keepData: true });
    }
  });

  it('restores only into an empty directory, and refuses a damaged backup', async () => {
    const src = tempDataDir('dm-ops-bk-src-');
    const root = tempDataDir('dm-ops-bk-');
    dirs.push(src, root);
    const s = await startServer({ dataDir: src });
    const c = await connect(s.port);
    await c.query('CREATE TABLE t (id INTEGER, batch INTEGER, payload TEXT)');
    await insertBatches(c, 't', 3, 10, 1, { visibleEach: true });
    await c.end();
    await s.stop({ keepData: true });

    const bk = path.join(root, 'bk');
    const m = await runBackup(embedded(src), bk, { link: true });
    expect(m.totals.rows).toBe(30);
    // Not into a directory with something in it, and not over a backup.
    const busy = path.join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(path.join(busy, 'x'), 'x');
    await expect(runRestore(bk, busy)).rejects.toThrow(/is not empty/);
    await expect(runRestore(bk, src)).rejects.toThrow(OpsError);
    await expect(runBackup(embedded(src), bk)).rejects.toThrow(/is not empty/);

    // A damaged backup is refused before anything is written.
    const victim = path.join(bk, m.files[0]!.path);
    const bytes = readFileSync(victim);
    bytes[10] = bytes[10]! ^ 0x55;
    rmSync(victim);
    writeFileSync(victim, bytes);
    const dst = path.join(root, 'dst');
    await expect(runRestore(bk, dst)).rejects.toThrow(/damaged[\s\S]*CRC-32/);
    expect(existsSync(dst)).toBe(false);
    await expect(runRestore(path.join(root, 'nope'), dst)).rejects.toThrow(/no manifest\.json/);
  });
});
