/**
 * CREATE INDEX as the catalog shim shows it. DuckMesh records secondary indexes as metadata (it
 * neither builds nor enforces them, see session/ddl-handler.ts), and clients expect to see them
 * where Postgres keeps them: pg_class (relkind 'i'), pg_index, the index's pg_attribute rows,
 * pg_get_indexdef and pg_indexes (psql `\d`, `\di`, SQLAlchemy get_indexes, JDBC getIndexInfo).
 *
 * Key order, DESC/NULLS, INCLUDE columns and the partial-index predicate come from the recorded
 * CREATE INDEX text, parsed with the Postgres grammar; when that text cannot be parsed the keys
 * recorded with the index are used as plain ascending keys.
 */
import type { SnapshotContents, TableDef } from '../catalog/types.js';
import { resolveObjects, type IndexBody } from '../engine/catalog-objects.js';
import { deparseNode } from '../sql/ast.js';
import { parseSql } from '../sql/parser.js';
import { kindOf, names, type AstNode } from './rewrite/ast.js';
import { BTREE_AM_OID, secondaryIndexOid } from './object-ids.js';
import { pgQuoteIdent } from './pg-ident.js';

/** pg_am OIDs of Postgres' index access methods. */
const ACCESS_METHODS: Readonly<Record<string, number>> = {
  btree: BTREE_AM_OID,
  hash: 405,
  gist: 783,
  gin: 2742,
  spgist: 4000,
  brin: 3580,
};

export interface IndexKey {
  /** A table column (by name) … */
  column?: string;
  /** … or an expression, as Postgres-dialect text … */
  expr?: string;
  /** … and the name Postgres gives its index column (the function's name for a call, else expr). */
  exprName?: string;
  desc: boolean;
  nullsFirst: boolean;
}

export interface SecondaryIndex {
  oid: number;
  schema: string;
  name: string;
  tableId: number;
  unique: boolean;
  method: string;
  amOid: number;
  keys: IndexKey[];
  /** INCLUDE columns (not part of the key). */
  include: string[];
  /** Partial-index predicate, parenthesised as pg_get_expr(indpred) prints it. */
  predicate: string | null;
}

/** An index as DDL records it (engine/catalog-objects.ts). */
type RecordedIndex = IndexBody;

function parsedIndexStmt(definition: string): AstNode | undefined {
  try {
    const stmts = parseSql(definition);
    return stmts.length === 1 ? stmts[0]!.ast?.IndexStmt : undefined;
  } catch {
    return undefined;
  }
}

function elementKey(e: AstNode): IndexKey {
  const desc = e.ordering === 'SORTBY_DESC';
  // Postgres: DESC defaults to NULLS FIRST, ASC to NULLS LAST.
  const nullsFirst = e.nulls_ordering === 'SORTBY_NULLS_FIRST' || (desc && e.nulls_ordering !== 'SORTBY_NULLS_LAST');
  if (typeof e.name === 'string') return { column: e.name, desc, nullsFirst };
  const fn = kindOf(e.expr) === 'FuncCall' ? names(e.expr.FuncCall.funcname).at(-1) : undefined;
  return { expr: deparseNode(e.expr), exprName: fn ?? 'expr', desc, nullsFirst };
}

/** Keys recorded without a parsable definition: names, or `(expr)` texts. */
function recordedKey(k: string): IndexKey {
  return k.startsWith('(') && k.endsWith(')') ? { expr: k.slice(1, -1), desc: false, nullsFirst: false } : { column: k, desc: false, nullsFirst: false };
}

function describeIndex(ix: RecordedIndex, oid: number): SecondaryIndex {
  const stmt = parsedIndexStmt(ix.definition);
  const method = (typeof stmt?.accessMethod === 'string' ? stmt.accessMethod : ix.method).toLowerCase();
  const params: AstNode[] = stmt?.indexParams ?? [];
  const keys = params.length > 0 ? params.map((p) => elementKey(p.IndexElem ?? {})) : ix.keys.map(recordedKey);
  const include = ((stmt?.indexIncludingParams ?? []) as AstNode[]).flatMap((p) => (typeof p.IndexElem?.name === 'string' ? [p.IndexElem.name as string] : []));
  return {
    oid,
    schema: ix.schema,
    name: ix.name,
    tableId: ix.tableId,
    unique: ix.unique,
    method,
    amOid: ACCESS_METHODS[method] ?? BTREE_AM_OID,
    keys,
    include,
    predicate: stmt?.whereClause !== undefined ? `(${deparseNode(stmt.whereClause)})` : null,
  };
}

/**
 * The snapshot's secondary indexes per table id, in creation order. `taken` holds OIDs already in
 * use; a (practically never seen) hash collision moves to the next free OID.
 */
export function secondaryIndexes(contents: Pick<SnapshotContents, 'objects' | 'tables'>, taken: Set<number>): Map<number, SecondaryIndex[]> {
  const out = new Map<number, SecondaryIndex[]>();
  const { indexes } = resolveObjects(contents.objects ?? [], contents.tables);
  for (const ix of indexes) {
    let oid = secondaryIndexOid(ix.schema, ix.name);
    while (taken.has(oid)) oid++;
    taken.add(oid);
    let list = out.get(ix.tableId);
    if (list === undefined) out.set(ix.tableId, (list = []));
    list.push(describeIndex(ix, oid));
  }
  return out;
}

/** Postgres prints a function call as an index key bare and any other expression in parentheses. */
function exprText(expr: string): string {
  try {
    const stmts = parseSql(`SELECT ${expr}`);
    const val = stmts[0]?.ast?.SelectStmt?.targetList?.[0]?.ResTarget?.val;
    if (kindOf(val) === 'FuncCall') return expr;
  } catch {
    // fall through: parenthesised is always valid
  }
  return `(${expr})`;
}

/** Text of one key as pg_get_indexdef(oid, n) prints it. */
export function keyText(k: IndexKey): string {
  return k.column !== undefined ? pgQuoteIdent(k.column) : exprText(k.expr ?? '');
}

/** pg_get_indexdef(oid): `CREATE [UNIQUE] INDEX name ON schema.table USING method (keys) [INCLUDE (…)] [WHERE (…)]`. */
export function indexDefinition(ix: SecondaryIndex, table: TableDef): string {
  const keys = ix.keys.map((k) => {
    let s = keyText(k);
    if (k.desc) s += ' DESC';
    if (k.desc && !k.nullsFirst) s += ' NULLS LAST';
    if (!k.desc && k.nullsFirst) s += ' NULLS FIRST';
    return s;
  });
  const include = ix.include.length > 0 ? ` INCLUDE (${ix.include.map(pgQuoteIdent).join(', ')})` : '';
  const where = ix.predicate !== null ? ` WHERE ${ix.predicate}` : '';
  const on = `${pgQuoteIdent(table.schema)}.${pgQuoteIdent(table.name)}`;
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${pgQuoteIdent(ix.name)} ON ${on} USING ${ix.method} (${keys.join(', ')})${include}${where}`;
}
