/**
 * User views (CREATE [OR REPLACE] VIEW, stored as catalog objects) in the Postgres catalog shim:
 * pg_class relkind 'v' with a row type, pg_attribute, pg_views, information_schema.tables /
 * views / columns / view_table_usage, pg_get_viewdef, pg_description (COMMENT ON VIEW and on a
 * view's columns), ::regclass and pg_table_is_visible — read by the queries psql, SQLAlchemy 1.4
 * and pgjdbc send. Expected values are what Postgres 15 answers for the same objects, except
 * where noted (DuckMesh views are read-only; definitions are printed as written).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogObject, ObjectEvent } from '../../src/catalog/types.js';
import { rewriteCatalogQuery, tableOid, namespaceOid } from '../../src/compat/index.js';
import { viewOid } from '../../src/compat/object-ids.js';
import { userViews, viewDefinition } from '../../src/compat/user-views.js';
import { commentEvent, viewEvent, type ViewBody } from '../../src/engine/catalog-objects.js';
import { parseSql } from '../../src/sql/parser.js';
import { fixtureContents } from './fixture-catalog.js';
import { createShimDb, type ShimDb } from './shim-db.js';

const ACTIVE: ViewBody = {
  schema: 'public', name: 'active_users', sql: 'SELECT id, name, email FROM public.users WHERE active',
  definition: 'SELECT id, name, email FROM public.users WHERE active',
  columns: [{ name: 'id', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR' }, { name: 'email', type: 'VARCHAR' }],
  dependsOn: [{ schema: 'public', name: 'users' }],
};
// CREATE VIEW user_totals (user_id, total) AS SELECT user_id, sum(amount) FROM orders GROUP BY user_id
const TOTALS: ViewBody = {
  schema: 'public', name: 'user_totals',
  sql: 'SELECT * FROM (SELECT user_id, sum(amount) FROM orders GROUP BY user_id) AS __dm_view(user_id, total)',
  definition: 'SELECT user_id, sum(amount) FROM orders GROUP BY user_id',
  columns: [{ name: 'user_id', type: 'INTEGER' }, { name: 'total', type: 'DECIMAL(38,2)' }],
  dependsOn: [{ schema: 'public', name: 'orders' }],
};
// A view over views, in a schema that has no tables, with a name that needs quoting.
const TOP: ViewBody = {
  schema: 'reporting', name: 'Top Users',
  sql: 'SELECT a.id, a.name, t.total FROM public.active_users a JOIN public.user_totals t ON t.user_id = a.id ORDER BY t.total DESC LIMIT 10',
  definition: 'SELECT a.id, a.name, t.total FROM public.active_users AS a JOIN public.user_totals AS t ON t.user_id = a.id ORDER BY t.total DESC LIMIT 10',
  columns: [{ name: 'id', type: 'INTEGER' }, { name: 'name', type: 'VARCHAR' }, { name: 'total', type: 'DECIMAL(38,2)' }],
  dependsOn: [{ schema: 'public', name: 'active_users' }, { schema: 'public', name: 'user_totals' }],
};
// Not bound by the snapshot, so not in the catalog either: refused by the sandbox guard, and reading a dropped table.
const UNSAFE: ViewBody = {
  schema: 'public', name: 'files', sql: "SELECT * FROM read_csv('/etc/passwd')", definition: "SELECT * FROM read_csv('/etc/passwd')",
  columns: [{ name: 'line', type: 'VARCHAR' }], dependsOn: [],
};
const ORPHAN: ViewBody = {
  schema: 'public', name: 'orphan', sql: 'SELECT 1 AS one FROM public.gone', definition: 'SELECT 1 AS one FROM public.gone',
  columns: [{ name: 'one', type: 'INTEGER' }], dependsOn: [{ schema: 'public', name: 'gone' }],
};

/** A comment on a view column in the form src/compat reads (as COMMENT ON COLUMN of a view stores it). */
function viewColumnComment(schema: string, name: string, column: string, text: string): ObjectEvent {
  return { key: `comment:viewcolumn:${schema}.${name}:${column}`, kind: 'comment', dropped: false, body: { target: 'viewColumn', schema, name, column, text } };
}

