import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import type { Catalog, SnapshotInfo } from '../../src/catalog/types.js';
import { checkFiles } from '../../src/storage/integrity.js';
import type { DataLayout } from '../../src/storage/layout.js';
import { freePort, ROOT } from './server.js';

/**
 * Helpers for tests that run several `duckmesh serve` processes (scale-out, failover, crash
 * harness): a handle on one node process, and a TCP proxy that can take a backend "away".
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it returns a truthy value (returned) or `timeoutMs` passes (throws `what`). */
export async function until<T>(what: string, cond: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown = null;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (last error: ${(lastErr as Error).message})` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** `postgres://…/db?schema=s`, optionally with host:port replaced (to go through a proxy). */
export function withSchema(baseUrl: string, schema: string, port?: number): string {
  const u = new URL(baseUrl);
  u.searchParams.set('schema', schema);
  if (port !== undefined) {
    u.hostname = '127.0.0.1';
    u.port = String(port);
  }
  return u.toString();
}

export interface NodeSpec {
  /** Node id (lease holder name); also used in log prefixes. */
  id: string;
  dataDir: string;
  /** Defaults to "embedded". */
  bus?: string;
  catalog?: string;
  /** Comma-separated roles (default all). */
  roles?: string;
  /** Extra environment (e.g. DUCKMESH_LEASE_TTL_MS). */
  env?: NodeJS.ProcessEnv;
  /** Default "info": lease and commit-worker events are needed by the tests. */
  logLevel?: string;
}

export interface LogLine {
  level: number;
  msg: string;
  time: number;
  [k: string]: unknown;
}

/** Children still running: killed when this process exits, so a timed-out test leaves none behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/**
 * One `bin/duckmesh serve` child process. Ports are fixed at construction, so a restart comes back
 * on the same pg and HTTP ports (clients reconnect to the same address, as with a real restart).
 * Its structured log lines (stderr, JSON) are kept across restarts, tagged with the incarnation.
 */
export class NodeProcess {
  child: ChildProcess | null = null;
  readonly logs: (LogLine & { incarnation: number })[] = [];
  stderrText = '';
  incarnation = 0;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly spec: NodeSpec,
    readonly pgPort: number,
    readonly httpPort: number,
  ) {}

  static async create(spec: NodeSpec): Promise<NodeProcess> {
    return new NodeProcess(spec, await freePort(), await freePort());
  }

  get id(): string {
    return this.spec.id;
  }

  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the process and resolves once its pg and HTTP ports accept connections. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.alive) throw new Error(`node ${this.id} is already running`);
    const s = this.spec;
    const args = [path.join(ROOT, 'bin', 'duckmesh'), 'serve', '--data-dir', s.dataDir, '--pg-port', String(this.pgPort), '--http-port', String(this.httpPort)];
    args.push('--log-level', s.logLevel ?? 'info', '--node-id', s.id);
    if (s.bus) args.push('--bus', s.bus);
    if (s.catalog) args.push('--catalog', s.catalog);
    if (s.roles) args.push('--roles', s.roles);
    const inc = ++this.incarnation;
    const child = spawn(process.execPath, args, { env: { ...process.env, ...s.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    running.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        running.delete(child);
        resolve();
      }),
    );
    let partial = '';
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      this.stderrText += text;
      if (this.stderrText.length > 4_000_000) this.stderrText = this.stderrText.slice(-2_000_000);
      partial += text;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        try {
          this.logs.push({ ...(JSON.parse(line) as LogLine), incarnation: inc });
        } catch {
          // Not a log line.
        }
      }
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`node ${this.id} exited (${child.exitCode ?? child.signalCode}) during start: ${this.stderrText.slice(-3000)}`);
      }
      // The HTTP listener opens right after the pg one.
      if ((await portOpen(this.pgPort)) && (await portOpen(this.httpPort))) return;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`node ${this.id} did not become ready in ${timeoutMs} ms: ${this.stderrText.slice(-3000)}`);
      }
      await sleep(50);
    }
  }

  /** kill -9 (or another signal) and wait for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child) return;
    if (this.alive) {
      // A stopped process does not act on SIGTERM until continued.
      if (signal !== 'SIGKILL') this.child.kill('SIGCONT');
      this.child.kill(signal);
    }
    await this.exited;
  }

  /** SIGTERM with a SIGKILL fallback: a clean shutdown that cannot hang a test. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.child!.kill('SIGCONT');
    this.child!.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async connect(database = 'duckmesh', extra: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
    const c = new pg.Client({ host: '127.0.0.1', port: this.pgPort, user: 'tester', database, connectionTimeoutMillis: 5000, ...extra });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  }

  async http(pathname: string, timeoutMs = 5000): Promise<{ status: number; text: string }> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}${pathname}`, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  }

  async readyz(timeoutMs = 5000): Promise<{ status: number; body: { ready: boolean; checks: Record<string, string>; snapshot_id: number | null; watermark: number } }> {
    const r = await this.http('/readyz', timeoutMs);
    return { status: r.status, body: JSON.parse(r.text) };
  }

  /** The value of one Prometheus sample (summing over labels), 0 when absent. */
  async metric(name: string): Promise<number> {
    const { text } = await this.http('/metrics');
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m && m[1] === name) sum += Number(m[3]);
    }
    return sum;
  }

  logsMatching(pred: (l: LogLine) => boolean): LogLine[] {
    return this.logs.filter(pred);
  }
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * `SET duckmesh.min_visibility_token`-style reads and token-returning writes need the values
 * DuckMesh reports as ParameterStatus; node-postgres does not expose them, its connection does.
 * Returns a live view of the latest reported values of this client.
 */
