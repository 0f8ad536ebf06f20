import { EventEmitter } from 'node:events';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type ConnectionOptions, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import type { BusEntry, BusRecord, IngestBus, ReadLimits } from '../types.js';
import { AckPipeline } from './ack-pipeline.js';
import { ChainAppender } from './chain-appender.js';
import { ENVELOPE_OVERHEAD_BYTES } from './envelope.js';
import { readGroups } from './group-reader.js';
import { ensureStream } from './stream-setup.js';

export interface NatsBusOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** JetStream stream name (default `DUCKMESH_BUS`). */
  stream?: string;
  /** The one subject the stream captures (default `duckmesh.bus`); must be literal. */
  subject?: string;
  /** Client name shown by the server's monitoring (default `duckmesh-bus`). */
  name?: string;
  /** Fail `open` after this long without a connection (default 2000 ms). */
  connectTimeoutMs?: number;
  /** Total time an append may take, waiting for other appenders included (default 15000 ms). */
  appendTimeoutMs?: number;
  /** Wait for the PubAcks of one publish round this long (default 5000 ms). */
  publishTimeoutMs?: number;
  /** Seal an unfinished append group left at the tail by a dead appender after this long (default 10000 ms). */
  abandonAfterMs?: number;
  /** Stream duplicate window when creating the stream (default 5000 ms). */
  duplicateWindowMs?: number;
  /** Extra client options (credentials, TLS, …). */
  connection?: Partial<ConnectionOptions>;
  onBackgroundError?: (err: Error) => void;
}

const encoder = new TextEncoder();

/**
 * The ingest bus on NATS JetStream: one stream, one message per record, sequence = stream sequence.
 *
 * Ordering and atomicity across processes come from the chained expectations of ChainAppender (the
 * proof is there); appends of this process are additionally serialized by a promise chain, so they
 * never race each other for the tail. GroupCommitter amortizes that serialization.
 *
 * Durability: an append is acknowledged only when the PubAck of every record has arrived, i.e. the
 * server has stored it. The server writes to its file store but fsyncs only every `sync_interval`
 * (2 minutes by default): a power loss or kernel crash can lose acknowledged appends (Jepsen
 * reproduced exactly that). Run nats-server with `jetstream { sync_interval: always }` (or use R3
 * streams across failure domains) for the durability DESIGN §4 promises.
 */
