// Shared helpers for the benchmark scenarios: server process, clients, percentiles, table output.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(latenciesMs) {
  const s = [...latenciesMs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), n: s.length };
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(a.port));
    });
    s.on('error', reject);
  });
}

/**
 * Starts `bin/duckmesh serve` on a fresh data dir (or `opts.dataDir`, kept on stop); returns
 * {port, httpPort, pid, stop, peakRssMb}. `opts.config` is written to a config file
 * (DUCKMESH_CONFIG); `opts.http` also opens the HTTP port (/metrics).
 */
export async function startDuckMesh(opts = {}) {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'duckmesh-bench-'));
  const port = await freePort();
  const httpPort = opts.http ? await freePort() : 0;
  const env = { ...process.env };
  if (opts.config) {
    const file = path.join(dataDir, 'bench-config.json');
    writeFileSync(file, JSON.stringify(opts.config));
    env.DUCKMESH_CONFIG = file;
  }
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), path.join(ROOT, 'bin', 'duckmesh'), 'serve', '--data-dir', dataDir, '--pg-port', String(port), '--http-port', String(httpPort), '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  // Never leave the server behind if the bench itself dies.
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  process.once('uncaughtException', (err) => {
    kill();
    console.error(err);
    process.exit(1);
  });
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const c = new pg.Client({ host: '127.0.0.1', port, user: 'bench', database: 'duckmesh' });
      await c.connect();
      await c.end();
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('DuckMesh did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    port,
    httpPort,
    dataDir,
    pid: child.pid,
    peakRssMb: () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Math.round(Number(m[1]) / 1024) : NaN;
      } catch {
        return NaN;
      }
    },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A node-postgres client for DuckMesh; `{ cache: false }` turns the per-snapshot result cache off for the session. */
export function duckmeshClient(port, { cache = true } = {}) {
  return new pg.Client({ host: '127.0.0.1', port, user: 'bench', database: 'duckmesh', ...(cache ? {} : { options: '-c duckmesh.result_cache=off' }) });
}

/** The local Postgres anchor, or null when it is not reachable. */
export async function postgresClientFactory() {
  const cfg = { host: process.env.PGHOST_BENCH ?? '127.0.0.1', port: Number(process.env.PGPORT_BENCH ?? 5432), user: process.env.PGUSER_BENCH ?? 'postgres', database: process.env.PGDATABASE_BENCH ?? 'test' };
  try {
    const c = new pg.Client(cfg);
    await c.connect();
    await c.end();
    return () => new pg.Client(cfg);
  } catch {
    return null;
  }
}

export function fmt(n, digits = 1) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(digits);
}

export function printTable(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
  console.log(`\n### ${title}\n`);
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}
