import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { SqliteCatalog } from '../../src/catalog/embedded/sqlite-catalog.js';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import type { Catalog } from '../../src/catalog/types.js';
import { readManifest, verifyBackup } from '../../src/ops/restore.js';
import { checkFiles } from '../../src/storage/integrity.js';
import { DataLayout } from '../../src/storage/layout.js';
import { checkCatalogHistory, NodeProcess, sleep, sqlstate, tokenSeq, trackParameterStatus, withSchema } from '../helpers/cluster.js';
import { ROOT, tempDataDir } from '../helpers/server.js';
import { dropPgSchemas, freshPgSchema } from '../helpers/services.js';

/**
 * Crash harness (DESIGN §8): rounds of {start processes; concurrent writers and token-carrying
 * readers; kill -9 a random process at a random moment; restart it}, recording every acknowledged
 * receipt and every read, then checking:
 *
 * 1. every acknowledged write is present exactly once (each round's table is checked after that
 *    round's crash and restart, again KEEP_TABLES crashes later — then it is dropped — and the
 *    tables still there at the end once more);
 * 2. a write that failed (outcome unknown to the client) is present at most once, all or nothing;
 * 3. no row appears that no writer wrote;
 * 4. no read with token T missed an acknowledged write with sequence ≤ T — including writes of
 *    other writers when T is another writer's token ("a later token covers every earlier one");
 * 5. snapshot ids never go backwards for a reader (per connection with several nodes, whose
 *    followers may lag each other), and both statements of a read transaction see one snapshot;
 * 6. every snapshot a read with token T ran on has a watermark ≥ T (checked in the catalog);
 * 7. no snapshot references a missing file (after every kill, and deep at the end), and the
 *    snapshot history is one line: ids 1..N, watermarks never decreasing;
 * 8. a writer's tokens only grow (bus order).
 *
 * Reads are designed to be checkable: each round writes to its own table `ev_<round>`; writer w's
 * k-th row is (w, n); a read picks a writer w and a token T (w's last acknowledged token, or the
 * newest token of any writer), and in one transaction reads `count(*)` of w's rows below a cut-off
 * `lo` plus every row of w from `lo` up. A read is checked once every write that could have a
 * sequence ≤ T has been decided (no write in flight that started before T was captured).
 */

export interface HarnessOptions {
  backend: 'embedded' | 'postgres';
  rounds: number;
  writers: number;
  readers: number;
  /** Load phase of a round: a random duration in this range; the kill falls inside it. */
  roundMs: [number, number];
  /** Probability that a restarted process is killed again while starting (crash during recovery). */
  startupKillRate: number;
  /** Postgres only: probability that every node is killed at once. */
  killAllRate: number;
  leaseTtlMs: number;
  seed: number;
  /** Base Postgres URL (postgres backend). */
  pgUrl?: string;
  /** JSON config file the processes load (DUCKMESH_CONFIG), e.g. short retention windows. */
  configFile?: string;
  /**
   * Embedded only: every round also runs `duckmesh backup` of the live data directory, itself
   * killed with SIGKILL at a random moment (or left to finish). A finished backup must verify
   * against its manifest; a killed one must have no manifest (restore refuses it).
   */
  backups?: boolean;
  log: (line: string) => void;
  /** Print one line per round. */
  verbose: boolean;
}

export interface HarnessReport {
  backend: string;
  seed: number;
  rounds: number;
  kills: number;
  /** Postgres: kills of the process that held the commit-worker lease. */
  leaderKills: number;
  startupKills: number;
  tablesDropped: number;
  writesAttempted: number;
  writesAcked: number;
  writesFailed: number;
  rowsAcked: number;
  reads: number;
  readsChecked: number;
  readErrors: number;
  /** Errors clients saw, by SQLSTATE (or "transport" for a dropped connection). */
  errors: Record<string, number>;
  snapshots: number;
  files: number;
  /** Files on disk no snapshot references (left by crashes before publication; GC's job). */
  orphans: number;
  /** Backups run during rounds (option `backups`): finished and verified / killed part-way. */
  backupsCompleted?: number;
  backupsKilled?: number;
  violations: string[];
  ms: number;
}

