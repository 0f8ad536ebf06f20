/**
 * `duckmesh backfill`: bulk-loads historical files (Parquet, CSV, NDJSON) into a table of a running
 * DuckMesh as one logical write with a visibility token and an idempotency key.
 *
 * A client of the pg-wire port, like any producer: it reads the files with an in-process DuckDB
 * (backfill-source.ts) and sends the rows as
 *
 *   SET duckmesh.idempotency_key = '<key>'; BEGIN; INSERT … VALUES ($1, …), …; …; COMMIT
 *
 * A transaction is ONE logical write: COMMIT appends every row in one atomic bus append (one
 * token), a failure or a disconnect before COMMIT writes nothing, and the key makes a retry return
 * the first receipt without writing again (the server compares a fingerprint of every statement
 * and its parameters: the same key with different rows is DM004). Why not `COPY FROM STDIN`: the
 * server refuses an idempotency key on COPY (session/copy-in.ts) — a keyless COPY could not be
 * retried safely; the transaction of parameterized INSERTs is keyed today. Both are validated by
 * the same row validators.
 *
 * Before anything is sent, every row of every file is validated here with the server's own
 * validators (ingest/validate-rows.ts) against the table's current definition, so a bad row
 * anywhere — also in a later part — is reported with file, row and column, and nothing is written.
 *
 * Large inputs are split into parts of `partRows` rows (default 1,000,000 — the server's default
 * `limits.maxRowsPerWrite`, i.e. the largest single statement it accepts; a transaction's rows are
 * held in the server's memory until COMMIT). Part 1 carries the key itself, part i ≥ 2 the key
 * `<key>/part-<i>`: each part is all or nothing and idempotent on its own, so an interrupted run
 * resumed with the same key (the default key is derived from the files, so re-running the same
 * command resumes) writes each part exactly once — the parts written before get their original
 * receipts back. Part boundaries depend only on the rows and `partRows`; re-running with another
 * `--part-rows` changes part 1's rows, which the server refuses with DM004 before anything else
 * is written. Keys live for `retention.idempotencyKeyHours` (default 24 h): resume within it.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import type { TableDef } from '../catalog/types.js';
import { DuckMeshError } from '../common/errors.js';
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import { RowValidator } from '../ingest/validate-rows.js';
import { decodeToken, encodeToken } from '../visibility/token.js';
import { BackfillReader, checkMapping, type BackfillFormat, type ColumnMapping, type CsvOptions, type RowRun, type SourceFile } from './backfill-source.js';
import { OpsError } from './data-dir.js';
import { silentProgress, type ProgressSink } from './progress.js';

export interface BackfillOptions {
  /** Files or globs. */
  files: string[];
  /** `[schema.]table` (schema defaults to public). */
  table: string;
  /** Where DuckMesh listens (a pg.ClientConfig: connectionString or host/port/user/database/password). */
  connection: pg.ClientConfig;
  format?: BackfillFormat;
  csv?: CsvOptions;
  /** Default: derived from the database, the table and every file's path, size and mtime. */
  idempotencyKey?: string;
  /** Rows per part (one transaction, one key); default 1,000,000. */
  partRows?: number;
  /** Rows per INSERT statement inside a part; default min(1000, 30000 / columns). */
  rowsPerStatement?: number;
  allowMissingColumns?: boolean;
  ignoreExtraColumns?: boolean;
  /** Wait until the last token is visible (SET duckmesh.min_visibility_token). */
  wait?: boolean;
  waitTimeoutMs?: number;
  progress?: ProgressSink;
}

export interface PartReceipt {
  part: number;
  idempotency_key: string;
  rows: number;
  token: string;
  last_seq: number;
}

/** What `duckmesh backfill --json` prints. */
export interface BackfillReport {
  ok: true;
  database: string;
  table: string;
  files: { path: string; format: BackfillFormat; rows: number }[];
  rows: number;
  idempotency_key: string;
  /** Newest token of all parts: visible ⇒ every row of the backfill is visible. Null for no rows. */
  token: string | null;
  parts: PartReceipt[];
  /** With `wait`: the snapshot the visibility check ran on. */
  visible_snapshot_id?: number;
}

