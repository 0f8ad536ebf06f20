import type { BusRecord, IngestBus } from './types.js';

interface Pending {
  records: readonly BusRecord[];
  resolve: (firstSeq: number) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: concurrent appends from many sessions are gathered while the previous durable
 * transaction is in flight and written together in one transaction (one fsync), so throughput
 * scales with concurrency instead of being capped by fsyncs per second.
 *
 * Each caller still gets its own contiguous sequence range, and callers are resolved in order.
 */
export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;

  constructor(
    private readonly bus: IngestBus,
    private readonly opts: { maxBatchRecords: number; onBatch?: (records: number, ms: number) => void } = {
      maxBatchRecords: 4096,
    },
  ) {}

  append(records: readonly BusRecord[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every write that arrived in the same event-loop turn join this batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch: Pending[] = [];
    let count = 0;
    while (this.queue.length > 0 && (batch.length === 0 || count + this.queue[0]!.records.length <= this.opts.maxBatchRecords)) {
      const p = this.queue.shift()!;
      batch.push(p);
      count += p.records.length;
    }
    const all: BusRecord[] = [];
    for (const p of batch) for (const r of p.records) all.push(r);
    const started = performance.now();
    try {
      let seq = await this.bus.append(all);
      this.opts.onBatch?.(all.length, performance.now() - started);
      for (const p of batch) {
        p.resolve(seq);
        seq += p.records.length;
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