/**
 * Reads the harness settings from the environment, with CI-sized defaults:
 * DUCKMESH_CRASH_ROUNDS (20), _WRITERS (6), _READERS (3), _ROUND_MS_MIN / _MAX (1200 / 2800),
 * _STARTUP_KILL_RATE (0.15), _KILL_ALL_RATE (0.15, Postgres), _LEASE_TTL_MS (1500), _SEED (random;
 * printed, to replay a schedule), _CONFIG (a JSON config file for the processes), _VERBOSE=1 (a line
 * per round).
 */
export function harnessOptionsFromEnv(backend: HarnessOptions['backend'], pgUrl?: string): HarnessOptions {
  const env = process.env;
  const num = (name: string, dflt: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${JSON.stringify(v)}`);
    return n;
  };
  const roundMin = num('DUCKMESH_CRASH_ROUND_MS_MIN', 1200);
  return {
    backend,
    rounds: Math.max(1, Math.floor(num('DUCKMESH_CRASH_ROUNDS', 20))),
    writers: Math.max(1, Math.floor(num('DUCKMESH_CRASH_WRITERS', 6))),
    readers: Math.max(1, Math.floor(num('DUCKMESH_CRASH_READERS', 3))),
    roundMs: [roundMin, Math.max(roundMin, num('DUCKMESH_CRASH_ROUND_MS_MAX', 2800))],
    startupKillRate: num('DUCKMESH_CRASH_STARTUP_KILL_RATE', 0.15),
    killAllRate: num('DUCKMESH_CRASH_KILL_ALL_RATE', 0.15),
    leaseTtlMs: Math.floor(num('DUCKMESH_CRASH_LEASE_TTL_MS', 1500)),
    seed: Math.floor(num('DUCKMESH_CRASH_SEED', Math.floor(Math.random() * 2 ** 31))),
    ...(pgUrl !== undefined ? { pgUrl } : {}),
    ...(env['DUCKMESH_CRASH_CONFIG'] ? { configFile: env['DUCKMESH_CRASH_CONFIG'] } : {}),
    log: (line) => console.log(line),
    verbose: env['DUCKMESH_CRASH_VERBOSE'] === '1',
  };
}

/** Deterministic PRNG (mulberry32), so that a failing seed can be replayed (timing aside). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tables kept besides the current one; older ones are verified once more and dropped. */
const KEEP_TABLES = 5;

const ACKED = 1;
const FAILED = 2;
/** Sent, no answer yet. */
const PENDING = 3;

/** One writer's bookkeeping in one table. Row n belongs to exactly one write (`group`). */
interface WriterLedger {
  /** Per row n: 0 never attempted, PENDING, ACKED, FAILED (outcome unknown). */
  status: number[];
  /** Per row n: the acknowledged write's last sequence (0 if not acked). */
  seq: number[];
  /** Per row n: first n of its write. */
  group: number[];
  /** Acknowledged writes in order: first n, row count, sequence, token. */
  acks: { n: number; k: number; seq: number; token: string }[];
  /** Failed writes: first n and row count. */
  failed: { n: number; k: number }[];
  next: number;
}

interface TableLedger {
  name: string;
  writers: Map<number, WriterLedger>;
  maxAck: { seq: number; token: string } | null;
}

interface PendingRead {
  capturedAt: number;
  table: string;
  writer: number;
  token: string;
  seq: number;
  lo: number;
  countBelow: number;
  window: number[];
  snapshots: [number, number];
  who: string;
}

class Harness {
  private readonly rand: () => number;
  private readonly nodes: NodeProcess[] = [];
  private readonly up = new Set<NodeProcess>();
  /** Every table's ledger, dropped ones included (pending reads may refer to them). */
  private readonly tables = new Map<string, TableLedger>();
  /** Tables not dropped: readers pick from these. */
  private readonly live: TableLedger[] = [];
  private current: TableLedger | null = null;
  private stopped = false;
  private readonly inflightSince: (number | null)[] = [];
  private readonly inflightTable: (string | null)[] = [];
  private pending: PendingRead[] = [];
  /** Snapshot id → highest token sequence a read on it required. */
  private readonly snapshotNeeds = new Map<number, number>();
  private globalMaxAck: { seq: number; token: string } | null = null;
  private readonly violations: string[] = [];
  private readonly errors: Record<string, number> = {};
  private dataDir = '';
  private schema = '';
  private checkCatalog: Catalog | null = null;
  private readonly r: Omit<HarnessReport, 'violations' | 'errors' | 'ms'>;

  constructor(private readonly o: HarnessOptions) {
    this.rand = prng(o.seed);
    this.r = {
      backend: o.backend,
      seed: o.seed,
      rounds: 0,
      kills: 0,
      leaderKills: 0,
      startupKills: 0,
      tablesDropped: 0,
      writesAttempted: 0,
      writesAcked: 0,
      writesFailed: 0,
      rowsAcked: 0,
      reads: 0,
      readsChecked: 0,
      readErrors: 0,
      snapshots: 0,
      files: 0,
      orphans: 0,
    };
  }

  private violation(what: string): void {
    if (this.violations.length < 200) this.violations.push(what);
    if (this.violations.length <= 10) this.o.log(`[crash:${this.o.backend}] VIOLATION ${what}`);
  }

  private countError(err: unknown): string {
    const code = sqlstate(err) ?? 'transport';
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    return code;
  }

  private between(lo: number, hi: number): number {
    return lo + this.rand() * (hi - lo);
  }

  private pickUp(): NodeProcess | null {
    const up = [...this.up];
    return up.length === 0 ? null : up[Math.floor(this.rand() * up.length)]!;
  }

  async run(): Promise<HarnessReport> {
    const started = Date.now();
    this.dataDir = tempDataDir(`duckmesh-crash-${this.o.backend}-`);
    try {
      await this.setUp();
      await this.newTable(1);
      const writers = Array.from({ length: this.o.writers }, (_, w) => this.writer(w));
      const readers = Array.from({ length: this.o.readers }, (_, i) => this.reader(i));
      const checker = this.checkLoop();
      for (let round = 1; round <= this.o.rounds; round++) {
        await this.round(round);
        this.r.rounds = round;
      }
      this.stopped = true;
      await Promise.all([...writers, ...readers]);
      await checker;
      this.checkPending(true);
      await this.finalCheck();
    } finally {
      this.stopped = true;
      await Promise.all(this.nodes.map((n) => n.stop()));
      await this.checkCatalog?.close().catch(() => undefined);
      if (this.o.backend === 'postgres' && this.schema) await dropPgSchemas([this.schema]).catch(() => undefined);
      rmSync(this.dataDir + '-backups', { recursive: true, force: true });
      if (this.violations.length === 0) rmSync(this.dataDir, { recursive: true, force: true });
      else this.o.log(`[crash:${this.o.backend}] data directory kept for inspection: ${this.dataDir}`);
    }
    return { ...this.r, errors: this.errors, violations: this.violations, ms: Date.now() - started };
  }

  private async setUp(): Promise<void> {
    const env: NodeJS.ProcessEnv = { DUCKMESH_LEASE_TTL_MS: String(this.o.leaseTtlMs) };
    // A config file for the processes, e.g. aggressive retention/GC to crash it mid-deletion.
    if (this.o.configFile) env['DUCKMESH_CONFIG'] = this.o.configFile;
    if (this.o.backend === 'embedded') {
      this.nodes.push(await NodeProcess.create({ id: 'crash-e1', dataDir: this.dataDir, env }));
    } else {
      this.schema = freshPgSchema('dmcrash');
      const url = withSchema(this.o.pgUrl!, this.schema);
      for (const id of ['crash-p1', 'crash-p2']) {
        this.nodes.push(await NodeProcess.create({ id, dataDir: this.dataDir, bus: url, catalog: url, env }));
      }
      this.checkCatalog = await PgCatalog.open({ connectionString: this.o.pgUrl!, schema: this.schema, maxConnections: 2 });
    }
    for (const n of this.nodes) {
      await n.start();
      this.up.add(n);
    }
  }

  /** CREATE TABLE ev_<round> through any node (retrying through crashes), then switch writers to it. */
  private async newTable(round: number): Promise<void> {
    const name = `ev_${round}`;
    for (let attempt = 0; ; attempt++) {
      const node = this.pickUp();
      try {
        if (!node) throw new Error('no node up');
        const c = await node.connect('crash');
        try {
          await c.query(`CREATE TABLE IF NOT EXISTS ${name} (writer INTEGER, n INTEGER, payload TEXT)`);
        } finally {
          await c.end().catch(() => undefined);
        }
        break;
      } catch (err) {
        if (attempt > 200) throw new Error(`could not create ${name}: ${(err as Error).message}`);
        await sleep(100);
      }
    }
    const t: TableLedger = { name, writers: new Map(), maxAck: null };
    this.tables.set(name, t);
    this.live.push(t);
    this.current = t;
  }

  private async round(round: number): Promise<void> {
    const t0 = Date.now();
    const duration = this.between(this.o.roundMs[0], this.o.roundMs[1]);
    const killAt = duration * this.between(0.15, 0.9);
    const backup = this.o.backups && this.o.backend === 'embedded' ? this.startBackup(round, duration) : null;
    await sleep(killAt);

    // kill -9 one random process (Postgres: sometimes all of them).
    const victims =
      this.o.backend === 'postgres' && this.rand() < this.o.killAllRate ? [...this.nodes] : [this.nodes[Math.floor(this.rand() * this.nodes.length)]!];
    if (this.o.backend === 'postgres') {
      // Which of them holds the commit-worker lease (for the report: leader kills are the point).
      const roles = await Promise.all(victims.map((v) => v.readyz(1000).then((r) => r.body.checks['worker'] ?? '', () => '')));
      this.r.leaderKills += roles.filter((w) => w.startsWith('leader')).length;
    }
    for (const v of victims) this.up.delete(v);
    await Promise.all(victims.map((v) => v.kill('SIGKILL')));
    this.r.kills += victims.length;
    await this.checkFilesNow(`round ${round}, after kill -9 of ${victims.map((v) => v.id).join('+')}`);

    await sleep(this.between(0, 400));
    await Promise.all(victims.map((v) => this.restart(v)));
    const rest = duration - (Date.now() - t0);
    if (rest > 0) await sleep(rest);
    if (backup) await this.checkBackup(round, await backup);

    // The previous round's table is complete: verify it through the cluster, after this crash.
    const prev = this.current!;
    if (round < this.o.rounds) {
      await this.newTable(round + 1);
      // Writes already sent to the previous table must be decided before it is checked.
      const deadline = Date.now() + 60_000;
      while (this.inflightTable.includes(prev.name) && Date.now() < deadline) await sleep(10);
      await this.verifyTable(prev, `round ${round}`);
      // Keep a few tables: each is checked again after KEEP_TABLES more crashes, then dropped (DDL
      // under crashes too), so that per-snapshot work does not grow with the length of the run.
      if (this.live.length > KEEP_TABLES + 1) {
        const old = this.live.shift()!;
        await this.verifyTable(old, `round ${round} (${KEEP_TABLES} crashes later)`);
        await this.withAnyNode((c) => c.query(`DROP TABLE IF EXISTS ${old.name}`));
        this.r.tablesDropped++;
      }
    }
    if (this.o.verbose) {
      this.o.log(
        `[crash:${this.o.backend}] round ${round}: killed ${victims.map((v) => v.id).join('+')} at ${Math.round(killAt)} ms; ` +
          `acked ${this.r.writesAcked}, failed ${this.r.writesFailed}, reads ${this.r.reads}, violations ${this.violations.length} (${Date.now() - t0} ms)`,
      );
    }
  }

  /** Runs `duckmesh backup` of the live data directory, SIGKILLed at a random moment (sometimes never). */
  private startBackup(round: number, duration: number): Promise<{ dir: string; killed: boolean; code: number | null }> {
    const dir = path.join(this.dataDir + '-backups', `round-${round}`);
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'duckmesh'), 'backup', '--data-dir', this.dataDir, '--to', dir, '--quiet'], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    let killed = false;
    const killAfter = this.rand() < 0.6 ? this.between(0, duration) : null;
    const timer = killAfter === null ? null : setTimeout(() => {
      if (child.exitCode === null) {
        killed = true;
        child.kill('SIGKILL');
      }
    }, killAfter);
    return new Promise((resolve) => {
      child.once('exit', (code) => {
        if (timer) clearTimeout(timer);
        resolve({ dir, killed, code });
      });
    });
  }

  private async checkBackup(round: number, b: { dir: string; killed: boolean; code: number | null }): Promise<void> {
    try {
      if (b.code === 0) {
        const problems = await verifyBackup(b.dir, readManifest(b.dir));
        for (const p of problems) this.violation(`round ${round}: finished backup does not verify: ${p}`);
        this.r.backupsCompleted = (this.r.backupsCompleted ?? 0) + 1;
      } else if (b.killed) {
        let manifest = false;
        try {
          readManifest(b.dir);
          manifest = true;
        } catch {
          manifest = false;
        }
        if (manifest) {
          // Killed after writing the manifest (its last step): then it must be complete.
          const problems = await verifyBackup(b.dir, readManifest(b.dir));
          for (const p of problems) this.violation(`round ${round}: killed backup has a manifest but does not verify: ${p}`);
        }
        this.r.backupsKilled = (this.r.backupsKilled ?? 0) + 1;
      }
      // A backup that failed on its own (code ≠ 0, not killed) is not a violation: it raced a
      // kill -9 of the server it was reading from; the next round tries again.
    } finally {
      rmSync(b.dir, { recursive: true, force: true });
    }
  }

  private async restart(node: NodeProcess): Promise<void> {
    if (this.rand() < this.o.startupKillRate) {
      // Crash while starting / recovering.
      const starting = node.start().catch(() => undefined);
      await sleep(this.between(30, 1200));
      await node.kill('SIGKILL');
      await starting;
      this.r.startupKills++;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await node.start();
        break;
      } catch (err) {
        // E.g. a port still held by the dead process's socket: retry.
        if (attempt >= 5) throw err;
        await sleep(300);
      }
    }
    this.up.add(node);
  }

  private async checkFilesNow(when: string): Promise<void> {
    const layout = new DataLayout(this.dataDir);
    let catalog: Catalog | null = this.checkCatalog;
    let own = false;
    if (!catalog) {
      // Embedded: the only process is dead; open its catalog like a restart would.
      catalog = new SqliteCatalog(layout.catalogFile);
      own = true;
    }
    try {
      for (const p of await checkFiles(catalog, layout, { deep: false })) this.violation(`${when}: ${p.kind} ${p.path} (${p.detail})`);
    } finally {
      if (own) await catalog.close();
    }
  }

  // ------------------------------------------------------------------ writers

  private ledger(t: TableLedger, w: number): WriterLedger {
    let l = t.writers.get(w);
    if (!l) {
      l = { status: [], seq: [], group: [], acks: [], failed: [], next: 0 };
      t.writers.set(w, l);
    }
    return l;
  }

  private async writer(w: number): Promise<void> {
    let lastSeq = 0;
    while (!this.stopped) {
      const node = this.pickUp();
      if (!node) {
        await sleep(50);
        continue;
      }
      let c: pg.Client | null = null;
      try {
        c = await node.connect('crash');
        const status = trackParameterStatus(c);
        while (!this.stopped) {
          const t = this.current!;
          const l = this.ledger(t, w);
          const k = 1 + Math.floor(this.rand() * 4);
          const n0 = l.next;
          l.next += k;
          for (let i = 0; i < k; i++) {
            l.group[n0 + i] = n0;
            l.status[n0 + i] = PENDING;
          }
          const values = Array.from({ length: k }, (_, i) => `(${w}, ${n0 + i}, 'r${t.name}-w${w}-n${n0 + i}')`).join(', ');
          this.inflightSince[w] = Date.now();
          this.inflightTable[w] = t.name;
          this.r.writesAttempted++;
          try {
            await c.query(`INSERT INTO ${t.name} VALUES ${values}`);
          } catch (err) {
            for (let i = 0; i < k; i++) l.status[n0 + i] = FAILED;
            l.failed.push({ n: n0, k });
            this.r.writesFailed++;
            this.inflightSince[w] = null;
            this.inflightTable[w] = null;
            this.countError(err);
            throw err;
          }
          const token = status.get('duckmesh.last_visibility_token') ?? '';
          let seq = 0;
          try {
            seq = tokenSeq(token);
          } catch {
            this.violation(`writer ${w}: acknowledged write without a valid visibility token (${JSON.stringify(token)})`);
          }
          if (seq <= lastSeq) this.violation(`writer ${w}: token went backwards or repeated (${seq} after ${lastSeq})`);
          lastSeq = Math.max(lastSeq, seq);
          for (let i = 0; i < k; i++) {
            l.status[n0 + i] = ACKED;
            l.seq[n0 + i] = seq;
          }
          l.acks.push({ n: n0, k, seq, token });
          if (!t.maxAck || seq > t.maxAck.seq) t.maxAck = { seq, token };
          if (!this.globalMaxAck || seq > this.globalMaxAck.seq) this.globalMaxAck = { seq, token };
          this.r.writesAcked++;
          this.r.rowsAcked += k;
          this.inflightSince[w] = null;
          this.inflightTable[w] = null;
          if (this.rand() < 0.5) await sleep(Math.floor(this.rand() * 8));
        }
      } catch {
        await sleep(30 + Math.floor(this.rand() * 70));
      } finally {
        this.inflightSince[w] = null;
        this.inflightTable[w] = null;
        await c?.end().catch(() => undefined);
      }
    }
  }

  // ------------------------------------------------------------------ readers

  private async reader(i: number): Promise<void> {
    let conn = 0;
    let lastSnapshot = 0;
    while (!this.stopped) {
      const node = this.pickUp();
      if (!node) {
        await sleep(50);
        continue;
      }
      let c: pg.Client | null = null;
      conn++;
      // With several nodes, another node's follower may be a snapshot behind: monotonic per connection.
      if (this.o.backend === 'postgres') lastSnapshot = 0;
      try {
        c = await node.connect('crash', { options: '-c duckmesh.visibility_timeout=15000' });
        const status = trackParameterStatus(c);
        while (!this.stopped) {
          const plan = this.planRead();
          if (!plan) {
            await sleep(20);
            continue;
          }
          const { table, writer, token, seq, lo } = plan;
          const capturedAt = Date.now();
          this.r.reads++;
          let res: pg.QueryResult[];
          const snaps: number[] = [];
          try {
            await c.query(`SET duckmesh.min_visibility_token = '${token}'`);
            await c.query('BEGIN');
            const below = await c.query(`SELECT count(*)::INTEGER AS c FROM ${table} WHERE writer = ${writer} AND n < ${lo}`);
            snaps.push(Number(status.get('duckmesh.last_snapshot_id')));
            const win = await c.query(`SELECT n FROM ${table} WHERE writer = ${writer} AND n >= ${lo}`);
            snaps.push(Number(status.get('duckmesh.last_snapshot_id')));
            await c.query('COMMIT');
            res = [below, win];
          } catch (err) {
            this.r.readErrors++;
            const code = this.countError(err);
            const dropped = code === '42P01' && !this.live.some((t) => t.name === table);
            if (code !== 'transport' && code !== '57P01' && !dropped) {
              this.violation(`reader ${i} on ${node.id}: read of ${table} with token ${token} failed with ${code}: ${(err as Error).message}`);
            }
            throw err;
          }
          const snapshot = snaps[0]!;
          if (!Number.isSafeInteger(snapshot)) this.violation(`reader ${i} on ${node.id}: no duckmesh.last_snapshot_id reported`);
          if (snapshot < lastSnapshot) {
            this.violation(`reader ${i} on ${node.id}: snapshot id went backwards (${snapshot} after ${lastSnapshot})`);
          }
          lastSnapshot = Math.max(lastSnapshot, snapshot);
          this.snapshotNeeds.set(snapshot, Math.max(this.snapshotNeeds.get(snapshot) ?? 0, seq));
          this.pending.push({
            capturedAt,
            table,
            writer,
            token,
            seq,
            lo,
            countBelow: res[0]!.rows[0].c as number,
            window: res[1]!.rows.map((r) => r.n as number),
            snapshots: [snaps[0]!, snaps[1]!],
            who: `reader ${i} via ${node.id} (connection ${conn})`,
          });
          if (this.rand() < 0.3) await sleep(Math.floor(this.rand() * 10));
        }
      } catch {
        await sleep(30 + Math.floor(this.rand() * 70));
      } finally {
        await c?.end().catch(() => undefined);
      }
    }
  }

  /** A read: mostly the current table, sometimes an older one; writer w; w's last token or the newest token. */
  private planRead(): { table: string; writer: number; token: string; seq: number; lo: number } | null {
    const tables = this.live;
    const t = this.rand() < 0.8 || tables.length === 1 ? this.current! : tables[Math.floor(this.rand() * (tables.length - 1))]!;
    const ws = [...t.writers.entries()].filter(([, l]) => l.acks.length > 0);
    if (ws.length === 0) return null;
    const [writer, l] = ws[Math.floor(this.rand() * ws.length)]!;
    const own = l.acks[l.acks.length - 1]!;
    const useGlobal = this.rand() < 0.4 && this.globalMaxAck !== null && this.globalMaxAck.seq > own.seq;
    const { token, seq } = useGlobal ? this.globalMaxAck! : own;
    // The cut-off: a few acknowledged writes back from the newest one the token covers.
    let j = l.acks.length - 1;
    while (j > 0 && l.acks[j]!.seq > seq) j--;
    const lo = l.acks[Math.max(0, j - Math.floor(this.rand() * 25))]!.n;
    return { table: t.name, writer, token, seq, lo };
  }

  private async checkLoop(): Promise<void> {
    while (!this.stopped) {
      await sleep(500);
      this.checkPending(false);
    }
  }

  /** Checks the reads whose outcome is decidable: no write that might have a sequence ≤ T is still in flight. */
  private checkPending(all: boolean): void {
    let oldestInflight = Infinity;
    for (const s of this.inflightSince) if (s !== null && s !== undefined && s < oldestInflight) oldestInflight = s;
    const later: PendingRead[] = [];
    for (const p of this.pending) {
      if (all || p.capturedAt < oldestInflight) this.checkRead(p);
      else later.push(p);
    }
    this.pending = later;
  }

  private checkRead(p: PendingRead): void {
    this.r.readsChecked++;
    const at = `${p.who}: ${p.table} writer ${p.writer} token ${p.token}`;
    if (p.snapshots[0] !== p.snapshots[1]) this.violation(`${at}: one transaction read two snapshots (${p.snapshots.join(', ')})`);
    const l = this.tables.get(p.table)!.writers.get(p.writer)!;
    let minBelow = 0;
    let maxBelow = 0;
    for (let n = 0; n < p.lo; n++) {
      const s = l.status[n];
      if (s === ACKED) {
        maxBelow++;
        if (l.seq[n]! <= p.seq) minBelow++;
      } else if (s === FAILED) maxBelow++;
    }
    if (p.countBelow < minBelow) this.violation(`${at}: missed acknowledged writes below n=${p.lo} (saw ${p.countBelow} rows, at least ${minBelow} acknowledged with seq ≤ T)`);
    if (p.countBelow > maxBelow) this.violation(`${at}: ${p.countBelow} rows below n=${p.lo}, but only ${maxBelow} were ever written`);
    const seen = new Set<number>();
    for (const n of p.window) {
      if (seen.has(n)) this.violation(`${at}: row n=${n} read twice`);
      seen.add(n);
      if (!l.status[n]) this.violation(`${at}: row n=${n} was never written`);
    }
    for (let n = p.lo; n < l.status.length; n++) {
      if (l.status[n] === ACKED && l.seq[n]! <= p.seq && !seen.has(n)) {
        this.violation(`${at}: missed acknowledged write n=${n} (seq ${l.seq[n]} ≤ T ${p.seq}, snapshot ${p.snapshots[0]})`);
      }
      // A write is visible whole or not at all.
      if (l.group[n] === n) {
        let k = 1;
        while (l.group[n + k] === n) k++;
        let present = 0;
        for (let i = 0; i < k; i++) if (seen.has(n + i)) present++;
        if (present !== 0 && present !== k) this.violation(`${at}: write n=${n}..${n + k - 1} partly visible (${present} of ${k} rows)`);
      }
    }
  }

  // ------------------------------------------------------------------ final state

  /** Reads a whole table with a token covering all its acknowledged writes; checks it exactly. */
  private async verifyTable(t: TableLedger, when: string): Promise<void> {
    const rows = await this.withAnyNode(async (c) => {
      if (t.maxAck) await c.query(`SET duckmesh.min_visibility_token = '${t.maxAck.token}'`);
      return (await c.query(`SELECT writer, n, count(*)::INTEGER AS c FROM ${t.name} GROUP BY writer, n`)).rows as { writer: number; n: number; c: number }[];
    });
    const counts = new Map<number, Map<number, number>>();
    for (const r of rows) {
      let m = counts.get(r.writer);
      if (!m) counts.set(r.writer, (m = new Map()));
      m.set(r.n, r.c);
      const l = t.writers.get(r.writer);
      const s = l?.status[r.n];
      if (s !== ACKED && s !== FAILED) this.violation(`${when}: ${t.name} has row (${r.writer}, ${r.n}) that was never written`);
      else if (r.c !== 1) this.violation(`${when}: ${t.name} row (${r.writer}, ${r.n}) present ${r.c} times (${s === ACKED ? 'acknowledged' : 'failed'} write)`);
    }
    for (const [w, l] of t.writers) {
      const m = counts.get(w) ?? new Map<number, number>();
      for (const a of l.acks) {
        for (let i = 0; i < a.k; i++) {
          if (!m.has(a.n + i)) this.violation(`${when}: ${t.name} lost acknowledged row (${w}, ${a.n + i}) (seq ${a.seq})`);
        }
      }
      for (const f of l.failed) {
        let present = 0;
        for (let i = 0; i < f.k; i++) if (m.has(f.n + i)) present++;
        if (present !== 0 && present !== f.k) this.violation(`${when}: ${t.name} failed write (${w}, ${f.n}..${f.n + f.k - 1}) partly present (${present} of ${f.k})`);
      }
    }
  }

  /** The oldest snapshot still in the catalog (retention may have expired older ones). */
  private async oldestSnapshot(catalog: Catalog, newest: number): Promise<number> {
    let lo = 1;
    let hi = newest;
    // Expired snapshots form a prefix: binary search for its end.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await catalog.getSnapshot(mid)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private async withAnyNode<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
    let lastErr: unknown = null;
    for (let attempt = 0; attempt < 100; attempt++) {
      const node = this.pickUp();
      if (node) {
        let c: pg.Client | null = null;
        try {
          c = await node.connect('crash', { options: '-c duckmesh.visibility_timeout=30000' });
          return await fn(c);
        } catch (err) {
          lastErr = err;
          if (sqlstate(err) === 'DM001') this.violation(`acknowledged writes did not become visible within 30 s: ${(err as Error).message}`);
        } finally {
          await c?.end().catch(() => undefined);
        }
      }
      await sleep(100);
    }
    throw new Error(`no node answered: ${(lastErr as Error)?.message}`);
  }

  private async finalCheck(): Promise<void> {
    // Everything acknowledged, in every table, after all the crashes.
    for (const t of this.live) await this.verifyTable(t, 'final');
    await Promise.all(this.nodes.map((n) => n.stop()));
    this.up.clear();
    const layout = new DataLayout(this.dataDir);
    const catalog = this.checkCatalog ?? new SqliteCatalog(layout.catalogFile);
    try {
      const h = await checkCatalogHistory(catalog, layout, { deep: true });
      for (const p of h.problems) this.violation(`final: ${p}`);
      this.r.snapshots = h.snapshots;
      this.r.files = h.files;
      const referenced = new Set((await catalog.allFiles()).map((f) => layout.absolute(f.path)));
      this.r.orphans = listFiles(path.join(this.dataDir, 'tenants')).filter((f) => /\.parquet(\.tmp)?$/.test(f) && !referenced.has(f)).length;
      const oldest = await this.oldestSnapshot(catalog, h.snapshots);
      for (const [id, need] of this.snapshotNeeds) {
        const s = await catalog.getSnapshot(id);
        if (!s) {
          if (id >= oldest) this.violation(`a read ran on snapshot ${id}, which the catalog does not have`);
        } else if (s.watermark < need) this.violation(`a read with token seq ${need} ran on snapshot ${id} whose watermark is ${s.watermark}`);
      }
    } finally {
      if (catalog !== this.checkCatalog) await catalog.close();
    }
  }
}

export async function runCrashHarness(opts: HarnessOptions): Promise<HarnessReport> {
  if (opts.backend === 'postgres' && !opts.pgUrl) throw new Error('the postgres backend needs pgUrl');
  return new Harness(opts).run();
}

export function formatReport(r: HarnessReport): string {
  const errs = Object.entries(r.errors)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return (
    `[crash:${r.backend}] seed ${r.seed}: ${r.rounds} rounds, ${r.kills} kill -9 ` +
    `(${r.backend === 'postgres' ? `${r.leaderKills} of the lease holder, ` : ''}+${r.startupKills} during start-up) in ${(r.ms / 1000).toFixed(1)} s; ` +
    `writes ${r.writesAttempted} (acked ${r.writesAcked} = ${r.rowsAcked} rows, failed ${r.writesFailed}); ` +
    `reads ${r.reads} (checked ${r.readsChecked}, failed ${r.readErrors}); client errors: ${errs || 'none'}; ${r.tablesDropped} tables dropped; ` +
    `${r.snapshots} snapshots, ${r.files} files (+${r.orphans} unreferenced); ` +
    (r.backupsCompleted !== undefined || r.backupsKilled !== undefined ? `backups ${r.backupsCompleted ?? 0} verified, ${r.backupsKilled ?? 0} killed; ` : '') +
    `violations: ${r.violations.length}`
  );
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out;
}
