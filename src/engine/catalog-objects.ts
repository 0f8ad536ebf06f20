/**
 * The metadata objects DuckMesh keeps besides tables — views, comments, indexes — as the catalog
 * stores them (event bodies, see Catalog.recordObjects) and as one snapshot sees them.
 */
import { columnId } from '../catalog/metadata.js';
import { assertSafeQuery } from '../sql/guard.js';
import { parseSql } from '../sql/parser.js';
import type { Catalog, CatalogObject, ObjectEvent, SnapshotContents, TableDef } from '../catalog/types.js';

export interface ViewBody {
  schema: string;
  name: string;
  /** DuckDB-runnable SELECT (column aliases applied); passed the sandbox guard at CREATE. */
  sql: string;
  /** The SELECT as written, for pg_views / information_schema.views. */
  definition: string;
  columns: { name: string; type: string }[];
  /** Tables and views it reads, by name: a view is only bound in snapshots where all exist. */
  dependsOn: { schema: string; name: string }[];
}

export type CommentTarget =
  | { target: 'table'; tableId: number }
  | { target: 'column'; tableId: number; columnId: number }
  | { target: 'view'; schema: string; name: string }
  | { target: 'viewColumn'; schema: string; name: string; column: string };

export type CommentBody = CommentTarget & { text: string };

/**
 * Whether a stored view may be bound in a snapshot: its SQL still parses as one statement and
 * passes the sandbox guard (checked at CREATE VIEW; re-checked so that a tampered or outdated
 * definition stays out). The catalog shim lists exactly these views.
 */
export function isBindableView(v: Pick<ViewBody, 'sql'>): boolean {
  try {
    const parsed = parseSql(v.sql);
    if (parsed.length !== 1) return false;
    assertSafeQuery(parsed[0]!.ast);
    return true;
  } catch {
    return false;
  }
}

export interface IndexBody {
  schema: string;
  name: string;
  tableId: number;
  /** Key columns or expressions as written. */
  keys: string[];
  unique: boolean;
  method: string;
  definition: string;
}

export function viewKey(schema: string, name: string): string {
  return `view:${schema}.${name}`;
}

export function indexKey(schema: string, name: string): string {
  return `index:${schema}.${name}`;
}

export function commentKey(t: CommentTarget): string {
  switch (t.target) {
    case 'table':
      return `comment:table:${t.tableId}`;
    case 'column':
      return `comment:column:${t.tableId}:${t.columnId}`;
    case 'view':
      return `comment:view:${t.schema}.${t.name}`;
    case 'viewColumn':
      return `comment:viewcolumn:${t.schema}.${t.name}:${t.column}`;
  }
}

export function viewEvent(body: ViewBody | null, schema: string, name: string): ObjectEvent {
  return { key: viewKey(schema, name), kind: 'view', dropped: body === null, body: (body ?? { schema, name }) as unknown as Record<string, unknown> };
}

/** A comment of NULL (COMMENT … IS NULL) removes the comment. */
export function commentEvent(target: CommentTarget, text: string | null): ObjectEvent {
  return { key: commentKey(target), kind: 'comment', dropped: text === null, body: { ...target, text: text ?? '' } };
}

export function indexEvent(body: IndexBody): ObjectEvent {
  return { key: indexKey(body.schema, body.name), kind: 'index', dropped: false, body: body as unknown as Record<string, unknown> };
}

export interface ResolvedComment {
  objectType: 'table' | 'column' | 'view';
  schema: string;
  name: string;
  column: string | null;
  /** For tables and columns (what the Postgres catalog shim keys descriptions by). */
  tableId: number | null;
  text: string;
}

export interface ResolvedObjects {
  views: ViewBody[];
  comments: ResolvedComment[];
  indexes: (IndexBody & { table: string })[];
}