export const DEFAULT_PART_ROWS = 1_000_000;
const MAX_KEY_LENGTH = 255;
/** Parameters per statement stay well below the protocol's 65535. */
const MAX_PARAMS_PER_STATEMENT = 30_000;

export async function runBackfill(opts: BackfillOptions): Promise<BackfillReport> {
  const progress = opts.progress ?? silentProgress;
  const partRows = opts.partRows ?? DEFAULT_PART_ROWS;
  if (!Number.isSafeInteger(partRows) || partRows < 1) throw new OpsError(`--part-rows must be a positive integer, got ${partRows}`);
  const { schema, name } = parseTableName(opts.table);
  const csv = opts.csv ?? {};

  const client = new pg.Client({ ...opts.connection, application_name: 'duckmesh backfill' });
  try {
    await client.connect();
  } catch (err) {
    throw new OpsError(`cannot connect to DuckMesh: ${(err as Error).message}`);
  }
  const reader = await BackfillReader.open();
  try {
    const database = String((await client.query('SELECT current_database() AS db')).rows[0].db);
    const table = await fetchTable(client, database, schema, name);
    const files = await reader.resolveFiles(opts.files, opts.format);
    const key = opts.idempotencyKey ?? defaultKey(database, table, files);
    if (key.length === 0) throw new OpsError('--idempotency-key must not be empty');

    // Mapping and row counts first: cheap, and a wrong file fails before the long passes.
    const mappings = new Map<string, ColumnMapping | null>();
    const counts = new Map<string, number>();
    for (const f of files) {
      mappings.set(f.path, f.format === 'ndjson' ? null : await reader.mapColumns(f, table, csv, opts));
      counts.set(f.path, await reader.countRows(f, csv));
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const parts = Math.ceil(total / partRows);
    const keyFor = (part: number): string => (part === 1 ? key : `${key}/part-${part}`);
    if (keyFor(Math.max(1, parts)).length > MAX_KEY_LENGTH) {
      throw new OpsError(`idempotency key too long: "${keyFor(Math.max(1, parts))}" has more than ${MAX_KEY_LENGTH} characters`);
    }
    const width = (f: SourceFile) => (mappings.get(f.path)?.pairs.length ?? table.columns.length) || 1;
    const perStatement = (f: SourceFile) =>
      opts.rowsPerStatement ?? Math.max(1, Math.min(1000, Math.floor(MAX_PARAMS_PER_STATEMENT / width(f))));

    // Pass 1: validate everything with the server's validators. Nothing is sent yet.
    progress.phase('validating', total, 'items');
    for (const f of files) {
      const seen = new Set<string>();
      const validators = new Map<string, RowValidator>();
      for await (const run of reader.rows(f, table, mappings.get(f.path)!, csv, perStatement(f))) {
        validateRun(run, table, validators, seen, opts);
        progress.advance(run.rows.length);
      }
      if (f.format === 'ndjson' && counts.get(f.path)! > 0) {
        checkMapping(f.path, table, [], table.columns.filter((c) => !seen.has(c.name)), opts);
      }
    }
    progress.end();

    const report: BackfillReport = {
      ok: true,
      database,
      table: `${table.schema}.${table.name}`,
      files: files.map((f) => ({ path: f.path, format: f.format, rows: counts.get(f.path)! })),
      rows: total,
      idempotency_key: key,
      token: null,
      parts: [],
    };
    if (total === 0) {
      progress.note('backfill: the input has no rows; nothing to write');
      return report;
    }

    // Pass 2: send, part by part, each part one keyed transaction.
    const writer = new PartWriter(client, table);
    progress.phase(parts === 1 ? 'loading' : `loading (${parts} parts)`, total, 'items');
    let part = 0;
    let partLeft = 0;
    let partCount = 0;
    const commit = async (): Promise<void> => {
      const token = await writer.commit(part, parts);
      report.parts.push({ part, idempotency_key: keyFor(part), rows: partCount, token, last_seq: decodeToken(token) });
    };
    try {
      for (const f of files) {
        for await (const run of reader.rows(f, table, mappings.get(f.path)!, csv, perStatement(f))) {
          let offset = 0;
          while (offset < run.rows.length) {
            if (partLeft === 0) {
              if (part > 0) await commit();
              part++;
              partLeft = Math.min(partRows, total - (part - 1) * partRows);
              partCount = 0;
              await writer.begin(keyFor(part));
            }
            const n = Math.min(partLeft, run.rows.length - offset);
            await writer.insert(run.columns, run.rows.slice(offset, offset + n), part, parts, f, run.firstRow + offset);
            offset += n;
            partLeft -= n;
            partCount += n;
            progress.advance(n, parts > 1 ? `part ${part}/${parts}` : undefined);
          }
        }
      }
      if (part > 0) await commit();
    } catch (err) {
      await writer.abort();
      const done = report.parts.length;
      if (err instanceof OpsError && done > 0) {
        throw new OpsError(`${err.message}. Parts 1–${done} of ${parts} are written; re-run the same command (same idempotency key "${key}") to resume`);
      }
      throw err;
    }
    progress.end();
    if (total !== report.parts.reduce((n, p) => n + p.rows, 0)) {
      throw new OpsError(`the files changed while they were read (${total} rows counted, ${report.parts.reduce((n, p) => n + p.rows, 0)} sent)`);
    }
    const newest = Math.max(...report.parts.map((p) => p.last_seq));
    report.token = encodeToken(newest);

    if (opts.wait) {
      await client.query(`SET duckmesh.visibility_timeout = ${Math.max(1, Math.round(opts.waitTimeoutMs ?? 60_000))}`);
      await client.query(`SET duckmesh.min_visibility_token = ${quoteLiteral(report.token)}`);
      try {
        const r = await client.query('SELECT snapshot_id FROM duckmesh.snapshot');
        report.visible_snapshot_id = Number(r.rows[0].snapshot_id);
      } catch (err) {
        throw serverError(`the backfill is written (token ${report.token}) but waiting for its visibility failed`, err);
      }
    }
    return report;
  } finally {
    reader.close();
    await client.end().catch(() => undefined);
  }
}

/** Human-readable summary (what the CLI prints without --json). */
export function formatBackfillReport(r: BackfillReport): string {
  if (r.token === null) return `backfill: no rows in ${r.files.length} file(s); nothing written to ${r.table}\n`;
  const lines = [
    `backfilled ${r.rows} rows from ${r.files.length} file(s) into ${r.database}.${r.table}` +
      (r.parts.length === 1 ? ' as one write' : ` in ${r.parts.length} parts (one write each)`),
    `token ${r.token}`,
    `idempotency key ${r.idempotency_key}` + (r.parts.length > 1 ? ` (parts: ${r.idempotency_key}/part-2 … /part-${r.parts.length})` : ''),
  ];
  if (r.visible_snapshot_id !== undefined) lines.push(`visible in snapshot ${r.visible_snapshot_id}`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------

class PartWriter {
  private open = false;
  private readonly prepared = new Set<string>();
  private readonly target: string;

  constructor(
    private readonly client: pg.Client,
    private readonly table: TableDef,
  ) {
    this.target = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
  }

  async begin(key: string): Promise<void> {
    // The key is consumed by the transaction's first write; COMMIT carries it (one key per transaction).
    try {
      await this.client.query(`SET duckmesh.idempotency_key = ${quoteLiteral(key)}`);
      await this.client.query('BEGIN');
    } catch (err) {
      throw serverError('cannot start the write', err);
    }
    this.open = true;
  }

  async insert(columns: string[], rows: (string | null)[][], part: number, parts: number, file: SourceFile, firstRow: number): Promise<void> {
    if (rows.length === 0) return;
    const width = columns.length;
    let sql: string;
    const values: (string | null)[] = [];
    if (width === 0) {
      // Every column takes its default (an NDJSON record `{}` with --allow-missing-columns).
      sql = `INSERT INTO ${this.target} DEFAULT VALUES`;
      for (let i = 0; i < rows.length; i++) await this.run({ text: sql }, part, parts, file, firstRow + i);
      return;
    }
    const tuples: string[] = [];
    let n = 0;
    for (const row of rows) {
      const ps: string[] = [];
      for (let j = 0; j < width; j++) ps.push(`$${++n}`);
      tuples.push(`(${ps.join(', ')})`);
      for (const v of row) values.push(v);
    }
    sql = `INSERT INTO ${this.target} (${columns.map(quoteIdent).join(', ')}) VALUES ${tuples.join(', ')}`;
    // Statements of the common shape are prepared once per connection (parsed once by the server).
    let name: string | undefined;
    const id = 'dm_backfill_' + createHash('sha1').update(sql).digest('hex').slice(0, 16);
    if (this.prepared.has(id) || this.prepared.size < 64) {
      name = id;
      this.prepared.add(id);
    }
    await this.run({ text: sql, values, ...(name ? { name } : {}) }, part, parts, file, firstRow);
  }

  async commit(part: number, parts: number): Promise<string> {
    try {
      await this.client.query('COMMIT');
      this.open = false;
      const r = await this.client.query('SHOW duckmesh.last_visibility_token');
      return String(Object.values(r.rows[0] as Record<string, string>)[0]);
    } catch (err) {
      this.open = false;
      const code = (err as { code?: unknown }).code;
      // A refusal by the server (an SQLSTATE) wrote nothing; a lost connection (or DM008) may have
      // written the part or not — the key makes the re-run settle it either way.
      if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && code !== 'DM008') {
        throw serverError(`part ${part}/${parts}: COMMIT was refused, nothing of this part was written`, err);
      }
      throw serverError(`part ${part}/${parts}: the outcome of COMMIT is unknown (re-running the same command writes this part exactly once)`, err);
    }
  }

  async abort(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.client.query('ROLLBACK').catch(() => undefined);
    await this.client.query('RESET duckmesh.idempotency_key').catch(() => undefined);
  }

  private async run(q: pg.QueryConfig, part: number, parts: number, file: SourceFile, firstRow: number): Promise<void> {
    try {
      await this.client.query(q);
    } catch (err) {
      // The server names the row within the statement; map it back to the file's row.
      const e = err as { detail?: string };
      const m = /^row (\d+)(.*)$/.exec(e.detail ?? '');
      const where = m ? `${file.path}, row ${firstRow + Number(m[1]) - 1}${m[2]}` : `${file.path}, rows from ${firstRow}`;
      throw serverError(`part ${part}/${parts} refused by the server at ${where}; nothing of this part was written`, err);
    }
  }
}

function validateRun(run: RowRun, table: TableDef, validators: Map<string, RowValidator>, seen: Set<string>, opts: BackfillOptions): void {
  const where = (row: number, detail?: string) => {
    const col = /column "((?:[^"]|"")*)"/.exec(detail ?? '')?.[1];
    return `${run.file.path}, ${run.file.format === 'ndjson' ? 'record' : 'row'} ${row}${col !== undefined ? `, column "${col}"` : ''}`;
  };
  try {
    if (run.objects) {
      const validator = validators.get('*') ?? new RowValidator(table, null);
      validators.set('*', validator);
      run.objects.forEach((obj, i) => {
        let record = obj;
        if (opts.ignoreExtraColumns) {
          record = {};
          for (const c of table.columns) if (Object.hasOwn(obj, c.name)) record[c.name] = obj[c.name];
        }
        validator.jsonRow(record, run.firstRow + i);
      });
      for (const c of run.columns) seen.add(c);
      return;
    }
    const id = run.columns.join('\u0000');
    let validator = validators.get(id);
    if (!validator) validators.set(id, (validator = new RowValidator(table, run.columns)));
    run.rows.forEach((row, i) => validator.row(row.map((text) => ({ kind: 'value', text })), run.firstRow + i));
  } catch (err) {
    if (err instanceof DuckMeshError) {
      const row = Number(/row (\d+)/.exec(err.detail ?? '')?.[1] ?? run.firstRow);
      throw new OpsError(`${where(row, err.detail)}: ${err.message} (SQLSTATE ${err.sqlstate}); nothing was written`);
    }
    throw err;
  }
}

