/**
 * Idempotency keys (DESIGN §4), kept in DuckMesh's own catalog — never in a bus's dedup window.
 *
 *   reserve (tenant, key, fingerprint) → append (the key rides in the bus payload) → record receipt
 *
 * - Same key, same fingerprint, receipt recorded: the original receipt, nothing written.
 * - Same key, different fingerprint: DM004, nothing written.
 * - Same key while another writer holds the reservation: wait for its receipt.
 * - A crash between append and "record receipt" loses nothing: the commit worker reads the key
 *   from the payload and records the receipt itself (first receipt wins, see
 *   Catalog.claimIdempotencyReceipt), and it applies only the bus entry that owns the receipt —
 *   so even a reservation taken over after it went stale can never produce a second write.
 * - A crash between reserve and append leaves a reservation without a write: after
 *   `staleAfterMs` a retry takes it over.
 */
import { randomUUID } from 'node:crypto';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { Catalog, IdempotencyRecord } from '../catalog/types.js';
import { encodeToken } from '../visibility/token.js';
import type { Receipt } from './receipt.js';

/** SQLSTATE for a write without an idempotency key where the tenant's policy requires one. */
export const IDEMPOTENCY_KEY_REQUIRED = 'DM009';
/** Tenant setting (Catalog.setTenantSetting) that makes keys mandatory for row writes. */
export const REQUIRE_KEY_SETTING = 'require_idempotency_key';

/**
 * Keys are pruned by retention (`retention.idempotencyKeyHours`, default 24 h; see
 * ops/retention.ts), never by a bus's dedup window.
 */
export interface IdempotencyOptions {
  /** A reservation without a receipt this old is considered abandoned (its writer crashed). */
  staleAfterMs: number;
  /** How long a duplicate waits for the in-flight original's receipt. */
  waitTimeoutMs: number;
}

export const DEFAULT_IDEMPOTENCY: IdempotencyOptions = {
  staleAfterMs: 120_000,
  waitTimeoutMs: 30_000,
};

/** What the append learns about the key; it goes into the write's first bus entry. */
export interface KeyStamp {
  key: string;
  fp: string;
}

const MAX_KEY_LENGTH = 255;
const POLICY_TTL_MS = 2000;

