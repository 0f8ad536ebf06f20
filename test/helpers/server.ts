import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../../src/config/load.js';
import { DuckMeshServer } from '../../src/node/server.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function tempDataDir(prefix = 'duckmesh-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Starts DuckMesh in this process on an ephemeral pg port. */
export async function startServer(opts: { dataDir?: string; flags?: Record<string, unknown> } = {}): Promise<{
  server: DuckMeshServer;
  port: number;
  dataDir: string;
  stop: (opts?: { keepData?: boolean }) => Promise<void>;
}> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const config = loadConfig({ flags: { dataDir, pgPort: 0, httpPort: 0, ...opts.flags } });
  const server = new DuckMeshServer(config, pino({ level: process.env['DUCKMESH_TEST_LOG'] ?? 'silent' }));
  await server.start();
  return {
    server,
    port: server.pgPort,
    dataDir,
    stop: async (o = {}) => {
      await server.stop();
      if (!o.keepData && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function client(port: number, database = 'duckmesh', extra: Partial<pg.ClientConfig> = {}): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port, user: 'tester', database, ...extra });
}

export async function connect(port: number, database = 'duckmesh', extra: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
  const c = client(port, database, extra);
  await c.connect();
  return c;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address() as net.AddressInfo;
      s.close(() => resolve(a.port));
    });
    s.on('error', reject);
  });
}

/** Runs `bin/duckmesh serve` as a child process (for kill -9 tests and the CLI). */
export async function spawnServer(dataDir: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'duckmesh'), 'serve', '--data-dir', dataDir, '--pg-port', String(port), '--http-port', '0', '--log-level', 'warn'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`duckmesh exited with ${child.exitCode}: ${stderr}`);
    try {
      const c = await connect(port);
      await c.end();
      return child;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`duckmesh did not become ready: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}
