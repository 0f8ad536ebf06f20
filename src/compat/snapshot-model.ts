/**
 * Turns a snapshot's real catalog (tables, columns, primary keys, file statistics) into the rows
 * of Postgres' catalogs. Pure data: snapshot-shim.ts turns it into SQL.
 *
 * What each table becomes, as Postgres would store it:
 * - pg_class: the table (relkind 'r', heap) and, with a primary key, its `<table>_pkey` btree
 *   index (relkind 'i'); reltuples/relpages come from the snapshot's file row counts and sizes;
 * - pg_type: the table's composite row type (pg_class.reltype);
 * - pg_attribute: one row per column of the table and per key column of the index;
 * - pg_attrdef: one row per column default; pg_index + pg_constraint: the primary key;
 * - pg_class/pg_index/pg_attribute rows for each CREATE INDEX (secondary-indexes.ts);
 * - pg_description: COMMENT ON TABLE/COLUMN (objoid = the table, classoid = pg_class, objsubid =
 *   the column's attnum or 0).
 *
 * Each user view (user-views.ts) becomes a pg_class row (relkind 'v'), its row type, one
 * pg_attribute per output column, its pg_get_viewdef text, what it reads, and pg_description
 * rows for COMMENT ON VIEW and on its columns.
 */
import type { SnapshotContents, TableDef } from '../catalog/types.js';
import { columnTypeFromSql, type ColumnType } from '../types/column-types.js';
import { Oid } from '../types/oids.js';
import { attributeRow, classRow, namespaceRow, rowOf, rowTypeRow, typeCollation } from './catalog-rows.js';
import {
  attrdefOid,
  BTREE_AM_OID,
  DATABASE_OID,
  DEFAULT_COLLATION_OID,
  DEFAULT_TABLESPACE_OID,
  HEAP_AM_OID,
  namespaceOid,
  OWNER_ROLE_OID,
  primaryKeyConstraintOid,
  primaryKeyIndexOid,
  rowTypeOid,
  tableOid,
  UTF8_ENCODING,
} from './object-ids.js';
import { pgQuoteIdent } from './pg-ident.js';
import { catalogTypeByOid, isArrayType } from './pg-types.js';
import { pgCatalogRelation } from './relations/registry.js';
import { indexDefinition, keyText, secondaryIndexes, type IndexKey, type SecondaryIndex } from './secondary-indexes.js';
import type { SqlValue } from './sql-build.js';
import { userViews, type CatalogView } from './user-views.js';

/** A COMMENT ON TABLE/COLUMN text, exposed through pg_description, obj_description and col_description. */
export interface CatalogComment {
  tableId: number;
  /** Column name for COMMENT ON COLUMN; absent for the table itself. */
  column?: string;
  text: string;
}

export interface ShimContext {
  /** Database name shown in pg_database / information_schema (the tenant). */
  tenant: string;
  /** The role every object belongs to (pg_authid's only row). */
  user: string;
  comments?: readonly CatalogComment[];
}

/** Rows per relation name: pg_catalog tables plus the shim's internal lookup tables. */
export interface SnapshotModel {
  rows: Map<string, SqlValue[][]>;
  /** User schemas (without the builtin ones), for information_schema and visibility. */
  schemas: string[];
}

const PG_CLASS_OID = 1259;
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'pg_toast', 'information_schema']);

function relation(name: string) {
  const r = pgCatalogRelation(name);
  if (r === undefined) throw new Error(`unknown catalog relation ${name}`);
  return r;
}

function columnType(sql: string): ColumnType {
  try {
    return columnTypeFromSql(sql);
  } catch {
    // A type this build cannot map still has to appear in the catalog: clients see text.
    return { sql, pgOid: Oid.text, pgName: 'text', typLen: -1, typMod: -1 };
  }
}

function arrayDims(ct: ColumnType): number {
  let n = 0;
  for (let e = ct.element; e !== undefined; e = e.element) n++;
  return n;
}

function add(m: Map<string, SqlValue[][]>, name: string, row: SqlValue[]): void {
  let list = m.get(name);
  if (list === undefined) m.set(name, (list = []));
  list.push(row);
}

function tableStats(contents: SnapshotContents, t: TableDef): { rows: number; bytes: number } {
  let rows = 0;
  let bytes = 0;
  for (const f of contents.files.get(t.tableId) ?? []) {
    rows += f.rowCount;
    bytes += f.byteSize;
  }
  return { rows, bytes };
}

