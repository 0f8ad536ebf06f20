/**
 * The ingest bus: a durable, totally ordered log of logical writes.
 *
 * Contract (DESIGN §4), shared by every backend:
 * - `append(records)` durably stores the records and assigns them a contiguous range of sequence
 *   numbers, strictly increasing in commit order. Once it returns, no entry with a lower sequence
 *   can appear later (readers never see a gap fill in behind them).
 * - Entries can be read in sequence order from any position.
 */
export interface BusRecord {
  tenant: string;
  /** Interpreted by the commit worker; see `ingest/payload.ts`. */
  kind: BusEntryKind;
  /** Serialized payload (JSON text). */
  payload: string;
}

export type BusEntryKind = 'rows' | 'ddl';

export interface BusEntry extends BusRecord {
  seq: number;
  /** Milliseconds since the epoch when the entry became durable. */
  appendedAt: number;
}

export interface ReadLimits {
  maxEntries: number;
  maxBytes: number;
}

export interface IngestBus {
  /** Short backend name for logs and metrics ("embedded", "postgres", "nats"). */
  readonly backend: string;
  /** Appends all records in one durable transaction; returns the first assigned sequence. */
  append(records: readonly BusRecord[]): Promise<number>;
  /** Entries with seq > afterSeq, in order, bounded by the limits (at least one entry if any). */
  read(afterSeq: number, limits: ReadLimits): Promise<BusEntry[]>;
  /** Highest sequence appended so far (0 when empty). */
  head(): Promise<number>;
  /** Calls `listener` after appends become durable (in this process or, where supported, others). */
  onAppend(listener: (head: number) => void): () => void;
  /** Deletes entries with seq <= `uptoSeq` (only ever below the published watermark). */
  prune(uptoSeq: number): Promise<number>;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
