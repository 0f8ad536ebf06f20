import type { Logger } from 'pino';
import { rmSync } from 'node:fs';
import { DuckMeshError, SqlState } from '../common/errors.js';
import { quoteIdent } from '../common/sql-text.js';
import type { BusEntry } from '../bus/types.js';
import { columnId, firstVersionOf, versionBefore } from '../catalog/metadata.js';
import type { Catalog, NewFile, SnapshotContents, TableDef, TableVersion } from '../catalog/types.js';
import { mapDuckDbError } from '../engine/errors.js';
import { liveVersionsSql, tableStateSql, type FileRef } from '../engine/table-state.js';
import { deletePlan, MATCH, updatePlan, upsertPlan, type ApplyPlan } from '../engine/write-apply.js';
import { decodeDdlPayload, decodeRowsPayload, type RowsPayload } from '../ingest/payload.js';
import type { DataLayout } from '../storage/layout.js';
import type { ParquetWriter, Stage } from '../storage/parquet-writer.js';

interface TableState {
  /** The catalog row (existence: createdSeq / droppedSeq). */
  base: TableDef;
  versions: TableVersion[];
  /** Files of the table in the parent snapshot (loaded when a write needs the table's state). */
  published: FileRef[] | null;
  /** Files written earlier in this batch (a schema change flushed the stage). */
  batchFiles: FileRef[];
  stage: Stage | null;
  /**
   * The live rows of published + batch files, materialized once per batch (and schema version)
   * so that writes evaluated against the table's state do not each rescan its files.
   */
  live: { relation: string; version: number; mutations: boolean } | null;
}

export interface BatchApplierOptions {
  /**
   * Replay (ops/replay.ts): per table id, the files whose rows are the table's state before the
   * first entry applied — instead of the table's files in the parent snapshot.
   */
  baseFiles?: ReadonlyMap<number, readonly FileRef[]>;
}

/** Keyed tables with more stored rows than this are not checked for repeated keys (flagged instead). */
const KEY_CHECK_MAX_ROWS = 5_000_000;

/** Above this many stored rows the state is read from the files per write instead of materialized. */
const MATERIALIZE_MAX_ROWS = 2_000_000;

/** A write accepted on the bus that cannot be applied at its position (Postgres would have raised it). */
class ApplyError extends DuckMeshError {}

/**
 * Applies one batch of bus entries, in sequence order, to per-table stages: inserts are appended,
 * UPDATE / DELETE / ON CONFLICT are evaluated against the table's state just before their
 * position (published files + this batch's earlier rows), DDL is recorded in the catalog. A
 * logical write (one receipt, possibly several entries) is applied all or nothing; a write whose
 * idempotency key already belongs to another bus position is skipped.
 */
export class BatchApplier {
  private readonly tables = new Map<number, TableState | null>();
  private readonly parents = new Map<string, Promise<SnapshotContents | null>>();
  private readonly written: NewFile[] = [];
  readonly tableWatermarks = new Map<number, number>();
  rows = 0;
  /** Entries up to this seq belong to a write that is skipped (duplicate) or failed. */
  private skipUntil = 0;

  constructor(
    private readonly catalog: Catalog,
    private readonly writer: ParquetWriter,
    private readonly layout: DataLayout,
    private readonly log: Logger,
    private readonly parentSnapshotId: number | null,
    private readonly options: BatchApplierOptions = {},
  ) {}

