import Database from 'better-sqlite3';
import { mkdirSync, openSync, readSync, rmSync, truncateSync, unlinkSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCheck, type CheckReport } from '../../src/ops/check.js';
import { DataLayout } from '../../src/storage/layout.js';
import { withSchema } from '../helpers/cluster.js';
import { connect, startServer, tempDataDir } from '../helpers/server.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';
import { catalogFiles, insertBatches } from './helpers.js';

const DAY = 86_400_000;
const config = (dataDir: string) => ({ dataDir, catalog: 'embedded', bus: 'embedded', nodeId: 'check-test' });
const kinds = (r: CheckReport) => r.problems.map((p) => p.kind).sort();

/** A stopped data directory with table t: `batches` commits (one file each). */
async function seeded(batches: number): Promise<string> {
  const dataDir = tempDataDir('dm-ops-check-');
  const s = await startServer({ dataDir });
  const c = await connect(s.port);
  await c.query('CREATE TABLE t (id INTEGER, batch INTEGER, payload TEXT)');
  await insertBatches(c, 't', batches, 50, 1, { visibleEach: true });
  expect((await c.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(batches * 50);
  await c.end();
  await s.stop({ keepData: true });
  return dataDir;
}

describe('duckmesh check (in process)', { timeout: 180_000 }, () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a healthy data directory is ok — also while the server runs and writers keep writing', async () => {
    const dataDir = tempDataDir('dm-ops-check-');
    dirs.push(dataDir);
    const s = await startServer({ dataDir });
    try {
      const c = await connect(s.port);
      await c.query('CREATE TABLE t (id INTEGER, batch INTEGER, payload TEXT)');
      c.on('error', () => undefined);
      await insertBatches(c, 't', 5, 100, 1, { visibleEach: true });
      let writing = true;
      const writer = (async () => {
        let id = 10_000;
        const w = await connect(s.port);
        w.on('error', () => undefined);
        while (writing) id = await insertBatches(w, 't', 1, 20, id);
        await w.end();
      })();
      try {
        for (let i = 0; i < 3; i++) {
          const r = await runCheck(config(dataDir), { safetyMs: DAY });
          expect(r.problems).toEqual([]);
          expect(r.ok).toBe(true);
          const t = r.tables.find((x) => x.table === 't')!;
          expect(t).toMatchObject({ tenant: 'duckmesh', schema: 'public' });
          expect(t.rows).toBeGreaterThanOrEqual(500);
          expect(t.files).toBeGreaterThanOrEqual(5);
          expect(r.checked.files).toBeGreaterThanOrEqual(5);
          expect(r.bus_head).toBeGreaterThanOrEqual(r.watermark);
        }
      } finally {
        writing = false;
        await writer;
      }
      await c.end();
    } finally {
      await s.stop({ keepData: true });
    }
    const after = await runCheck(config(dataDir), { safetyMs: DAY });
    expect(after.ok).toBe(true);
    expect(after.pending).toEqual([]);
  });

  it('reports a truncated, a modified, a deleted file and a wrong row count, each with its kind and path', async () => {
    const dataDir = await seeded(5);
    dirs.push(dataDir);
    const layout = new DataLayout(dataDir);
    const files = catalogFiles(dataDir);
    expect(files.length).toBeGreaterThanOrEqual(4);
    const [truncated, flipped, deleted, miscounted] = files;
    truncateSync(layout.absolute(truncated!.path), truncated!.byte_size - 7);
    const fd = openSync(layout.absolute(flipped!.path), 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 100);
    writeSync(fd, Buffer.from([b[0]! ^ 0xff]), 0, 1, 100);
    closeSync(fd);
    unlinkSync(layout.absolute(deleted!.path));
    const db = new Database(layout.catalogFile);
    db.prepare('UPDATE files SET row_count = row_count + 1 WHERE file_id = ?').run(miscounted!.file_id);
    db.close();

    const r = await runCheck(config(dataDir), { safetyMs: DAY });
    expect(r.ok).toBe(false);
    expect(kinds(r)).toEqual(['checksum_mismatch', 'missing_file', 'row_count_mismatch', 'size_mismatch']);
    const byKind = new Map(r.problems.map((p) => [p.kind, p]));
    expect(byKind.get('size_mismatch')!.path).toBe(truncated!.path);
    expect(byKind.get('checksum_mismatch')!.path).toBe(flipped!.path);
    expect(byKind.get('missing_file')!.path).toBe(deleted!.path);
    expect(byKind.get('row_count_mismatch')!.path).toBe(miscounted!.path);
    expect(byKind.get('row_count_mismatch')!.detail).toMatch(/catalog says 51 rows, the Parquet footer says 50/);

    // --quick checks existence and size only.
    const quick = await runCheck(config(dataDir), { safetyMs: DAY, deep: false });
    expect(kinds(quick)).toEqual(['missing_file', 'size_mismatch']);
  });

  it('lists orphans and .tmp leftovers; --repair deletes only those past the safety window; young ones are pending', async () => {
    const dataDir = await seeded(2);
    dirs.push(dataDir);
    const layout = new DataLayout(dataDir);
    const tableDir = path.dirname(layout.absolute(catalogFiles(dataDir)[0]!.path));
    const twoHoursAgo = Date.now() / 1000 - 7200;
    const put = (rel: string, old: boolean) => {
      const abs = path.join(tableDir, rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, 'not parquet');
      if (old) utimesSync(abs, twoHoursAgo, twoHoursAgo);
      return path.relative(dataDir, abs);
    };
    const orphan = put('stray.parquet', true);
    const tmp = put('1-2-abc-def.parquet.tmp', true);
    const young = put('young.parquet', false);
    const gone = path.join('tenants', 'other', 'tables', '9', 'x.parquet');
    mkdirSync(path.dirname(layout.absolute(gone)), { recursive: true });
    writeFileSync(layout.absolute(gone), 'x');
    utimesSync(layout.absolute(gone), twoHoursAgo, twoHoursAgo);

    const r = await runCheck(config(dataDir), { safetyMs: DAY });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => [p.kind, p.path]).sort()).toEqual(
      [
        ['orphan_file', orphan],
        ['orphan_file', gone],
        ['temp_file', tmp],
      ].sort(),
    );
    expect(r.pending.map((p) => p.path)).toEqual([young]);

    // --repair with the default (24 h) window keeps 2-hour-old orphans.
    const kept = await runCheck(config(dataDir), { safetyMs: DAY, repair: true });
    expect(kept.repaired).toEqual([]);
    expect(kept.problems).toHaveLength(3);

    // With a (forced) 1-hour window they go; the young one and every data file stay.
    const repaired = await runCheck(config(dataDir), { safetyMs: 3_600_000, repair: true });
    expect(repaired.repaired.map((x) => x.path).sort()).toEqual([orphan, gone, tmp].sort());
    expect(repaired.ok).toBe(true);
    const again = await runCheck(config(dataDir), { safetyMs: DAY });
    expect(again.ok).toBe(true);
    expect(again.pending.map((p) => p.path)).toEqual([young]);
    expect(again.checked.files).toBe(2);
  });

  it('reports bus entries missing above the watermark and a catalog ahead of the bus', async () => {
    const dataDir = await seeded(2);
    dirs.push(dataDir);
    const layout = new DataLayout(dataDir);
    const db = new Database(layout.busFile);
    const head = (db.prepare('SELECT max(seq) AS m FROM bus_entries').get() as { m: number }).m;
    // Two acknowledged entries the worker has not applied, then lose the first of them.
    db.prepare("INSERT INTO bus_entries (seq, tenant, kind, payload, appended_at) VALUES (?, 'duckmesh', 'rows', '{}', 0), (?, 'duckmesh', 'rows', '{}', 0)").run(head + 1, head + 2);
    db.prepare("UPDATE bus_meta SET value = ? WHERE key = 'head'").run(head + 2);
    db.prepare('DELETE FROM bus_entries WHERE seq = ?').run(head + 1);
    db.close();
    const r = await runCheck(config(dataDir), { safetyMs: DAY });
    expect(kinds(r)).toEqual(['bus_missing_entries']);

    // A bus that lost its tail entirely (head below the catalog's watermark).
    const db2 = new Database(layout.busFile);
    db2.prepare('DELETE FROM bus_entries').run();
    db2.prepare("UPDATE bus_meta SET value = 1 WHERE key = 'head'").run();
    db2.close();
    const r2 = await runCheck(config(dataDir), { safetyMs: DAY });
    expect(kinds(r2)).toContain('bus_behind_watermark');
  });
});

