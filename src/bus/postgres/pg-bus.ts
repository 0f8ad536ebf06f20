import { EventEmitter } from 'node:events';
import type pg from 'pg';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import type { BusEntry, BusRecord, IngestBus, ReadLimits } from '../types.js';
import { runMigrations } from '../../common/pg/migrations.js';
import { NotifyListener } from '../../common/pg/notify-listener.js';
import {
  checkout,
  checkSchemaName,
  clientConfig,
  createPool,
  DEFAULT_SCHEMA,
  describeError,
  isConnectionError,
  quoteIdent,
  type PgConnectionOptions,
} from '../../common/pg/pg-support.js';
import { BUS_MIGRATIONS } from './migrations.js';

export interface PgBusOptions extends PgConnectionOptions {
  /** Called for errors nobody awaits (idle pool clients dropped, LISTEN session lost). */
  onBackgroundError?: (err: Error) => void;
  /**
   * Upper bound of one bus statement, connection included in nothing (the pool's connect timeout
   * bounds that). Past it the connection is closed and the call fails: a network partition, which
   * resets nothing, would otherwise hang writers and the commit worker until TCP gives up
   * (minutes to hours). Default 30 s: far above any healthy append, however large.
   */
  queryTimeoutMs?: number;
}

export const DEFAULT_BUS_QUERY_TIMEOUT_MS = 30_000;

const APP_NAME = 'duckmesh-bus';

/**
 * The ingest bus on PostgreSQL, for several DuckMesh processes sharing one bus.
 *
 * Sequence numbers in commit order — why a reader never sees a gap fill in behind it:
 *
 * An append is ONE autocommit statement: it increments the single row of `bus_head` by n
 * (`UPDATE … RETURNING head`), inserts the n entries numbered head-n+1 … head, and queues a
 * NOTIFY. The UPDATE takes that row's lock and keeps it until the transaction ends.
 *
 * 1. Allocation order = commit order. Let A and B be appends with A's UPDATE first. B's UPDATE
 *    blocks on the row lock until A ends. Postgres releases a transaction's locks only after it
 *    has been marked committed and removed from the proc array (CommitTransaction:
 *    RecordTransactionCommit → ProcArrayEndTransaction → ResourceOwnerRelease), so when B proceeds,
 *    A is already visible to every new snapshot, and B's UPDATE (READ COMMITTED re-reads the newest
 *    row version) starts from A's head. Hence seq(A) < seq(B) and A commits strictly before B.
 *    If A rolls back (or its session dies), its increment is undone with it and B reuses those
 *    numbers: no hole is ever left, and nothing A wrote was ever visible.
 * 2. No gap fills in later. A reader that has seen entry s of append B read it in a snapshot taken
 *    after B committed. Every append A with a lower sequence committed before B (by 1), so that
 *    snapshot sees all of A too. Therefore the entries ≤ s the reader can ever see are exactly the
 *    ones it could already see: none can appear later below a position it has passed.
 * 3. Contiguity: one statement inserts all n rows under the lock, so the range is contiguous and
 *    not interleaved with any other append.
 *
 * The cost is one appender at a time per database; GroupCommitter (../group-commit.ts) batches
 * concurrent writers of a process into one append so the lock is taken once per batch.
 */