export class NatsBus implements IngestBus {
  readonly backend = 'nats';
  private readonly events = new EventEmitter();
  private lastEmitted = 0;
  private connected = true;
  private closed = false;
  private appendQueue: Promise<unknown> = Promise.resolve();
  private readonly pipeline: AckPipeline;
  private readonly appender: ChainAppender;
  private readonly notifySub: Subscription;
  private readonly maxRecordBytes: number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly subject: string,
    private readonly opts: NatsBusOptions,
  ) {
    this.events.setMaxListeners(0);
    this.pipeline = new AckPipeline(nc);
    this.appender = new ChainAppender(jsm, this.pipeline, {
      stream,
      subject,
      publishTimeoutMs: opts.publishTimeoutMs ?? 5000,
      abandonAfterMs: opts.abandonAfterMs ?? 10_000,
      isConnected: () => this.connected && !this.closed,
    });
    this.maxRecordBytes = nc.info!.max_payload - ENVELOPE_OVERHEAD_BYTES;
    // Appends of other processes: a core-NATS hint with the new head (never the data itself, which
    // could be megabytes per record for every listener).
    this.notifySub = nc.subscribe(notifySubject(subject), {
      callback: (_err, msg) => {
        const head = Number(msg.string());
        if (!Number.isSafeInteger(head)) return;
        this.appender.invalidateTail(head);
        this.emitHead(head);
      },
    });
    void this.watchStatus();
  }

  static async open(opts: NatsBusOptions): Promise<NatsBus> {
    const stream = opts.stream ?? 'DUCKMESH_BUS';
    const subject = opts.subject ?? 'duckmesh.bus';
    if (!/^[A-Za-z0-9_-]+$/.test(stream)) throw new Error(`invalid JetStream stream name ${JSON.stringify(stream)}`);
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(subject)) throw new Error(`the NATS bus subject must be literal, got ${JSON.stringify(subject)}`);
    let nc: NatsConnection;
    try {
      nc = await connect({
        name: opts.name ?? 'duckmesh-bus',
        ...opts.connection,
        servers: opts.servers,
        timeout: opts.connectTimeoutMs ?? 2000,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        // Notice a silently dead connection in ~30 s rather than the 2-minute default.
        pingInterval: 10_000,
        maxPingOut: 3,
      });
    } catch (err) {
      throw new DuckMeshError(
        SqlState.busUnavailable,
        `cannot reach the NATS ingest bus at ${[opts.servers].flat().join(', ')}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, stream, subject, opts.duplicateWindowMs ?? 5000);
      const bus = new NatsBus(nc, jetstream(nc), jsm, stream, subject, opts);
      // The server has registered our subscriptions once it answers a ping: from here on no
      // append-notification from another process can slip past us.
      await nc.flush();
      return bus;
    } catch (err) {
      await nc.close().catch(() => undefined);
      if (err instanceof DuckMeshError) throw err;
      throw new DuckMeshError(SqlState.busUnavailable, `could not open the NATS ingest bus (stream ${stream}): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  append(records: readonly BusRecord[]): Promise<number> {
    const run = () => this.appendNow(records);
    const p = this.appendQueue.then(run, run);
    this.appendQueue = p.catch(() => undefined);
    return p;
  }

  private async appendNow(records: readonly BusRecord[]): Promise<number> {
    this.checkOpen();
    if (records.length === 0) return (await this.head()) + 1;
    const payloads = records.map((r) => encoder.encode(r.payload));
    for (let i = 0; i < records.length; i++) {
      // Percent-encoded tenant: at most 9 header bytes per UTF-16 unit.
      const size = payloads[i]!.length + records[i]!.tenant.length * 9;
      if (size > this.maxRecordBytes) {
        throw new DuckMeshError(
          SqlState.programLimitExceeded,
          `a write of ${size} bytes exceeds the NATS ingest bus limit of ${this.maxRecordBytes} bytes per record (server max_payload ${this.nc.info?.max_payload})`,
          { hint: 'split the write into smaller statements or raise max_payload on the NATS server' },
        );
      }
    }
    const deadline = Date.now() + (this.opts.appendTimeoutMs ?? 15_000);
    const first = await this.appender.append(records, payloads, deadline);
    const head = first + records.length - 1;
    this.emitHead(head);
    try {
      this.nc.publish(notifySubject(this.subject), String(head));
    } catch {
      // Only a wake-up hint; others also poll.
    }
    return first;
  }

  async read(afterSeq: number, limits: ReadLimits): Promise<BusEntry[]> {
    this.checkConnected('read from');
    try {
      return await readGroups(this.js, this.jsm, this.stream, afterSeq, limits);
    } catch (err) {
      throw busError('could not read from', err);
    }
  }

  async head(): Promise<number> {
    this.checkConnected('read the head of');
    try {
      return (await this.jsm.streams.info(this.stream)).state.last_seq;
    } catch (err) {
      throw busError('could not read the head of', err);
    }
  }

  onAppend(listener: (head: number) => void): () => void {
    this.events.on('append', listener);
    return () => this.events.off('append', listener);
  }

  async prune(uptoSeq: number): Promise<number> {
    this.checkConnected('prune');
    try {
      const { state } = await this.jsm.streams.info(this.stream);
      // Purging "below seq" with seq past the end would move the stream's last sequence forward.
      const upto = Math.min(uptoSeq, state.last_seq);
      if (upto < state.first_seq) return 0;
      return (await this.jsm.streams.purge(this.stream, { seq: upto + 1 })).purged;
    } catch (err) {
      throw busError('could not prune', err);
    }
  }

  async ping(): Promise<void> {
    this.checkConnected('reach');
    try {
      await this.jsm.streams.info(this.stream);
    } catch (err) {
      throw busError('cannot reach', err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.appendQueue;
    this.pipeline.close();
    this.notifySub.unsubscribe();
    await this.nc.close().catch(() => undefined);
    this.events.removeAllListeners();
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') {
        this.connected = false;
        // Answers outstanding on the dead connection will not come: let appends settle now.
        this.pipeline.abandonAll();
        this.opts.onBackgroundError?.(new Error(`NATS bus disconnected from ${s.server}`));
      } else if (s.type === 'reconnect') {
        this.connected = true;
        // Appends by others while we were away sent hints we missed.
        this.head().then((h) => {
          this.appender.invalidateTail(h);
          this.emitHead(h);
        }, () => undefined);
      }
    }
  }

  private emitHead(head: number): void {
    if (head <= this.lastEmitted || this.closed) return;
    this.lastEmitted = head;
    this.events.emit('append', head);
  }

  private checkOpen(): void {
    if (this.closed) throw new DuckMeshError(SqlState.busUnavailable, 'the NATS ingest bus is closed');
  }

  private checkConnected(what: string): void {
    this.checkOpen();
    if (!this.connected) throw new DuckMeshError(SqlState.busUnavailable, `could not ${what} the NATS ingest bus: not connected (reconnecting)`);
  }
}

function notifySubject(subject: string): string {
  return `${subject}.appended`;
}

function busError(what: string, err: unknown): DuckMeshError {
  if (err instanceof DuckMeshError) return err;
  return new DuckMeshError(SqlState.busUnavailable, `${what} the NATS ingest bus: ${(err as Error).message}`, { cause: err });
}
