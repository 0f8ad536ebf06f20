/**
 * Reading the input of `duckmesh backfill`: Parquet, CSV and NDJSON files, through an in-process
 * DuckDB (the operator's own process — not a tenant engine, so no sandbox applies; it only reads
 * the files named on the command line).
 *
 * Every row comes out as Postgres text input for the target table's columns — exactly what a
 * client would send in `INSERT … VALUES ($1, …)` or COPY text — so the server's own validators
 * decide what is valid, and the same rows always produce the same text (the idempotency
 * fingerprint of a re-run matches):
 * - CSV: every field as the raw string (`all_varchar`), unquoted empty = NULL, quoted empty = ''
 *   (Postgres' CSV rules), so "007" stays "007" for a text column;
 * - Parquet: each typed value through the server's Postgres text encoder for its type (the same
 *   encoders the query path uses); a non-text value into a json column goes through to_json;
 * - NDJSON: each line a JSON object, keys = column names, read with the HTTP ingest rules (absent
 *   key = column default, JSON null = NULL; see validate.ts jsonToText).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ColumnDef, TableDef } from '../catalog/types.js';
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import { columnTypeFromSql, type ColumnType } from '../types/column-types.js';
import { quoteArrayElement, textEncoderFor, type TextEncoder } from '../types/text-encode.js';
import { OpsError } from './data-dir.js';

export type BackfillFormat = 'parquet' | 'csv' | 'ndjson';

export interface SourceFile {
  /** Absolute, symlinks resolved. */
  path: string;
  format: BackfillFormat;
  size: number;
  mtimeMs: number;
}

export interface CsvOptions {
  /** First line names the columns (default true); without it columns map by position. */
  header?: boolean;
  /** Field delimiter; default: detected. */
  delimiter?: string;
}

export interface MappingOptions {
  /** Table columns the input lacks take their default (else an error). */
  allowMissingColumns?: boolean;
  /** Input columns the table lacks are dropped (else an error). */
  ignoreExtraColumns?: boolean;
}

/** A run of consecutive rows of one file with the same target columns. */
export interface RowRun {
  file: SourceFile;
  /** Target column names, in the order of each row's cells. */
  columns: string[];
  /** Postgres text input (null = NULL). */
  rows: (string | null)[][];
  /** 1-based number (within the file) of rows[0]. */
  firstRow: number;
  /** NDJSON only: the parsed objects (for validation with the HTTP rules). */
  objects?: Record<string, unknown>[];
}

const EXTENSIONS: [RegExp, BackfillFormat][] = [
  [/\.(parquet|pq)$/i, 'parquet'],
  [/\.(csv|tsv|txt)(\.(gz|zst))?$/i, 'csv'],
  [/\.(ndjson|jsonl|json)(\.(gz|zst))?$/i, 'ndjson'],
];

export function formatOf(file: string, forced?: BackfillFormat): BackfillFormat {
  if (forced) return forced;
  for (const [re, f] of EXTENSIONS) if (re.test(file)) return f;
  throw new OpsError(`cannot tell the format of ${file} from its name: pass --format parquet|csv|ndjson`);
}

