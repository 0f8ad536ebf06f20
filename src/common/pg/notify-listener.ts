import pg from 'pg';
import { quoteIdent } from './pg-support.js';

export interface NotifyListenerOptions {
  client: pg.ClientConfig;
  channel: string;
  /** Called with each notification's payload. */
  onNotify: (payload: string) => void;
  /** Called after every (re)connection, so the owner can catch up on notifications it missed. */
  onConnected: () => void;
  onError?: (err: Error) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * A dedicated session that LISTENs on one channel and reconnects with exponential backoff when the
 * connection drops (Postgres restart, pg_terminate_backend, network). Pooled connections cannot
 * LISTEN: a notification is delivered only to the session that listens, for as long as it lives.
 */
export class NotifyListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private backoffMs: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: NotifyListenerOptions) {
    this.backoffMs = opts.minBackoffMs ?? 100;
  }

  /**
   * Starts listening. Resolves after the first attempt, connected or not — it never throws: a
   * failed first connection is retried like any later one.
   */
  start(): Promise<void> {
    return this.connect();
  }

  get connected(): boolean {
    return this.client !== null;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client(this.opts.client);
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      this.opts.onError?.(err);
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('LISTEN connection ended')));
    client.on('notification', (n) => {
      if (n.channel === this.opts.channel) this.opts.onNotify(n.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(this.opts.channel)}`);
    } catch (err) {
      fail(err as Error);
      return;
    }
    if (this.stopped || failed) {
      client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.backoffMs = this.opts.minBackoffMs ?? 100;
    this.opts.onConnected();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.timer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, delay);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners('end');
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
