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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
