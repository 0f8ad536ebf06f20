import type { Logger } from 'pino';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { IngestBus, BusEntry } from '../bus/types.js';
import type { Catalog, NewFile, SnapshotInfo } from '../catalog/types.js';
import type { DataLayout } from '../storage/layout.js';
import type { ParquetWriter } from '../storage/parquet-writer.js';
import { BatchApplier } from './batch-applier.js';

export interface CommitWorkerOptions {
  /** Upper bound of bus entries folded into one snapshot. */
  maxEntries: number;
  maxBytes: number;
  /** Safety net if a wake-up is ever missed; not the normal path. */
  idleRecheckMs: number;
  retryDelayMs: number;
  /**
   * Pause after each commit so that a steady stream of small writes is folded into fewer, larger
   * snapshots (fewer files, fewer fsyncs competing with the bus's). Adds at most this much to
   * write → visible latency; 0 commits back to back.
   */
  minCommitIntervalMs?: number;
}

/** Longest stretch of applying before the worker lets other event-loop work run. */
const YIELD_EVERY_MS = 4;

export interface CommitStats {
  snapshot: SnapshotInfo;
  entries: number;
  rows: number;
  files: number;
  ms: number;
}

/**
 * Materializes the bus into snapshots: reads entries above the published watermark in sequence
 * order, applies them (BatchApplier: inserts appended, updates/deletes/upserts evaluated at their
 * position, DDL recorded), writes one Parquet file per touched table, then registers the files and
 * publishes the next snapshot in one catalog transaction. A crash anywhere before publication
 * leaves only unreferenced files; the next run resumes from the last published watermark and,
 * applying the same entries to the same state, produces the same result.
 */
export class CommitWorker {
  private running = false;
  private wake: (() => void) | null = null;
  private pendingWake = false;
  private loopDone: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: IngestBus,
    private readonly catalog: Catalog,
    private readonly writer: ParquetWriter,
    private readonly layout: DataLayout,
    private readonly log: Logger,
    private readonly opts: CommitWorkerOptions,
    private readonly onCommit: (stats: CommitStats) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.bus.onAppend(() => this.poke());
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.poke();
    await this.loopDone;
  }

  private poke(): void {
    this.pendingWake = true;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.pendingWake = false;
      let progressed = false;
      try {
        progressed = await this.runOnce();
      } catch (err) {
        this.log.error({ err }, 'commit worker: commit failed; will retry');
        await this.sleep(this.opts.retryDelayMs);
        continue;
      }
      const gap = this.opts.minCommitIntervalMs ?? 0;
      // A plain timer, not `sleep`: appends arriving meanwhile must not cut the pause short.
      if (progressed && gap > 0 && this.running) await new Promise((r) => setTimeout(r, gap));
      else if (!progressed && !this.pendingWake && this.running) await this.sleep(this.opts.idleRecheckMs);
    }
  }

  /** Commits one batch; returns false when there was nothing to do. */
  async runOnce(): Promise<boolean> {
    const parent = await this.catalog.latestSnapshot();
    const watermark = parent?.watermark ?? 0;
    const entries = await this.readBatch(watermark);
    if (entries.length === 0) return false;
    const started = performance.now();
    const applier = new BatchApplier(this.catalog, this.writer, this.layout, this.log, parent?.snapshotId ?? null);
    let written: NewFile[] = [];
    try {
      let slice = performance.now();
      for (const e of entries) {
        await applier.apply(e);
        // Applying is mostly synchronous work on the event loop (decoding, appending): hand the
        // loop back every few milliseconds so that sessions' writes are parsed and acknowledged
        // meanwhile instead of waiting for the whole batch.
        if (performance.now() - slice > YIELD_EVERY_MS) {
          await new Promise((r) => setImmediate(r));
          slice = performance.now();
        }
      }
      written = await applier.finish();
      const last = entries[entries.length - 1]!.seq;
      const busHead = await this.bus.head().catch(() => undefined);
      const snapshot = await this.catalog.publish({
        parentSnapshotId: parent?.snapshotId ?? null,
        watermark: last,
        addedFiles: written,
        removedFileIds: [],
        tableWatermarks: [...applier.tableWatermarks].map(([tableId, seq]) => ({ tableId, seq })),
        ...(busHead !== undefined ? { busHead: Math.max(busHead, last) } : {}),
      });
      this.onCommit({ snapshot, entries: entries.length, rows: applier.rows, files: written.length, ms: performance.now() - started });
      return true;
    } catch (err) {
      // Unpublished files are garbage; remove what we can (the integrity checker finds the rest).
      // Not when the outcome is unknown (DM008): the publication may have landed after all.
      await applier.abort(err instanceof DuckMeshError && err.sqlstate === SqlState.writeOutcomeUnknown);
      throw err;
    }
  }

  /**
   * Entries above `watermark`, ending at a logical-write boundary: a write that spans several
   * entries (a large statement, a transaction) is never split across snapshots, so it becomes
   * visible at once and can be applied all or nothing.
   */
  private async readBatch(watermark: number): Promise<BusEntry[]> {
    const entries = await this.bus.read(watermark, { maxEntries: this.opts.maxEntries, maxBytes: this.opts.maxBytes });
    if (entries.length === 0) return entries;
    const last = entries[entries.length - 1]!;
    const span = writeSpan(last);
    if (!span || span[0] === span[1] - 1) return entries;
    const firstOfWrite = last.seq - span[0];
    const complete = entries.filter((e) => e.seq < firstOfWrite);
    if (complete.length > 0) return complete;
    // One write larger than the batch limits: take exactly that write (appends are atomic, so
    // all of its entries are there).
    return this.bus.read(watermark, { maxEntries: span[1], maxBytes: Number.MAX_SAFE_INTEGER });
  }
}

/** [index, count] of a rows entry inside its logical write (see payload.ts `w`), or null. */
function writeSpan(e: BusEntry): [number, number] | null {
  if (e.kind !== 'rows' || !e.payload.startsWith('{"w":[')) return null;
  const m = /^\{"w":\[(\d+),(\d+)\]/.exec(e.payload);
  return m ? [Number(m[1]), Number(m[2])] : null;
}
