/**
 * Object identifiers the catalog shim hands out. Clients cache OIDs across queries (psql's
 * `\d` looks a table up by oid in its second query; JDBC keeps them in DatabaseMetaData
 * results), so every OID is a pure function of stable catalog facts — never of row order.
 *
 * Ranges (Postgres reserves < 16384 for objects created by initdb, as here):
 * - builtin types, catalog tables, namespaces 11/99/2200: Postgres' own fixed OIDs;
 * - 12000..12999 system views, 13000..13999 information_schema, 16383 the tenant database;
 * - 16384 + 4·tableId + {0 table, 1 primary-key index, 2 row type, 3 primary-key constraint};
 * - user schemas other than public: 0x40000000 + 28-bit FNV-1a hash of the name, which is
 *   stable across snapshots and disjoint from the table range for any realistic tableId;
 * - secondary indexes (CREATE INDEX): 0x50000000 + 28-bit FNV-1a hash of `schema.name` (index
 *   names are unique per schema), stable for as long as the index exists;
 * - user views (CREATE VIEW): 0x60000000 + an even 28-bit FNV-1a hash of `schema.name` for the
 *   view (pg_class), + 1 for its row type (pg_type): stable across snapshots and across
 *   CREATE OR REPLACE VIEW, as in Postgres, for as long as the view keeps its name.
 */

export const PG_CATALOG_NAMESPACE_OID = 11;
export const PG_TOAST_NAMESPACE_OID = 99;
export const PUBLIC_NAMESPACE_OID = 2200;
export const INFORMATION_SCHEMA_NAMESPACE_OID = 13000;

/** The single role: owns every object (its name is the connecting user). */
export const OWNER_ROLE_OID = 10;
export const DATABASE_OID = 16383;
export const DEFAULT_TABLESPACE_OID = 1663;
export const GLOBAL_TABLESPACE_OID = 1664;
export const HEAP_AM_OID = 2;
export const BTREE_AM_OID = 403;
/** pg_collation "default": what text columns report as attcollation/typcollation. */
export const DEFAULT_COLLATION_OID = 100;
export const C_COLLATION_OID = 950;
/** Database encoding 6 = UTF8 in Postgres' pg_enc numbering. */
export const UTF8_ENCODING = 6;

const FIRST_USER_OID = 16384;
const HASHED_NAMESPACE_BASE = 0x40000000;
const HASHED_INDEX_BASE = 0x50000000;
const HASHED_VIEW_BASE = 0x60000000;

/** OID of a schema by name; the three builtin schemas keep Postgres' values. */
export function namespaceOid(schema: string): number {
  switch (schema) {
    case 'pg_catalog':
      return PG_CATALOG_NAMESPACE_OID;
    case 'pg_toast':
      return PG_TOAST_NAMESPACE_OID;
    case 'public':
      return PUBLIC_NAMESPACE_OID;
    case 'information_schema':
      return INFORMATION_SCHEMA_NAMESPACE_OID;
    default:
      return HASHED_NAMESPACE_BASE + (fnv1a(schema) & 0x0fffffff);
  }
}

export function tableOid(tableId: number): number {
  return FIRST_USER_OID + tableId * 4;
}

export function primaryKeyIndexOid(tableId: number): number {
  return tableOid(tableId) + 1;
}

export function rowTypeOid(tableId: number): number {
  return tableOid(tableId) + 2;
}

export function primaryKeyConstraintOid(tableId: number): number {
  return tableOid(tableId) + 3;
}

export function secondaryIndexOid(schema: string, name: string): number {
  return HASHED_INDEX_BASE + (fnv1a(`${schema}.${name}`) & 0x0fffffff);
}

/** pg_class OID of a user view (even; its row type is the next OID). */
export function viewOid(schema: string, name: string): number {
  return HASHED_VIEW_BASE + (fnv1a(`${schema}.${name}`) & 0x0ffffffe);
}

export function viewRowTypeOid(viewOid: number): number {
  return viewOid + 1;
}

/** 32-bit FNV-1a over the UTF-16 code units: tiny, deterministic, good enough spread. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const ATTRDEF_BASE = 0x30000000;

/** pg_attrdef.oid of a column default (Postgres caps tables at 1600 columns, so 2048 slots suffice). */
export function attrdefOid(tableId: number, attnum: number): number {
  return ATTRDEF_BASE + tableId * 2048 + attnum;
}