function addAttributes(m: Map<string, SqlValue[][]>, relid: number, columns: readonly { name: string; notNull?: boolean; defaultValue?: string | null }[], types: ColumnType[], notNull: (attnum: number) => boolean): void {
  columns.forEach((c, i) => {
    const ct = types[i]!;
    const info = catalogTypeByOid(ct.pgOid);
    if (info === undefined) throw new Error(`no pg_type row for oid ${ct.pgOid}`);
    const elem = isArrayType(info) ? catalogTypeByOid(info.typelem) : undefined;
    const attnum = i + 1;
    add(m, 'pg_attribute', attributeRow(info, typeCollation(info, elem), {
      attrelid: relid, attname: c.name, atttypmod: ct.typMod, attnum, attndims: arrayDims(ct),
      attnotnull: notNull(attnum), atthasdef: c.defaultValue !== undefined && c.defaultValue !== null,
    }));
  });
}

function addTable(m: Map<string, SqlValue[][]>, contents: SnapshotContents, t: TableDef, indexes: readonly SecondaryIndex[]): void {
  const oid = tableOid(t.tableId);
  const nsp = namespaceOid(t.schema);
  const stats = tableStats(contents, t);
  const pages = Math.ceil(stats.bytes / 8192);
  const pkNums = t.primaryKey.map((k) => t.columns.findIndex((c) => c.name === k) + 1).filter((n) => n > 0);
  const hasPk = pkNums.length > 0;

  add(m, 'pg_class', classRow({
    oid, relname: t.name, relnamespace: nsp, reltype: rowTypeOid(t.tableId), relam: HEAP_AM_OID,
    relfilenode: oid, relpages: pages, reltuples: stats.rows, relhasindex: hasPk || indexes.length > 0, relkind: 'r',
    relnatts: t.columns.length,
  }));
  add(m, 'pg_type', rowTypeRow(rowTypeOid(t.tableId), t.name, nsp, oid));
  add(m, '__dm_relsizes', [oid, stats.bytes]);

  const types = t.columns.map((c) => columnType(c.type));
  // Postgres marks primary-key columns NOT NULL.
  addAttributes(m, oid, t.columns, types, (attnum) => t.columns[attnum - 1]!.notNull || pkNums.includes(attnum));
  t.columns.forEach((c, i) => {
    if (c.defaultValue !== null) add(m, 'pg_attrdef', [attrdefOid(t.tableId, i + 1), oid, i + 1, c.defaultValue]);
  });

  for (const ix of indexes) addSecondaryIndex(m, t, types, stats.rows, ix);

  if (!hasPk) return;
  const idxOid = primaryKeyIndexOid(t.tableId);
  const idxName = `${t.name}_pkey`;
  const keyNames = pkNums.map((n) => t.columns[n - 1]!.name);
  add(m, 'pg_class', classRow({
    oid: idxOid, relname: idxName, relnamespace: nsp, relam: BTREE_AM_OID, relfilenode: idxOid,
    relpages: 0, reltuples: stats.rows, relkind: 'i', relnatts: pkNums.length,
  }));
  pkNums.forEach((n, i) => {
    const ct = types[n - 1]!;
    const info = catalogTypeByOid(ct.pgOid)!;
    add(m, 'pg_attribute', attributeRow(info, typeCollation(info), {
      attrelid: idxOid, attname: keyNames[i]!, atttypmod: ct.typMod, attnum: i + 1, attnotnull: true,
    }));
  });
  const collations = pkNums.map((n) => (typeCollation(catalogTypeByOid(types[n - 1]!.pgOid)!) === DEFAULT_COLLATION_OID ? DEFAULT_COLLATION_OID : 0));
  add(m, 'pg_index', rowOf(relation('pg_index'), {}, {
    indexrelid: idxOid, indrelid: oid, indnatts: pkNums.length, indnkeyatts: pkNums.length, indisunique: true,
    indnullsnotdistinct: false, indisprimary: true, indisexclusion: false, indimmediate: true,
    indisclustered: false, indisvalid: true, indcheckxmin: false, indisready: true, indislive: true,
    indisreplident: false, indkey: pkNums.join(' '), indcollation: collations.join(' '),
    indclass: pkNums.map(() => '0').join(' '), indoption: pkNums.map(() => '0').join(' '),
  }));
  const conOid = primaryKeyConstraintOid(t.tableId);
  add(m, 'pg_constraint', rowOf(relation('pg_constraint'), {}, {
    oid: conOid, conname: idxName, connamespace: nsp, contype: 'p', condeferrable: false, condeferred: false,
    convalidated: true, conrelid: oid, contypid: 0, conindid: idxOid, conparentid: 0, confrelid: 0,
    confupdtype: ' ', confdeltype: ' ', confmatchtype: ' ', conislocal: true, coninhcount: 0,
    connoinherit: true, conkey: pkNums,
  }));
  const cols = keyNames.map(pgQuoteIdent);
  const qualified = `${pgQuoteIdent(t.schema)}.${pgQuoteIdent(t.name)}`;
  add(m, '__dm_indexdefs', [idxOid, `CREATE UNIQUE INDEX ${pgQuoteIdent(idxName)} ON ${qualified} USING btree (${cols.join(', ')})`, cols]);
  add(m, '__dm_condefs', [conOid, `PRIMARY KEY (${cols.join(', ')})`]);
  add(m, '__dm_relsizes', [idxOid, 0]);
}

