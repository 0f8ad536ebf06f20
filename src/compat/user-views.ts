/**
 * CREATE VIEW as the catalog shim shows it. Views are catalog objects (engine/catalog-objects.ts
 * ViewBody); the snapshot binds the ones whose definition passes the sandbox guard, and exactly
 * those appear where Postgres keeps views: pg_class (relkind 'v') with a row type in pg_type,
 * pg_attribute (the view's columns as DuckDB bound them), pg_views / information_schema.views /
 * pg_get_viewdef (the definition), pg_description (COMMENT ON VIEW and on a view's columns) and
 * information_schema.view_table_usage (what the view reads).
 *
 * The definition is the stored SELECT laid out the way Postgres' pg_get_viewdef prints a view
 * (leading space, one target per line, FROM/WHERE/… on their own lines, trailing semicolon,
 * column aliases of `CREATE VIEW v (a, b)` folded into the targets). Postgres also qualifies
 * every column with its relation and adds casts (`sales.region = 'eu'::text`), which needs the
 * analyzed query: DuckMesh prints the expressions as written.
 *
 * Column types are DuckDB's, which has no length limit on VARCHAR: a view column that passes a
 * `varchar(n)` / `char(n)` table column through unchanged (`SELECT name FROM t`) gets the table
 * column's type back, so it shows as `character varying(n)` as in Postgres.
 */
import type { CatalogObject, SnapshotContents, TableDef } from '../catalog/types.js';
import { isBindableView, resolveObjects, type ViewBody } from '../engine/catalog-objects.js';
import { deparseNode } from '../sql/ast.js';
import { parseSql } from '../sql/parser.js';
import type { AstNode } from '../sql/statements.js';
import { viewOid, viewRowTypeOid } from './object-ids.js';
import { pgQuoteIdent } from './pg-ident.js';
import { kindOf } from './rewrite/ast.js';

export interface CatalogView {
  oid: number;
  rowTypeOid: number;
  schema: string;
  name: string;
  /** Output columns, DuckDB type SQL as bound at CREATE VIEW. */
  columns: { name: string; type: string }[];
  /** What pg_get_viewdef / pg_views.definition / information_schema.views print. */
  definition: string;
  /** COMMENT ON VIEW. */
  comment: string | null;
  /** COMMENT ON COLUMN view.column, by column name (only columns the view has). */
  columnComments: Map<string, string>;
  /** Tables and views it reads. */
  dependsOn: { schema: string; name: string }[];
}

/**
 * A comment on a view's column as the catalog would store it (not produced by DuckMesh's
 * COMMENT ON yet, see docs/compatibility.md): `{ target: 'viewColumn', schema, name, column, text }`.
 */
interface ViewColumnCommentBody {
  target: 'viewColumn';
  schema: string;
  name: string;
  column: string;
  text: string;
}

function isViewColumnComment(o: CatalogObject): boolean {
  const b = o.body as Partial<ViewColumnCommentBody>;
  return o.kind === 'comment' && !o.dropped && b.target === 'viewColumn' && typeof b.schema === 'string' &&
    typeof b.name === 'string' && typeof b.column === 'string' && typeof b.text === 'string';
}


/**
 * The snapshot's views (in dependency order) with their OIDs. `taken` holds OIDs already in use;
 * a (practically never seen) hash collision moves to the next free pair.
 */
