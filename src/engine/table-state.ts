/**
 * SQL for "the rows of a table" over its Parquet files — merge-on-read.
 *
 * Every stored row is a version: `_dm_seq`/`_dm_ord` (bus sequence of its write, position in it),
 * `_dm_del` (a delete marker), and for tables without a primary key `_dm_rseq`/`_dm_rord` (the
 * identity of the row an update or delete applies to; NULL on an inserted row, whose identity
 * is its own seq/ord). The table is, per key (the primary key, or that identity), the version with
 * the highest (seq, ord) unless it is a delete marker. One window pass, no correlated subqueries;
 * tables without a primary key whose files hold no updates or deletes skip it entirely.
 *
 * Files of one schema version share their columns, so each version is one read_parquet; files
 * written under older schema versions are projected onto the current one by column id:
 * renamed columns keep their data, dropped ones disappear, added ones read as the value fixed at
 * ADD COLUMN, and widened types are cast.
 */
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import { columnId } from '../catalog/metadata.js';
import { isWidening } from '../catalog/type-widening.js';
import type { ColumnDef, TableDef, TableVersion } from '../catalog/types.js';
import { needsTextStorage } from '../storage/parquet-writer.js';

export const HIDDEN_COLUMNS = ['_dm_seq', '_dm_ord', '_dm_del', '_dm_rseq', '_dm_rord'] as const;
/** Effective row identity exposed by `tableStateSql` (tables without a primary key). */
export const RID_SEQ = '__dm_rseq';
export const RID_ORD = '__dm_rord';

export interface FileRef {
  /** Absolute path. */
  path: string;
  schemaVersion: number;
  mutations: boolean;
  rowCount?: number;
}

/**
 * Rows that are not in files (the commit worker's staging table, or its materialized copy of the
 * published state), in the table's current columns plus the hidden columns.
 */
export interface ExtraRows {
  relation: string;
  mutations: boolean;
}

/** The user-visible rows of `t` (current columns only). */
export function tableScanSql(t: TableDef, versions: readonly TableVersion[], files: readonly FileRef[] = []): string {
  return stateSql(t, versions, files, [], false);
}

/** The rows of `t` plus its effective row identity columns (for evaluating writes at a bus position). */
export function tableStateSql(t: TableDef, versions: readonly TableVersion[], files: readonly FileRef[], extra: readonly ExtraRows[]): string {
  return stateSql(t, versions, files, extra, true);
}

/**
 * The newest version of every live row of `t` with all hidden columns (delete markers dropped):
 * what the commit worker materializes once per batch instead of scanning the files per write.
 */
