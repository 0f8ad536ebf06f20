/**
 * The DuckMesh catalog equivalent of /work/shared/corpus/fixture.sql: the same tables, columns
 * (as the DuckDB types DuckMesh stores), NOT NULL flags, constant defaults and primary keys, and
 * (fixtureObjects) the view, the secondary index and the comments as DuckMesh records them.
 * Foreign keys, unique/check constraints and the non-constant defaults (now(), current_date,
 * bigserial) have no DuckMesh equivalent and are left out.
 */
import type { CatalogObject, ColumnDef, FileRecord, ObjectEvent, SnapshotContents, TableDef } from '../../src/catalog/types.js';
import { commentEvent, indexEvent, viewEvent } from '../../src/engine/catalog-objects.js';

function col(name: string, type: string, notNull = false, defaultValue: string | null = null): ColumnDef {
  return { name, type, notNull, defaultValue };
}

function table(tableId: number, schema: string, name: string, columns: ColumnDef[], primaryKey: string[]): TableDef {
  return { tableId, tenant: 'corpus', schema, name, columns, primaryKey, schemaVersion: 1, createdSeq: tableId, droppedSeq: null };
}

function file(fileId: number, tableId: number, rowCount: number, byteSize: number): FileRecord {
  return {
    fileId, tenant: 'corpus', tableId, path: `t${tableId}/f${fileId}.parquet`, rowCount, byteSize, checksum: '0',
    minSeq: 1, maxSeq: 1, addedSnapshot: 1, removedSnapshot: null,
  };
}

export const FIXTURE_TABLES: TableDef[] = [
  table(1, 'public', 'users', [
    col('id', 'INTEGER', true),
    col('name', 'VARCHAR', true),
    col('email', 'VARCHAR(255)'),
    col('active', 'BOOLEAN', true, 'true'),
    col('created_at', 'TIMESTAMP WITH TIME ZONE', true),
    col('balance', 'DECIMAL(10,2)'),
    col('score', 'DOUBLE'),
    col('birth_date', 'DATE'),
    col('tags', 'VARCHAR[]'),
    col('profile', 'JSON'),
    col('external_id', 'UUID'),
  ], ['id']),
  table(2, 'public', 'orders', [
    col('id', 'BIGINT', true),
    col('user_id', 'INTEGER', true),
    col('amount', 'DECIMAL(12,2)', true),
    col('status', 'CHAR(1)', true, "'n'"),
    col('quantity', 'SMALLINT'),
    col('ordered_on', 'DATE', true),
    col('shipped_at', 'TIMESTAMP'),
    col('note', 'VARCHAR'),
    col('payload', 'BLOB'),
  ], ['id']),
  table(3, 'public', 'clubs', [col('id', 'INTEGER', true), col('name', 'VARCHAR')], ['id']),
  table(4, 'postgres', 'test_table', [col('id', 'INTEGER', true), col('varchar_column', 'VARCHAR(255)')], ['id']),
];

export function fixtureContents(): SnapshotContents {
  return {
    snapshot: { snapshotId: 1, watermark: 10, committedAt: Date.parse('2025-01-01T00:00:00Z') },
    tables: FIXTURE_TABLES,
    files: new Map([
      [1, [file(1, 1, 2, 4096)]],
      [2, [file(2, 2, 3, 5000)]],
      [3, []],
      [4, []],
    ]),
  };
}

/** The fixture's view, secondary index and comments, as CREATE VIEW / CREATE INDEX / COMMENT ON record them. */
export function fixtureObjects(): CatalogObject[] {
  const events: ObjectEvent[] = [
    indexEvent({
      schema: 'public', name: 'orders_user_id_ordered_on_idx', tableId: 2, keys: ['user_id', 'ordered_on'], unique: false, method: 'btree',
      definition: 'CREATE INDEX orders_user_id_ordered_on_idx ON public.orders (user_id, ordered_on)',
    }),
    viewEvent({
      schema: 'public', name: 'active_users', sql: 'SELECT id, name, email FROM public.users WHERE active',
      definition: 'SELECT id, name, email FROM public.users WHERE active',
      columns: [{ name: 'id', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR' }, { name: 'email', type: 'VARCHAR' }],
      dependsOn: [{ schema: 'public', name: 'users' }],
    }, 'public', 'active_users'),
    commentEvent({ target: 'table', tableId: 1 }, 'Registered users'),
    commentEvent({ target: 'column', tableId: 1, columnId: 3 }, 'Primary e-mail address'),
    commentEvent({ target: 'table', tableId: 2 }, 'Orders placed by users'),
    commentEvent({ target: 'view', schema: 'public', name: 'active_users' }, 'Users with active = true'),
  ];
  return events.map((e, i) => ({ ...e, tenant: 'corpus', seq: 20 + i, ord: 0 }));
}