const EVENTS: ObjectEvent[] = [
  viewEvent(ACTIVE, ACTIVE.schema, ACTIVE.name),
  viewEvent(TOTALS, TOTALS.schema, TOTALS.name),
  viewEvent(TOP, TOP.schema, TOP.name),
  viewEvent(UNSAFE, UNSAFE.schema, UNSAFE.name),
  viewEvent(ORPHAN, ORPHAN.schema, ORPHAN.name),
  commentEvent({ target: 'view', schema: 'public', name: 'active_users' }, 'Users with active = true'),
  commentEvent({ target: 'table', tableId: 1 }, 'Registered users'),
  viewColumnComment('public', 'active_users', 'email', 'Primary e-mail address'),
  viewColumnComment('public', 'active_users', 'nope', 'no such column: not shown'),
  viewColumnComment('public', 'files', 'line', 'view not bound: not shown'),
];

function objects(events: ObjectEvent[]): CatalogObject[] {
  return events.map((e, i) => ({ ...e, tenant: 'corpus', seq: 100 + i, ord: 0 }));
}

const ACTIVE_OID = viewOid('public', 'active_users');
const TOTALS_OID = viewOid('public', 'user_totals');
const TOP_OID = viewOid('reporting', 'Top Users');
const USERS = tableOid(1);

let db: ShimDb;

async function q(sql: string): Promise<Record<string, unknown>[]> {
  return db.query(rewriteCatalogQuery(parseSql(sql)[0]!.ast, db.ctx));
}

beforeAll(async () => {
  db = await createShimDb({ ...fixtureContents(), objects: objects(EVENTS) });
});
afterAll(() => db?.close());

describe('pg_class, pg_type and pg_attribute rows of a view', () => {
  it("pg_class: relkind 'v' with Postgres' values for a view, one row per bound view only", async () => {
    const rows = await q(`SELECT c.oid, c.relname, n.nspname, c.reltype, c.relam, c.relfilenode, c.relpages, c.reltuples,
        c.relhasindex, c.relkind, c.relnatts, c.relhasrules, c.relreplident, c.relpersistence, c.relowner
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'v' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      ORDER BY c.relname`);
    const common = { relam: 0, relfilenode: 0, relpages: 0, reltuples: -1, relhasindex: false, relkind: 'v', relhasrules: true, relreplident: 'n', relpersistence: 'p', relowner: 10 };
    expect(rows).toEqual([
      { ...common, oid: TOP_OID, relname: 'Top Users', nspname: 'reporting', reltype: TOP_OID + 1, relnatts: 3 },
      { ...common, oid: ACTIVE_OID, relname: 'active_users', nspname: 'public', reltype: ACTIVE_OID + 1, relnatts: 3 },
      { ...common, oid: TOTALS_OID, relname: 'user_totals', nspname: 'public', reltype: TOTALS_OID + 1, relnatts: 2 },
    ]);
    expect(new Set([ACTIVE_OID, TOTALS_OID, TOP_OID]).size).toBe(3);
    expect(ACTIVE_OID).toBeGreaterThanOrEqual(0x60000000);
    expect(ACTIVE_OID).toBeLessThan(0x70000000);
  });

  it('a schema holding only views is in pg_namespace', async () => {
    const rows = await q(`SELECT oid, nspname FROM pg_namespace WHERE nspname = 'reporting'`);
    expect(rows).toEqual([{ oid: namespaceOid('reporting'), nspname: 'reporting' }]);
  });

  it('pg_type: the composite row type, as for tables', async () => {
    const rows = await q(`SELECT oid, typname, typnamespace, typtype, typcategory, typrelid, typlen, typinput, typoutput
      FROM pg_type WHERE typrelid = ${ACTIVE_OID}`);
    expect(rows).toEqual([{
      oid: ACTIVE_OID + 1, typname: 'active_users', typnamespace: 2200, typtype: 'c', typcategory: 'C', typrelid: ACTIVE_OID,
      typlen: -1, typinput: 'record_in', typoutput: 'record_out',
    }]);
  });

  it('pg_attribute: the columns as bound, with real type OIDs, nullable, no defaults', async () => {
    const rows = await q(`SELECT attname, atttypid, attnum, atttypmod, attnotnull, atthasdef, attstorage,
        format_type(atttypid, atttypmod) AS t
      FROM pg_attribute WHERE attrelid IN (${ACTIVE_OID}, ${TOTALS_OID}) ORDER BY attrelid = ${TOTALS_OID}, attnum`);
    expect(rows).toEqual([
      { attname: 'id', atttypid: 23, attnum: 1, atttypmod: -1, attnotnull: false, atthasdef: false, attstorage: 'p', t: 'integer' },
      { attname: 'name', atttypid: 25, attnum: 2, atttypmod: -1, attnotnull: false, atthasdef: false, attstorage: 'x', t: 'text' },
      // users.email is varchar(255): passed through unchanged, the view column keeps the length (DuckDB's type is VARCHAR).
      { attname: 'email', atttypid: 1043, attnum: 3, atttypmod: 259, attnotnull: false, atthasdef: false, attstorage: 'x', t: 'character varying(255)' },
      { attname: 'user_id', atttypid: 23, attnum: 1, atttypmod: -1, attnotnull: false, atthasdef: false, attstorage: 'p', t: 'integer' },
      // numeric's storage is 'm' (main), as Postgres reports for a numeric view column.
      { attname: 'total', atttypid: 1700, attnum: 2, atttypmod: (38 << 16 | 2) + 4, attnotnull: false, atthasdef: false, attstorage: 'm', t: 'numeric(38,2)' },
    ]);
  });
});