export function liveVersionsSql(t: TableDef, versions: readonly TableVersion[], files: readonly FileRef[]): string {
  const parts = sourceParts(t, versions, files, []);
  const cols = [...t.columns.map((c) => quoteIdent(c.name)), ...HIDDEN_COLUMNS].join(', ');
  if (parts.length === 0) {
    const typed = t.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`);
    const hidden = ['BIGINT', 'INTEGER', 'BOOLEAN', 'BIGINT', 'INTEGER'].map((type, i) => `CAST(NULL AS ${type}) AS ${HIDDEN_COLUMNS[i]}`);
    return `SELECT ${[...typed, ...hidden].join(', ')} WHERE false`;
  }
  const union = parts.map((p) => `(${p})`).join(' UNION ALL ');
  if (t.primaryKey.length === 0 && !files.some((f) => f.mutations)) return `SELECT ${cols} FROM (${union}) AS __dm_rows`;
  return `SELECT ${cols} FROM (${union}) AS __dm_rows QUALIFY ${newestVersion(t)} AND NOT coalesce(_dm_del, false)`;
}

function newestVersion(t: TableDef): string {
  const key = t.primaryKey.length > 0 ? t.primaryKey.map(quoteIdent) : ['coalesce(_dm_rseq, _dm_seq)', 'coalesce(_dm_rord, _dm_ord)'];
  return `row_number() OVER (PARTITION BY ${key.join(', ')} ORDER BY _dm_seq DESC, _dm_ord DESC) = 1`;
}

function stateSql(t: TableDef, versions: readonly TableVersion[], files: readonly FileRef[], extra: readonly ExtraRows[], withRid: boolean): string {
  const cols = t.columns.map((c) => quoteIdent(c.name));
  const rid = withRid ? [`coalesce(_dm_rseq, _dm_seq) AS ${RID_SEQ}`, `coalesce(_dm_rord, _dm_ord) AS ${RID_ORD}`] : [];
  const mutations = files.some((f) => f.mutations) || extra.some((e) => e.mutations);
  // Files flag every possible repeat of a key (FileRecord.mutations), so a keyed table whose files
  // are all unflagged needs no merge; rows staged by the commit worker are not checked until they
  // are written, so with extra rows a keyed table is always merged.
  const plain = !mutations && (t.primaryKey.length === 0 || extra.length === 0);
  // A plain scan of an append-only table reads no hidden column at all.
  const parts = sourceParts(t, versions, files, extra, withRid || !plain);
  if (parts.length === 0) {
    const typed = t.columns.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`);
    if (withRid) typed.push(`CAST(NULL AS BIGINT) AS ${RID_SEQ}`, `CAST(NULL AS INTEGER) AS ${RID_ORD}`);
    return `SELECT ${typed.join(', ')} WHERE false`;
  }
  const union = parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join(' UNION ALL ');
  if (plain) {
    return `SELECT ${[...cols, ...rid].join(', ')} FROM (${union}) AS __dm_rows`;
  }
  return `SELECT ${[...cols, ...rid].join(', ')} FROM (${union}) AS __dm_rows QUALIFY ${newestVersion(t)} AND NOT coalesce(_dm_del, false)`;
}

/** One SELECT per schema version present among the files (plus the extra rows), all in `t`'s columns. */
function sourceParts(t: TableDef, versions: readonly TableVersion[], files: readonly FileRef[], extra: readonly ExtraRows[], withHidden = true): string[] {
  const byVersion = new Map<number, string[]>();
  for (const f of files) {
    let list = byVersion.get(f.schemaVersion);
    if (!list) byVersion.set(f.schemaVersion, (list = []));
    list.push(f.path);
  }
  const hidden = withHidden ? `, ${HIDDEN_COLUMNS.join(', ')}` : '';
  const out: string[] = [];
  for (const [version, paths] of [...byVersion].sort((a, b) => a[0] - b[0])) {
    const source = versions.find((v) => v.version === version)?.columns ?? t.columns;
    const list = paths.map(quoteLiteral).join(', ');
    out.push(`SELECT ${projection(t.columns, source).join(', ')}${hidden} FROM read_parquet([${list}])`);
  }
  for (const e of extra) out.push(`SELECT ${t.columns.map((c) => quoteIdent(c.name)).join(', ')}${hidden} FROM ${e.relation}`);
  return out;
}

/** Each current column from a file that follows `source` columns: by id, cast when the type widened. */
export function projection(current: readonly ColumnDef[], source: readonly ColumnDef[]): string[] {
  const byId = new Map(source.map((c, i) => [columnId(c, i), c]));
  return current.map((c, i) => {
    const from = byId.get(columnId(c, i));
    const target = quoteIdent(c.name);
    if (!from) {
      const v = c.missingValue ?? null;
      return `CAST(${v === null ? 'NULL' : quoteLiteral(v)} AS ${c.type}) AS ${target}`;
    }
    const ref = quoteIdent(from.name);
    // Some types are stored as exact text (Parquet cannot hold them; see storage/parquet-writer.ts).
    if (needsTextStorage(from.type)) return `CAST(${ref} AS ${c.type}) AS ${target}`;
    if (sameType(from.type, c.type)) return from.name === c.name ? ref : `${ref} AS ${target}`;
    // A narrowing change (only allowed with compatibility NONE) reads values that do not fit as NULL.
    return `${isWidening(from.type, c.type) ? 'CAST' : 'TRY_CAST'}(${ref} AS ${c.type}) AS ${target}`;
  });
}

function sameType(a: string, b: string): boolean {
  return a.replace(/\s+/g, ' ').trim().toUpperCase() === b.replace(/\s+/g, ' ').trim().toUpperCase();
}