export class PgBus implements IngestBus {
  readonly backend = 'postgres';
  private readonly events = new EventEmitter();
  private lastEmitted = 0;
  private closed = false;
  private readonly s: string;
  private readonly appendSql: string;
  private readonly readSql: string;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly listener: NotifyListener | null,
    readonly schema: string,
    private readonly channel: string,
    private readonly queryTimeoutMs: number,
  ) {
    this.events.setMaxListeners(0);
    this.s = quoteIdent(schema);
    this.appendSql = `
      WITH h AS (UPDATE ${this.s}.bus_head SET head = head + $1 RETURNING head),
      ins AS (
        INSERT INTO ${this.s}.bus_entries (seq, tenant, kind, payload, appended_at)
        SELECT h.head - $1 + r.ord, r.tenant, r.kind, r.payload,
               (extract(epoch FROM clock_timestamp()) * 1000)::bigint
        FROM h, unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(tenant, kind, payload, ord)
      )
      SELECT head, pg_notify($5, head::text) FROM h`;
    // The running byte total stops a page early without shipping the payloads it leaves out;
    // octet_length reads a TOASTed value's size from its header without decompressing it.
    this.readSql = `
      SELECT seq, tenant, kind, payload, appended_at FROM (
        SELECT seq, tenant, kind, payload, appended_at,
               sum(octet_length(payload)) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) - octet_length(payload) AS before
        FROM ${this.s}.bus_entries WHERE seq > $1 ORDER BY seq LIMIT $2
      ) page WHERE before < $3 ORDER BY seq`;
  }

  /** Connects, creates or migrates the schema, and starts listening for other processes' appends. */
  static async open(opts: PgBusOptions = {}): Promise<PgBus> {
    const schema = checkSchemaName(opts.schema ?? DEFAULT_SCHEMA);
    const pool = createPool(opts, APP_NAME);
    // Without a handler, an idle pooled connection killed by the server would crash the process.
    pool.on('error', (err) => opts.onBackgroundError?.(err));
    try {
      await runMigrations(pool, schema, 'bus', BUS_MIGRATIONS);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw busError('could not open', err);
    }
    const channel = `duckmesh_bus_${schema}`;
    let bus: PgBus | null = null;
    const listener = new NotifyListener({
      client: clientConfig(opts, APP_NAME),
      channel,
      onNotify: (payload) => {
        const head = Number(payload);
        if (Number.isSafeInteger(head)) bus?.emitHead(head);
      },
      // Notifications sent while the session was down are lost: catch up from the table.
      onConnected: () => {
        bus?.head().then((h) => bus?.emitHead(h), () => undefined);
      },
      onError: (err) => opts.onBackgroundError?.(err),
    });
    bus = new PgBus(pool, listener, schema, channel, opts.queryTimeoutMs ?? DEFAULT_BUS_QUERY_TIMEOUT_MS);
    // Listening before returning means a caller that opens the bus and then waits for another
    // process's append cannot miss its notification.
    await listener.start();
    return bus;
  }

  async append(records: readonly BusRecord[]): Promise<number> {
    this.checkOpen();
    if (records.length === 0) return (await this.head()) + 1;
    const n = records.length;
    const { rows } = await this.run<{ head: number }>(
      'could not append to',
      this.appendSql,
      [n, records.map((r) => r.tenant), records.map((r) => r.kind), records.map((r) => r.payload), this.channel],
      true,
    );
    const head = rows[0]!.head;
    this.emitHead(head);
    return head - n + 1;
  }

  async read(afterSeq: number, limits: ReadLimits): Promise<BusEntry[]> {
    this.checkOpen();
    if (limits.maxEntries <= 0) return [];
    const { rows } = await this.run<{ seq: number; tenant: string; kind: BusEntry['kind']; payload: string; appended_at: number }>(
      'could not read from',
      this.readSql,
      [afterSeq, limits.maxEntries, Math.max(1, limits.maxBytes)],
    );
    return rows.map((r) => ({ seq: r.seq, tenant: r.tenant, kind: r.kind, payload: r.payload, appendedAt: r.appended_at }));
  }

  async head(): Promise<number> {
    this.checkOpen();
    const { rows } = await this.run<{ head: number }>('could not read the head of', `SELECT head FROM ${this.s}.bus_head`, []);
    return rows[0]?.head ?? 0;
  }

  onAppend(listener: (head: number) => void): () => void {
    this.events.on('append', listener);
    return () => this.events.off('append', listener);
  }

  async prune(uptoSeq: number): Promise<number> {
    this.checkOpen();
    const res = await this.run('could not prune', `DELETE FROM ${this.s}.bus_entries WHERE seq <= $1`, [uptoSeq]);
    return res.rowCount ?? 0;
  }

  async ping(): Promise<void> {
    this.checkOpen();
    await this.run('cannot reach', 'SELECT 1', []);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener?.stop();
    await this.pool.end().catch(() => undefined);
    this.events.removeAllListeners();
  }

  /**
   * Local appends and NOTIFYs (including the echo of our own) both land here; emitting only heads
   * that move forward gives listeners one call per advance, in order.
   */
  private emitHead(head: number): void {
    if (head <= this.lastEmitted || this.closed) return;
    this.lastEmitted = head;
    this.events.emit('append', head);
  }

  /**
   * One statement on a pooled connection, bounded by `queryTimeoutMs` (past it the connection is
   * closed, which fails the statement). Failures map to SQLSTATEs by what is known of the outcome:
   * - no connection could be had, or the server rejected the statement: nothing happened — DM005;
   * - `mayHaveApplied` (append) and the connection was lost or timed out after the statement was
   *   sent: it may have committed just before — DM008 (write outcome unknown), never DM005, which
   *   would tell the client it is safe to retry.
   */
  private async run<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[], mayHaveApplied = false): Promise<pg.QueryResult<R>> {
    let co: Awaited<ReturnType<typeof checkout>>;
    try {
      co = await checkout(this.pool);
    } catch (err) {
      throw busError(what, err);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // With a statement in flight, end() closes the socket at once; the statement then fails.
      co.client.end().catch(() => undefined);
    }, this.queryTimeoutMs);
    let broken = false;
    try {
      return await co.client.query<R>(sql, params);
    } catch (err) {
      broken = timedOut || isConnectionError(err);
      const cause = timedOut ? Object.assign(new Error(`no answer within ${this.queryTimeoutMs} ms`, { cause: err }), { code: 'ETIMEDOUT' }) : err;
      if (mayHaveApplied && broken && !neverSent(err)) throw outcomeUnknown(cause);
      throw busError(what, cause);
    } finally {
      clearTimeout(timer);
      co.release(broken);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new DuckMeshError(SqlState.busUnavailable, 'the Postgres ingest bus is closed');
  }
}

/**
 * A failure of the bus whose outcome is known — nothing happened — is DM005 (the ingest bus is
 * unavailable), except a full disk, which has its own SQLSTATE. A lost connection during an append
 * leaves its outcome unknown (the commit may have happened just before): that is DM008, raised by
 * `run`; the bus never retries it blindly, so callers retry with their idempotency key.
 */
function busError(what: string, err: unknown): DuckMeshError {
  if (err instanceof DuckMeshError) return err;
  const code = (err as { code?: string }).code;
  if (code === '53100') {
    return new DuckMeshError(SqlState.diskFull, `${what} the Postgres ingest bus: disk full`, { cause: err });
  }
  const reason = isConnectionError(err) ? `Postgres is unreachable: ${describeError(err)}` : describeError(err);
  return new DuckMeshError(SqlState.busUnavailable, `${what} the Postgres ingest bus: ${reason}`, { cause: err });
}

/** node-postgres refuses a query on a connection it already knows is dead, without sending it. */
function neverSent(err: unknown): boolean {
  return /not queryable|Client was closed/i.test((err as Error)?.message ?? '');
}

function outcomeUnknown(err: unknown): DuckMeshError {
  return new DuckMeshError(
    SqlState.writeOutcomeUnknown,
    `the connection to the Postgres ingest bus was lost while appending (${describeError(err)}): the write may or may not be durable`,
    {
      cause: err,
      hint: 'Retry only with the same idempotency key, or check whether the rows arrived before writing them again.',
    },
  );
}
