import { DuckDBInstance, DuckDBIntervalValue, type DuckDBAppender, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync, readFileSync } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { DuckMeshError, SqlState } from '../common/errors.js';
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import type { ColumnDef, NewFile } from '../catalog/types.js';
import type { DataLayout } from './layout.js';

/** Hidden columns every data file carries (DESIGN §3: each row carries the seq that wrote it). */
export const SEQ_COLUMN = '_dm_seq';
/** Position of the row inside its bus entry; orders rows of one write. */
export const ORD_COLUMN = '_dm_ord';
/** True on a delete marker (the key/row it names is deleted as of this version). */
export const DEL_COLUMN = '_dm_del';
/** Identity (seq, ord of the original insert) of the row an update/delete applies to; tables without a key. */
export const RSEQ_COLUMN = '_dm_rseq';
export const RORD_COLUMN = '_dm_rord';

/** One stored row version. */
export interface StagedRow {
  seq: number;
  ord: number;
  values: (string | null)[];
  deleted?: boolean;
  rid?: { seq: number; ord: number };
}

/**
 * Writes Parquet files with an internal DuckDB instance. It evaluates users' UPDATE/DELETE/ON
 * CONFLICT expressions at their bus position (already checked by the sandbox guard at ingest), so
 * it is locked down too: it can only touch the tenants' data directories, loads no extensions and
 * its configuration is locked. Files are written under a temporary name, fsync'd and renamed, so a
 * file the catalog references is always complete.
 */
export class ParquetWriter {
  private conn: DuckDBConnection | null = null;
  private instance: DuckDBInstance | null = null;
  private counter = 0;

  constructor(
    private readonly layout: DataLayout,
    private readonly opts: {
      threads: number;
      memoryLimit: string;
      /** Spill directory under `<data>/staging/` (default `duckdb-tmp`); one per writer instance. */
      scratch?: string;
    },
  ) {}

  async connection(): Promise<DuckDBConnection> {
    if (!this.conn) {
      const instance = await DuckDBInstance.create(':memory:', {
        threads: String(this.opts.threads),
        memory_limit: this.opts.memoryLimit,
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        allow_community_extensions: 'false',
      });
      const conn = await instance.connect();
      this.instance = instance;
      const tenants = path.join(this.layout.root, 'tenants') + path.sep;
      const temp = path.join(this.layout.root, 'staging', this.opts.scratch ?? 'duckdb-tmp');
      mkdirSync(tenants, { recursive: true });
      mkdirSync(temp, { recursive: true });
      for (const sql of [
        `SET temp_directory = ${quoteLiteral(temp)}`,
        `SET allowed_directories = [${quoteLiteral(tenants)}]`,
        `SET TimeZone = 'UTC'`,
        `SET enable_external_access = false`,
        `SET allow_unsigned_extensions = false`,
        `SET lock_configuration = true`,
      ]) {
        await conn.run(sql);
      }
      this.conn = conn;
    }
    return this.conn;
  }

  /** A staging table for one table's rows of one commit, in `columns` (one schema version). */
  async openStage(tenant: string, tableId: number, columns: ColumnDef[], schemaVersion: number): Promise<Stage> {
    const conn = await this.connection();
    const name = `stage_${++this.counter}`;
    const colsSql = columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
    await conn.run(
      `CREATE TEMP TABLE ${name} (${colsSql}, ${SEQ_COLUMN} BIGINT, ${ORD_COLUMN} INTEGER, ${DEL_COLUMN} BOOLEAN, ${RSEQ_COLUMN} BIGINT, ${RORD_COLUMN} INTEGER)`,
    );
    return new Stage(this, conn, name, tenant, tableId, columns, schemaVersion);
  }