/** The table's current definition as the server reports it (duckmesh.tables / schema_history). */
async function fetchTable(client: pg.Client, database: string, schema: string, name: string): Promise<TableDef> {
  let t;
  try {
    t = await client.query(
      `SELECT table_id, schema_version, primary_key FROM duckmesh.tables WHERE table_schema = ${quoteLiteral(schema)} AND table_name = ${quoteLiteral(name)}`,
    );
  } catch (err) {
    throw serverError('cannot read the table list (duckmesh.tables)', err);
  }
  if (t.rows.length === 0) throw new OpsError(`table ${schema}.${name} does not exist in database ${database} (as of the newest snapshot)`);
  const row = t.rows[0] as { table_id: string; schema_version: number | string; primary_key: string | null };
  const h = await client.query(
    `SELECT columns FROM duckmesh.schema_history WHERE table_id = ${Number(row.table_id)} AND version = ${Number(row.schema_version)}`,
  );
  if (h.rows.length === 0) throw new OpsError(`table ${schema}.${name}: schema version ${row.schema_version} is not in duckmesh.schema_history`);
  const cols = JSON.parse(String(h.rows[0].columns)) as { name: string; type: string; not_null: boolean; default: string | null }[];
  return {
    tableId: Number(row.table_id),
    tenant: database,
    schema,
    name,
    columns: cols.map((c) => ({ name: c.name, type: c.type, notNull: c.not_null, defaultValue: c.default })),
    primaryKey: row.primary_key ? row.primary_key.split(', ').filter((k) => k !== '') : [],
    schemaVersion: Number(row.schema_version),
    createdSeq: null,
    droppedSeq: null,
  };
}

