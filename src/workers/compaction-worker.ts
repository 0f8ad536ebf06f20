import { rmSync } from 'node:fs';
import type { Logger } from 'pino';
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { Catalog, FileRecord, SnapshotContents, SnapshotInfo, TableDef, TableVersion } from '../catalog/types.js';
import { planFullTable, planTable, type CompactionPolicy, type PlannedJob, type PolicyFile } from '../storage/compaction-policy.js';
import type { DataLayout } from '../storage/layout.js';
import { isCompactedFile, ParquetWriter } from '../storage/parquet-writer.js';
import type { CompactionSnapshots } from './compaction-rebase.js';
import { compactionSql, readsExactlyAs, timeColumnOf } from './compaction-rewrite.js';

export interface CompactionOptions extends CompactionPolicy {
  /** Safety-net pass interval; passes also run after every `mergeFactor` publications. */
  intervalMs: number;
  /** Column to sort compacted files by, where a table has it (else its first TIMESTAMP/DATE column). */
  timeColumn: string | null;
  /** Input bytes one pass rewrites at most (at least one job runs); the rest waits for the next pass. */
  maxBytesPerRun: number;
  /** Memory limit of compaction's own DuckDB instance. */
  memoryLimit: string;
}

export interface CompactionJobReport {
  tenant: string;
  tableId: number;
  table: string;
  reason: PlannedJob['reason'];
  tier: number | null;
  outcome: 'published' | 'abandoned';
  inputFiles: number;
  inputBytes: number;
  outputRows: number;
  outputBytes: number;
  /** The snapshot the job published (null when abandoned). */
  snapshot: SnapshotInfo | null;
  /** Times the publication was retried on top of a newer snapshot. */
  retries: number;
  ms: number;
}

export interface CompactionPassReport {
  /** The snapshot the pass planned from (null: no snapshot yet). */
  plannedFrom: number | null;
  jobsPlanned: number;
  published: number;
  abandoned: number;
  filesIn: number;
  filesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Jobs were left for the next pass (byte budget). */
  remaining: boolean;
  /** Most files any one table had when the pass planned (what one query of it opens). */
  maxTableFiles: number;
  /** Parquet bytes the commit worker added since the previous pass (files not written by compaction). */
  ingestedBytes: number;
  ms: number;
}

export interface CompactionDeps {
  /** Fenced by the commit-worker lease where there is one (see fencedCatalog). */
  catalog: Catalog;
  layout: DataLayout;
  log: Logger;
  options: CompactionOptions;
  /** Where published compaction snapshots are recorded (lets the commit worker rebase over them). */
  registry?: CompactionSnapshots;
  onJob?: (report: CompactionJobReport) => void;
  onPass?: (report: CompactionPassReport) => void;
  /** A job failed (the pass ends; the next one plans afresh). */
  onJobFailed?: (err: unknown) => void;
  /** Delay before the first pass after start (default: min(intervalMs, 1 s)). */
  firstRunDelayMs?: number;
  /** Clock for "no commit for a whole interval" (tests). */
  now?: () => number;
}

interface Job {
  tenant: string;
  table: TableDef;
  versions: TableVersion[];
  plan: PlannedJob;
  inputs: FileRecord[];
  plannedFrom: number;
}

/** Publication attempts of one job (each needs another snapshot to land in between). */
const MAX_PUBLISH_ATTEMPTS = 8;

/**
 * Background compaction (policy: storage/compaction-policy.ts; rewrite rules:
 * compaction-rewrite.ts). A pass plans every table of every tenant from the newest snapshot, then
 * runs jobs oldest-tier-first within a byte budget. A job writes one Parquet file through
 * ParquetWriter (temporary name, fsync, rename), then publishes a snapshot with the same
 * watermark that removes the job's inputs and adds its output. If the commit worker published
 * meanwhile, the job is re-checked against the newest snapshot — its inputs must all still be
 * there, and no file may have appeared that starts below the job's marker floor — and published on
 * top of it (files added meanwhile are kept: a snapshot only ever removes the job's own inputs);
 * otherwise its output is deleted and the next pass plans afresh. A crash before publication
 * leaves an unreferenced file for the GC's orphan sweep; removed inputs stay on disk until GC
 * expires every snapshot that references them.
 *
 * Runs only where the commit worker runs (the lease holder, see duckmesh-node.ts); publications
 * are fenced by the same lease.
 */