/** A CREATE INDEX: its pg_class, pg_attribute and pg_index rows, and its pg_get_indexdef text. */
function addSecondaryIndex(m: Map<string, SqlValue[][]>, t: TableDef, types: ColumnType[], rows: number, ix: SecondaryIndex): void {
  const attnumOf = (name: string) => t.columns.findIndex((c) => c.name === name) + 1;
  // Postgres names an expression's index column after the function it calls (else expr) and
  // numbers repeated names: lower, lower1, expr, expr1, …
  const used = new Set<string>();
  const included: IndexKey[] = ix.include.map((c) => ({ column: c, desc: false, nullsFirst: false }));
  const columns = [...ix.keys, ...included].map((k) => {
    const attnum = k.column !== undefined ? attnumOf(k.column) : 0;
    const base = attnum > 0 ? k.column! : (k.exprName ?? 'expr');
    let name = base;
    for (let n = 1; used.has(name); n++) name = `${base}${n}`;
    used.add(name);
    return { key: k, attnum, name, type: attnum > 0 ? types[attnum - 1]! : undefined };
  });
  const nsp = namespaceOid(t.schema);
  add(m, 'pg_class', classRow({
    oid: ix.oid, relname: ix.name, relnamespace: nsp, relam: ix.amOid, relfilenode: ix.oid,
    relpages: 0, reltuples: rows, relkind: 'i', relnatts: columns.length,
  }));
  const text = catalogTypeByOid(Oid.text)!;
  columns.forEach((c, i) => {
    const info = c.type !== undefined ? catalogTypeByOid(c.type.pgOid)! : text;
    add(m, 'pg_attribute', attributeRow(info, typeCollation(info), {
      attrelid: ix.oid, attname: c.name, atttypmod: c.type?.typMod ?? -1, attnum: i + 1,
      attndims: c.type !== undefined ? arrayDims(c.type) : 0,
    }));
  });
  const keyColumns = columns.slice(0, ix.keys.length);
  const exprTexts = keyColumns.filter((c) => c.attnum === 0).map((c) => c.key.expr ?? '');
  add(m, 'pg_index', rowOf(relation('pg_index'), {}, {
    indexrelid: ix.oid, indrelid: tableOid(t.tableId), indnatts: columns.length, indnkeyatts: ix.keys.length,
    indisunique: ix.unique, indnullsnotdistinct: false, indisprimary: false, indisexclusion: false, indimmediate: true,
    indisclustered: false, indisvalid: true, indcheckxmin: false, indisready: true, indislive: true,
    indisreplident: false, indkey: columns.map((c) => c.attnum).join(' '),
    indcollation: keyColumns.map((c) => (c.type !== undefined && typeCollation(catalogTypeByOid(c.type.pgOid)!) === DEFAULT_COLLATION_OID ? DEFAULT_COLLATION_OID : 0)).join(' '),
    indclass: keyColumns.map(() => '0').join(' '),
    // pg_index.indoption bits: 1 = DESC, 2 = NULLS FIRST.
    indoption: keyColumns.map((c) => String((c.key.desc ? 1 : 0) | (c.key.nullsFirst ? 2 : 0))).join(' '),
    // pg_node_tree in Postgres; here the display text, which pg_get_expr returns as is.
    indexprs: exprTexts.length > 0 ? exprTexts.join(', ') : null,
    indpred: ix.predicate,
  }));
  add(m, '__dm_indexdefs', [ix.oid, indexDefinition(ix, t), columns.map((c) => keyText(c.key))]);
  add(m, '__dm_relsizes', [ix.oid, 0]);
}

