/**
 * The `duckmesh` schema of a snapshot: snapshots, watermarks, bus lag, schema history and the
 * metadata objects as plain SQL views over VALUES lists built from the catalog. A snapshot
 * catalog is immutable, so every view shows the state as of that snapshot (the bus lag is the one
 * measured when the snapshot was published; the live value is in /metrics and GET /v1/snapshots).
 */
import { quoteIdent, quoteLiteral } from '../common/sql-text.js';
import type { SnapshotContents, TableVersion } from '../catalog/types.js';
import { isCompactedFile } from '../storage/parquet-writer.js';
import { encodeToken } from '../visibility/token.js';
import type { ResolvedObjects } from './catalog-objects.js';

export const DUCKMESH_SCHEMA = 'duckmesh';

type Value = string | number | boolean | null;

interface ViewDef {
  name: string;
  columns: [string, string][];
  rows: Value[][];
}

/** CREATE VIEW statements for `<catalog>.duckmesh.*`. */
export function duckmeshSchemaSql(catalog: string, contents: SnapshotContents, objects: ResolvedObjects): string[] {
  const s = contents.snapshot;
  const listing = contents.recentSnapshots ?? [{ ...s, busHead: null, expiredAt: null }];
  const self = listing.find((l) => l.snapshotId === s.snapshotId);
  const head = self?.busHead ?? null;
  const tableWm = contents.tableWatermarks ?? new Map<number, number>();
  const ts = (ms: number | null): Value => (ms === null ? null : new Date(ms).toISOString());

  const defs: ViewDef[] = [
    {
      name: 'snapshot',
      columns: [['snapshot_id', 'BIGINT'], ['watermark', 'BIGINT'], ['watermark_token', 'VARCHAR'], ['committed_at', 'TIMESTAMPTZ'], ['bus_head', 'BIGINT'], ['bus_lag', 'BIGINT']],
      rows: [[s.snapshotId, s.watermark, encodeToken(s.watermark), ts(s.committedAt), head, head === null ? null : Math.max(0, head - s.watermark)]],
    },
    {
      name: 'snapshots',
      columns: [['snapshot_id', 'BIGINT'], ['watermark', 'BIGINT'], ['watermark_token', 'VARCHAR'], ['committed_at', 'TIMESTAMPTZ'], ['bus_head', 'BIGINT'], ['bus_lag', 'BIGINT'], ['expired', 'BOOLEAN']],
      rows: listing.map((l) => [
        l.snapshotId,
        l.watermark,
        encodeToken(l.watermark),
        ts(l.committedAt),
        l.busHead,
        l.busHead === null ? null : Math.max(0, l.busHead - l.watermark),
        l.expiredAt !== null,
      ]),
    },
    {
      name: 'tables',
      columns: [
        ['table_schema', 'VARCHAR'], ['table_name', 'VARCHAR'], ['table_id', 'BIGINT'], ['schema_version', 'INTEGER'],
        ['primary_key', 'VARCHAR'], ['compatibility', 'VARCHAR'], ['watermark', 'BIGINT'], ['watermark_token', 'VARCHAR'],
        ['files', 'BIGINT'], ['stored_rows', 'BIGINT'], ['stored_bytes', 'BIGINT'],
      ],
      rows: contents.tables.map((t) => {
        const files = contents.files.get(t.tableId) ?? [];
        const wm = tableWm.get(t.tableId) ?? t.createdSeq ?? 0;
        return [
          t.schema, t.name, t.tableId, t.schemaVersion, t.primaryKey.join(', '), t.compatibility ?? 'backward', wm, encodeToken(wm),
          files.length, files.reduce((n, f) => n + f.rowCount, 0), files.reduce((n, f) => n + f.byteSize, 0),
        ];
      }),
    },
    {
      // What compaction has done to each table's files at this snapshot (amplification over time:
      // the duckmesh_compaction_* metrics).
      name: 'compaction',
      columns: [
        ['table_schema', 'VARCHAR'], ['table_name', 'VARCHAR'], ['table_id', 'BIGINT'], ['files', 'BIGINT'],
        ['compacted_files', 'BIGINT'], ['committed_files', 'BIGINT'], ['stored_bytes', 'BIGINT'], ['compacted_bytes', 'BIGINT'],
        ['committed_bytes', 'BIGINT'], ['largest_file_bytes', 'BIGINT'], ['smallest_file_bytes', 'BIGINT'],
      ],
      rows: contents.tables.map((t) => {
        const files = contents.files.get(t.tableId) ?? [];
        const compacted = files.filter((f) => isCompactedFile(f.path));
        const bytes = (list: typeof files) => list.reduce((n, f) => n + f.byteSize, 0);
        const sizes = files.map((f) => f.byteSize);
        return [
          t.schema, t.name, t.tableId, files.length, compacted.length, files.length - compacted.length, bytes(files), bytes(compacted),
          bytes(files) - bytes(compacted), sizes.length > 0 ? Math.max(...sizes) : null, sizes.length > 0 ? Math.min(...sizes) : null,
        ];
      }),
    },
    {
      name: 'schema_history',
      columns: [
        ['table_id', 'BIGINT'], ['version', 'INTEGER'], ['table_schema', 'VARCHAR'], ['table_name', 'VARCHAR'], ['change', 'VARCHAR'],
        ['seq', 'BIGINT'], ['token', 'VARCHAR'], ['columns', 'VARCHAR'], ['primary_key', 'VARCHAR'], ['recorded_at', 'TIMESTAMPTZ'],
      ],
      rows: [...(contents.versions ?? new Map<number, TableVersion[]>()).values()].flat().map((v) => [
        v.tableId, v.version, v.schema, v.name, v.change, v.seq, v.seq === null ? null : encodeToken(v.seq),
        JSON.stringify(v.columns.map((c) => ({ name: c.name, type: c.type, not_null: c.notNull, default: c.defaultValue }))),
        v.primaryKey.join(', '), ts(v.recordedAt || null),
      ]),
    },
    {
      name: 'views',
      columns: [['view_schema', 'VARCHAR'], ['view_name', 'VARCHAR'], ['definition', 'VARCHAR']],
      rows: objects.views.map((v) => [v.schema, v.name, v.definition]),
    },
    {
      name: 'comments',
      columns: [['object_type', 'VARCHAR'], ['object_schema', 'VARCHAR'], ['object_name', 'VARCHAR'], ['column_name', 'VARCHAR'], ['comment', 'VARCHAR']],
      rows: objects.comments.map((c) => [c.objectType, c.schema, c.name, c.column, c.text]),
    },
    {
      name: 'indexes',
      columns: [['index_schema', 'VARCHAR'], ['index_name', 'VARCHAR'], ['table_name', 'VARCHAR'], ['keys', 'VARCHAR'], ['is_unique', 'BOOLEAN'], ['method', 'VARCHAR'], ['definition', 'VARCHAR']],
      rows: objects.indexes.map((i) => [i.schema, i.name, i.table, i.keys.join(', '), i.unique, i.method, i.definition]),
    },
    {
      name: 'write_failures',
      columns: [['first_seq', 'BIGINT'], ['last_seq', 'BIGINT'], ['token', 'VARCHAR'], ['sqlstate', 'VARCHAR'], ['message', 'VARCHAR'], ['recorded_at', 'TIMESTAMPTZ']],
      rows: (contents.writeFailures ?? []).map((f) => [f.firstSeq, f.lastSeq, encodeToken(f.lastSeq), f.sqlstate, f.message, ts(f.recordedAt)]),
    },
  ];
  const schema = `${quoteIdent(catalog)}.${DUCKMESH_SCHEMA}`;
  return [`CREATE SCHEMA IF NOT EXISTS ${schema}`, ...defs.map((d) => `CREATE VIEW ${schema}.${quoteIdent(d.name)} AS ${valuesSql(d)}`)];
}

function valuesSql(d: ViewDef): string {
  const names = d.columns.map(([n]) => quoteIdent(n));
  const select = d.columns.map(([n, t], i) => `CAST(c${i} AS ${t}) AS ${names[i]}`).join(', ');
  if (d.rows.length === 0) {
    return `SELECT ${d.columns.map(([n, t]) => `CAST(NULL AS ${t}) AS ${quoteIdent(n)}`).join(', ')} WHERE false`;
  }
  const rows = d.rows.map((r) => `(${r.map(literal).join(', ')})`).join(', ');
  return `SELECT ${select} FROM (VALUES ${rows}) AS v(${d.columns.map((_, i) => `c${i}`).join(', ')})`;
}

function literal(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return quoteLiteral(v);
}
