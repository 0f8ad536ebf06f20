import type { JetStreamManager } from '@nats-io/jetstream';
import { nuid } from '@nats-io/transport-node';
import { DuckMeshError, SqlState } from '../../common/errors.js';
import type { BusRecord } from '../types.js';
import type { AckPipeline, OutgoingMessage, PubAckResult } from './ack-pipeline.js';
import { abortHeaders, recordHeaders, recordMsgId } from './envelope.js';
import { readAt, readTail, type StreamTail } from './stream-tail.js';

/** JetStream's answers to a failed `Nats-Expected-*` check. */
const WRONG_LAST_MSG_ID = 10070;
const WRONG_LAST_SEQUENCE = 10071;
const INSUFFICIENT_RESOURCES = 10023;

export interface ChainAppenderOptions {
  stream: string;
  subject: string;
  /** Wait this long for PubAcks of one publish round. */
  publishTimeoutMs: number;
  /** An unfinished group at the tail that has not moved for this long is sealed by the next appender. */
  abandonAfterMs: number;
  isConnected: () => boolean;
}

/**
 * Appends one group of records as consecutive stream messages, all or nothing, with any number of
 * appenders in any number of processes.
 *
 * JetStream assigns sequence numbers at store time and stores a connection's messages in order, but
 * two appenders pipelining their messages would interleave. Locking across processes would need a
 * second system, and `Nats-Expected-Last-Sequence` alone is not enough for a pipeline: if message 3
 * of ours fails because a foreign message took its slot, our message 4 (expecting "last = slot 3")
 * would then succeed after the foreign one. The protocol instead chains the messages of a group:
 *
 *   member 0  expects: last sequence = L and last sequence on the subject = L (0 if none stored),
 *             where the message at L was seen to CLOSE its group (last member, abort marker, or none);
 *   member i  expects: last msg id = id of member i-1, and last sequence = L + i.
 *
 * The server checks expectations and stores under one stream lock, so each check is against the
 * exact current tail. Invariants:
 *  (1) Members of a group occupy L+1 … L+k contiguously: member i can only be stored directly after
 *      member i-1 (its expected last msg id is unique to that member).
 *  (2) Once any other message is stored after member j < n-1, no later member can ever be stored
 *      (member j+1 expects member j to be last) — the group is dead, and readers never show it
 *      (reader.ts shows a group only after seeing its last member).
 *  (3) A new group can start only right after a closing message, i.e. never inside another group.
 *      An unfinished group at the tail therefore blocks everyone; if its appender died, whoever
 *      finds it unchanged for `abandonAfterMs` appends an abort marker expecting that exact tail
 *      (last msg id and sequence), which kills it by (2). Sealing is always safe: if the owner was
 *      alive and faster, the marker's expectation fails; if the marker wins, the owner's next
 *      member fails and the owner reports failure.
 * So an acknowledged append (all n PubAcks) is a complete group; no message below it can start or
 * finish a group later (every group below L is complete or dead by (2)/(3)); and a reader that has
 * passed a position has seen every group that will ever be visible below it.
 *
 * Empty-stream subtlety: the server skips a "last sequence = 0" check, so member 0 also carries the
 * per-subject expectation, which does check 0 ("no message on the subject").
 */
