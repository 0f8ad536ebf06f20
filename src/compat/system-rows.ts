/**
 * Rows that describe Postgres itself rather than the tenant: the builtin schemas, the catalog
 * relations and their columns, builtin types, access methods, collations, languages… Built once
 * per DuckDB instance; every snapshot's pg_class/pg_attribute/pg_type/pg_namespace start with them.
 */
import {
  BTREE_AM_OID,
  C_COLLATION_OID,
  DEFAULT_COLLATION_OID,
  DEFAULT_TABLESPACE_OID,
  GLOBAL_TABLESPACE_OID,
  HEAP_AM_OID,
  INFORMATION_SCHEMA_NAMESPACE_OID,
  OWNER_ROLE_OID,
  PG_CATALOG_NAMESPACE_OID,
  PG_TOAST_NAMESPACE_OID,
  UTF8_ENCODING,
} from './object-ids.js';
import { attributeRow, builtinTypeRow, classRow, namespaceRow, rowOf, typeCollation } from './catalog-rows.js';
import { CATALOG_TYPES, catalogTypeByName, catalogTypeByOid, isArrayType } from './pg-types.js';
import { ALL_CATALOG_RELATIONS, pgCatalogRelation, type CatalogRelation } from './relations/registry.js';
import type { SqlValue } from './sql-build.js';

/** Catalogs shared by all databases of a Postgres cluster (pg_class.relisshared). */
const SHARED_CATALOGS = new Set([
  'pg_authid', 'pg_auth_members', 'pg_database', 'pg_db_role_setting', 'pg_tablespace', 'pg_shdepend',
  'pg_shdescription', 'pg_subscription',
]);

export function systemNamespaceRows(): SqlValue[][] {
  return [
    namespaceRow(PG_CATALOG_NAMESPACE_OID, 'pg_catalog'),
    namespaceRow(PG_TOAST_NAMESPACE_OID, 'pg_toast'),
    namespaceRow(INFORMATION_SCHEMA_NAMESPACE_OID, 'information_schema'),
  ];
}

function namespaceOfRelation(r: CatalogRelation): number {
  return r.schema === 'pg_catalog' ? PG_CATALOG_NAMESPACE_OID : INFORMATION_SCHEMA_NAMESPACE_OID;
}

export function systemClassRows(): SqlValue[][] {
  return ALL_CATALOG_RELATIONS.map((r) =>
    classRow({
      oid: r.oid,
      relname: r.name,
      relnamespace: namespaceOfRelation(r),
      relam: r.relkind === 'r' ? HEAP_AM_OID : 0,
      relfilenode: r.relkind === 'r' ? r.oid : 0,
      relisshared: SHARED_CATALOGS.has(r.name),
      relkind: r.relkind,
      relnatts: r.columns.length,
    }),
  );
}

export function systemAttributeRows(): SqlValue[][] {
  const rows: SqlValue[][] = [];
  for (const r of ALL_CATALOG_RELATIONS) {
    r.columns.forEach((c, i) => {
      const t = catalogTypeByName(c.pgType);
      if (t === undefined) throw new Error(`catalog column ${r.name}.${c.name}: unknown type ${c.pgType}`);
      const elem = isArrayType(t) ? catalogTypeByOid(t.typelem) : undefined;
      rows.push(attributeRow(t, typeCollation(t, elem), {
        attrelid: r.oid, attname: c.name, attnum: i + 1, attndims: isArrayType(t) ? 1 : 0,
      }));
    });
  }
  return rows;
}

export function builtinTypeRows(): SqlValue[][] {
  return CATALOG_TYPES.map((t) => builtinTypeRow(t, isArrayType(t) ? catalogTypeByOid(t.typelem) : undefined));
}

function catalog(name: string): CatalogRelation {
  const r = pgCatalogRelation(name);
  if (r === undefined) throw new Error(`unknown catalog relation ${name}`);
  return r;
}

const PLPGSQL_LANGUAGE_OID = 13900;
const PLPGSQL_EXTENSION_OID = 13901;

