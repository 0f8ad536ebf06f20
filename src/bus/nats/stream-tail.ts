import type { JetStreamManager } from '@nats-io/jetstream';
import { decodeMessage, type BusMessage } from './envelope.js';

/**
 * The end of the stream as an appender needs to see it: the last sequence, whether a message is
 * still stored there (a prune may have removed everything), and — if that message is a member of
 * an unfinished append group — which one.
 */
export interface StreamTail {
  seq: number;
  present: boolean;
  /** Set when the last message belongs to a group whose last member is not stored yet. */
  open: { group: string; msgId: string } | null;
}

export async function readTail(jsm: JetStreamManager, stream: string, subject: string): Promise<StreamTail> {
  // STREAM.MSG.GET is answered by the stream leader; a direct get may come from a lagging replica.
  const sm = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  if (!sm) {
    const info = await jsm.streams.info(stream);
    return { seq: info.state.last_seq, present: false, open: null };
  }
  const m = decodeMessage(sm.seq, sm.header, sm.data, sm.time.getTime());
  return { seq: sm.seq, present: true, open: isOpen(m) ? { group: m.group, msgId: m.msgId } : null };
}

export async function readAt(jsm: JetStreamManager, stream: string, seq: number): Promise<BusMessage | null> {
  const sm = await jsm.streams.getMessage(stream, { seq });
  return sm ? decodeMessage(sm.seq, sm.header, sm.data, sm.time.getTime()) : null;
}

function isOpen(m: BusMessage): m is Extract<BusMessage, { type: 'record' }> {
  return m.type === 'record' && m.index < m.count - 1;
}