/**
 * A view as Postgres stores one: no storage (relpages 0, reltuples -1, no access method), the
 * `_RETURN` rule (relhasrules), replica identity 'n', nullable columns without defaults.
 */
function addView(m: Map<string, SqlValue[][]>, v: CatalogView, relids: ReadonlyMap<string, number>): void {
  const nsp = namespaceOid(v.schema);
  add(m, 'pg_class', classRow({
    oid: v.oid, relname: v.name, relnamespace: nsp, reltype: v.rowTypeOid, relam: 0, relfilenode: 0,
    relpages: 0, reltuples: -1, relhasindex: false, relkind: 'v', relnatts: v.columns.length, relhasrules: true,
    relreplident: 'n',
  }));
  add(m, 'pg_type', rowTypeRow(v.rowTypeOid, v.name, nsp, v.oid));
  addAttributes(m, v.oid, v.columns, v.columns.map((c) => columnType(c.type)), () => false);
  add(m, '__dm_viewdefs', [v.oid, v.definition]);
  for (const d of v.dependsOn) {
    const ref = relids.get(`${d.schema}.${d.name}`);
    if (ref !== undefined) add(m, '__dm_viewdeps', [v.oid, ref]);
  }
  if (v.comment !== null) add(m, 'pg_description', [v.oid, PG_CLASS_OID, 0, v.comment]);
  v.columns.forEach((c, i) => {
    const text = v.columnComments.get(c.name);
    if (text !== undefined) add(m, 'pg_description', [v.oid, PG_CLASS_OID, i + 1, text]);
  });
}

export function buildSnapshotModel(contents: SnapshotContents, ctx: ShimContext): SnapshotModel {
  const m = new Map<string, SqlValue[][]>();
  const tables = [...contents.tables].sort((a, b) => a.tableId - b.tableId);
  const taken = new Set(tables.flatMap((t) => [tableOid(t.tableId), primaryKeyIndexOid(t.tableId), rowTypeOid(t.tableId)]));
  const indexes = secondaryIndexes(contents, taken);
  const views = userViews(contents, taken);
  const schemas = [...new Set(['public', ...tables.map((t) => t.schema), ...views.map((v) => v.schema)])].filter((s) => !SYSTEM_SCHEMAS.has(s)).sort();
  for (const s of schemas) add(m, 'pg_namespace', namespaceRow(namespaceOid(s), s));
  for (const t of tables) addTable(m, contents, t, indexes.get(t.tableId) ?? []);
  const relids = new Map<string, number>([
    ...tables.map((t) => [`${t.schema}.${t.name}`, tableOid(t.tableId)] as [string, number]),
    ...views.map((v) => [`${v.schema}.${v.name}`, v.oid] as [string, number]),
  ]);
  for (const v of views) addView(m, v, relids);

  const byId = new Map(tables.map((t) => [t.tableId, t]));
  for (const c of ctx.comments ?? []) {
    const t = byId.get(c.tableId);
    if (t === undefined) continue;
    const sub = c.column === undefined ? 0 : t.columns.findIndex((col) => col.name === c.column) + 1;
    if (sub < 0 || (c.column !== undefined && sub === 0)) continue;
    add(m, 'pg_description', [tableOid(t.tableId), PG_CLASS_OID, sub, c.text]);
  }

  add(m, 'pg_database', rowOf(relation('pg_database'), {}, {
    oid: DATABASE_OID, datname: ctx.tenant, datdba: OWNER_ROLE_OID, encoding: UTF8_ENCODING, datlocprovider: 'c',
    datistemplate: false, datallowconn: true, datconnlimit: -1, datfrozenxid: 0, datminmxid: 1,
    dattablespace: DEFAULT_TABLESPACE_OID, datcollate: 'C', datctype: 'C',
  }));
  add(m, 'pg_authid', rowOf(relation('pg_authid'), {}, {
    oid: OWNER_ROLE_OID, rolname: ctx.user, rolsuper: false, rolinherit: true, rolcreaterole: false,
    rolcreatedb: false, rolcanlogin: true, rolreplication: false, rolbypassrls: false, rolconnlimit: -1,
  }));
  return { rows: m, schemas };
}