/**
 * The default key: a hash of what identifies "this backfill" — database, table, and each file's
 * path, size and modification time. Re-running the same command after an interruption uses the
 * same key (and resumes); touching or replacing a file makes it a different backfill.
 */
export function defaultKey(database: string, table: Pick<TableDef, 'schema' | 'name'>, files: readonly SourceFile[]): string {
  const identity = JSON.stringify({
    v: 1,
    database,
    table: [table.schema, table.name],
    files: files.map((f) => [f.path, f.size, Math.trunc(f.mtimeMs)]),
  });
  return `backfill-${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`;
}

export function parseTableName(text: string): { schema: string; name: string } {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^."\s]+))\s*(\.|$)/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new OpsError(`invalid table name ${JSON.stringify(text)}: use table or schema.table`);
    parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase());
    pos = re.lastIndex;
    if (m[3] === '') break;
  }
  if (parts.length === 1) return { schema: 'public', name: parts[0]! };
  if (parts.length === 2) return { schema: parts[0]!, name: parts[1]! };
  throw new OpsError(`invalid table name ${JSON.stringify(text)}: use table or schema.table`);
}

function serverError(context: string, err: unknown): OpsError {
  const e = err as { code?: string; message?: string; detail?: string; hint?: string; where?: string };
  let text = `${context}: ${e.message ?? String(err)}`;
  if (e.code) text += ` (SQLSTATE ${e.code})`;
  if (e.detail) text += `; ${e.detail}`;
  if (e.code === 'DM004') {
    text += '; this idempotency key was used before for different rows — the files or --part-rows changed since the first run (use the same ones to resume, or a new --idempotency-key for a new backfill)';
  } else if (e.hint) text += `; hint: ${e.hint}`;
  return new OpsError(text);
}

/** The pg connection of the CLI flags: --url, else host/port/user/database (PG* env, DuckMesh defaults). */
export function connectionFromFlags(f: { url?: string; host?: string; port?: string; user?: string; database?: string }, env: NodeJS.ProcessEnv = process.env): pg.ClientConfig {
  if (f.url) return { connectionString: f.url };
  const port = Number(f.port ?? env['PGPORT'] ?? 5433);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OpsError(`invalid port ${JSON.stringify(f.port ?? env['PGPORT'])}`);
  return {
    host: f.host ?? env['PGHOST'] ?? '127.0.0.1',
    port,
    user: f.user ?? env['PGUSER'] ?? os.userInfo().username,
    database: f.database ?? env['PGDATABASE'] ?? 'duckmesh',
  };
}
