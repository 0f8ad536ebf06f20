import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { BusEntryKind, BusRecord } from '../types.js';

/**
 * How bus records are laid out as JetStream messages: one message per record, payload = the
 * record's JSON text, everything else in headers.
 *
 * Every record message carries its append group: `Dm-Entry: <group id> <index> <count>`. An append
 * of n records is a group of n consecutive messages; it becomes visible to readers only once its
 * last member (index n-1) is stored. A group interrupted before that is closed by an abort marker
 * (`Dm-Abort: <group id>`, empty payload) and is never visible. See chain-appender.ts.
 */
export const H = {
  msgId: 'Nats-Msg-Id',
  entry: 'Dm-Entry',
  tenant: 'Dm-Tenant',
  kind: 'Dm-Kind',
  abort: 'Dm-Abort',
} as const;

/** Upper bound of the header bytes we add to a record (ids, tenant aside); used for size checks. */
export const ENVELOPE_OVERHEAD_BYTES = 512;

export type BusMessage =
  | {
      type: 'record';
      seq: number;
      group: string;
      index: number;
      count: number;
      msgId: string;
      tenant: string;
      kind: BusEntryKind;
      payload: string;
      appendedAt: number;
    }
  | { type: 'abort'; seq: number; group: string }
  /** Something on the subject that DuckMesh did not write: never an entry, closes any open group. */
  | { type: 'foreign'; seq: number };

export function recordMsgId(group: string, index: number): string {
  return `${group}.${index}`;
}

export function recordHeaders(group: string, index: number, count: number, r: BusRecord): MsgHdrs {
  const h = headers();
  h.set(H.msgId, recordMsgId(group, index));
  h.set(H.entry, `${group} ${index} ${count}`);
  // Tenants are database names; percent-encoding keeps any byte out of the header syntax.
  h.set(H.tenant, encodeURIComponent(r.tenant));
  h.set(H.kind, r.kind);
  return h;
}

export function abortHeaders(group: string, markerId: string): MsgHdrs {
  const h = headers();
  h.set(H.msgId, markerId);
  h.set(H.abort, group);
  return h;
}

const decoder = new TextDecoder();

/** Decodes a stored message (from a consumer or a direct lookup) into its bus meaning. */
export function decodeMessage(seq: number, hdrs: MsgHdrs | undefined, data: Uint8Array, appendedAt: number): BusMessage {
  const abort = hdrs?.get(H.abort);
  if (abort) return { type: 'abort', seq, group: abort };
  const entry = hdrs?.get(H.entry);
  const parts = entry ? entry.split(' ') : [];
  const index = Number(parts[1]);
  const count = Number(parts[2]);
  const kind = hdrs?.get(H.kind);
  if (parts.length !== 3 || !Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count || (kind !== 'rows' && kind !== 'ddl')) {
    return { type: 'foreign', seq };
  }
  return {
    type: 'record',
    seq,
    group: parts[0]!,
    index,
    count,
    msgId: hdrs?.get(H.msgId) ?? '',
    tenant: decodeURIComponent(hdrs?.get(H.tenant) ?? ''),
    kind,
    payload: decoder.decode(data),
    appendedAt,
  };
}

/** True when nothing can follow this message except a new group (it closes its group). */
export function closesGroup(m: BusMessage): boolean {
  return m.type !== 'record' || m.index === m.count - 1;
}