describe('definitions: pg_views, information_schema.views, pg_get_viewdef', () => {
  const ACTIVE_DEF = ' SELECT id,\n    name,\n    email\n   FROM public.users\n  WHERE active;';
  const TOTALS_DEF = ' SELECT user_id,\n    sum(amount) AS total\n   FROM orders\n  GROUP BY user_id;';
  const TOP_DEF = ' SELECT a.id,\n    a.name,\n    t.total\n   FROM public.active_users a\n     JOIN public.user_totals t ON t.user_id = a.id\n  ORDER BY t.total DESC\n LIMIT 10;';

  it('pg_views lists each view with owner and definition', async () => {
    const rows = await q(`SELECT schemaname, viewname, viewowner, definition FROM pg_views
      WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY schemaname, viewname`);
    expect(rows).toEqual([
      { schemaname: 'public', viewname: 'active_users', viewowner: 'corpus_user', definition: ACTIVE_DEF },
      { schemaname: 'public', viewname: 'user_totals', viewowner: 'corpus_user', definition: TOTALS_DEF },
      { schemaname: 'reporting', viewname: 'Top Users', viewowner: 'corpus_user', definition: TOP_DEF },
    ]);
  });

  it('information_schema.views: definition, check_option NONE, read-only', async () => {
    const rows = await q(`SELECT * FROM information_schema.views WHERE table_schema = 'public' ORDER BY table_name`);
    const common = {
      table_catalog: 'corpus', table_schema: 'public', check_option: 'NONE', is_updatable: 'NO', is_insertable_into: 'NO',
      is_trigger_updatable: 'NO', is_trigger_deletable: 'NO', is_trigger_insertable_into: 'NO',
    };
    expect(rows).toEqual([
      { ...common, table_name: 'active_users', view_definition: ACTIVE_DEF },
      { ...common, table_name: 'user_totals', view_definition: TOTALS_DEF },
    ]);
  });

  it('pg_get_viewdef by oid, with pretty flag or wrap column, by name; NULL for other relations and NULL input', async () => {
    const [r] = await q(`SELECT pg_get_viewdef('active_users'::regclass) AS a, pg_catalog.pg_get_viewdef(${ACTIVE_OID}::oid, true) AS b,
      pg_get_viewdef('reporting."Top Users"'::regclass, 80) AS c, pg_get_viewdef('user_totals') AS d,
      pg_get_viewdef('users'::regclass) AS e, pg_get_viewdef(0) AS f, pg_get_viewdef(NULL, true) AS g`);
    expect(r).toEqual({ a: ACTIVE_DEF, b: ACTIVE_DEF, c: TOP_DEF, d: TOTALS_DEF, e: null, f: null, g: null });
  });

  it('SQLAlchemy 1.4 get_view_names / get_view_definition queries', async () => {
    const names = await q(`SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')`);
    expect(names.map((r) => r.relname).sort()).toEqual(['active_users', 'user_totals']);
    const [def] = await q(`SELECT pg_get_viewdef(c.oid) view_def FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relname = 'active_users' AND c.relkind IN ('v', 'm')`);
    expect(def).toEqual({ view_def: ACTIVE_DEF });
  });
});

