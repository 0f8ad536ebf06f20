import { createInbox, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** What the server answered for one published message; `undefined` = no answer (yet). */
export type PubAckResult =
  | { ok: true; seq: number; duplicate: boolean }
  | { ok: false; status: number; errCode: number; message: string };

export interface OutgoingMessage {
  payload: Uint8Array | string;
  headers: MsgHdrs;
}

interface Batch {
  results: (PubAckResult | undefined)[];
  remaining: number;
  done: (results: (PubAckResult | undefined)[]) => void;
  timer: NodeJS.Timeout;
  tokens: string[];
}

/**
 * Publishes many JetStream messages back to back and collects their PubAcks on one wildcard inbox.
 *
 * `js.publish` costs a request (own timer, own mux entry) per message — about 7k msgs/s here;
 * publishing with reply subjects we route ourselves and one timer per batch is ~3x faster, which is
 * what a 5,000-record append needs. The server processes a connection's messages in order, so a
 * batch is stored in the order it was written.
 */
export class AckPipeline {
  private readonly prefix = createInbox();
  private readonly sub: Subscription;
  private readonly waiting = new Map<string, { batch: Batch; index: number }>();
  private next = 0;

  constructor(private readonly nc: NatsConnection) {
    this.sub = nc.subscribe(`${this.prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const token = msg.subject.slice(this.prefix.length + 1);
        const w = this.waiting.get(token);
        if (!w) return;
        this.waiting.delete(token);
        w.batch.results[w.index] = parseAck(msg.data, msg.headers);
        if (--w.batch.remaining === 0) finish(w.batch);
      },
    });
  }

  /**
   * Publishes all messages in order. Resolves (never rejects) when every message is answered, or
   * after `timeoutMs`, or when `abandonAll` is called — unanswered slots stay `undefined`.
   */
  publishAll(subject: string, msgs: readonly OutgoingMessage[], timeoutMs: number): Promise<(PubAckResult | undefined)[]> {
    return new Promise((resolve) => {
      const batch: Batch = {
        results: new Array<PubAckResult | undefined>(msgs.length).fill(undefined),
        remaining: msgs.length,
        done: resolve,
        timer: setTimeout(() => this.expire(batch), timeoutMs),
        tokens: [],
      };
      if (msgs.length === 0) return finish(batch);
      for (let i = 0; i < msgs.length; i++) {
        const token = (this.next++).toString(36);
        batch.tokens.push(token);
        this.waiting.set(token, { batch, index: i });
        try {
          this.nc.publish(subject, msgs[i]!.payload, { reply: `${this.prefix}.${token}`, headers: msgs[i]!.headers });
        } catch (err) {
          // The connection closed under us: the rest was never sent.
          batch.results[i] = { ok: false, status: 0, errCode: 0, message: (err as Error).message };
          for (let j = i; j < msgs.length; j++) {
            if (j > i) batch.results[j] = { ok: false, status: 0, errCode: 0, message: 'not sent' };
            this.waiting.delete(batch.tokens[j] ?? '');
          }
          return this.expire(batch);
        }
      }
    });
  }

  /** On a disconnect: answers still outstanding may never come, so stop waiting for them. */
  abandonAll(): void {
    const batches = new Set<Batch>();
    for (const w of this.waiting.values()) batches.add(w.batch);
    for (const b of batches) this.expire(b);
  }

  close(): void {
    this.abandonAll();
    this.sub.unsubscribe();
  }

  private expire(batch: Batch): void {
    for (const t of batch.tokens) this.waiting.delete(t);
    finish(batch);
  }
}

function finish(batch: Batch): void {
  clearTimeout(batch.timer);
  batch.done(batch.results);
}

const decoder = new TextDecoder();

function parseAck(data: Uint8Array, hdrs: MsgHdrs | undefined): PubAckResult {
  if (data.length === 0) {
    // A status-only reply: 503 = no responders (no stream listens on the subject).
    const status = hdrs?.code ?? 0;
    return { ok: false, status, errCode: 0, message: status === 503 ? 'no JetStream stream answered (503 no responders)' : `status ${status} ${hdrs?.description ?? ''}`.trim() };
  }
  try {
    const body = JSON.parse(decoder.decode(data)) as {
      seq?: number;
      duplicate?: boolean;
      error?: { code?: number; err_code?: number; description?: string };
    };
    if (body.error) {
      return { ok: false, status: body.error.code ?? 0, errCode: body.error.err_code ?? 0, message: body.error.description ?? 'JetStream error' };
    }
    if (typeof body.seq === 'number') return { ok: true, seq: body.seq, duplicate: body.duplicate === true };
  } catch {
    // fall through
  }
  return { ok: false, status: 0, errCode: 0, message: 'unparseable PubAck' };
}