export class ChainAppender {
  private cachedTail: StreamTail | null = null;
  private openSeen: { key: string; since: number } | null = null;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly pipeline: AckPipeline,
    private readonly opts: ChainAppenderOptions,
  ) {}

  /** Another process appended: our idea of the tail is stale. */
  invalidateTail(seenHead: number): void {
    if (this.cachedTail && seenHead > this.cachedTail.seq) this.cachedTail = null;
  }

  /** Appends the records as one group; returns the first sequence. Callers serialize calls. */
  async append(records: readonly BusRecord[], payloads: readonly Uint8Array[], deadline: number): Promise<number> {
    const group = nuid.next();
    const n = records.length;
    let backoff = 1;
    for (;;) {
      if (Date.now() > deadline) {
        throw unavailable('timed out waiting for other appenders to finish (the stream tail stayed busy)');
      }
      this.requireConnected();
      const tail = this.cachedTail ?? (await this.tail());
      if (tail.open) {
        await this.handleOpenTail(tail);
        this.cachedTail = null;
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 50);
        continue;
      }
      const msgs: OutgoingMessage[] = records.map((r, i) => ({ payload: payloads[i]!, headers: recordHeaders(group, i, n, r) }));
      expectChain(msgs, tail, group);
      const results = await this.pipeline.publishAll(this.opts.subject, msgs, this.opts.publishTimeoutMs);
      const outcome = classify(results, tail.seq);
      if (outcome.kind === 'stored') {
        this.cachedTail = { seq: tail.seq + n, present: true, open: null };
        return tail.seq + 1;
      }
      this.cachedTail = null;
      if (outcome.kind === 'lost-race') {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 50);
        continue;
      }
      if (outcome.kind === 'rejected') throw fromAck(outcome.error, 'the append was rejected');
      if (outcome.kind === 'partial') {
        // Our first members are stored; seal them so the tail is free again right away.
        await this.seal(outcome.lastStoredSeq, recordMsgId(group, outcome.stored - 1)).catch(() => undefined);
        throw fromAck(outcome.error, `the append was interrupted after ${outcome.stored} of ${n} records and discarded`);
      }
      return this.settle(group, tail, n, deadline);
    }
  }

  /**
   * Some PubAcks never came (disconnect, timeout): find out what the server stored, and make the
   * outcome final — either our whole group is there, or we make sure it can never complete.
   */
  private async settle(group: string, tail: StreamTail, n: number, deadline: number): Promise<number> {
    const L = tail.seq;
    while (Date.now() <= deadline) {
      if (!this.opts.isConnected()) {
        await sleep(100);
        continue;
      }
      try {
        const first = await readAt(this.jsm, this.opts.stream, L + 1);
        if (first?.type === 'record' && first.group === group) {
          const last = await readAt(this.jsm, this.opts.stream, L + n);
          if (last?.type === 'record' && last.group === group && last.index === n - 1) {
            this.cachedTail = null;
            return L + 1;
          }
          const now = await this.tail();
          if (now.open?.group === group) {
            // Our group is unfinished at the tail: kill it (or learn that it just completed).
            if (await this.seal(now.seq, now.open.msgId)) throw unavailable('the append was interrupted (connection lost) and discarded');
            continue;
          }
          throw unavailable('the append was interrupted (connection lost) and discarded');
        }
        const now = await this.tail();
        // Member 0 expects last sequence L: once the stream has moved past L it can never be stored.
        if (now.seq > L) throw unavailable('the append was not stored (connection lost)');
        // Nothing after L yet, but member 0 may still be in flight: fence it out with an abort
        // marker carrying the same expectation.
        const fence: OutgoingMessage[] = [{ payload: new Uint8Array(0), headers: abortHeaders(group, nuid.next()) }];
        expectChain(fence, tail, group);
        const [res] = await this.pipeline.publishAll(this.opts.subject, fence, this.opts.publishTimeoutMs);
        if (res?.ok) throw unavailable('the append was not stored (connection lost)');
      } catch (err) {
        if (err instanceof DuckMeshError) throw err;
        await sleep(100);
      }
    }
    throw unavailable(
      'lost the connection before the append was confirmed; its outcome is unknown — retry with the same idempotency key',
    );
  }

  private async handleOpenTail(tail: StreamTail): Promise<void> {
    const key = `${tail.seq}/${tail.open!.msgId}`;
    const now = Date.now();
    if (this.openSeen?.key !== key) {
      this.openSeen = { key, since: now };
      return;
    }
    if (now - this.openSeen.since >= this.opts.abandonAfterMs) {
      await this.seal(tail.seq, tail.open!.msgId).catch(() => undefined);
      this.openSeen = null;
    }
  }

  /** Appends an abort marker right after (seq, msgId); false if the tail moved meanwhile. */
  private async seal(seq: number, msgId: string): Promise<boolean> {
    const h = abortHeaders(msgId.slice(0, msgId.lastIndexOf('.')), nuid.next());
    h.set('Nats-Expected-Last-Sequence', String(seq));
    h.set('Nats-Expected-Last-Msg-Id', msgId);
    const [res] = await this.pipeline.publishAll(this.opts.subject, [{ payload: new Uint8Array(0), headers: h }], this.opts.publishTimeoutMs);
    return res?.ok === true;
  }

  private async tail(): Promise<StreamTail> {
    try {
      return await readTail(this.jsm, this.opts.stream, this.opts.subject);
    } catch (err) {
      throw unavailable(`could not read the stream tail: ${(err as Error).message}`, err);
    }
  }

  private requireConnected(): void {
    if (!this.opts.isConnected()) throw unavailable('not connected to NATS (reconnecting)');
  }
}

