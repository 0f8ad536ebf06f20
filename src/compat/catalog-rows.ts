/**
 * Builds full rows for the data-bearing catalogs from the few fields that vary, filling the rest
 * with what Postgres stores for an ordinary object. Rows are produced in the relation's column
 * order; naming a column the relation does not have throws, so a typo cannot silently shift data.
 */
import type { PgTypeInfo } from '../types/oids.js';
import { C_COLLATION_OID, DEFAULT_COLLATION_OID, OWNER_ROLE_OID, PG_CATALOG_NAMESPACE_OID } from './object-ids.js';
import { isArrayType } from './pg-types.js';
import { pgCatalogRelation, type CatalogRelation } from './relations/registry.js';
import type { SqlValue } from './sql-build.js';

export type RowFields = Record<string, SqlValue>;

function rel(name: string): CatalogRelation {
  const r = pgCatalogRelation(name);
  if (r === undefined) throw new Error(`unknown catalog relation ${name}`);
  return r;
}

const columnIndexes = new WeakMap<CatalogRelation, Map<string, number>>();

/** Orders `fields` (over `defaults`) by the relation's columns; unknown keys are a bug. */
export function rowOf(relation: CatalogRelation, defaults: RowFields, fields: RowFields): SqlValue[] {
  let index = columnIndexes.get(relation);
  if (index === undefined) columnIndexes.set(relation, (index = new Map(relation.columns.map((c, i) => [c.name, i]))));
  const row: SqlValue[] = relation.columns.map((c) => defaults[c.name] ?? null);
  for (const k in fields) {
    const i = index.get(k);
    if (i === undefined) throw new Error(`${relation.name} has no column ${k}`);
    row[i] = fields[k]!;
  }
  return row;
}

const CLASS_DEFAULTS: RowFields = {
  reltype: 0, reloftype: 0, relowner: OWNER_ROLE_OID, relam: 0, relfilenode: 0, reltablespace: 0,
  relpages: 0, reltuples: -1, relallvisible: 0, reltoastrelid: 0, relhasindex: false, relisshared: false,
  relpersistence: 'p', relkind: 'r', relnatts: 0, relchecks: 0, relhasrules: false, relhastriggers: false,
  relhassubclass: false, relrowsecurity: false, relforcerowsecurity: false, relispopulated: true,
  relreplident: 'd', relispartition: false, relrewrite: 0, relfrozenxid: 0, relminmxid: 0,
};

export function classRow(fields: RowFields): SqlValue[] {
  return rowOf(rel('pg_class'), CLASS_DEFAULTS, fields);
}

/** Collation a column of this type reports (Postgres: default for text types, C for name). */
export function typeCollation(t: PgTypeInfo, elem?: PgTypeInfo): number {
  const base = elem ?? t;
  if (base.typname === 'name') return C_COLLATION_OID;
  return base.typcategory === 'S' ? DEFAULT_COLLATION_OID : 0;
}

const ATTRIBUTE_DEFAULTS: RowFields = {
  attcacheoff: -1, atttypmod: -1, attndims: 0, attcompression: '', attnotnull: false, atthasdef: false,
  atthasmissing: false, attidentity: '', attgenerated: '', attisdropped: false, attislocal: true,
  attinhcount: 0, attstattarget: -1, attcollation: 0,
};

/** One pg_attribute row; storage facts (len, byval, align, storage) come from the column's type. */
export function attributeRow(type: PgTypeInfo, collation: number, fields: RowFields): SqlValue[] {
  return rowOf(rel('pg_attribute'), ATTRIBUTE_DEFAULTS, {
    atttypid: type.oid,
    attlen: type.typlen,
    attbyval: type.typbyval,
    attalign: type.typalign,
    attstorage: type.typstorage,
    attcollation: collation,
    ...fields,
  });
}

const TYPE_DEFAULTS: RowFields = {
  typnamespace: PG_CATALOG_NAMESPACE_OID, typowner: OWNER_ROLE_OID, typisdefined: true, typdelim: ',',
  typrelid: 0, typsubscript: '-', typelem: 0, typarray: 0, typmodin: '-', typmodout: '-', typanalyze: '-',
  typnotnull: false, typbasetype: 0, typtypmod: -1, typndims: 0, typcollation: 0,
};

/** A builtin type's pg_type row. */
export function builtinTypeRow(t: PgTypeInfo, elem: PgTypeInfo | undefined): SqlValue[] {
  const array = isArrayType(t);
  return rowOf(rel('pg_type'), TYPE_DEFAULTS, {
    oid: t.oid, typname: t.typname, typlen: t.typlen, typbyval: t.typbyval, typtype: t.typtype,
    typcategory: t.typcategory, typispreferred: t.typispreferred, typdelim: t.typdelim,
    typsubscript: array ? 'array_subscript_handler' : '-', typelem: t.typelem, typarray: t.typarray,
    typinput: t.typinput, typoutput: t.typoutput, typreceive: t.typreceive, typsend: t.typsend,
    typanalyze: array ? 'array_typanalyze' : '-', typalign: t.typalign, typstorage: t.typstorage,
    typcollation: typeCollation(t, array ? elem : undefined),
  });
}

/** The composite row type Postgres creates for every table (pg_class.reltype). */
export function rowTypeRow(oid: number, name: string, namespace: number, relid: number): SqlValue[] {
  return rowOf(rel('pg_type'), TYPE_DEFAULTS, {
    oid, typname: name, typnamespace: namespace, typlen: -1, typbyval: false, typtype: 'c', typcategory: 'C',
    typispreferred: false, typrelid: relid, typinput: 'record_in', typoutput: 'record_out',
    typreceive: 'record_recv', typsend: 'record_send', typalign: 'd', typstorage: 'x',
  });
}

export function namespaceRow(oid: number, name: string): SqlValue[] {
  return rowOf(rel('pg_namespace'), {}, { oid, nspname: name, nspowner: OWNER_ROLE_OID, nspacl: null });
}
