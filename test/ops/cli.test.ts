import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readSync, rmSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataLayout } from '../../src/storage/layout.js';
import { connect, freePort, ROOT, spawnServer, startServer, tempDataDir, waitExit } from '../helpers/server.js';
import { catalogFiles, cli, insertBatches } from './helpers.js';

/** `duckmesh check | backup | restore | gc` as an operator runs them: the built CLI, exit codes, JSON. */
describe('duckmesh check / backup / restore / gc (CLI)', { timeout: 240_000 }, () => {
  const root = tempDataDir('dm-ops-cli-');
  const data = path.join(root, 'data');
  const bk = path.join(root, 'backup');
  const restored = path.join(root, 'restored');

  beforeAll(async () => {
    // The CLI runs from dist/: build it (tsc emits even if an unrelated file has type errors).
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      // Reported by the typecheck; the emitted JavaScript is what these tests run.
    }
    const s = await startServer({ dataDir: data });
    const c = await connect(s.port);
    await c.query('CREATE TABLE t (id INTEGER, batch INTEGER, payload TEXT)');
    await insertBatches(c, 't', 4, 30, 1, { visibleEach: true });
    await c.end();
    await s.stop({ keepData: true });
  }, 300_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('check --json on a healthy directory: exit 0 and the documented shape', async () => {
    const r = await cli(['check', '--data-dir', data, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(typeof report.snapshot_id).toBe('number');
    expect(report.tables).toEqual([{ tenant: 'duckmesh', schema: 'public', table: 't', files: 4, rows: 120, bytes: expect.any(Number) }]);
    const text = await cli(['check', '--data-dir', data]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/OK: healthy/);
  });

  it('check and backup work on a RUNNING server (no lock taken); restore refuses a non-empty directory', async () => {
    const port = await freePort();
    const child = await spawnServer(data, port);
    try {
      const c = await connect(port);
      await insertBatches(c, 't', 2, 10, 1000, { visibleEach: true });
      const check = await cli(['check', '--data-dir', data, '--json']);
      expect(check.code, check.stderr).toBe(0);
      expect(JSON.parse(check.stdout).tables[0].rows).toBe(140);
      const writes = insertBatches(c, 't', 20, 5, 2000);
      const backup = await cli(['backup', '--data-dir', data, '--to', bk, '--json']);
      await writes;
      expect(backup.code, backup.stderr).toBe(0);
      const summary = JSON.parse(backup.stdout);
      expect(summary).toMatchObject({ ok: true, files: expect.any(Number) });
      expect(summary.bus_head).toBeGreaterThanOrEqual(summary.watermark);
      await c.end();
    } finally {
      child.kill('SIGTERM');
      await waitExit(child);
    }
    const r = await cli(['restore', '--from', bk, '--data-dir', restored, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, problems: [] });
    const again = await cli(['restore', '--from', bk, '--data-dir', restored]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is not empty/);
    const noBackup = await cli(['restore', '--from', path.join(root, 'nothing'), '--data-dir', path.join(root, 'x')]);
    expect(noBackup.code).toBe(2);
    expect(noBackup.stderr).toMatch(/no manifest\.json/);
  });

  it('orphans: listed (exit 1); --repair with a window < 24 h needs --force; then repaired (exit 0)', async () => {
    const layout = new DataLayout(restored);
    const dir = path.dirname(layout.absolute(catalogFiles(restored)[0]!.path));
    const stray = path.join(dir, 'stray.parquet');
    writeFileSync(stray, 'junk');
    const old = Date.now() / 1000 - 7200;
    utimesSync(stray, old, old);
    const listed = await cli(['check', '--data-dir', restored, '--json']);
    expect(listed.code).toBe(1);
    expect(JSON.parse(listed.stdout).problems).toEqual([{ kind: 'orphan_file', path: path.relative(restored, stray), detail: expect.stringMatching(/no catalog row/) }]);
    const refused = await cli(['check', '--data-dir', restored, '--repair', '--safety-window', '30m']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/shorter than 24 hours: pass --force/);
    const kept = await cli(['check', '--data-dir', restored, '--repair', '--json']);
    expect(kept.code).toBe(1);
    expect(JSON.parse(kept.stdout).repaired).toEqual([]);
    const repaired = await cli(['check', '--data-dir', restored, '--repair', '--safety-window', '30m', '--force', '--json']);
    expect(repaired.code).toBe(0);
    expect(JSON.parse(repaired.stdout).repaired.map((x: { path: string }) => x.path)).toEqual([path.relative(restored, stray)]);
  });

  it('check exits 1 and names the problem for a corrupted file', async () => {
    const layout = new DataLayout(restored);
    const f = catalogFiles(restored)[1]!;
    const fd = openSync(layout.absolute(f.path), 'r+');
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, 50);
    writeSync(fd, Buffer.from([b[0]! ^ 0x01]), 0, 1, 50);
    closeSync(fd);
    const r = await cli(['check', '--data-dir', restored, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p: { kind: string; path: string }) => [p.kind, p.path])).toContainEqual(['checksum_mismatch', f.path]);
    const text = await cli(['check', '--data-dir', restored]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/PROBLEM checksum_mismatch/);
  });

  it('gc runs one pass on a stopped directory; retention windows < 24 h are refused without force', async () => {
    const gc = await cli(['gc', '--data-dir', data, '--json']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(JSON.parse(gc.stdout)).toMatchObject({ expiredSnapshots: 0, deletedFiles: 0 });
    const cfgDir = path.join(root, 'cfg');
    mkdirSync(cfgDir, { recursive: true });
    const cfg = path.join(cfgDir, 'short.json');
    writeFileSync(cfg, JSON.stringify({ retention: { fileSafetyHours: 1 } }));
    for (const cmd of [['gc'], ['check'], ['serve', '--pg-port', '0', '--http-port', '0']]) {
      const r = await cli([...cmd, '-c', cfg, '--data-dir', data]);
      expect(r.code, cmd[0]).toBe(2);
      expect(r.stderr).toMatch(/retention\.fileSafetyHours: is 1 hours, shorter than 24 hours: set retention\.force/);
    }
    writeFileSync(cfg, JSON.stringify({ retention: { fileSafetyHours: 1, force: true } }));
    const forced = await cli(['gc', '-c', cfg, '--data-dir', data, '--json']);
    expect(forced.code, forced.stderr).toBe(0);
  });
});
