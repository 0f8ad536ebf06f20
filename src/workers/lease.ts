import { COMMIT_WORKER_LEASE, type Catalog, type LeaseFence, type LeaseGrant } from '../catalog/types.js';

export interface LeaseState {
  isLeader: boolean;
  /** The epoch of the grant while leader; null otherwise. */
  epoch: number | null;
}

export interface LeaderLeaseOptions {
  /** This process's identity in the lease (config `nodeId`). Must differ between processes. */
  holder: string;
  /** How long a grant lasts without renewal. A dead leader is replaced after at most ~ttl + ttl/3. */
  ttlMs: number;
  /** Lease name (default: the commit worker's). */
  name?: string;
  /** How often to renew (as leader) or try to take over (as follower); default ttl/3. */
  renewEveryMs?: number;
  log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

type LeaseCatalog = Pick<Catalog, 'acquireLease' | 'releaseLease'>;

interface HeldGrant {
  epoch: number;
  /** performance.now() after which this process no longer counts itself leader. */
  deadline: number;
}

/**
 * Keeps trying to hold a catalog lease: renews it every ttl/3 while leader, tries to take it over
 * at the same pace while follower.
 *
 * Local leadership is conservative: a grant counts from the moment the request was SENT, so this
 * process stops considering itself leader (isLeader false, onChange fired) no later than the
 * catalog would let the grant expire — even if renewals hang or the catalog is unreachable. That is
 * only an optimisation; correctness comes from fencing: every publish carries `fence()` and the
 * catalog rejects it unless the grant is still current (see `fencedCatalog`).
 */
export class LeaderLease {
  readonly name: string;
  readonly holder: string;
  private readonly ttlMs: number;
  private readonly renewEveryMs: number;
  private grant: HeldGrant | null = null;
  private lastEmitted: LeaseState = { isLeader: false, epoch: null };
  private readonly listeners = new Set<(state: LeaseState) => void>();
  private tickTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private started = false;
  private stopped = false;

  constructor(
    private readonly catalog: LeaseCatalog,
    private readonly opts: LeaderLeaseOptions,
  ) {
    if (!Number.isSafeInteger(opts.ttlMs) || opts.ttlMs < 3) throw new RangeError(`lease ttlMs must be an integer >= 3, got ${opts.ttlMs}`);
    if (opts.holder === '') throw new RangeError('lease holder must not be empty');
    this.name = opts.name ?? COMMIT_WORKER_LEASE;
    this.holder = opts.holder;
    this.ttlMs = opts.ttlMs;
    this.renewEveryMs = Math.max(1, opts.renewEveryMs ?? Math.floor(opts.ttlMs / 3));
    if (this.renewEveryMs >= this.ttlMs) throw new RangeError('lease renewEveryMs must be shorter than ttlMs');
  }

  /** Makes the first attempt (resolves once it has settled, leader or not), then keeps going. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.tick();
  }

  get isLeader(): boolean {
    return this.current() !== null;
  }

  get epoch(): number | null {
    return this.current()?.epoch ?? null;
  }

  /** What to attach to a publication (`SnapshotCommit.fencing`); null when not leader. */
  fence(): LeaseFence | null {
    const g = this.current();
    return g ? { lease: this.name, holder: this.holder, epoch: g.epoch } : null;
  }

  /**
   * Called on every change of leadership or epoch (not on plain renewals), with the new state.
   * Returns an unsubscribe function.
   */
  onChange(cb: (state: LeaseState) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Stops renewing and releases the lease if held, so a follower can take over at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.tickTimer = this.expiryTimer = null;
    await this.inFlight;
    this.set(null);
    if (!this.started) return;
    // Unconditionally: a renewal that timed out locally may still have been granted. Releasing a
    // lease held by someone else does nothing.
    try {
      await this.catalog.releaseLease(this.name, this.holder);
    } catch (err) {
      this.opts.log?.warn({ err, lease: this.name }, 'lease: release failed; it will expire by itself');
    }
  }

  private current(): HeldGrant | null {
    const g = this.grant;
    return g && performance.now() < g.deadline ? g : null;
  }

  private tick(): Promise<void> {
    const run = this.attempt().finally(() => {
      this.inFlight = null;
      if (!this.stopped) {
        this.tickTimer = setTimeout(() => void this.tick(), this.renewEveryMs);
        this.tickTimer.unref();
      }
    });
    this.inFlight = run;
    return run;
  }

  private async attempt(): Promise<void> {
    const sentAt = performance.now();
    let result: LeaseGrant | null;
    try {
      // A hung request must not stall the loop past the grant's lifetime.
      result = await withTimeout(this.catalog.acquireLease(this.name, this.holder, this.ttlMs), this.ttlMs);
    } catch (err) {
      this.opts.log?.warn({ err, lease: this.name, isLeader: this.isLeader }, 'lease: acquire/renew failed; retrying');
      this.set(this.current());
      return;
    }
    if (this.stopped) return;
    this.set(result ? { epoch: result.epoch, deadline: sentAt + this.ttlMs } : null);
  }

  private set(next: HeldGrant | null): void {
    this.grant = next;
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (next && !this.stopped) {
      // Lapse locally at the deadline unless a renewal moves it.
      this.expiryTimer = setTimeout(() => this.set(this.current()), Math.max(0, next.deadline - performance.now()) + 1);
      this.expiryTimer.unref();
    }
    const state: LeaseState = next ? { isLeader: true, epoch: next.epoch } : { isLeader: false, epoch: null };
    if (state.isLeader === this.lastEmitted.isLeader && state.epoch === this.lastEmitted.epoch) return;
    this.lastEmitted = state;
    this.opts.log?.info({ lease: this.name, holder: this.holder, ...state }, state.isLeader ? 'lease: leader' : 'lease: not leader');
    for (const cb of [...this.listeners]) {
      try {
        cb(state);
      } catch (err) {
        this.opts.log?.warn({ err }, 'lease: onChange listener threw');
      }
    }
  }
}

/** Something leadership switches on and off, e.g. the CommitWorker. */
export interface LeaderTask {
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `task` exactly while `lease` is leader. Transitions are serialized: a stop always completes
 * before the next start, so two copies of the task never overlap in this process. Call the returned
 * function at shutdown: it unsubscribes and stops the task (before you stop the lease).
 */
export function followLeadership(
  lease: LeaderLease,
  task: LeaderTask,
  onError: (err: unknown) => void = () => undefined,
): () => Promise<void> {
  let running = false;
  let chain: Promise<void> = Promise.resolve();
  const apply = (want: boolean): Promise<void> => {
    chain = chain.then(async () => {
      if (want === running) return;
      try {
        if (want) await task.start();
        else await task.stop();
        running = want;
      } catch (err) {
        onError(err);
      }
    });
    return chain;
  };
  const unsubscribe = lease.onChange((s) => void apply(s.isLeader));
  if (lease.isLeader) void apply(true);
  return async () => {
    unsubscribe();
    await apply(false);
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