export function trackParameterStatus(client: pg.Client): Map<string, string> {
  const values = new Map<string, string>();
  const conn = (client as unknown as { connection: NodeJS.EventEmitter }).connection;
  conn.on('parameterStatus', (m: { parameterName: string; parameterValue: string }) => values.set(m.parameterName, m.parameterValue));
  return values;
}

/** Decodes a DuckMesh visibility token (dm1.<16 hex>) to its bus sequence, for test bookkeeping. */
export function tokenSeq(token: string): number {
  const m = /^dm1\.([0-9a-f]{16})$/.exec(token);
  if (!m) throw new Error(`not a visibility token: ${token}`);
  return Number.parseInt(m[1]!, 16);
}

/** An SQLSTATE of an error from node-postgres (or undefined for a transport error). */
export function sqlstate(err: unknown): string | undefined {
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c) ? c : undefined;
}

/**
 * Checks what every process sharing `catalog` must have left behind: snapshot ids up to the newest
 * N with no hole (retention may have expired a prefix), watermarks and commit times that never go backwards (one linear history, no fork), and
 * every file a snapshot references present with its recorded size (deep: and checksum).
 * Returns the problems found (empty = consistent) and the snapshot count.
 */
export async function checkCatalogHistory(
  catalog: Catalog,
  layout: DataLayout,
  opts: { deep: boolean },
): Promise<{ problems: string[]; snapshots: number; files: number }> {
  const problems: string[] = [];
  const latest = await catalog.latestSnapshot();
  const n = latest?.snapshotId ?? 0;
  let prev: SnapshotInfo | null = null;
  for (let id = 1; id <= n; id++) {
    const s = await catalog.getSnapshot(id);
    if (!s) {
      // Retention expires the oldest snapshots: a missing prefix is fine, a hole above it is not.
      if (prev) problems.push(`snapshot ${id} is missing between ${prev.snapshotId} and the newest snapshot ${n}`);
      continue;
    }
    if (prev && s.watermark < prev.watermark) problems.push(`snapshot ${id}: watermark ${s.watermark} < ${prev.watermark} of snapshot ${prev.snapshotId}`);
    if (prev && s.committedAt < prev.committedAt) problems.push(`snapshot ${id}: commit time goes backwards`);
    prev = s;
  }
  const fileProblems = await checkFiles(catalog, layout, opts);
  for (const p of fileProblems) problems.push(`${p.kind}: ${p.path} (${p.detail})`);
  return { problems, snapshots: n, files: (await catalog.allFiles()).length };
}

interface ProxiedConnection {
  client: net.Socket;
  upstream: net.Socket;
  frozen: boolean;
  held: Buffer[];
}

/**
 * A TCP proxy in front of a backend (Postgres) that a test can take away and bring back, as if
 * the database were stopped and restarted:
 * - `cut()` stops listening (new connections are refused) and resets every open connection;
 * - `restore()` listens again on the same port;
 * - `freezeOn(pattern)` holds the first client→server chunk containing `pattern` (and everything
 *   after it on that connection) until `release()`, e.g. to stall one transaction mid-flight.
 */
export class TcpProxy {
  private server: net.Server | null = null;
  private readonly conns = new Set<ProxiedConnection>();
  private freeze: { pattern: Buffer; onFrozen: () => void } | null = null;
  private holed = false;
  /** Connections counted over the proxy's life (to see that clients reconnected). */
  accepted = 0;

  private constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }, port?: number): Promise<TcpProxy> {
    const p = new TcpProxy(port ?? (await freePort()), target);
    await p.restore();
    return p;
  }

  get up(): boolean {
    return this.server !== null;
  }

  /** Listens (again) on the proxy's port. */
  async restore(): Promise<void> {
    if (this.holed) {
      this.holed = false;
      for (const c of [...this.conns]) this.drop(c);
    }
    if (this.server) return;
    const server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    this.server = server;
  }

  /**
   * Refuses new connections and resets the open ones — except, with `keepFrozen`, a connection
   * held by `freezeOn`, which stays open (stalled) until `release()`.
   */
  async cut(opts: { keepFrozen?: boolean } = {}): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of [...this.conns]) {
      if (opts.keepFrozen && c.frozen) continue;
      this.drop(c);
    }
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * A network partition without resets: open connections stay up but nothing more is forwarded
   * either way, and new connections are accepted and then ignored (until `restore()` — which
   * resets the black-holed ones, as a healed network would find them dead).
   */
  blackhole(): void {
    this.holed = true;
  }

  /** Arms a one-shot freeze (see the class comment); `onFrozen` is called when it triggers. */
  freezeOn(pattern: string, onFrozen: () => void = () => undefined): void {
    this.freeze = { pattern: Buffer.from(pattern), onFrozen };
  }

  /** Forwards what frozen connections held back and lets them run on. */
  release(): void {
    this.freeze = null;
    for (const c of this.conns) {
      if (!c.frozen) continue;
      c.frozen = false;
      for (const b of c.held) c.upstream.write(b);
      c.held = [];
    }
  }

  async close(): Promise<void> {
    this.freeze = null;
    await this.cut();
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.target);
    const c: ProxiedConnection = { client, upstream, frozen: false, held: [] };
    this.conns.add(c);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (chunk: Buffer) => {
      if (this.holed) return;
      if (!c.frozen && this.freeze && chunk.includes(this.freeze.pattern)) {
        const f = this.freeze;
        this.freeze = null;
        c.frozen = true;
        f.onFrozen();
      }
      if (c.frozen) c.held.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!this.holed) client.write(chunk);
    });
    const end = () => this.drop(c);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  }

  private drop(c: ProxiedConnection): void {
    if (!this.conns.delete(c)) return;
    c.client.resetAndDestroy();
    c.upstream.resetAndDestroy();
  }
}
