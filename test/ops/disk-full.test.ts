/**
 * Disk full (DESIGN failure model): the data directory sits on a small tmpfs that a filler file
 * fills up. Writes then fail with 53100 (nothing acknowledged is lost, reads keep working), and
 * once space returns, writing and the commit worker resume by themselves.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';

const mountPoint = mkdtempSync(path.join(os.tmpdir(), 'dm-diskfull-'));
let mounted = false;
try {
  // A private tmpfs needs root (CAP_SYS_ADMIN); CI runs as root.
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mountPoint], { stdio: 'ignore' });
  mounted = true;
} catch {
  mounted = false;
}

/** Fills the file system with one file until ENOSPC; returns its path. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(64 * 1024, 7);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  // Also the last partial block.
  try {
    for (;;) writeSync(fd, block, 0, 512);
  } catch {
    // full
  }
  closeSync(fd);
  return file;
}

describe.skipIf(!mounted)('disk full (skipped when a tmpfs cannot be mounted: needs root)', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  let c: Client;

  beforeAll(async () => {
    srv = await startServer({ dataDir: path.join(mountPoint, 'data') });
    c = await connect(srv.port);
    await c.query('CREATE TABLE t (id INTEGER, payload TEXT)');
  });
  afterAll(async () => {
    await c?.end().catch(() => undefined);
    await srv?.stop({ keepData: true }).catch(() => undefined);
    execFileSync('umount', [mountPoint], { stdio: 'ignore' });
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('writes fail with 53100 while the disk is full, reads keep serving, and everything resumes when space returns', async () => {
    const acked: number[] = [];
    for (let i = 0; i < 20; i++) {
      await c.query('INSERT INTO t VALUES ($1, $2)', [i, 'x'.repeat(200)]);
      acked.push(i);
    }
    expect((await c.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(20);

    const filler = fill(mountPoint);
    const errors = new Map<string, number>();
    for (let i = 100; i < 160; i++) {
      try {
        await c.query('INSERT INTO t VALUES ($1, $2)', [i, 'y'.repeat(4000)]);
        acked.push(i);
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'none';
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
    // Once the bus could not grow, writes were refused with disk full — never acknowledged and lost.
    expect([...errors.keys()]).toEqual(['53100']);
    // Reads of the last snapshot keep working (with read-your-writes off: the newest writes may
    // not be materialized while the commit worker cannot write its files).
    await c.query('SET duckmesh.read_your_writes = off');
    expect((await c.query('SELECT count(*)::int AS n FROM t WHERE id < 20')).rows[0].n).toBe(20);
    await c.query('RESET duckmesh.read_your_writes');

    rmSync(filler);
    await c.query('INSERT INTO t VALUES ($1, $2)', [999, 'after']);
    acked.push(999);
    const ids = (await c.query('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id as number);
    expect(ids).toEqual([...acked].sort((a, b) => a - b));
  });
});
