import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { IngestBus, BusEntry } from '../bus/types.js';
import type { Catalog, NewFile, SnapshotInfo, TableDef } from '../catalog/types.js';
import { decodeDdlPayload, decodeRowsPayload } from '../ingest/payload.js';
import type { DataLayout } from '../storage/layout.js';
import type { ParquetWriter, RowBatch } from '../storage/parquet-writer.js';

export interface CommitWorkerOptions {
  /** Upper bound of bus entries folded into one snapshot. */
  maxEntries: number;
  maxBytes: number;
  /** Safety net if a wake-up is ever missed; not the normal path. */
  idleRecheckMs: number;
  retryDelayMs: number;
}

export interface CommitStats {
  snapshot: SnapshotInfo;
  entries: number;
  rows: number;
  files: number;
  ms: number;
}

/**
 * Materializes the bus into snapshots: reads entries above the published watermark in sequence
 * order, writes one Parquet file per touched table, then registers the files and publishes the
 * next snapshot in one catalog transaction. A crash anywhere before publication leaves only
 * unreferenced files; the next run resumes from the last published watermark.
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
      if (!progressed && !this.pendingWake && this.running) await this.sleep(this.opts.idleRecheckMs);
    }
  }

  /** Commits one batch; returns false when there was nothing to do. */
  async runOnce(): Promise<boolean> {
    const parent = await this.catalog.latestSnapshot();
    const watermark = parent?.watermark ?? 0;
    const entries = await this.bus.read(watermark, { maxEntries: this.opts.maxEntries, maxBytes: this.opts.maxBytes });
    if (entries.length === 0) return false;
    const started = performance.now();

    const batches = new Map<number, RowBatch>();
    const tableWatermarks = new Map<number, number>();
    const tables = new Map<number, TableDef | null>();
    const tableAt = async (id: number): Promise<TableDef | null> => {
      if (!tables.has(id)) tables.set(id, await this.catalog.getTable(id));
      return tables.get(id)!;
    };
    let rowCount = 0;

    for (const e of entries) {
      if (e.kind === 'ddl') {
        await this.applyDdl(e);
        const p = decodeDdlPayload(e.payload);
        tables.delete(p.tableId);
        tableWatermarks.set(p.tableId, e.seq);
        continue;
      }
      const p = decodeRowsPayload(e.payload);
      const def = await tableAt(p.tableId);
      if (!def || !existsAt(def, e.seq)) {
        // Validated against a table that was dropped before this entry's position: applying the
        // writes serially in bus order, the table no longer exists here.
        this.log.warn({ seq: e.seq, tableId: p.tableId }, 'commit worker: skipping write to a dropped table');
        continue;
      }
      let batch = batches.get(def.tableId);
      if (!batch) {
        batch = { tenant: def.tenant, tableId: def.tableId, columns: def.columns, rows: [] };
        batches.set(def.tableId, batch);
      }
      const order = columnOrder(def, p.columns);
      for (let i = 0; i < p.rows.length; i++) {
        const src = p.rows[i]!;
        batch.rows.push({ seq: e.seq, ord: i, values: order ? order.map((j) => (j < 0 ? null : src[j]!)) : src });
      }
      rowCount += p.rows.length;
      tableWatermarks.set(def.tableId, e.seq);
    }

    const written: NewFile[] = [];
    try {
      for (const batch of batches.values()) {
        if (batch.rows.length > 0) written.push(await this.writer.write(batch));
      }
      const last = entries[entries.length - 1]!.seq;
      const snapshot = await this.catalog.publish({
        parentSnapshotId: parent?.snapshotId ?? null,
        watermark: last,
        addedFiles: written,
        removedFileIds: [],
        tableWatermarks: [...tableWatermarks].map(([tableId, seq]) => ({ tableId, seq })),
      });
      this.onCommit({ snapshot, entries: entries.length, rows: rowCount, files: written.length, ms: performance.now() - started });
      return true;
    } catch (err) {
      // Unpublished files are garbage; remove what we can (the integrity checker finds the rest).
      // Not when the outcome is unknown (DM008): the publication may have landed after all.
      if (!(err instanceof DuckMeshError && err.sqlstate === SqlState.writeOutcomeUnknown)) {
        for (const f of written) rmSync(this.layout.absolute(f.path), { force: true });
      }
      throw err;
    }
  }

  private async applyDdl(e: BusEntry): Promise<void> {
    const p = decodeDdlPayload(e.payload);
    if (p.op === 'createTable') await this.catalog.markTableCreated(p.tableId, e.seq);
    else if (p.op === 'dropTable') await this.catalog.markTableDropped(p.tableId, e.seq);
  }
}

function existsAt(def: TableDef, seq: number): boolean {
  return def.createdSeq !== null && def.createdSeq < seq && (def.droppedSeq === null || def.droppedSeq > seq);
}

/** Maps a payload's column list onto the table's columns; null when they already match. */
function columnOrder(def: TableDef, columns: string[]): number[] | null {
  if (columns.length === def.columns.length && columns.every((c, i) => c === def.columns[i]!.name)) return null;
  return def.columns.map((c) => columns.indexOf(c.name));
}