export function userViews(contents: Pick<SnapshotContents, 'objects' | 'tables'>, taken: Set<number>): CatalogView[] {
  const objects = contents.objects ?? [];
  const resolved = resolveObjects(objects, contents.tables, isBindableView);
  const comments = new Map<string, string>();
  for (const c of resolved.comments) if (c.objectType === 'view') comments.set(`${c.schema}.${c.name}`, c.text);
  const columnComments = new Map<string, Map<string, string>>();
  for (const o of objects) {
    if (!isViewColumnComment(o)) continue;
    const b = o.body as unknown as ViewColumnCommentBody;
    const key = `${b.schema}.${b.name}`;
    let m = columnComments.get(key);
    if (m === undefined) columnComments.set(key, (m = new Map()));
    m.set(b.column, b.text);
  }
  return resolved.views.map((v) => {
    let oid = viewOid(v.schema, v.name);
    while (taken.has(oid) || taken.has(viewRowTypeOid(oid))) oid += 2;
    taken.add(oid);
    taken.add(viewRowTypeOid(oid));
    const key = `${v.schema}.${v.name}`;
    const colComments = new Map<string, string>();
    for (const [col, text] of columnComments.get(key) ?? []) if (v.columns.some((c) => c.name === col)) colComments.set(col, text);
    return {
      oid,
      rowTypeOid: viewRowTypeOid(oid),
      schema: v.schema,
      name: v.name,
      columns: withSourceLengths(v, contents.tables),
      definition: viewDefinition(v),
      comment: comments.get(key) ?? null,
      columnComments: colComments,
      dependsOn: v.dependsOn,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// varchar(n) / char(n) of columns passed through from a table

const BOUNDED_TEXT = /^(VARCHAR|CHAR)\(\d+\)$/i;

function withSourceLengths(v: ViewBody, tables: readonly TableDef[]): { name: string; type: string }[] {
  let sources: (string | undefined)[] = [];
  try {
    sources = sourceColumns(v, tables);
  } catch {
    // keep DuckDB's types
  }
  return v.columns.map((c, i) => {
    const src = sources[i];
    return src !== undefined && c.type.toUpperCase() === 'VARCHAR' && BOUNDED_TEXT.test(src) ? { name: c.name, type: src } : c;
  });
}

/** Per view column, the type of the table column it passes through unchanged (single-table SELECTs only). */
function sourceColumns(v: ViewBody, tables: readonly TableDef[]): (string | undefined)[] {
  const parsed = parseSql(v.definition);
  const s = parsed.length === 1 ? parsed[0]!.ast?.SelectStmt : undefined;
  const from: AstNode[] = s?.fromClause ?? [];
  const rv = from.length === 1 ? from[0]?.RangeVar : undefined;
  if (s === undefined || (s.op ?? 'SETOP_NONE') !== 'SETOP_NONE' || s.withClause !== undefined || rv === undefined || rv.alias?.colnames !== undefined) return [];
  const dep = v.dependsOn.length === 1 && v.dependsOn[0]!.name === rv.relname ? v.dependsOn[0]! : undefined;
  const schema: string | undefined = rv.schemaname ?? dep?.schema;
  const table = tables.find((t) => t.schema === schema && t.name === rv.relname);
  if (table === undefined) return [];
  const typeOf = (name: string | undefined) => table.columns.find((c) => c.name === name)?.type;
  const targets: AstNode[] = (s.targetList ?? []).map((t: AstNode) => t.ResTarget ?? {});
  if (targets.length === 1 && isStar(targets[0]!.val)) return v.columns.map((c) => typeOf(c.name));
  if (targets.length !== v.columns.length) return [];
  const qualifiers = new Set<string>([rv.alias?.aliasname ?? rv.relname]);
  return targets.map((t) => {
    const fields: AstNode[] = t.val?.ColumnRef?.fields ?? [];
    const names = fields.map((f) => f.String?.sval as string | undefined);
    if (names.some((n) => n === undefined)) return undefined;
    if (names.length === 1) return typeOf(names[0]);
    if (names.length === 2 && qualifiers.has(names[0]!)) return typeOf(names[1]);
    return undefined;
  });
}

// ---------------------------------------------------------------------------------------------
// pg_get_viewdef layout

/** pg_get_viewdef's text for a view: its SELECT laid out like Postgres', or as stored if unusual. */
export function viewDefinition(v: Pick<ViewBody, 'definition' | 'columns'>): string {
  try {
    const parsed = parseSql(v.definition);
    const select = parsed.length === 1 ? parsed[0]!.ast?.SelectStmt : undefined;
    const text = select !== undefined ? layoutQuery(select, v.columns.map((c) => c.name)) : undefined;
    if (text !== undefined) return `${text};`;
  } catch {
    // fall through to the stored text
  }
  return ` ${v.definition.trim().replace(/;+$/, '')};`;
}

const SET_OPS: Readonly<Record<string, string>> = { SETOP_UNION: 'UNION', SETOP_INTERSECT: 'INTERSECT', SETOP_EXCEPT: 'EXCEPT' };

/** A SELECT or a flat set operation of SELECTs; undefined for shapes printed as stored. */
function layoutQuery(s: AstNode, columns: string[]): string | undefined {
  if (s.withClause !== undefined || s.intoClause !== undefined || s.lockingClause !== undefined) return undefined;
  const op: string = s.op ?? 'SETOP_NONE';
  if (op === 'SETOP_NONE') return layoutSelect(s, columns);
  const word = SET_OPS[op];
  // Set-operation arms are bare SelectStmt bodies in the parse tree.
  const l: AstNode | undefined = s.larg?.SelectStmt ?? s.larg;
  const r: AstNode | undefined = s.rarg?.SelectStmt ?? s.rarg;
  if (word === undefined || l === undefined || r === undefined || s.sortClause !== undefined || s.limitCount !== undefined || s.limitOffset !== undefined) {
    return undefined;
  }
  if ((l.op ?? 'SETOP_NONE') !== 'SETOP_NONE' || (r.op ?? 'SETOP_NONE') !== 'SETOP_NONE') return undefined;
  const left = layoutSelect(l, columns);
  const right = layoutSelect(r, []);
  if (left === undefined || right === undefined) return undefined;
  return `${left}\n${word}${s.all ? ' ALL' : ''}\n${right}`;
}

function layoutSelect(s: AstNode, columns: string[]): string | undefined {
  if (s.valuesLists !== undefined || s.windowClause !== undefined || s.withClause !== undefined) return undefined;
  if (s.limitOption !== undefined && s.limitOption !== 'LIMIT_OPTION_DEFAULT' && s.limitOption !== 'LIMIT_OPTION_COUNT') return undefined;
  const targets: AstNode[] = (s.targetList ?? []).map((t: AstNode) => t.ResTarget ?? {});
  let items: string[];
  if (targets.length === 1 && isStar(targets[0]!.val) && columns.length > 0) {
    // Postgres expands `*` into the columns it stands for.
    const prefix = starPrefix(targets[0]!.val);
    items = columns.map((c) => prefix + pgQuoteIdent(c));
  } else {
    const aliased = targets.length === columns.length && !targets.some((t) => isStar(t.val));
    items = targets.map((t, i) => targetText(t, aliased ? columns[i] : undefined));
  }
  let out = ` SELECT ${distinctText(s.distinctClause)}${items.join(',\n    ')}`;
  const from: AstNode[] = s.fromClause ?? [];
  if (from.length > 0) out += `\n   FROM ${from.map(fromText).join(',\n    ')}`;
  if (s.whereClause !== undefined) out += `\n  WHERE ${deparseNode(s.whereClause)}`;
  if (s.groupClause !== undefined) out += `\n  GROUP BY ${(s.groupClause as AstNode[]).map(deparseNode).join(', ')}`;
  if (s.havingClause !== undefined) out += `\n HAVING ${deparseNode(s.havingClause)}`;
  if (s.sortClause !== undefined) out += `\n  ORDER BY ${(s.sortClause as AstNode[]).map(deparseNode).join(', ')}`;
  if (s.limitOffset !== undefined) out += `\n OFFSET ${deparseNode(s.limitOffset)}`;
  if (s.limitCount !== undefined) out += `\n LIMIT ${deparseNode(s.limitCount)}`;
  return out;
}

function isStar(val: AstNode): boolean {
  const fields: AstNode[] = val?.ColumnRef?.fields ?? [];
  return fields.length > 0 && kindOf(fields[fields.length - 1]) === 'A_Star';
}

function starPrefix(val: AstNode): string {
  const fields: AstNode[] = val.ColumnRef.fields;
  return fields.slice(0, -1).map((f) => `${pgQuoteIdent(f.String?.sval ?? '')}.`).join('');
}

function distinctText(d: AstNode[] | undefined): string {
  if (d === undefined || d.length === 0) return '';
  if (d.length === 1 && Object.keys(d[0] ?? {}).length === 0) return 'DISTINCT ';
  return `DISTINCT ON (${d.map(deparseNode).join(', ')}) `;
}

/** Postgres prints `AS name` unless the target is a column reference of that very name. */
function targetText(t: AstNode, column: string | undefined): string {
  const val = deparseNode(t.val);
  const name: string | undefined = column ?? t.name;
  if (name === undefined) return val;
  const fields: AstNode[] = t.val?.ColumnRef?.fields ?? [];
  const last = fields[fields.length - 1]?.String?.sval;
  return last === name ? val : `${val} AS ${pgQuoteIdent(name)}`;
}

const JOIN_WORDS: Readonly<Record<string, string>> = {
  JOIN_INNER: 'JOIN',
  JOIN_LEFT: 'LEFT JOIN',
  JOIN_RIGHT: 'RIGHT JOIN',
  JOIN_FULL: 'FULL JOIN',
};

function fromText(n: AstNode): string {
  const rv = n?.RangeVar;
  if (rv !== undefined) {
    const name = `${rv.schemaname !== undefined ? `${pgQuoteIdent(rv.schemaname)}.` : ''}${pgQuoteIdent(rv.relname)}`;
    return rv.alias?.aliasname !== undefined && rv.alias.colnames === undefined ? `${name} ${pgQuoteIdent(rv.alias.aliasname)}` : deparseNode(n);
  }
  const j = n?.JoinExpr;
  const word = j !== undefined ? JOIN_WORDS[j.jointype ?? 'JOIN_INNER'] : undefined;
  if (j === undefined || word === undefined || j.alias !== undefined || j.join_using_alias !== undefined) return deparseNode(n);
  const right = kindOf(j.rarg) === 'JoinExpr' ? `(${deparseNode(j.rarg)})` : fromText(j.rarg);
  const using: AstNode[] | undefined = j.usingClause;
  let head = word;
  if (j.isNatural) head = `NATURAL ${word}`;
  else if (word === 'JOIN' && j.quals === undefined && using === undefined) head = 'CROSS JOIN';
  const cond = j.quals !== undefined
    ? ` ON ${deparseNode(j.quals)}`
    : using !== undefined ? ` USING (${using.map((u) => pgQuoteIdent(u.String?.sval ?? '')).join(', ')})` : '';
  return `${fromText(j.larg)}\n     ${head} ${right}${cond}`;
}