export class IdempotencyKeys {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly policies = new Map<string, { required: boolean; at: number }>();
  private readonly refreshing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly catalog: Catalog,
    private readonly opts: IdempotencyOptions = DEFAULT_IDEMPOTENCY,
  ) {}

  /** Refuses a keyless row write when the tenant's policy requires keys. */
  async checkPolicy(tenant: string, key: string | undefined): Promise<void> {
    if (key) return;
    let p = this.policies.get(tenant);
    if (!p) {
      p = await this.fetchPolicy(tenant);
    } else if (Date.now() - p.at > POLICY_TTL_MS && !this.refreshing.has(tenant)) {
      // Stale-while-revalidate: a write never waits on the catalog for a policy it already knows
      // (a slow or partitioned catalog must not stall writes the bus can take); the refreshed
      // policy applies from the next write on.
      const refresh = this.fetchPolicy(tenant)
        .catch(() => undefined)
        .finally(() => this.refreshing.delete(tenant));
      this.refreshing.set(tenant, refresh);
    }
    if (p.required) {
      throw new DuckMeshError(IDEMPOTENCY_KEY_REQUIRED, `tenant "${tenant}" requires an idempotency key on every write`, {
        hint: "SET duckmesh.idempotency_key = '<unique key>' before the write (HTTP: an Idempotency-Key header).",
      });
    }
  }

  private async fetchPolicy(tenant: string): Promise<{ required: boolean; at: number }> {
    const v = (await this.catalog.tenantSettings(tenant))[REQUIRE_KEY_SETTING] ?? '';
    const p = { required: ['on', 'true', '1', 'yes'].includes(v.toLowerCase()), at: Date.now() };
    this.policies.set(tenant, p);
    return p;
  }

  /** Forgets the cached policy (this process changed it): the next write reads it afresh. */
  forgetPolicy(tenant: string): void {
    this.policies.delete(tenant);
  }

  /**
   * Runs `append` at most once per (tenant, key) across retries, sessions and processes. Returns
   * the receipt of THE write of this key and whether this call merely replayed it.
   */
  async run(tenant: string, key: string, fingerprint: string, append: (stamp: KeyStamp) => Promise<Receipt>): Promise<{ receipt: Receipt; replayed: boolean }> {
    checkKey(key);
    const deadline = Date.now() + this.opts.waitTimeoutMs;
    for (;;) {
      const owner = randomUUID();
      const existing = await this.catalog.reserveIdempotencyKey({ tenant, key, fingerprint, owner, now: Date.now() });
      if (existing === null) return this.write(tenant, key, fingerprint, owner, append);
      if (existing.fingerprint !== fingerprint) throw conflict(key);
      if (existing.firstSeq !== null) return { receipt: receiptOf(existing), replayed: true };
      // Someone else's write of this key is in flight (or its writer died before appending).
      if (Date.now() - existing.reservedAt > this.opts.staleAfterMs) {
        if (await this.catalog.takeOverIdempotencyKey(tenant, key, existing.owner, existing.reservedAt, owner, Date.now())) {
          return this.write(tenant, key, fingerprint, owner, append);
        }
        continue;
      }
      if (Date.now() > deadline) {
        throw new DuckMeshError(SqlState.writeOutcomeUnknown, `a write with idempotency key "${key}" is still in progress`, {
          hint: 'Retry later with the same key: it is written exactly once.',
        });
      }
      await this.waitForOthers(tenant, key);
    }
  }

  private async write(
    tenant: string,
    key: string,
    fingerprint: string,
    owner: string,
    append: (stamp: KeyStamp) => Promise<Receipt>,
  ): Promise<{ receipt: Receipt; replayed: boolean }> {
    const id = `${tenant}\u0000${key}`;
    let done!: () => void;
    this.inflight.set(id, new Promise<void>((r) => (done = r)));
    try {
      let receipt: Receipt;
      try {
        receipt = await append({ key, fp: fingerprint });
      } catch (err) {
        // Definitely not written: free the key. Outcome unknown: keep it, so a retry waits for
        // the commit worker to record the receipt (or takes over once the reservation is stale).
        if (!(err instanceof DuckMeshError && err.sqlstate === SqlState.writeOutcomeUnknown)) {
          await this.catalog.releaseIdempotencyKey(tenant, key, owner).catch(() => undefined);
        }
        throw err;
      }
      const stored = await this.catalog.claimIdempotencyReceipt({
        tenant,
        key,
        fingerprint,
        firstSeq: receipt.firstSeq,
        lastSeq: receipt.lastSeq,
        rows: receipt.rows,
        now: Date.now(),
      });
      return { receipt: receiptOf(stored), replayed: stored.firstSeq !== receipt.firstSeq };
    } finally {
      this.inflight.delete(id);
      done();
    }
  }

  /** Wakes when this process's writer of the key finishes, else polls (the writer may be elsewhere). */
  private async waitForOthers(tenant: string, key: string): Promise<void> {
    const local = this.inflight.get(`${tenant}\u0000${key}`);
    const poll = new Promise((r) => setTimeout(r, 25));
    await (local ? Promise.race([local, poll.then(() => new Promise((r) => setTimeout(r, 200)))]) : poll);
  }
}

function receiptOf(r: IdempotencyRecord): Receipt {
  return { token: encodeToken(r.lastSeq!), firstSeq: r.firstSeq!, lastSeq: r.lastSeq!, rows: r.rows ?? 0 };
}

function checkKey(key: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new DuckMeshError(SqlState.invalidParameterValue, `idempotency key must be 1 to ${MAX_KEY_LENGTH} characters`);
  }
}

function conflict(key: string): DuckMeshError {
  return new DuckMeshError(SqlState.idempotencyKeyConflict, `idempotency key "${key}" was already used for a different write`, {
    hint: 'Use a new key for a new write; reuse a key only to retry the identical write.',
  });
}