export class CompactionWorker {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<CompactionPassReport> | null = null;
  /** Passes and table compactions run one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  private halted = false;
  private started = false;
  private again = false;
  private publishes = 0;
  private unsubscribe: (() => void) | null = null;
  private writer: ParquetWriter | null = null;
  /** Files up to this id were counted as ingested. */
  private seenFileId = 0;
  /** Per table: the newest commit-worker file seen, and when it was first seen (idle detection). */
  private readonly lastCommit = new Map<number, { fileId: number; at: number }>();
  /** Since this worker was created. */
  readonly totals = { bytesIngested: 0, bytesRead: 0, bytesWritten: 0, filesIn: 0, filesOut: 0, jobs: 0 };

  constructor(private readonly deps: CompactionDeps) {}

  start(): void {
    if (this.started) return;
    this.started = true;
    this.halted = false;
    const factor = this.deps.options.mergeFactor;
    this.unsubscribe = this.deps.catalog.onPublish(() => {
      if (++this.publishes >= factor) this.poke();
    });
    this.schedule(this.deps.firstRunDelayMs ?? Math.min(this.deps.options.intervalMs, 1000));
  }

  /** Stops after the job in progress (a pass in progress ends early); closes the DuckDB instance. */
  async stop(): Promise<void> {
    this.halted = true;
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain; // a pass or table compaction in progress (the chain never rejects)
    this.writer?.close();
    this.writer = null;
  }

