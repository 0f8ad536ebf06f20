import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { connect, ROOT, waitExit } from '../helpers/server.js';

const run = promisify(execFile);
const BIN = path.join(ROOT, 'bin', 'duckmesh');

/** The environment a user has: no DUCKMESH_* variables. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('DUCKMESH_')) env[k] = v;
  return env;
}

describe('duckmesh CLI', () => {
  it('`duckmesh serve` with no configuration serves psql-compatible clients on 127.0.0.1:5433 and stops on SIGTERM', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'duckmesh-cli-'));
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      let c = null;
      for (let i = 0; i < 150 && !c; i++) {
        c = await connect(5433).catch(() => null);
        if (!c) await new Promise((r) => setTimeout(r, 100));
      }
      expect(c, stderr).not.toBeNull();
      await c!.query('CREATE TABLE hello (x INTEGER)');
      await c!.query('INSERT INTO hello VALUES (42)');
      expect((await c!.query('SELECT x FROM hello')).rows).toEqual([{ x: 42 }]);
      await c!.end();
      expect(stderr).toContain('trust authentication');
    } finally {
      child.kill('SIGTERM');
      const code = await waitExit(child);
      expect(code).toBe(0);
      expect(existsSync(path.join(cwd, 'duckmesh-data', 'bus', 'bus.db'))).toBe(true);
      expect(existsSync(path.join(cwd, 'duckmesh-data', 'LOCK'))).toBe(false);
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('documents every option in --help', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'serve', '--help'], { env: cleanEnv() });
    for (const flag of ['--data-dir', '--pg-port', '--http-port', '--host', '--config', '--log-level', '--auth', '--bus', '--catalog', '--roles']) {
      expect(stdout).toContain(flag);
    }
    expect(stdout).toContain('DUCKMESH_PG_PORT');
  });

  it('rejects bad configuration at start with a clear message and exit status 2', async () => {
    const bad = await run(process.execPath, [BIN, 'serve', '--pg-port', '99999'], { env: cleanEnv() }).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(2);
    expect((bad as { stderr: string }).stderr).toMatch(/pgPort/);
    const open = await run(process.execPath, [BIN, 'serve', '--host', '0.0.0.0', '--pg-port', '0'], { env: cleanEnv() }).catch((e: { code: number; stderr: string }) => e);
    expect((open as { code: number }).code).toBe(2);
    expect((open as { stderr: string }).stderr).toMatch(/refusing to listen on 0\.0\.0\.0 with trust authentication/);
    const envBad = await run(process.execPath, [BIN, 'serve'], { env: { ...cleanEnv(), DUCKMESH_LOG_LEVEL: 'loud' } }).catch((e: { code: number; stderr: string }) => e);
    expect((envBad as { code: number }).code).toBe(2);
    expect((envBad as { stderr: string }).stderr).toMatch(/logLevel/);
  });

  it('refuses a second server on the same data directory', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'duckmesh-lock-'));
    const first = spawn(process.execPath, [BIN, 'serve', '--data-dir', dir, '--pg-port', '0', '--http-port', '0'], { env: cleanEnv(), stdio: 'ignore' });
    try {
      for (let i = 0; i < 100 && !existsSync(path.join(dir, 'LOCK')); i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      const second = await run(process.execPath, [BIN, 'serve', '--data-dir', dir, '--pg-port', '0', '--http-port', '0'], { env: cleanEnv() }).catch((e: { code: number; stderr: string }) => e);
      expect((second as { code: number }).code).toBe(1);
      expect((second as { stderr: string }).stderr).toMatch(/data directory is in use by process/);
    } finally {
      first.kill('SIGTERM');
      await waitExit(first);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