/** What `objects` (already resolved to one watermark) mean for the tables that exist then. */
export function resolveObjects(
  objects: readonly CatalogObject[],
  tables: readonly TableDef[],
  acceptView: (v: ViewBody) => boolean = () => true,
): ResolvedObjects {
  const byId = new Map(tables.map((t) => [t.tableId, t]));
  const views = new Map<string, ViewBody & { seq: number }>();
  for (const o of objects) if (o.kind === 'view') views.set(o.key, { ...(o.body as unknown as ViewBody), seq: o.seq });
  const comments: ResolvedComment[] = [];
  const indexes: (IndexBody & { table: string })[] = [];
  for (const o of objects) {
    if (o.kind === 'comment') {
      const c = o.body as unknown as CommentBody;
      if (c.target === 'view') {
        // Dropping a view drops its comment in the same entry, so a comment never outlives its view.
        const v = views.get(viewKey(c.schema, c.name));
        if (v) comments.push({ objectType: 'view', schema: v.schema, name: v.name, column: null, tableId: null, text: c.text });
        continue;
      }
      if (c.target === 'viewColumn') {
        const v = views.get(viewKey(c.schema, c.name));
        if (v && v.columns.some((x) => x.name === c.column)) {
          comments.push({ objectType: 'column', schema: v.schema, name: v.name, column: c.column, tableId: null, text: c.text });
        }
        continue;
      }
      const t = byId.get(c.tableId);
      if (!t) continue;
      if (c.target === 'table') {
        comments.push({ objectType: 'table', schema: t.schema, name: t.name, column: null, tableId: t.tableId, text: c.text });
      } else {
        const col = t.columns.find((x, i) => columnId(x, i) === c.columnId);
        if (col) comments.push({ objectType: 'column', schema: t.schema, name: t.name, column: col.name, tableId: t.tableId, text: c.text });
      }
    } else if (o.kind === 'index') {
      const ix = o.body as unknown as IndexBody;
      const t = byId.get(ix.tableId);
      if (t) indexes.push({ ...ix, schema: t.schema, table: t.name });
    }
  }
  return { views: orderViews([...views.values()].filter(acceptView), tables), comments, indexes };
}

/**
 * Views whose dependencies all exist (tables of the snapshot, or views placed before them), in an
 * order where each comes after what it reads. DDL refuses to break dependencies, so normally all
 * views qualify; the check keeps one bad definition from failing a whole snapshot.
 */
function orderViews(views: (ViewBody & { seq: number })[], tables: readonly TableDef[]): ViewBody[] {
  const available = new Set(tables.map((t) => `${t.schema}.${t.name}`));
  const pending = views.filter((v) => !available.has(`${v.schema}.${v.name}`)).sort((a, b) => a.seq - b.seq);
  const out: ViewBody[] = [];
  let progressed = true;
  while (progressed && pending.length > 0) {
    progressed = false;
    for (let i = 0; i < pending.length; i++) {
      const v = pending[i]!;
      if (v.dependsOn.every((d) => available.has(`${d.schema}.${d.name}`))) {
        out.push(v);
        available.add(`${v.schema}.${v.name}`);
        pending.splice(i, 1);
        i--;
        progressed = true;
      }
    }
  }
  return out;
}

/** Views, comments and indexes now (for DDL checks), over the live tables. */
export async function liveObjects(catalog: Catalog, tenant: string): Promise<ResolvedObjects> {
  const [objects, tables] = await Promise.all([catalog.objectsAt(tenant, null), catalog.liveTables(tenant)]);
  return resolveObjects(objects, tables);
}

/** Views that read any of `targets`, directly or through other views (what CASCADE drops). */
export function dependentViews(views: readonly ViewBody[], targets: { schema: string; name: string }[]): ViewBody[] {
  const out: ViewBody[] = [];
  const gone = new Set(targets.map((t) => `${t.schema}.${t.name}`));
  let grew = true;
  while (grew) {
    grew = false;
    for (const v of views) {
      const id = `${v.schema}.${v.name}`;
      if (gone.has(id)) continue;
      if (v.dependsOn.some((d) => gone.has(`${d.schema}.${d.name}`))) {
        gone.add(id);
        out.push(v);
        grew = true;
      }
    }
  }
  return out;
}

/** Events that drop `views` together with their comments. */
export function dropViewEvents(views: readonly ViewBody[], objects: ResolvedObjects): ObjectEvent[] {
  const out: ObjectEvent[] = [];
  for (const v of views) {
    out.push(viewEvent(null, v.schema, v.name));
    if (objects.comments.some((c) => c.objectType === 'view' && c.schema === v.schema && c.name === v.name)) {
      out.push(commentEvent({ target: 'view', schema: v.schema, name: v.name }, null));
    }
    // Column comments go with the view too, or a view created again under that name would show them.
    for (const c of objects.comments) {
      if (c.objectType === 'column' && c.tableId === null && c.schema === v.schema && c.name === v.name && c.column !== null) {
        out.push(commentEvent({ target: 'viewColumn', schema: v.schema, name: v.name, column: c.column }, null));
      }
    }
  }
  return out;
}

/**
 * Table and column comments of a snapshot in the shape the Postgres catalog shim takes
 * (compat ShimContext.comments → pg_description, obj_description, col_description).
 */
export function catalogComments(contents: Pick<SnapshotContents, 'objects' | 'tables'>): { tableId: number; column?: string; text: string }[] {
  return resolveObjects(contents.objects ?? [], contents.tables)
    .comments.filter((c) => c.tableId !== null)
    .map((c) => (c.column === null ? { tableId: c.tableId!, text: c.text } : { tableId: c.tableId!, column: c.column, text: c.text }));
}