export class BackfillReader {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  static async open(): Promise<BackfillReader> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const conn = await instance.connect();
    // Deterministic text for time zone–aware values (to_json of TIMESTAMPTZ).
    await conn.run(`SET TimeZone = 'UTC'`);
    return new BackfillReader(instance, conn);
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }

  /** Expands globs (DuckDB's glob()) and resolves each input to one existing file, in a stable order. */
  async resolveFiles(args: readonly string[], forced?: BackfillFormat): Promise<SourceFile[]> {
    const out: SourceFile[] = [];
    const seen = new Set<string>();
    for (const arg of args) {
      let paths: string[];
      if (/[*?[]/.test(arg)) {
        const r = await this.conn.runAndReadAll(`SELECT file FROM glob(${quoteLiteral(arg)}) ORDER BY file`);
        paths = r.getRows().map((row) => String(row[0]));
        if (paths.length === 0) throw new OpsError(`no file matches ${arg}`);
      } else {
        paths = [arg];
      }
      for (const p of paths) {
        let abs: string;
        let st;
        try {
          abs = realpathSync(path.resolve(p));
          st = statSync(abs);
        } catch {
          throw new OpsError(`no such file: ${p}`);
        }
        if (!st.isFile()) throw new OpsError(`not a regular file: ${p}`);
        if (seen.has(abs)) continue;
        seen.add(abs);
        out.push({ path: abs, format: formatOf(abs, forced), size: st.size, mtimeMs: st.mtimeMs });
      }
    }
    if (out.length === 0) throw new OpsError('no input files');
    return out;
  }

  /** Rows in the file (a cheap pass: Parquet metadata, a DuckDB scan for text formats). */
  async countRows(file: SourceFile, csv: CsvOptions): Promise<number> {
    const r = await this.run(file, `SELECT count(*) FROM ${sourceSql(file, csv)}`);
    return Number(r.getRows()[0]![0] as bigint);
  }

  /**
   * How the file's columns map onto the table (Parquet and CSV; NDJSON maps per record).
   * Throws an OpsError naming missing and extra columns.
   */
  async mapColumns(file: SourceFile, table: TableDef, csv: CsvOptions, opts: MappingOptions): Promise<ColumnMapping> {
    if (file.format === 'ndjson') throw new Error('NDJSON maps columns per record');
    const r = await this.run(file, `DESCRIBE SELECT * FROM ${sourceSql(file, csv)}`);
    const source = r.getRowObjectsJson().map((row) => ({ name: String(row['column_name']), type: String(row['column_type']) }));
    const pairs: { source: string; sourceType: string; target: ColumnDef }[] = [];
    const extra: string[] = [];
    const positional = file.format === 'csv' && csv.header === false;
    source.forEach((s, i) => {
      const target = positional ? table.columns[i] : matchColumn(table.columns, s.name);
      if (!target) extra.push(positional ? `column ${i + 1}` : s.name);
      else if (pairs.some((p) => p.target.name === target.name)) {
        throw new OpsError(`${file.path}: columns "${pairs.find((p) => p.target.name === target.name)!.source}" and "${s.name}" both map to column "${target.name}" of ${table.name}`);
      } else pairs.push({ source: s.name, sourceType: s.type, target });
    });
    const missing = table.columns.filter((c) => !pairs.some((p) => p.target.name === c.name));
    checkMapping(file.path, table, extra, missing, opts);
    return { pairs };
  }

  /**
   * The file's rows in file order, as runs of at most `maxRun` rows with one column list (a new
   * run also starts where the column list changes, NDJSON only).
   */
  async *rows(file: SourceFile, table: TableDef, mapping: ColumnMapping | null, csv: CsvOptions, maxRun: number): AsyncGenerator<RowRun> {
    if (file.format === 'ndjson') {
      yield* this.ndjsonRows(file, table, maxRun);
      return;
    }
    const m = mapping!;
    const exprs = m.pairs.map((p) => {
      const ref = quoteIdent(p.source);
      const targetIsJson = /^JSON$/i.test(p.target.type.trim());
      if (file.format === 'parquet' && targetIsJson && !/^(VARCHAR|JSON)$/i.test(p.sourceType)) return `CAST(to_json(${ref}) AS VARCHAR)`;
      return ref;
    });
    const result = await this.stream(file, `SELECT ${exprs.join(', ') || 'NULL'} FROM ${sourceSql(file, csv)}`);
    const encoders: TextEncoder[] = [];
    for (let i = 0; i < m.pairs.length; i++) encoders.push(textEncoderFor(result.columnType(i)));
    const columns = m.pairs.map((p) => p.target.name);
    let rowNo = 1;
    let run: (string | null)[][] = [];
    let runStart = 1;
    for (;;) {
      const chunk = await result.fetchChunk().catch((err: unknown) => {
        throw readError(file, err);
      });
      if (!chunk || chunk.rowCount === 0) break;
      for (const values of chunk.getRows()) {
        const row = new Array<string | null>(encoders.length);
        for (let i = 0; i < encoders.length; i++) {
          const v = values[i];
          row[i] = v === null || v === undefined ? null : encoders[i]!(v);
        }
        run.push(row);
        rowNo++;
        if (run.length >= maxRun) {
          yield { file, columns, rows: run, firstRow: runStart };
          run = [];
          runStart = rowNo;
        }
      }
    }
    if (run.length > 0) yield { file, columns, rows: run, firstRow: runStart };
  }

  private async *ndjsonRows(file: SourceFile, table: TableDef, maxRun: number): AsyncGenerator<RowRun> {
    const result = await this.stream(file, `SELECT json FROM ${sourceSql(file, {})}`);
    const types = new Map(table.columns.map((c) => [c.name, columnTypeFromSql(c.type)]));
    let rowNo = 1;
    let run: RowRun | null = null;
    for (;;) {
      const chunk = await result.fetchChunk().catch((err: unknown) => {
        throw readError(file, err);
      });
      if (!chunk || chunk.rowCount === 0) break;
      for (const [text] of chunk.getRows()) {
        let obj: unknown;
        try {
          obj = JSON.parse(String(text));
        } catch (err) {
          throw new OpsError(`${file.path}, record ${rowNo}: not valid JSON (${(err as Error).message}); nothing was written`);
        }
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
          throw new OpsError(`${file.path}, record ${rowNo}: expected a JSON object with one key per column; nothing was written`);
        }
        const record = obj as Record<string, unknown>;
        // Column order of the table, keys present in this record (known columns only: unknown keys
        // are reported, or dropped with --ignore-extra-columns, by the caller's validation).
        const columns = table.columns.filter((c) => Object.hasOwn(record, c.name)).map((c) => c.name);
        if (run && (run.rows.length >= maxRun || !sameList(run.columns, columns))) {
          yield run;
          run = null;
        }
        run ??= { file, columns, rows: [], firstRow: rowNo, objects: [] };
        run.rows.push(columns.map((name) => jsonToPgText(types.get(name)!, record[name])));
        run.objects!.push(record);
        rowNo++;
      }
    }
    if (run) yield run;
  }

  private async run(file: SourceFile, sql: string) {
    try {
      return await this.conn.runAndReadAll(sql);
    } catch (err) {
      throw readError(file, err);
    }
  }

  private async stream(file: SourceFile, sql: string) {
    try {
      return await this.conn.stream(sql);
    } catch (err) {
      throw readError(file, err);
    }
  }
}