/** Sets the expectations of the chain (see the class comment) on a group's messages. */
function expectChain(msgs: OutgoingMessage[], tail: StreamTail, group: string): void {
  msgs.forEach((m, i) => {
    if (i === 0) {
      if (tail.seq > 0) m.headers.set('Nats-Expected-Last-Sequence', String(tail.seq));
      m.headers.set('Nats-Expected-Last-Subject-Sequence', String(tail.present ? tail.seq : 0));
    } else {
      m.headers.set('Nats-Expected-Last-Sequence', String(tail.seq + i));
      m.headers.set('Nats-Expected-Last-Msg-Id', recordMsgId(group, i - 1));
    }
  });
}

type Outcome =
  | { kind: 'stored' }
  /** Member 0 found another tail: nothing of ours is stored; try again. */
  | { kind: 'lost-race' }
  /** Member 0 refused for another reason (too large, storage full): nothing stored. */
  | { kind: 'rejected'; error: Extract<PubAckResult, { ok: false }> }
  /** Members 0..stored-1 stored, then a definite refusal. */
  | { kind: 'partial'; stored: number; lastStoredSeq: number; error: Extract<PubAckResult, { ok: false }> }
  /** Some answers are missing: only the server knows. */
  | { kind: 'unknown' };

function classify(results: readonly (PubAckResult | undefined)[], L: number): Outcome {
  let stored = 0;
  while (stored < results.length) {
    const r = results[stored];
    if (!r) return { kind: 'unknown' };
    // A duplicate ack or a misplaced sequence breaks the invariants: let settle() look.
    if (!r.ok || r.duplicate || r.seq !== L + stored + 1) break;
    stored++;
  }
  if (stored === results.length) return { kind: 'stored' };
  const r = results[stored]!;
  if (r.ok) return { kind: 'unknown' };
  // By the chain, nothing after a refused member can be stored; still, never trust a missing answer.
  for (let j = stored + 1; j < results.length; j++) {
    const later = results[j];
    if (!later || later.ok) return { kind: 'unknown' };
  }
  if (stored === 0) {
    return r.errCode === WRONG_LAST_SEQUENCE || r.errCode === WRONG_LAST_MSG_ID ? { kind: 'lost-race' } : { kind: 'rejected', error: r };
  }
  return { kind: 'partial', stored, lastStoredSeq: L + stored, error: r };
}

function fromAck(r: Extract<PubAckResult, { ok: false }>, what: string): DuckMeshError {
  if (r.errCode === INSUFFICIENT_RESOURCES || /insufficient (storage )?resources|no space/i.test(r.message)) {
    return new DuckMeshError(SqlState.diskFull, `could not append to the NATS ingest bus: ${what}: JetStream storage is full (${r.message})`);
  }
  return unavailable(`${what}: ${r.message}`);
}

export function unavailable(reason: string, cause?: unknown): DuckMeshError {
  return new DuckMeshError(SqlState.busUnavailable, `could not append to the NATS ingest bus: ${reason}`, cause === undefined ? {} : { cause });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