  async apply(e: BusEntry): Promise<void> {
    if (e.seq <= this.skipUntil) return;
    if (e.kind === 'ddl') return this.applyDdl(e);
    const p = decodeRowsPayload(e.payload);
    const [index, count] = p.w ?? [0, 1];
    const first = e.seq - index;
    const last = first + count - 1;
    if (p.idem && index === 0) {
      const rec = await this.catalog.claimIdempotencyReceipt({
        tenant: e.tenant,
        key: p.idem.key,
        fingerprint: p.idem.fp,
        firstSeq: first,
        lastSeq: last,
        rows: p.idem.rows,
        now: Date.now(),
      });
      if (rec.firstSeq !== first) {
        // Another bus position holds this key's receipt: this copy must not be applied twice.
        this.log.info({ seq: e.seq, key: p.idem.key, receipt: rec.firstSeq }, 'commit worker: skipping a duplicate idempotent write');
        this.skipUntil = last;
        return;
      }
    }
    const state = await this.table(p.tableId);
    if (!state || !existsAt(state.base, e.seq)) {
      // Validated against a table that was dropped before this entry's position: applying the
      // writes serially in bus order, the table no longer exists here.
      this.log.warn({ seq: e.seq, tableId: p.tableId }, 'commit worker: skipping write to a dropped table');
      return;
    }
    this.tableWatermarks.set(p.tableId, e.seq);
    try {
      await this.applyRows(e.tenant, state, p, e.seq);
    } catch (err) {
      const failure = asApplyFailure(err);
      if (!failure) throw err;
      for (const t of this.tables.values()) if (t?.stage) await t.stage.deleteSeqRange(first, last);
      this.skipUntil = last;
      this.log.warn({ firstSeq: first, lastSeq: last, err: failure.message }, 'commit worker: write could not be applied at its position');
      await this.catalog.recordWriteFailure({
        tenant: e.tenant,
        firstSeq: first,
        lastSeq: last,
        sqlstate: failure.sqlstate,
        message: failure.message,
        recordedAt: Date.now(),
      });
    }
  }

  /** Flushes every stage; returns the files to register. */
  async finish(): Promise<NewFile[]> {
    for (const t of this.tables.values()) {
      if (!t?.stage) continue;
      await this.flush(t);
      await this.dropBase(t, t.stage);
      await t.stage.drop();
      t.stage = null;
    }
    return this.written;
  }

  /** Drops stages and deletes files written by this batch (it will not be published). */
  async abort(keepFiles: boolean): Promise<void> {
    for (const t of this.tables.values()) {
      if (!t?.stage) continue;
      await this.dropBase(t, t.stage).catch(() => undefined);
      await t.stage.drop().catch(() => undefined);
    }
    if (!keepFiles) for (const f of this.written) rmSync(this.layout.absolute(f.path), { force: true });
  }

  // ------------------------------------------------------------------ DDL

  private async applyDdl(e: BusEntry): Promise<void> {
    const p = decodeDdlPayload(e.payload);
    switch (p.op) {
      case 'createTable':
        await this.catalog.markTableCreated(p.tableId, e.seq);
        this.tables.delete(p.tableId);
        this.tableWatermarks.set(p.tableId, e.seq);
        return;
      case 'dropTable': {
        await this.catalog.markTableDropped(p.tableId, e.seq);
        const t = this.tables.get(p.tableId);
        if (t?.stage) {
          await this.dropBase(t, t.stage);
          await t.stage.drop();
        }
        this.tables.delete(p.tableId);
        this.tableWatermarks.set(p.tableId, e.seq);
        return;
      }
      case 'alterTable': {
        const t = await this.table(p.tableId);
        if (t?.stage) await this.flush(t);
        const stored = await this.catalog.recordTableVersion({
          tableId: p.tableId,
          version: p.version,
          schema: p.schema,
          name: p.name,
          columns: p.columns,
          primaryKey: p.primaryKey,
          seq: e.seq,
          change: p.change,
        });
        if (stored.seq !== e.seq) {
          this.log.warn({ seq: e.seq, tableId: p.tableId, version: p.version }, 'commit worker: schema change lost a race for its version; ignored');
          return;
        }
        if (t) t.versions = [...t.versions.filter((v) => v.version !== stored.version), stored];
        this.tableWatermarks.set(p.tableId, e.seq);
        return;
      }
      case 'objects':
        await this.catalog.recordObjects(e.tenant, e.seq, p.events);
        return;
    }
  }

  // ------------------------------------------------------------------ rows

