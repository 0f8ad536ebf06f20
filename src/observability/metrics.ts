import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics (DESIGN §9). One registry per node, so tests can run several nodes. */
export class Metrics {
  readonly registry = new Registry();
  readonly ingestRows = new Counter({ name: 'duckmesh_ingest_rows_total', help: 'Rows acknowledged', labelNames: ['tenant'], registers: [this.registry] });
  readonly ingestBytes = new Counter({ name: 'duckmesh_ingest_bytes_total', help: 'Payload bytes acknowledged', labelNames: ['tenant'], registers: [this.registry] });
  readonly ackLatency = new Histogram({
    name: 'duckmesh_ingest_ack_seconds',
    help: 'Time from validated write to durable acknowledgement',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly busBatch = new Histogram({
    name: 'duckmesh_bus_group_commit_records',
    help: 'Records per group-commit transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096],
    registers: [this.registry],
  });
  readonly busHead = new Gauge({ name: 'duckmesh_bus_head_seq', help: 'Highest appended bus sequence', registers: [this.registry] });
  readonly watermark = new Gauge({ name: 'duckmesh_watermark_seq', help: 'Watermark of the newest snapshot', registers: [this.registry] });
  readonly busLag = new Gauge({ name: 'duckmesh_bus_lag_entries', help: 'Bus head minus watermark', registers: [this.registry] });
  readonly snapshotId = new Gauge({ name: 'duckmesh_snapshot_id', help: 'Newest snapshot id', registers: [this.registry] });
  readonly commitLatency = new Histogram({
    name: 'duckmesh_commit_seconds',
    help: 'Commit worker: read bus, write Parquet, publish snapshot',
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly commitFailures = new Counter({ name: 'duckmesh_snapshot_publication_failures_total', help: 'Failed commits', registers: [this.registry] });
  readonly writeToVisible = new Histogram({
    name: 'duckmesh_write_to_visible_seconds',
    help: 'Bus append to snapshot publication, per committed batch (oldest entry)',
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly queryLatency = new Histogram({
    name: 'duckmesh_query_seconds',
    help: 'Statement latency by class',
    labelNames: ['tenant', 'class', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly visibilityTimeouts = new Counter({
    name: 'duckmesh_visibility_timeouts_total',
    help: 'Reads that failed waiting for a visibility token',
    labelNames: ['tenant'],
    registers: [this.registry],
  });
  readonly connections = new Gauge({ name: 'duckmesh_pg_connections', help: 'Open pg-wire connections', registers: [this.registry] });
  readonly compactionJobs = new Counter({
    name: 'duckmesh_compaction_jobs_total',
    help: 'Compaction jobs by outcome (published; abandoned: no longer applied to the newest snapshot; failed)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly compactionReadBytes = new Counter({ name: 'duckmesh_compaction_read_bytes_total', help: 'Bytes of data files compaction merged (and removed from the newest snapshot)', registers: [this.registry] });
  readonly compactionWrittenBytes = new Counter({ name: 'duckmesh_compaction_written_bytes_total', help: 'Bytes of data files compaction wrote and published', registers: [this.registry] });
  readonly compactionIngestedBytes = new Counter({
    name: 'duckmesh_compaction_ingested_bytes_total',
    help: 'Bytes of data files the commit worker added (ingested data as stored), as compaction found them',
    registers: [this.registry],
  });
  readonly compactionAmplification = new Gauge({
    name: 'duckmesh_compaction_amplification',
    help: 'Compaction write amplification: bytes written by compaction / bytes ingested (data files the commit worker wrote), since this process started compacting',
    registers: [this.registry],
  });
  readonly compactionJobSeconds = new Histogram({
    name: 'duckmesh_compaction_job_seconds',
    help: 'One compaction job: read, merge, write, publish',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60, 300],
    registers: [this.registry],
  });
  readonly tableFilesMax = new Gauge({
    name: 'duckmesh_table_files_max',
    help: 'Most data files of any one table at the last compaction pass (files one query of it opens)',
    registers: [this.registry],
  });

  /** Records one compaction job. */
  compactionJob(outcome: 'published' | 'abandoned' | 'failed', readBytes: number, writtenBytes: number, seconds: number): void {
    this.compactionJobs.inc({ outcome });
    if (outcome !== 'published') return;
    this.compactionReadBytes.inc(readBytes);
    this.compactionWrittenBytes.inc(writtenBytes);
    this.compactionJobSeconds.observe(seconds);
  }

  /** Records one compaction pass: newly ingested bytes, totals so far and the busiest table's file count. */
  compactionPass(ingestedBytes: number, totalWritten: number, totalIngested: number, maxTableFiles: number): void {
    this.compactionIngestedBytes.inc(ingestedBytes);
    if (totalIngested > 0) this.compactionAmplification.set(totalWritten / totalIngested);
    this.tableFilesMax.set(maxTableFiles);
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