  /** Asks for a pass now (coalesced with one in progress). */
  poke(): void {
    if (!this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      let more = false;
      void this.runOnce()
        // Merged files may fill a tier again: plan once more right away.
        .then((r) => (more = r.remaining || r.published > 0))
        .catch((err) => this.deps.log.error({ err }, 'compaction: pass failed; will retry'))
        .finally(() => {
          const soon = more || this.again;
          this.again = false;
          this.schedule(soon ? 0 : this.deps.options.intervalMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** One pass now; concurrent calls share the pass in progress. */
  runOnce(): Promise<CompactionPassReport> {
    if (!this.running) {
      this.running = this.serial(() => this.pass()).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /**
   * Merges every file of one table into one file per schema group now, whatever the policy says
   * (e.g. after a large delete, so that its markers go). Returns the jobs run.
   */
  compactTable(tenant: string, tableId: number): Promise<CompactionJobReport[]> {
    return this.serial(async () => {
      const latest = await this.deps.catalog.latestSnapshot();
      if (!latest) return [];
      const contents = await this.deps.catalog.snapshotContents(tenant, latest.snapshotId);
      const table = contents.tables.find((t) => t.tableId === tableId);
      if (!table) throw new DuckMeshError(SqlState.undefinedTable, `table id ${tableId} does not exist in tenant ${tenant}`);
      const reports: CompactionJobReport[] = [];
      for (const job of this.tableJobs(tenant, contents, table, 'full')) reports.push(await this.runJob(job));
      return reports;
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Passes until one finds nothing to merge (or `maxPasses`); returns the reports. */
  async runUntilIdle(maxPasses = 100): Promise<CompactionPassReport[]> {
    const reports: CompactionPassReport[] = [];
    for (let i = 0; i < maxPasses; i++) {
      const r = await this.runOnce();
      reports.push(r);
      if (r.jobsPlanned === 0 || this.halted) break;
    }
    return reports;
  }

  private async pass(): Promise<CompactionPassReport> {
    const started = performance.now();
    this.publishes = 0;
    const { catalog, options } = this.deps;
    const report: CompactionPassReport = {
      plannedFrom: null,
      jobsPlanned: 0,
      published: 0,
      abandoned: 0,
      filesIn: 0,
      filesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      remaining: false,
      maxTableFiles: 0,
      ingestedBytes: 0,
      ms: 0,
    };
    const latest = await catalog.latestSnapshot();
    if (!latest) return report;
    report.plannedFrom = latest.snapshotId;
    const jobs = await this.plan(latest, report);
    report.jobsPlanned = jobs.length;
    let budget = options.maxBytesPerRun;
    for (const job of jobs) {
      if (this.halted) {
        report.remaining = true;
        break;
      }
      if (report.published + report.abandoned > 0 && job.plan.bytes > budget) {
        report.remaining = true;
        break;
      }
      budget -= job.plan.bytes;
      let r: CompactionJobReport;
      try {
        r = await this.runJob(job);
      } catch (err) {
        this.deps.onJobFailed?.(err);
        throw err;
      }
      if (r.outcome === 'published') {
        report.published++;
        report.filesIn += r.inputFiles;
        report.bytesIn += r.inputBytes;
        report.filesOut += r.outputRows > 0 ? 1 : 0;
        report.bytesOut += r.outputBytes;
      } else report.abandoned++;
    }
    report.ms = Math.round(performance.now() - started);
    // Passes are minutes apart on a quiet table: give the merge engine's memory back in between
    // (a new instance costs milliseconds; its buffer pool would otherwise stay resident).
    if (!report.remaining) {
      this.writer?.close();
      this.writer = null;
    }
    if (report.jobsPlanned > 0) this.deps.log.info(report, 'compaction: pass complete');
    this.deps.onPass?.(report);
    return report;
  }

  private async plan(latest: SnapshotInfo, report: CompactionPassReport): Promise<Job[]> {
    const { catalog } = this.deps;
    const jobs: Job[] = [];
    let maxId = this.seenFileId;
    for (const tenant of await catalog.listTenants()) {
      const contents = await catalog.snapshotContents(tenant, latest.snapshotId);
      for (const files of contents.files.values()) {
        for (const f of files) {
          if (f.fileId <= this.seenFileId) continue;
          maxId = Math.max(maxId, f.fileId);
          if (!isCompactedFile(f.path)) report.ingestedBytes += f.byteSize;
        }
      }
      for (const table of contents.tables) {
        report.maxTableFiles = Math.max(report.maxTableFiles, contents.files.get(table.tableId)?.length ?? 0);
        jobs.push(...this.tableJobs(tenant, contents, table, 'policy'));
      }
    }
    this.seenFileId = maxId;
    this.totals.bytesIngested += report.ingestedBytes;
    // The ceiling first, then the smallest files (they cut the file count the most per byte).
    const rank = (j: Job) => (j.plan.reason === 'ceiling' ? -MAX_RANK : j.plan.reason === 'tier' ? -(j.plan.tier ?? 0) : MAX_RANK);
    return jobs.sort((a, b) => rank(a) - rank(b) || a.plan.bytes - b.plan.bytes);
  }

  /** The jobs one table needs (by the policy, or everything at once). */
  private tableJobs(tenant: string, contents: SnapshotContents, table: TableDef, mode: 'policy' | 'full'): Job[] {
    const files = contents.files.get(table.tableId) ?? [];
    if (files.length < 2) return [];
    const versions = contents.versions?.get(table.tableId) ?? [];
    const columnsOf = (v: number) => (v === table.schemaVersion ? table.columns : versions.find((x) => x.version === v)?.columns);
    // Files whose version reads exactly as the current one join its group; others keep their own
    // (a version whose columns are unknown is never merged with anything).
    const groupOf = (f: FileRecord): number => {
      if (f.schemaVersion === table.schemaVersion) return f.schemaVersion;
      const source = columnsOf(f.schemaVersion);
      return source && readsExactlyAs(source, table.columns) ? table.schemaVersion : f.schemaVersion;
    };
    const policyFiles: PolicyFile[] = files
      .filter((f) => columnsOf(f.schemaVersion) !== undefined)
      .map((f) => ({ fileId: f.fileId, byteSize: f.byteSize, minSeq: f.minSeq, maxSeq: f.maxSeq, group: groupOf(f) }));
    // Files of a version whose columns are unknown are never merged, but count for the floors.
    const outsiders = files
      .filter((f) => columnsOf(f.schemaVersion) === undefined)
      .map((f) => ({ fileId: f.fileId, byteSize: f.byteSize, minSeq: f.minSeq, maxSeq: f.maxSeq, group: -1 }));
    const frozen = new Set(policyFiles.map((f) => f.group).filter((g) => g !== table.schemaVersion));
    const idle = mode === 'policy' && this.idle(table.tableId, files);
    const plans = mode === 'full' ? planFullTable([...policyFiles, ...outsiders]) : planTable([...policyFiles, ...outsiders], this.deps.options, frozen, idle);
    const byId = new Map(files.map((f) => [f.fileId, f]));
    return plans.map((plan) => ({ tenant, table, versions, plan, inputs: plan.inputs.map((p) => byId.get(p.fileId)!), plannedFrom: contents.snapshot.snapshotId }));
  }

  /** Whether the table received no file from the commit worker for a whole pass interval. */
  private idle(tableId: number, files: readonly FileRecord[]): boolean {
    const now = (this.deps.now ?? Date.now)();
    let newest = 0;
    for (const f of files) if (!isCompactedFile(f.path)) newest = Math.max(newest, f.fileId);
    const last = this.lastCommit.get(tableId);
    if (!last || newest > last.fileId) {
      this.lastCommit.set(tableId, { fileId: Math.max(newest, last?.fileId ?? 0), at: now });
      return false;
    }
    return now - last.at >= this.deps.options.intervalMs;
  }

  private async runJob(job: Job): Promise<CompactionJobReport> {
    const started = performance.now();
    const { catalog, layout, log } = this.deps;
    const group = job.plan.group;
    const version = group === job.table.schemaVersion ? job.table : job.versions.find((v) => v.version === group)!;
    const columns = version.columns;
    const sql = compactionSql({
      columns,
      primaryKey: version.primaryKey,
      versions: job.versions,
      files: job.inputs.map((f) => ({ path: layout.absolute(f.path), schemaVersion: f.schemaVersion, mutations: f.mutations })),
      floor: job.plan.floor,
      timeColumn: timeColumnOf(columns, this.deps.options.timeColumn),
    });
    const writer = (this.writer ??= new ParquetWriter(layout, { threads: 1, memoryLimit: this.deps.options.memoryLimit, scratch: 'compaction-tmp' }));
    const conn = await writer.connection();
    const file = await writer.writeFile(
      conn,
      `(${sql})`,
      {
        tenant: job.tenant,
        tableId: job.table.tableId,
        minSeq: job.plan.minSeq,
        maxSeq: job.plan.maxSeq,
        schemaVersion: group,
        mutations: outputMayRepeat(job),
        origin: 'compaction',
      },
      columns,
    );
    const output = file.rowCount > 0 ? file : null;
    const discard = () => rmSync(layout.absolute(file.path), { force: true });
    if (!output) discard();
    const report: CompactionJobReport = {
      tenant: job.tenant,
      tableId: job.table.tableId,
      table: `${job.table.schema}.${job.table.name}`,
      reason: job.plan.reason,
      tier: job.plan.tier,
      outcome: 'abandoned',
      inputFiles: job.inputs.length,
      inputBytes: job.plan.bytes,
      outputRows: file.rowCount,
      outputBytes: output?.byteSize ?? 0,
      snapshot: null,
      retries: 0,
      ms: 0,
    };
    try {
      for (let attempt = 0; attempt < MAX_PUBLISH_ATTEMPTS; attempt++) {
        const parent = await catalog.latestSnapshot();
        if (!parent || !(await this.stillApplies(job, parent))) break;
        try {
          const publication = catalog.publish({
            parentSnapshotId: parent.snapshotId,
            watermark: parent.watermark,
            addedFiles: output ? [output] : [],
            removedFileIds: job.inputs.map((f) => f.fileId),
            tableWatermarks: [],
          });
          report.snapshot = await (this.deps.registry ? this.deps.registry.track(publication) : publication);
          report.outcome = 'published';
          break;
        } catch (err) {
          // Another snapshot landed first: re-check against it and try again on top of it.
          const now = await catalog.latestSnapshot().catch(() => null);
          if (isFinal(err) || !now || now.snapshotId === parent.snapshotId) throw err;
          report.retries++;
        }
      }
    } catch (err) {
      // Unknown outcome: the publication may have landed, so the file must stay (GC sorts it out).
      if (!(err instanceof DuckMeshError && err.sqlstate === SqlState.writeOutcomeUnknown)) discard();
      throw err;
    }
    report.ms = Math.round(performance.now() - started);
    if (report.outcome === 'abandoned') {
      discard();
      log.info({ tenant: job.tenant, table: report.table, inputs: report.inputFiles }, 'compaction: job no longer applies to the newest snapshot; dropped');
    } else {
      this.totals.jobs++;
      this.totals.bytesRead += report.inputBytes;
      this.totals.bytesWritten += report.outputBytes;
      this.totals.filesIn += report.inputFiles;
      this.totals.filesOut += output ? 1 : 0;
      log.debug(report, 'compaction: job published');
    }
    this.deps.onJob?.(report);
    return report;
  }

  /**
   * Whether a job planned from `job.plannedFrom` may be published on top of `parent`: the table
   * still exists, every input is still part of it, and every other file starts at or above the
   * job's marker floor (files the commit worker adds start above the watermark; the outputs of
   * other jobs start where their inputs did).
   */
  private async stillApplies(job: Job, parent: SnapshotInfo): Promise<boolean> {
    if (parent.snapshotId === job.plannedFrom) return true;
    const contents = await this.deps.catalog.snapshotContents(job.tenant, parent.snapshotId);
    if (!contents.tables.some((t) => t.tableId === job.table.tableId)) return false;
    const files = contents.files.get(job.table.tableId) ?? [];
    const inputs = new Set(job.inputs.map((f) => f.fileId));
    let present = 0;
    for (const f of files) {
      if (inputs.has(f.fileId)) present++;
      else if (f.minSeq < job.plan.floor) return false;
    }
    return present === inputs.size;
  }
}

const MAX_RANK = 1000;

/**
 * The output's `mutations` flag (FileRecord.mutations: it may supersede or delete rows of other
 * files, so readers must merge). Clear when the inputs were all clear (nothing to supersede, keys
 * unique) or when every other file of the table starts above the job: then every delete marker
 * was dropped, every key is left once, and a later file that repeats one of them was flagged when
 * it was committed (it was checked against the same rows, then in the inputs).
 */
function outputMayRepeat(job: Job): boolean {
  return job.inputs.some((f) => f.mutations) && job.plan.floor <= job.plan.maxSeq;
}

function isFinal(err: unknown): boolean {
  return err instanceof DuckMeshError && (err.sqlstate === SqlState.staleLeader || err.sqlstate === SqlState.writeOutcomeUnknown);
}

/** The worker options of `config.compaction` (already validated). */
export function compactionOptions(c: {
  targetFileBytes: number;
  maxFilesPerTable: number;
  mergeFactor: number;
  intervalMs: number;
  maxBytesPerRun: number;
  memoryLimit: string;
  timeColumn?: string | undefined;
}): CompactionOptions {
  return {
    targetFileBytes: c.targetFileBytes,
    maxFilesPerTable: c.maxFilesPerTable,
    mergeFactor: c.mergeFactor,
    intervalMs: c.intervalMs,
    maxBytesPerRun: c.maxBytesPerRun,
    memoryLimit: c.memoryLimit,
    timeColumn: c.timeColumn ?? null,
  };
}