  private async applyRows(tenant: string, state: TableState, p: RowsPayload, seq: number): Promise<void> {
    const version = versionBefore(state.versions, seq) ?? firstVersionOf(state.base, 0);
    const def: TableDef = { ...state.base, schema: version.schema, name: version.name, columns: version.columns, primaryKey: version.primaryKey, schemaVersion: version.version };
    const stage = await this.stageFor(state, def);
    const mapRow = rowMapper(state.versions, p.schemaVersion, def);
    switch (p.op) {
      case 'insert':
        await stage.append(p.rows.map((r, ord) => ({ seq, ord, values: mapRow(r) })));
        this.rows += p.rows.length;
        return;
      case 'delete':
        if (p.keys) {
          await stage.append(p.keys.map((k, ord) => ({ seq, ord, values: keyRow(def, k), deleted: true })));
          return;
        }
        return this.runPlan(tenant, state, stage, def, (s) => deletePlan(def, s, stage.relation, seq, p));
      case 'update':
        return this.runPlan(tenant, state, stage, def, (s) => updatePlan(def, s, stage.relation, seq, p));
      case 'upsert': {
        const input = await this.writer.openStage(tenant, def.tableId, def.columns, def.schemaVersion);
        try {
          await input.append(p.rows.map((r, ord) => ({ seq, ord, values: mapRow(r) })));
          input.settle();
          await this.runPlan(tenant, state, stage, def, (s) => upsertPlan(def, s, stage.relation, input.relation, seq, p));
          this.rows += p.rows.length;
        } finally {
          await input.drop();
        }
        return;
      }
    }
  }

  private async runPlan(tenant: string, state: TableState, stage: Stage, def: TableDef, build: (stateSql: string) => ApplyPlan): Promise<void> {
    const files = [...(await this.publishedFiles(tenant, state)), ...state.batchFiles];
    const staged = { relation: stage.relation, mutations: stage.mutations };
    let stateSql: string;
    if (files.reduce((n, f) => n + (f.rowCount ?? 0), 0) > MATERIALIZE_MAX_ROWS) {
      stateSql = tableStateSql(def, state.versions, files, [staged]);
    } else {
      if (!state.live || state.live.version !== def.schemaVersion) {
        await this.dropBase(state, stage);
        const relation = `live_${stage.relation}`;
        await stage.run(`CREATE TEMP TABLE ${relation} AS ${liveVersionsSql(def, state.versions, files)}`);
        state.live = { relation, version: def.schemaVersion, mutations: files.some((f) => f.mutations) };
      }
      stateSql = tableStateSql(def, state.versions, [], [{ relation: state.live.relation, mutations: state.live.mutations }, staged]);
    }
    const plan = build(stateSql);
    try {
      await stage.run(plan.statements[0]!);
      for (const col of plan.notNullChecks) {
        const nulls = await stage.count(`SELECT count(*) FROM ${MATCH} WHERE "${col.replace(/"/g, '""')}" IS NULL`);
        if (nulls > 0) {
          throw new ApplyError(SqlState.notNullViolation, `null value in column "${col}" of relation "${def.name}" violates not-null constraint`);
        }
      }
      for (const sql of plan.statements.slice(1)) await stage.run(sql);
      if (plan.mutations) stage.sqlMutations = true;
    } finally {
      await stage.run(`DROP TABLE IF EXISTS temp.${MATCH}`).catch(() => undefined);
    }
  }

  /** The stage of `state` for schema version `def`, flushing one of an older version first. */
  private async stageFor(state: TableState, def: TableDef): Promise<Stage> {
    if (state.stage && state.stage.schemaVersion !== def.schemaVersion) {
      await this.flush(state);
      await this.dropBase(state, state.stage);
      await state.stage.drop();
      state.stage = null;
    }
    state.stage ??= await this.writer.openStage(def.tenant, def.tableId, def.columns, def.schemaVersion);
    return state.stage;
  }

  private async dropBase(state: TableState, stage: Stage): Promise<void> {
    if (!state.live) return;
    await stage.run(`DROP TABLE IF EXISTS temp.${state.live.relation}`);
    state.live = null;
  }

  private async flush(state: TableState): Promise<void> {
    await this.flagKeyRepeats(state);
    const file = await state.stage!.flush();
    if (!file) return;
    this.written.push(file);
    state.batchFiles.push({ path: this.layout.absolute(file.path), schemaVersion: file.schemaVersion ?? 1, mutations: file.mutations ?? false, rowCount: file.rowCount });
  }

