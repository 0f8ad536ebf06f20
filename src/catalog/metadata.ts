/**
 * Backend-independent helpers for the schema registry: both catalogs store the same rows and
 * resolve them per watermark the same way, here.
 */
import { DuckMeshError, SqlState } from '../common/errors.js';
import type { CatalogObject, ColumnDef, SnapshotContents, TableDef, TableVersion } from './types.js';

/** How many snapshots `snapshotContents` lists (the `duckmesh.snapshots` view). */
export const RECENT_SNAPSHOTS = 1000;
/** How many apply failures `snapshotContents` lists (the `duckmesh.write_failures` view). */
export const RECENT_FAILURES = 200;

/** The column's stable id (definitions stored before ids existed use position + 1). */
export function columnId(c: ColumnDef, index: number): number {
  return c.id ?? index + 1;
}

/** Columns with every id filled in. */
export function withColumnIds(columns: ColumnDef[]): ColumnDef[] {
  return columns.map((c, i) => (c.id === undefined ? { ...c, id: i + 1 } : c));
}

/** The newest version in force at bus position `seq` (made by an entry with a lower seq), or null. */
export function versionBefore(versions: readonly TableVersion[], seq: number): TableVersion | null {
  let best: TableVersion | null = null;
  for (const v of versions) {
    if (v.seq === null || v.seq >= seq) continue;
    if (!best || v.version > best.version) best = v;
  }
  return best;
}

/** The newest version whose DDL entry is at or below `watermark`. */
export function versionAt(versions: readonly TableVersion[], watermark: number): TableVersion | null {
  return versionBefore(versions, watermark + 1);
}

/** A table as it looked at `watermark`: name, columns and key of the version in force then. */
export function tableAt(t: TableDef, versions: readonly TableVersion[], watermark: number): TableDef {
  const v = versionAt(versions, watermark);
  if (!v) return t;
  return { ...t, schema: v.schema, name: v.name, columns: v.columns, primaryKey: v.primaryKey, schemaVersion: v.version };
}

/** Per object key, the newest event (by seq, then position); drops remove the object. */
export function latestObjects(events: readonly CatalogObject[]): CatalogObject[] {
  const newest = new Map<string, CatalogObject>();
  for (const e of events) {
    const cur = newest.get(e.key);
    if (!cur || e.seq > cur.seq || (e.seq === cur.seq && e.ord > cur.ord)) newest.set(e.key, e);
  }
  return [...newest.values()].filter((e) => !e.dropped).sort((a, b) => a.seq - b.seq || a.ord - b.ord);
}

/** Version 1 synthesized from a table row (catalogs written before versions were recorded). */
export function firstVersionOf(t: TableDef, recordedAt: number): TableVersion {
  return {
    tableId: t.tableId,
    version: 1,
    schema: t.schema,
    name: t.name,
    columns: t.columns,
    primaryKey: t.primaryKey,
    seq: t.createdSeq,
    change: 'create table',
    recordedAt,
  };
}

/**
 * Finishes `SnapshotContents` from raw rows: tables as of the watermark (renames and column
 * changes undone for time travel) and their versions up to it.
 */
export function resolveAtWatermark(
  contents: Pick<SnapshotContents, 'snapshot' | 'tables' | 'files'>,
  allVersions: readonly TableVersion[],
): { tables: TableDef[]; versions: Map<number, TableVersion[]> } {
  const w = contents.snapshot.watermark;
  const byTable = new Map<number, TableVersion[]>();
  for (const v of allVersions) {
    if (v.seq === null || v.seq > w) continue;
    let list = byTable.get(v.tableId);
    if (!list) byTable.set(v.tableId, (list = []));
    list.push(v);
  }
  const tables = contents.tables.map((t) => {
    let list = byTable.get(t.tableId);
    if (!list || list.length === 0) {
      list = [firstVersionOf(t, 0)];
      byTable.set(t.tableId, list);
    }
    list.sort((a, b) => a.version - b.version);
    return tableAt(t, list, w);
  });
  return { tables, versions: byTable };
}

/** DM003 for a snapshot retention has expired (distinct from one that never existed). */
export function expiredError(snapshotId: number, oldest: number | null): DuckMeshError {
  const tail = oldest !== null ? `; the oldest available snapshot is ${oldest}` : '';
  return new DuckMeshError(SqlState.snapshotUnavailable, `snapshot ${snapshotId} has expired (older than the retention window)${tail}`);
}