describe('information_schema.tables / columns / view_table_usage', () => {
  it("tables: table_type 'VIEW', not insertable", async () => {
    const rows = await q(`SELECT table_schema, table_name, table_type, is_insertable_into FROM information_schema.tables
      WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY table_type, table_schema, table_name`);
    expect(rows).toEqual([
      { table_schema: 'postgres', table_name: 'test_table', table_type: 'BASE TABLE', is_insertable_into: 'YES' },
      { table_schema: 'public', table_name: 'clubs', table_type: 'BASE TABLE', is_insertable_into: 'YES' },
      { table_schema: 'public', table_name: 'orders', table_type: 'BASE TABLE', is_insertable_into: 'YES' },
      { table_schema: 'public', table_name: 'users', table_type: 'BASE TABLE', is_insertable_into: 'YES' },
      { table_schema: 'public', table_name: 'active_users', table_type: 'VIEW', is_insertable_into: 'NO' },
      { table_schema: 'public', table_name: 'user_totals', table_type: 'VIEW', is_insertable_into: 'NO' },
      { table_schema: 'reporting', table_name: 'Top Users', table_type: 'VIEW', is_insertable_into: 'NO' },
    ]);
  });

  it("columns: one row per view column, nullable, Postgres' type facts", async () => {
    const rows = await q(`SELECT table_name, column_name, ordinal_position, column_default, is_nullable, data_type,
        numeric_precision, numeric_scale, udt_name, dtd_identifier, is_updatable
      FROM information_schema.columns WHERE table_name IN ('active_users', 'user_totals') ORDER BY table_name, ordinal_position`);
    const c = { column_default: null, is_nullable: 'YES', is_updatable: 'NO' };
    expect(rows).toEqual([
      { ...c, table_name: 'active_users', column_name: 'id', ordinal_position: 1, data_type: 'integer', numeric_precision: 32, numeric_scale: 0, udt_name: 'int4', dtd_identifier: '1' },
      { ...c, table_name: 'active_users', column_name: 'name', ordinal_position: 2, data_type: 'text', numeric_precision: null, numeric_scale: null, udt_name: 'text', dtd_identifier: '2' },
      { ...c, table_name: 'active_users', column_name: 'email', ordinal_position: 3, data_type: 'character varying', numeric_precision: null, numeric_scale: null, udt_name: 'varchar', dtd_identifier: '3' },
      { ...c, table_name: 'user_totals', column_name: 'user_id', ordinal_position: 1, data_type: 'integer', numeric_precision: 32, numeric_scale: 0, udt_name: 'int4', dtd_identifier: '1' },
      { ...c, table_name: 'user_totals', column_name: 'total', ordinal_position: 2, data_type: 'numeric', numeric_precision: 38, numeric_scale: 2, udt_name: 'numeric', dtd_identifier: '2' },
    ]);
  });

  it('view_table_usage: the tables and views each view reads', async () => {
    const rows = await q(`SELECT view_schema, view_name, table_schema, table_name FROM information_schema.view_table_usage
      ORDER BY view_schema, view_name, table_name`);
    expect(rows).toEqual([
      { view_schema: 'public', view_name: 'active_users', table_schema: 'public', table_name: 'users' },
      { view_schema: 'public', view_name: 'user_totals', table_schema: 'public', table_name: 'orders' },
      { view_schema: 'reporting', view_name: 'Top Users', table_schema: 'public', table_name: 'active_users' },
      { view_schema: 'reporting', view_name: 'Top Users', table_schema: 'public', table_name: 'user_totals' },
    ]);
  });

  it('table_privileges cover views (the owner holds every privilege)', async () => {
    const rows = await q(`SELECT privilege_type FROM information_schema.table_privileges WHERE table_name = 'active_users' ORDER BY 1`);
    expect(rows.map((r) => r.privilege_type)).toEqual(['DELETE', 'INSERT', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE']);
  });
});

describe('COMMENT ON VIEW / on a view column, ::regclass and visibility', () => {
  it("pg_description: objoid = the view, classoid pg_class, objsubid = the column's attnum", async () => {
    const rows = await q(`SELECT objoid, classoid, objsubid, description FROM pg_description ORDER BY objoid, objsubid`);
    expect(rows).toEqual([
      { objoid: USERS, classoid: 1259, objsubid: 0, description: 'Registered users' },
      { objoid: ACTIVE_OID, classoid: 1259, objsubid: 0, description: 'Users with active = true' },
      { objoid: ACTIVE_OID, classoid: 1259, objsubid: 3, description: 'Primary e-mail address' },
    ]);
  });

  it('obj_description / col_description, regclass round trip, to_regclass, pg_table_is_visible', async () => {
    const [r] = await q(`SELECT obj_description('active_users'::regclass, 'pg_class') AS d, col_description('active_users'::regclass, 3) AS cd,
      'active_users'::regclass::oid AS o, ${ACTIVE_OID}::regclass AS name, ${TOP_OID}::regclass::text AS qualified,
      to_regclass('reporting."Top Users"')::oid AS t, pg_table_is_visible(${ACTIVE_OID}) AS v1, pg_table_is_visible(${TOP_OID}) AS v2,
      pg_relation_size(${ACTIVE_OID}) AS size`);
    expect(r).toEqual({
      d: 'Users with active = true', cd: 'Primary e-mail address', o: BigInt(ACTIVE_OID), name: 'active_users',
      qualified: 'reporting."Top Users"', t: BigInt(TOP_OID), v1: true, v2: false, size: 0n,
    });
  });

  it("psql \\dv lists views with owner (and \\dv+ their description)", async () => {
    const rows = await q(`SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner",
  CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END as "Persistence",
  pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) as "Size",
  pg_catalog.obj_description(c.oid, 'pg_class') as "Description"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2`);
    expect(rows).toEqual([
      { Schema: 'public', Name: 'active_users', Type: 'view', Owner: 'corpus_user', Persistence: 'permanent', Size: '0 bytes', Description: 'Users with active = true' },
      { Schema: 'public', Name: 'user_totals', Type: 'view', Owner: 'corpus_user', Persistence: 'permanent', Size: '0 bytes', Description: null },
    ]);
  });

  it('pgjdbc getTables(…, {"VIEW"}): TABLE_TYPE VIEW and REMARKS from COMMENT ON VIEW', async () => {
    const rows = await q(`SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME,
        CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema' WHEN true THEN CASE WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind WHEN 'r' THEN 'SYSTEM TABLE' WHEN 'v' THEN 'SYSTEM VIEW' WHEN 'i' THEN 'SYSTEM INDEX' ELSE NULL END WHEN n.nspname = 'pg_toast' THEN CASE c.relkind WHEN 'r' THEN 'SYSTEM TOAST TABLE' WHEN 'i' THEN 'SYSTEM TOAST INDEX' ELSE NULL END ELSE CASE c.relkind WHEN 'r' THEN 'TEMPORARY TABLE' WHEN 'p' THEN 'TEMPORARY TABLE' WHEN 'i' THEN 'TEMPORARY INDEX' WHEN 'S' THEN 'TEMPORARY SEQUENCE' WHEN 'v' THEN 'TEMPORARY VIEW' ELSE NULL END END WHEN false THEN CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'PARTITIONED INDEX' WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'c' THEN 'TYPE' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END ELSE NULL END AS TABLE_TYPE,
        d.description AS REMARKS
      FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 and d.classoid = 'pg_class'::regclass)
        LEFT JOIN pg_catalog.pg_class dc ON (d.classoid=dc.oid AND dc.relname='pg_class')
        LEFT JOIN pg_catalog.pg_namespace dn ON (dn.oid=dc.relnamespace AND dn.nspname='pg_catalog')
      WHERE c.relnamespace = n.oid AND (false OR ( c.relkind = 'v' AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' ))
      ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME`);
    expect(rows).toEqual([
      { table_cat: null, table_schem: 'public', table_name: 'active_users', table_type: 'VIEW', remarks: 'Users with active = true' },
      { table_cat: null, table_schem: 'public', table_name: 'user_totals', table_type: 'VIEW', remarks: null },
      { table_cat: null, table_schem: 'reporting', table_name: 'Top Users', table_type: 'VIEW', remarks: null },
    ]);
  });
});

describe('varchar(n) / char(n) of passed-through columns', () => {
  const view = (definition: string, columns: [string, string][], dependsOn = [{ schema: 'public', name: 'orders' }]) =>
    userViews({ ...fixtureContents(), objects: objects([viewEvent({
      schema: 'public', name: 'w', sql: definition, definition, columns: columns.map(([name, type]) => ({ name, type })), dependsOn,
    }, 'public', 'w')]) }, new Set())[0]!.columns.map((c) => c.type);

  it('plain, qualified, aliased-table and star references keep the table type; expressions and other tables do not', () => {
    expect(view('SELECT status, o.status AS s2, lower(status) AS l, note FROM orders o', [['status', 'VARCHAR'], ['s2', 'VARCHAR'], ['l', 'VARCHAR'], ['note', 'VARCHAR']]))
      .toEqual(['CHAR(1)', 'CHAR(1)', 'VARCHAR', 'VARCHAR']);
    expect(view('SELECT * FROM public.users', [['id', 'INTEGER'], ['name', 'VARCHAR'], ['email', 'VARCHAR']], [{ schema: 'public', name: 'users' }]))
      .toEqual(['INTEGER', 'VARCHAR', 'VARCHAR(255)']);
    expect(view('SELECT u.email FROM users u JOIN orders o ON o.user_id = u.id', [['email', 'VARCHAR']], [{ schema: 'public', name: 'users' }, { schema: 'public', name: 'orders' }]))
      .toEqual(['VARCHAR']);
  });
});

describe('stability across snapshots', () => {
  it('a view keeps its OID across CREATE OR REPLACE (columns added) and leaves the catalog when dropped', () => {
    const base = fixtureContents();
    const before = userViews({ ...base, objects: objects(EVENTS) }, new Set());
    const replaced: ViewBody = {
      ...ACTIVE, definition: 'SELECT id, name, email, score FROM public.users WHERE active',
      columns: [...ACTIVE.columns, { name: 'score', type: 'DOUBLE' }],
    };
    const after = userViews({ ...base, objects: objects([viewEvent(replaced, 'public', 'active_users'), viewEvent(TOTALS, 'public', 'user_totals')]) }, new Set());
    const a0 = before.find((v) => v.name === 'active_users')!;
    const a1 = after.find((v) => v.name === 'active_users')!;
    expect(a1.oid).toBe(a0.oid);
    expect(a1.columns.map((c) => c.name)).toEqual(['id', 'name', 'email', 'score']);
    expect(a1.definition).toBe(' SELECT id,\n    name,\n    email,\n    score\n   FROM public.users\n  WHERE active;');
    // Dropped (no event left for it): gone, and so is a view that read it.
    const dropped = userViews({ ...base, objects: objects([viewEvent(TOTALS, 'public', 'user_totals'), viewEvent(TOP, 'reporting', 'Top Users')]) }, new Set());
    expect(dropped.map((v) => v.name)).toEqual(['user_totals']);
  });

  it('an OID taken by another object moves the view to the next free pair', () => {
    const taken = new Set([ACTIVE_OID + 1]);
    const [v] = userViews({ ...fixtureContents(), objects: objects([viewEvent(ACTIVE, 'public', 'active_users')]) }, taken);
    expect(v!.oid).toBe(ACTIVE_OID + 2);
    expect(v!.rowTypeOid).toBe(ACTIVE_OID + 3);
  });
});

describe("pg_get_viewdef layout (Postgres 15's output for the same queries written with qualified names)", () => {
  const def = (definition: string, columns: string[]) => viewDefinition({ definition, columns: columns.map((name) => ({ name, type: 'INTEGER' })) });

  it('DISTINCT, JOIN … ON and a comma join, WHERE, ORDER BY, OFFSET before LIMIT', () => {
    expect(def('SELECT DISTINCT s.region, t2.x FROM sales s JOIN t2 ON s.id = t2.id, t2 AS t3 WHERE s.id > 1 ORDER BY s.region DESC LIMIT 3 OFFSET 2', ['region', 'x']))
      .toBe(' SELECT DISTINCT s.region,\n    t2.x\n   FROM sales s\n     JOIN t2 ON s.id = t2.id,\n    t2 t3\n  WHERE s.id > 1\n  ORDER BY s.region DESC\n OFFSET 2\n LIMIT 3;');
  });

  it('GROUP BY / HAVING and an output alias', () => {
    expect(def('SELECT sales.region, count(*) AS n FROM sales GROUP BY sales.region HAVING count(*) > 1', ['region', 'n']))
      .toBe(' SELECT sales.region,\n    count(*) AS n\n   FROM sales\n  GROUP BY sales.region\n HAVING count(*) > 1;');
  });

  it('UNION of two SELECTs', () => {
    expect(def('SELECT sales.id FROM sales UNION SELECT t2.id FROM t2', ['id'])).toBe(' SELECT sales.id\n   FROM sales\nUNION\n SELECT t2.id\n   FROM t2;');
  });

  it('t.* expands to the view columns; CREATE VIEW v (a, b) names become AS a / AS b', () => {
    expect(def('SELECT t2.* FROM t2', ['id', 'x'])).toBe(' SELECT t2.id,\n    t2.x\n   FROM t2;');
    expect(def('SELECT sales.region, sum(sales.amount) FROM sales GROUP BY sales.region', ['region', 'total']))
      .toBe(' SELECT sales.region,\n    sum(sales.amount) AS total\n   FROM sales\n  GROUP BY sales.region;');
    expect(def('SELECT id AS ident, "Mixed" FROM t', ['ident', 'Mixed'])).toBe(' SELECT id AS ident,\n    "Mixed"\n   FROM t;');
  });

  it('LEFT / CROSS / NATURAL joins and USING', () => {
    expect(def('SELECT a.x FROM a LEFT JOIN b USING (x) CROSS JOIN c NATURAL JOIN d', ['x']))
      .toBe(' SELECT a.x\n   FROM a\n     LEFT JOIN b USING (x)\n     CROSS JOIN c\n     NATURAL JOIN d;');
  });

  it('shapes it does not lay out (WITH) are printed as stored, in the same frame', () => {
    expect(def('WITH a AS (SELECT 1 AS one) SELECT one FROM a', ['one'])).toBe(' WITH a AS (SELECT 1 AS one) SELECT one FROM a;');
  });
});