function proc(oid: number, proname: string, rettype: number, argtypes: number[], prokind = 'f'): SqlValue[] {
  return rowOf(catalog('pg_proc'), {}, {
    oid, proname, pronamespace: PG_CATALOG_NAMESPACE_OID, proowner: OWNER_ROLE_OID, prolang: 12, procost: 1,
    prorows: 0, provariadic: 0, prosupport: '-', prokind, prosecdef: false, proleakproof: false,
    proisstrict: true, proretset: false, provolatile: 's', proparallel: 's', pronargs: argtypes.length,
    pronargdefaults: 0, prorettype: rettype, proargtypes: argtypes.join(' '), prosrc: proname,
  });
}

/** Contents of the instance-level catalogs that are not empty. */
export function staticCatalogRows(): Map<string, SqlValue[][]> {
  const m = new Map<string, SqlValue[][]>();
  m.set('pg_am', [
    [HEAP_AM_OID, 'heap', 'heap_tableam_handler', 't'],
    [BTREE_AM_OID, 'btree', 'bthandler', 'i'],
    [405, 'hash', 'hashhandler', 'i'],
    [783, 'gist', 'gisthandler', 'i'],
    [2742, 'gin', 'ginhandler', 'i'],
    [4000, 'spgist', 'spghandler', 'i'],
    [3580, 'brin', 'brinhandler', 'i'],
  ]);
  m.set('pg_collation', [
    [DEFAULT_COLLATION_OID, 'default', PG_CATALOG_NAMESPACE_OID, OWNER_ROLE_OID, 'd', true, -1, null, null, null, null, null],
    [C_COLLATION_OID, 'C', PG_CATALOG_NAMESPACE_OID, OWNER_ROLE_OID, 'c', true, -1, 'C', 'C', null, null, null],
    [951, 'POSIX', PG_CATALOG_NAMESPACE_OID, OWNER_ROLE_OID, 'c', true, -1, 'POSIX', 'POSIX', null, null, null],
    [12546, 'ucs_basic', PG_CATALOG_NAMESPACE_OID, OWNER_ROLE_OID, 'c', true, UTF8_ENCODING, 'C', 'C', null, null, null],
  ]);
  m.set('pg_tablespace', [
    [DEFAULT_TABLESPACE_OID, 'pg_default', OWNER_ROLE_OID, null, null],
    [GLOBAL_TABLESPACE_OID, 'pg_global', OWNER_ROLE_OID, null, null],
  ]);
  m.set('pg_language', [
    [12, 'internal', OWNER_ROLE_OID, false, false, 0, 0, 2246, null],
    [13, 'c', OWNER_ROLE_OID, false, false, 0, 0, 2247, null],
    [14, 'sql', OWNER_ROLE_OID, false, true, 0, 0, 2248, null],
    [PLPGSQL_LANGUAGE_OID, 'plpgsql', OWNER_ROLE_OID, true, true, 0, 0, 0, null],
  ]);
  m.set('pg_extension', [[PLPGSQL_EXTENSION_OID, 'plpgsql', OWNER_ROLE_OID, PG_CATALOG_NAMESPACE_OID, false, '1.0', null, null]]);
  m.set('pg_available_extensions', [['plpgsql', '1.0', '1.0', 'PL/pgSQL procedural language']]);
  // A few well-known builtin functions, so joins against pg_proc find something real.
  m.set('pg_proc', [
    proc(89, 'version', 25, []),
    proc(395, 'array_to_string', 25, [2277, 25]),
    proc(861, 'current_database', 19, []),
    proc(1081, 'format_type', 25, [26, 23]),
    proc(1299, 'now', 1184, []),
    proc(1597, 'pg_encoding_to_char', 19, [23]),
    proc(1642, 'pg_get_userbyid', 19, [26]),
    proc(1716, 'pg_get_expr', 25, [194, 26]),
    proc(2026, 'pg_backend_pid', 23, []),
    proc(2079, 'pg_table_is_visible', 16, [26]),
    proc(2803, 'count', 20, [], 'a'),
  ]);
  m.set('pg_timezone_names', [['UTC', 'UTC', '00:00:00', false]]);
  m.set('pg_timezone_abbrevs', [['UTC', '00:00:00', false]]);
  return m;
}