  /**
   * COPYs `relation` (a table, or a parenthesized query) to a new data file of the table; fsync +
   * rename; returns the record. Without `rowCount`, the count COPY reports is recorded. `origin`
   * 'compaction' marks the file name (see `isCompactedFile`).
   */
  async writeFile(
    conn: DuckDBConnection,
    relation: string,
    meta: {
      tenant: string;
      tableId: number;
      rowCount?: number;
      minSeq: number;
      maxSeq: number;
      schemaVersion: number;
      mutations: boolean;
      origin?: 'commit' | 'compaction';
    },
    /** The table columns of `relation` (the hidden ones follow); types Parquet cannot hold are converted. */
    columns?: readonly ColumnDef[],
  ): Promise<NewFile> {
    // Random bytes: an old and a new leader on different hosts may share a pid and a seq range.
    const suffix = meta.origin === 'compaction' ? COMPACTED_SUFFIX : '.parquet';
    const name = `${meta.minSeq}-${meta.maxSeq}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}${suffix}`;
    const relative = this.layout.newDataFile(meta.tenant, meta.tableId, name);
    const absolute = this.layout.absolute(relative);
    mkdirSync(path.dirname(absolute), { recursive: true });
    const tmp = absolute + '.tmp';
    const source = columns?.some((c) => needsTextStorage(c.type))
      ? `(SELECT ${columns.map((c) => (needsTextStorage(c.type) ? `CAST(${quoteIdent(c.name)} AS ${parquetStorageType(c.type)}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name))).join(', ')}, ${[SEQ_COLUMN, ORD_COLUMN, DEL_COLUMN, RSEQ_COLUMN, RORD_COLUMN].join(', ')} FROM ${relation})`
      : relation;
    const copied = await conn.run(`COPY ${source} TO ${quoteLiteral(tmp)} (FORMAT parquet, COMPRESSION zstd)`);
    // Async fs work runs on libuv's pool: the fsyncs do not stall the event loop.
    const bytes = await readFile(tmp);
    await syncFile(tmp);
    await rename(tmp, absolute);
    await syncFile(path.dirname(absolute));
    return {
      tenant: meta.tenant,
      tableId: meta.tableId,
      path: relative,
      rowCount: meta.rowCount ?? Number(copied.rowsChanged),
      byteSize: bytes.length,
      checksum: crc32(bytes).toString(16).padStart(8, '0'),
      minSeq: meta.minSeq,
      maxSeq: meta.maxSeq,
      schemaVersion: meta.schemaVersion,
      mutations: meta.mutations,
    };
  }

  /** Closes the connection and the DuckDB instance (not left to the garbage collector). */
  close(): void {
    this.conn?.closeSync();
    this.conn = null;
    this.instance?.closeSync();
    this.instance = null;
  }
}

/**
 * Row versions of one table collected during one commit: appended in bus order (the appender is
 * the fast path for inserts), modified by SQL for writes evaluated against the table's state, and
 * finally written as one Parquet file.
 */
export class Stage {
  private appender: DuckDBAppender | null = null;
  private appendedMutations = false;

  constructor(
    private readonly writer: ParquetWriter,
    private readonly conn: DuckDBConnection,
    /** The temp table's name (unqualified; temp tables resolve first). */
    readonly relation: string,
    readonly tenant: string,
    readonly tableId: number,
    readonly columns: ColumnDef[],
    readonly schemaVersion: number,
  ) {}

  /** Whether this stage may hold updates or delete markers (the reader must then deduplicate). */
  get mutations(): boolean {
    return this.appendedMutations || this.sqlMutations;
  }
  /** Set by callers that inserted updated versions or markers through SQL. */
  sqlMutations = false;

  async append(rows: readonly StagedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const a = (this.appender ??= await this.conn.createAppender(this.relation, null, 'temp'));
    for (const row of rows) this.appendOne(a, row);
  }

  /** Columns the appender cannot fill from text (it has no VARCHAR → INTERVAL cast). */
  private intervalColumns: boolean[] | null = null;

  private appendOne(a: DuckDBAppender, row: StagedRow): void {
    const intervals = (this.intervalColumns ??= this.columns.map((c) => c.type.trim().toUpperCase() === 'INTERVAL'));
    row.values.forEach((v, i) => {
      // The appender casts VARCHAR to the column type (canonical text always casts cleanly).
      if (v === null) a.appendNull();
      else if (intervals[i]) a.appendInterval(canonicalInterval(v));
      else a.appendVarchar(v);
    });
    a.appendBigInt(BigInt(row.seq));
    a.appendInteger(row.ord);
    if (row.deleted) {
      a.appendBoolean(true);
      this.appendedMutations = true;
    } else a.appendNull();
    if (row.rid) {
      a.appendBigInt(BigInt(row.rid.seq));
      a.appendInteger(row.rid.ord);
      this.appendedMutations = true;
    } else {
      a.appendNull();
      a.appendNull();
    }
    a.endRow();
  }

  /** Makes appended rows visible to SQL. */
  settle(): void {
    if (this.appender) {
      this.appender.closeSync();
      this.appender = null;
    }
  }

  async run(sql: string): Promise<void> {
    this.settle();
    await this.conn.run(sql);
  }

  /** Runs a `SELECT count(*) …` and returns the count. */
  async count(sql: string): Promise<number> {
    this.settle();
    const reader = await this.conn.runAndReadAll(sql);
    return Number(reader.getRows()[0]![0] as bigint);
  }

  /** Removes the rows of the bus entries first..last (a logical write that failed to apply). */
  async deleteSeqRange(first: number, last: number): Promise<void> {
    await this.run(`DELETE FROM ${this.relation} WHERE ${SEQ_COLUMN} BETWEEN ${first} AND ${last}`);
  }

  /** Writes the staged rows as a data file (null when there are none) and empties the stage. */
  async flush(): Promise<NewFile | null> {
    this.settle();
    const reader = await this.conn.runAndReadAll(
      `SELECT count(*)::BIGINT, min(${SEQ_COLUMN}), max(${SEQ_COLUMN}) FROM ${this.relation}`,
    );
    const [count, min, max] = reader.getRows()[0]! as [bigint, bigint | null, bigint | null];
    if (count === 0n) return null;
    const file = await this.writer.writeFile(this.conn, this.relation, {
      tenant: this.tenant,
      tableId: this.tableId,
      rowCount: Number(count),
      minSeq: Number(min),
      maxSeq: Number(max),
      schemaVersion: this.schemaVersion,
      mutations: this.mutations,
    }, this.columns);
    await this.conn.run(`DELETE FROM ${this.relation}`);
    return file;
  }

  async drop(): Promise<void> {
    try {
      this.settle();
    } catch {
      // A failed append leaves the appender unusable; the table is dropped anyway.
    }
    this.appender = null;
    await this.conn.run(`DROP TABLE IF EXISTS temp.${this.relation}`);
  }
}

/**
 * Types Parquet cannot hold exactly, stored as their exact text and cast back when read (see
 * engine/table-state.ts `projection`): INTERVAL (Parquet's is unsigned and millisecond-precise;
 * DuckDB refuses negative ones), HUGEINT / UHUGEINT (written as DOUBLE: digits lost) and
 * TIME WITH TIME ZONE (normalized to UTC: the offset lost). Also when nested in lists and structs.
 */
const TEXT_STORED = /\b(INTERVAL|HUGEINT|UHUGEINT|TIME WITH TIME ZONE|TIMETZ)\b/gi;

export function needsTextStorage(type: string): boolean {
  TEXT_STORED.lastIndex = 0;
  return TEXT_STORED.test(type);
}

/** The type a column is stored as in Parquet (see `needsTextStorage`). */
export function parquetStorageType(type: string): string {
  return type.replace(TEXT_STORED, 'VARCHAR');
}

const CANONICAL_INTERVAL = /^(-?\d+) months (-?\d+) days (-?\d+) microseconds$/;

/** Parses the validator's canonical interval text ("N months N days N microseconds"). */
function canonicalInterval(text: string): DuckDBIntervalValue {
  const m = CANONICAL_INTERVAL.exec(text);
  if (!m) throw new DuckMeshError(SqlState.invalidDatetimeFormat, `invalid input syntax for type interval: "${text}"`);
  return new DuckDBIntervalValue(Number(m[1]), Number(m[2]), BigInt(m[3]!));
}

async function syncFile(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Name ending of files written by compaction (`<minSeq>-<maxSeq>-<time>-<random>.compacted.parquet`). */
export const COMPACTED_SUFFIX = '.compacted.parquet';

/** Whether a data file (path or name) was written by compaction rather than by the commit worker. */
export function isCompactedFile(p: string): boolean {
  return p.endsWith(COMPACTED_SUFFIX);
}

/** CRC-32 of a file as stored in the catalog (used by the integrity checker). */
export function fileChecksum(absolute: string): string {
  return crc32(readFileSync(absolute)).toString(16).padStart(8, '0');
}