const pgAvailable = await postgresAvailable();

describeService('duckmesh check with a shared Postgres catalog and bus', pgAvailable, () => {
  it('checks a data directory whose catalog and bus live in Postgres (--catalog/--bus postgres://…)', { timeout: 180_000 }, async () => {
    const schema = freshPgSchema('dmopschk');
    const url = withSchema(PG_URL, schema);
    const dataDir = tempDataDir('dm-ops-check-pg-');
    const s = await startServer({ dataDir, flags: { bus: url, catalog: url } });
    try {
      const c = await connect(s.port);
      await c.query('CREATE TABLE t (id INTEGER, batch INTEGER, payload TEXT)');
      await insertBatches(c, 't', 3, 40, 1, { visibleEach: true });
      await c.end();
      const cfg = { dataDir, catalog: url, bus: url, nodeId: 'check-pg' };
      const r = await runCheck(cfg, { safetyMs: DAY });
      expect(r.problems).toEqual([]);
      expect(r.tables).toEqual([expect.objectContaining({ table: 't', rows: 120, files: 3 })]);
      expect(r.bus_head).toBe(r.watermark);
      const files = (await s.server.node.catalog.allFiles()).map((f) => f.path);
      unlinkSync(new DataLayout(dataDir).absolute(files[0]!));
      const bad = await runCheck(cfg, { safetyMs: DAY });
      expect(kinds(bad)).toEqual(['missing_file']);
    } finally {
      await s.stop();
      await dropPgSchemas([schema]);
    }
  });
});
