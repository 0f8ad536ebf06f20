/**
 * The SQL one compaction job runs: the rows of its input files, with superseded versions and
 * droppable delete markers folded in, sorted, in the columns of the job's schema version plus the
 * hidden columns — exactly the shape the commit worker's files have (storage/parquet-writer.ts).
 *
 * Rules (merge-on-read semantics: per key — the primary key, or a keyless table's row identity
 * coalesce(_dm_rseq, _dm_seq), coalesce(_dm_rord, _dm_ord) — the version with the highest
 * (_dm_seq, _dm_ord) wins unless it is a delete marker):
 *
 * - A version that a newer version of the same key inside the job supersedes is dropped: whatever
 *   the files outside the job hold, the newest version of the key across the table is either
 *   outside or the job's newest, never the dropped one. Always safe.
 * - The job's newest version of a key is kept with its hidden columns unchanged (a keyless table's
 *   row identity must survive: later updates and deletes name it).
 * - A delete marker that is the job's newest version of its key is dropped only when its
 *   `_dm_seq` is below the job's floor (every file of the table outside the job starts at or above
 *   the floor, so no older version of the key is left anywhere for the marker to hide); otherwise
 *   it is kept. Newer versions in other files (later commits) are unaffected either way: they win
 *   over the marker and over its absence alike.
 * - Tables without a primary key whose inputs hold no updates or deletes are copied row for row.
 *
 * Rows are sorted by the table's time column (then bus order), or by bus order when it has none.
 */
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import { columnId } from '../catalog/metadata.js';
import type { ColumnDef, TableVersion } from '../catalog/types.js';
import { HIDDEN_COLUMNS, projection } from '../engine/table-state.js';

export interface RewriteFile {
  /** Absolute path. */
  path: string;
  schemaVersion: number;
  mutations: boolean;
}

export interface RewriteSpec {
  /** Columns and key of the job's schema version (what the output file follows). */
  columns: readonly ColumnDef[];
  primaryKey: readonly string[];
  /** Versions of the table, for the columns of inputs written under other versions. */
  versions: readonly TableVersion[];
  files: readonly RewriteFile[];
  /** Markers with `_dm_seq` below this are dropped (see PlannedJob.floor). */
  floor: number;
  /** Column to sort by (a name of `columns`), or null for bus order. */
  timeColumn: string | null;
}

const HIDDEN_TYPES = ['BIGINT', 'INTEGER', 'BOOLEAN', 'BIGINT', 'INTEGER'];

export function compactionSql(spec: RewriteSpec): string {
  const byVersion = new Map<number, string[]>();
  for (const f of spec.files) {
    let list = byVersion.get(f.schemaVersion);
    if (!list) byVersion.set(f.schemaVersion, (list = []));
    list.push(f.path);
  }
  const hidden = HIDDEN_COLUMNS.join(', ');
  const parts = [...byVersion].sort((a, b) => a[0] - b[0]).map(([version, paths]) => {
    const source = spec.versions.find((v) => v.version === version)?.columns ?? spec.columns;
    return `SELECT ${projection(spec.columns, source).join(', ')}, ${hidden} FROM read_parquet([${paths.map(quoteLiteral).join(', ')}])`;
  });
  const union = parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join(' UNION ALL ');
  const dedupe = spec.primaryKey.length > 0 || spec.files.some((f) => f.mutations);
  let rows = `SELECT * FROM (${union}) AS __dm_rows`;
  if (dedupe) {
    const key = spec.primaryKey.length > 0 ? spec.primaryKey.map(quoteIdent) : ['coalesce(_dm_rseq, _dm_seq)', 'coalesce(_dm_rord, _dm_ord)'];
    rows +=
      ` QUALIFY row_number() OVER (PARTITION BY ${key.join(', ')} ORDER BY _dm_seq DESC, _dm_ord DESC) = 1` +
      ` AND NOT (coalesce(_dm_del, false) AND _dm_seq < ${Math.trunc(spec.floor)})`;
  }
  const out = [
    ...spec.columns.map((c) => `CAST(${quoteIdent(c.name)} AS ${c.type}) AS ${quoteIdent(c.name)}`),
    ...HIDDEN_COLUMNS.map((h, i) => `CAST(${h} AS ${HIDDEN_TYPES[i]}) AS ${h}`),
  ];
  const order = [...(spec.timeColumn ? [`${quoteIdent(spec.timeColumn)} NULLS LAST`] : []), '_dm_seq', '_dm_ord'];
  return `SELECT ${out.join(', ')} FROM (${rows}) AS __dm_kept ORDER BY ${order.join(', ')}`;
}

/** DuckDB types a table's time column may have (first such column when none is configured). */
const TEMPORAL = /^\s*(TIMESTAMP(_NS|_MS|_S)?|TIMESTAMPTZ|DATE)\b/i;

/** The column rows are sorted by: `configured` when the table has it, else its first TIMESTAMP[TZ]/DATE column. */
export function timeColumnOf(columns: readonly ColumnDef[], configured: string | null | undefined): string | null {
  if (configured && columns.some((c) => c.name === configured)) return configured;
  return columns.find((c) => TEMPORAL.test(c.type))?.name ?? null;
}

/**
 * Whether a file written under `source` columns reads the same through `target` (the table's
 * current version) as through its own version, so it can be merged with files of the current
 * version: every current column exists in the file with the very same type. Renamed, reordered and
 * dropped columns are fine; added columns and changed types (even widening ones, whose cast would
 * then be stored and could read differently after a later change) are not.
 */
export function readsExactlyAs(source: readonly ColumnDef[], target: readonly ColumnDef[]): boolean {
  const byId = new Map(source.map((c, i) => [columnId(c, i), c]));
  return target.every((c, i) => {
    const from = byId.get(columnId(c, i));
    return from !== undefined && normalizeType(from.type) === normalizeType(c.type);
  });
}

function normalizeType(t: string): string {
  return t.replace(/\s+/g, ' ').trim().toUpperCase();
}