  /**
   * A file of a keyed table may skip the readers' newest-version-per-key merge only when none of
   * its keys repeats — within the file, or a live key of the table's older files (FileRecord
   * .mutations). Checked once per file; tables already flagged or too big to check cheaply are
   * flagged without checking (compaction clears that: a full fold writes unique keys).
   */
  private async flagKeyRepeats(state: TableState): Promise<void> {
    const stage = state.stage!;
    if (stage.mutations) return;
    const version = state.versions.find((v) => v.version === stage.schemaVersion);
    const pk = version?.primaryKey ?? state.base.primaryKey;
    if (pk.length === 0) return;
    const files = [...(await this.publishedFiles(stage.tenant, state)), ...state.batchFiles];
    if (files.some((f) => f.mutations) || files.reduce((n, f) => n + (f.rowCount ?? 0), 0) > KEY_CHECK_MAX_ROWS) {
      stage.sqlMutations = true;
      return;
    }
    const keys = pk.map(quoteIdent);
    let sql = `SELECT (SELECT count(*) FROM (SELECT 1 FROM ${stage.relation} GROUP BY ${keys.join(', ')} HAVING count(*) > 1))`;
    if (files.length > 0) {
      const def: TableDef = { ...state.base, columns: version?.columns ?? state.base.columns, primaryKey: pk, schemaVersion: stage.schemaVersion };
      const live = tableStateSql(def, state.versions, files, []);
      sql += ` + (SELECT count(*) FROM ${stage.relation} AS s WHERE EXISTS (SELECT 1 FROM (${live}) AS e WHERE ${keys.map((k) => `e.${k} = s.${k}`).join(' AND ')}))`;
    }
    if ((await stage.count(sql)) > 0) stage.sqlMutations = true;
  }

  private async table(tableId: number): Promise<TableState | null> {
    if (!this.tables.has(tableId)) {
      const base = await this.catalog.getTable(tableId);
      const state = base ? { base, versions: await this.catalog.tableVersions(tableId), published: null, batchFiles: [], stage: null, live: null } : null;
      this.tables.set(tableId, state);
    }
    return this.tables.get(tableId)!;
  }

  private async publishedFiles(tenant: string, state: TableState): Promise<FileRef[]> {
    if (state.published) return state.published;
    const base = this.options.baseFiles?.get(state.base.tableId);
    if (base) return (state.published = [...base]);
    let p = this.parents.get(tenant);
    if (!p) {
      p = this.parentSnapshotId === null ? Promise.resolve(null) : this.catalog.snapshotContents(tenant, this.parentSnapshotId);
      this.parents.set(tenant, p);
    }
    const contents = await p;
    state.published = (contents?.files.get(state.base.tableId) ?? []).map((f) => ({
      path: this.layout.absolute(f.path),
      schemaVersion: f.schemaVersion ?? 1,
      mutations: f.mutations ?? false,
      rowCount: f.rowCount,
    }));
    return state.published;
  }
}

function existsAt(def: TableDef, seq: number): boolean {
  return def.createdSeq !== null && def.createdSeq < seq && (def.droppedSeq === null || def.droppedSeq > seq);
}

/**
 * Maps rows validated against schema version `from` onto `def` (the version in force at the
 * entry's position) by column id. Identity when they match — always, unless several ingest nodes
 * raced a schema change.
 */
function rowMapper(versions: readonly TableVersion[], from: number, def: TableDef): (r: (string | null)[]) => (string | null)[] {
  if (from === def.schemaVersion) return (r) => r;
  const source = versions.find((v) => v.version === from)?.columns;
  if (!source) return (r) => r;
  const index = new Map(source.map((c, i) => [columnId(c, i), i]));
  const plan = def.columns.map((c, i) => ({ src: index.get(columnId(c, i)), fill: c.defaultValue }));
  return (r) => plan.map((x) => (x.src === undefined ? x.fill : (r[x.src] ?? null)));
}

/** A delete marker's values: the key in its columns, NULL elsewhere. */
function keyRow(def: TableDef, key: (string | null)[]): (string | null)[] {
  return def.columns.map((c) => {
    const k = def.primaryKey.indexOf(c.name);
    return k < 0 ? null : (key[k] ?? null);
  });
}

/** DuckDB error kinds that a user's expression causes (the write fails), as opposed to the environment (retry). */
const USER_ERROR = /^(Conversion|Out of Range|Invalid Input|Binder|Catalog|Parser|Constraint|Not implemented|Type|Mismatch Type) Error/;

function asApplyFailure(err: unknown): { sqlstate: string; message: string } | null {
  if (err instanceof ApplyError) return { sqlstate: err.sqlstate, message: err.message };
  if (err instanceof DuckMeshError) return null;
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!.replace(/^Failed to [a-z ]+: /, '');
  if (!USER_ERROR.test(msg)) return null;
  const mapped = mapDuckDbError(err);
  return { sqlstate: mapped.sqlstate, message: mapped.message };
}