export interface ColumnMapping {
  pairs: { source: string; sourceType: string; target: ColumnDef }[];
}

/** Throws a clear error for extra input columns / missing table columns unless allowed. */
export function checkMapping(file: string, table: TableDef, extra: string[], missing: ColumnDef[], opts: MappingOptions): void {
  const problems: string[] = [];
  if (extra.length > 0 && !opts.ignoreExtraColumns) {
    problems.push(`${extra.length === 1 ? 'column' : 'columns'} ${extra.map((c) => `"${c}"`).join(', ')} of the file ${extra.length === 1 ? 'is' : 'are'} not in table ${table.schema}.${table.name} (--ignore-extra-columns drops them)`);
  }
  if (missing.length > 0) {
    const required = missing.filter((c) => c.notNull && c.defaultValue === null);
    if (!opts.allowMissingColumns) {
      problems.push(`table column${missing.length === 1 ? '' : 's'} ${missing.map((c) => `"${c.name}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in the file (--allow-missing-columns fills them with their defaults)`);
    } else if (required.length > 0) {
      problems.push(`NOT NULL column${required.length === 1 ? '' : 's'} without a default ${required.map((c) => `"${c.name}"`).join(', ')} ${required.length === 1 ? 'is' : 'are'} not in the file`);
    }
  }
  if (problems.length > 0) throw new OpsError(`${file}: ${problems.join('; ')}; nothing was written`);
}

function matchColumn(columns: readonly ColumnDef[], name: string): ColumnDef | undefined {
  const exact = columns.find((c) => c.name === name);
  if (exact) return exact;
  const folded = columns.filter((c) => c.name.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

function sourceSql(file: SourceFile, csv: CsvOptions): string {
  const p = quoteLiteral(file.path);
  switch (file.format) {
    case 'parquet':
      return `read_parquet(${p})`;
    case 'csv': {
      const opts = [`all_varchar = true`, `header = ${csv.header === false ? 'false' : 'true'}`, `allow_quoted_nulls = false`];
      if (csv.delimiter !== undefined) opts.push(`delim = ${quoteLiteral(csv.delimiter)}`);
      return `read_csv(${p}, ${opts.join(', ')})`;
    }
    case 'ndjson':
      return `read_ndjson_objects(${p})`;
  }
}

function readError(file: SourceFile, err: unknown): OpsError {
  const msg = (err instanceof Error ? err.message : String(err)).split('\n').slice(0, 3).join(' ');
  return new OpsError(`cannot read ${file.path} as ${file.format}: ${msg}`);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * A JSON value as Postgres text input for a column, for the kinds HTTP ingest accepts (see
 * validate.ts jsonToText; the caller validates with those exact rules first): strings as they
 * are, numbers and booleans as their text, arrays as array literals, anything into json as JSON.
 */
export function jsonToPgText(ct: ColumnType, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (ct.element === undefined && /^JSON$/i.test(ct.sql.trim())) return JSON.stringify(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return `${v}`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return arrayLiteral(v);
  return JSON.stringify(v);
}

function arrayLiteral(items: readonly unknown[]): string {
  const parts = items.map((x) => {
    if (x === null || x === undefined) return 'NULL';
    if (Array.isArray(x)) return arrayLiteral(x);
    const text = typeof x === 'string' ? x : typeof x === 'object' ? JSON.stringify(x) : `${x as number | boolean}`;
    return quoteArrayElement(text);
  });
  return `{${parts.join(',')}}`;
}
