/**
 * Specific catalog behaviours with asserted values: format_type, ::regclass, psql's \d, \dt, \dn
 * and \l, a JDBC getColumns-style query, information_schema, session functions and errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import { rewriteCatalogQuery, rewriteCatalogQueryDetailed, tableOid, primaryKeyIndexOid, namespaceOid } from '../../src/compat/index.js';
import { parseSql } from '../../src/sql/parser.js';
import { fixtureContents } from './fixture-catalog.js';
import { createShimDb, type ShimDb } from './shim-db.js';

let db: ShimDb;

function ast(sql: string) {
  return parseSql(sql)[0]!.ast;
}

/** Rewrites a client query onto the shim and runs it. */
async function q(sql: string): Promise<Record<string, unknown>[]> {
  return db.query(rewriteCatalogQuery(ast(sql), db.ctx));
}

function rewriteError(sql: string): DuckMeshError {
  try {
    rewriteCatalogQuery(ast(sql), db.ctx);
  } catch (err) {
    if (err instanceof DuckMeshError) return err;
    throw err;
  }
  throw new Error(`no error rewriting ${sql}`);
}

const USERS_OID = tableOid(1);

beforeAll(async () => {
  db = await createShimDb(fixtureContents());
});
afterAll(() => db?.close());

describe('format_type', () => {
  it('prints Postgres type names with modifiers', async () => {
    const [r] = await q(`SELECT format_type(23, -1) AS a, format_type(1043, 24) AS b,
      pg_catalog.format_type(1700, (18 << 16 | 3) + 4) AS c, format_type(1007, -1) AS d, format_type(1042, 5) AS e,
      format_type(1042, NULL) AS f, format_type(1184, 3) AS g, format_type(1015, 14) AS h, format_type(99999, -1) AS i,
      format_type(NULL, -1) AS j, format_type(1700, -1) AS k, format_type(701, NULL) AS l`);
    expect(r).toEqual({
      a: 'integer', b: 'character varying(20)', c: 'numeric(18,3)', d: 'integer[]', e: 'character(1)', f: 'character',
      g: 'timestamp(3) with time zone', h: 'character varying(10)[]', i: '???', j: null, k: 'numeric', l: 'double precision',
    });
  });
});

describe('::regclass and friends', () => {
  it('resolves names to the shim OIDs, honouring schema qualification and the search path', async () => {
    const [r] = await q(`SELECT 'public.users'::regclass::oid AS a, 'users'::regclass::oid AS b,
      '"postgres"."test_table"'::regclass::oid AS c, 'pg_class'::regclass::oid AS d, '16388'::regclass::oid AS e`);
    expect(r).toEqual({ a: BigInt(USERS_OID), b: BigInt(USERS_OID), c: BigInt(tableOid(4)), d: 1259n, e: 16388n });
  });

  it('prints OIDs as names in the select list, qualified when not on the search path', async () => {
    const rows = await q(`SELECT c.oid::regclass AS name, c.oid::pg_catalog.regclass::pg_catalog.text AS t
      FROM pg_catalog.pg_class c WHERE c.oid IN (${USERS_OID}, ${tableOid(4)}) ORDER BY c.oid`);
    expect(rows).toEqual([{ name: 'users', t: 'users' }, { name: 'postgres.test_table', t: 'postgres.test_table' }]);
  });

  it('compares numerically outside the select list', async () => {
    const rows = await q(`SELECT relname FROM pg_class WHERE oid = 'orders'::regclass`);
    expect(rows).toEqual([{ relname: 'orders' }]);
  });

  it('raises "relation does not exist" for unknown names', async () => {
    await expect(q(`SELECT 'nope'::regclass`)).rejects.toThrow(/relation "nope" does not exist/);
  });

  it('handles regtype, regnamespace and regproc', async () => {
    const [r] = await q(`SELECT 'int4'::regtype::oid AS a, 23::regtype::text AS b, 'character varying'::regtype::oid AS c,
      'public'::regnamespace::oid AS d, 'pg_catalog.array_in'::regproc AS e, ${namespaceOid('postgres')}::regnamespace::text AS f`);
    expect(r).toEqual({ a: 23n, b: 'integer', c: 1043n, d: 2200n, e: 'array_in', f: 'postgres' });
    expect(rewriteError(`SELECT 'nosuchtype'::regtype`).sqlstate).toBe('42704');
  });
});

describe('psql', () => {
  it('\\d users: finds the table, then its columns with types, defaults and NOT NULL flags', async () => {
    const found = await q(`SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c
      LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname OPERATOR(pg_catalog.~) '^(users)$' COLLATE pg_catalog.default
        AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3`);
    expect(found).toEqual([{ oid: USERS_OID, nspname: 'public', relname: 'users' }]);
    const cols = await q(`SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
      (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d
        WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
      a.attnotnull,
      (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
        WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
      a.attidentity, a.attgenerated
      FROM pg_catalog.pg_attribute a WHERE a.attrelid = '${found[0]!.oid}' AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`);
    expect(cols.map((c) => [c.attname, c.format_type, c.pg_get_expr, c.attnotnull])).toEqual([
      ['id', 'integer', null, true],
      ['name', 'text', null, true],
      ['email', 'character varying(255)', null, false],
      ['active', 'boolean', 'true', true],
      ['created_at', 'timestamp with time zone', null, true],
      ['balance', 'numeric(10,2)', null, false],
      ['score', 'double precision', null, false],
      ['birth_date', 'date', null, false],
      ['tags', 'text[]', null, false],
      ['profile', 'json', null, false],
      ['external_id', 'uuid', null, false],
    ]);
    expect(cols.every((c) => c.attcollation === null && c.attidentity === '' && c.attgenerated === '')).toBe(true);
  });

  it('\\d users: primary key index', async () => {
    const rows = await q(`SELECT c2.relname, i.indisprimary, i.indisunique, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
      pg_catalog.pg_get_constraintdef(con.oid, true) AS condef
      FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
        LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
      WHERE c.oid = '${USERS_OID}' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
      ORDER BY i.indisprimary DESC, c2.relname`);
    expect(rows).toEqual([{
      relname: 'users_pkey', indisprimary: true, indisunique: true,
      pg_get_indexdef: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)', condef: 'PRIMARY KEY (id)',
    }]);
  });

  it('\\dt lists the visible tables', async () => {
    const rows = await q(`SELECT n.nspname as "Schema", c.relname as "Name",
      CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index'
        WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table'
        WHEN 'I' THEN 'partitioned index' END as "Type",
      pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
      FROM pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
      WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast'
        AND n.nspname <> 'information_schema' AND pg_catalog.pg_table_is_visible(c.oid)
      ORDER BY 1,2`);
    expect(rows).toEqual(['clubs', 'orders', 'users'].map((t) => ({ Schema: 'public', Name: t, Type: 'table', Owner: 'corpus_user' })));
  });

  it('\\dn lists the schemas', async () => {
    const rows = await q(`SELECT n.nspname AS "Name", pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"
      FROM pg_catalog.pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ORDER BY 1`);
    expect(rows).toEqual([{ Name: 'postgres', Owner: 'corpus_user' }, { Name: 'public', Owner: 'corpus_user' }]);
  });

  it('\\l lists the database', async () => {
    const rows = await q(`SELECT d.datname as "Name", pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
      pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
      CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
      d.datcollate as "Collate", d.datctype as "Ctype", d.daticulocale as "ICU Locale", d.daticurules as "ICU Rules",
      pg_catalog.array_to_string(d.datacl, E'\\n') AS "Access privileges"
      FROM pg_catalog.pg_database d ORDER BY 1`);
    expect(rows).toEqual([{
      Name: 'corpus', Owner: 'corpus_user', Encoding: 'UTF8', 'Locale Provider': 'libc', Collate: 'C', Ctype: 'C',
      'ICU Locale': null, 'ICU Rules': null, 'Access privileges': null,
    }]);
  });
});

describe('JDBC / BI tools', () => {
  it('getColumns-style query returns the columns of an existing table', async () => {
    const rows = await q(`SELECT * FROM (SELECT n.nspname, c.relname, a.attname, a.atttypid,
        a.attnotnull OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull, a.atttypmod, a.attlen, t.typtypmod,
        row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum,
        nullif(a.attidentity, '') as attidentity, nullif(a.attgenerated, '') as attgenerated,
        pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc, dsc.description, t.typbasetype, t.typtype
      FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)
        JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid) JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)
        LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)
        LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
        LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')
        LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')
      WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped
        AND n.nspname LIKE 'public' AND c.relname LIKE 'orders') c WHERE true ORDER BY nspname, c.relname, attnum`);
    expect(rows.map((r) => [r.attname, r.atttypid, r.atttypmod, r.attnotnull])).toEqual([
      ['id', 20, -1, true], ['user_id', 23, -1, true], ['amount', 1700, (12 << 16 | 2) + 4, true],
      ['status', 1042, 5, true], ['quantity', 21, -1, false], ['ordered_on', 1082, -1, true],
      ['shipped_at', 1114, -1, false], ['note', 25, -1, false], ['payload', 17, -1, false],
    ]);
    expect(rows[3]!.adsrc).toBe("'n'");
  });

  it('information_schema.columns spells types the SQL-standard way', async () => {
    const rows = await q(`SELECT column_name, data_type, udt_name, character_maximum_length, numeric_precision,
      numeric_scale, is_nullable, column_default, ordinal_position
      FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users' ORDER BY ordinal_position`);
    const byName = Object.fromEntries(rows.map((r) => [r.column_name, r]));
    expect(rows).toHaveLength(11);
    expect(byName.email).toMatchObject({ data_type: 'character varying', udt_name: 'varchar', character_maximum_length: 255, is_nullable: 'YES' });
    expect(byName.balance).toMatchObject({ data_type: 'numeric', numeric_precision: 10, numeric_scale: 2 });
    expect(byName.id).toMatchObject({ data_type: 'integer', numeric_precision: 32, numeric_scale: 0, is_nullable: 'NO' });
    expect(byName.tags).toMatchObject({ data_type: 'ARRAY', udt_name: '_text' });
    expect(byName.created_at).toMatchObject({ data_type: 'timestamp with time zone' });
    expect(byName.active).toMatchObject({ column_default: 'true', ordinal_position: 4 });
  });

  it('primary keys through information_schema and the Metabase _pg_expandarray query', async () => {
    const kcu = await q(`SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc
      JOIN information_schema.key_column_usage kcu ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema
      WHERE tc.constraint_type = 'PRIMARY KEY' ORDER BY 1`);
    expect(kcu).toEqual([
      { table_name: 'clubs', column_name: 'id' }, { table_name: 'orders', column_name: 'id' },
      { table_name: 'test_table', column_name: 'id' }, { table_name: 'users', column_name: 'id' },
    ]);
    const pk = await q(`SELECT result.TABLE_NAME, result.COLUMN_NAME, result.KEY_SEQ, result.PK_NAME FROM (SELECT
        n.nspname AS TABLE_SCHEM, ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,
        (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME,
        information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM
      FROM pg_catalog.pg_class ct JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)
        JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid) JOIN pg_catalog.pg_index i ON (a.attrelid = i.indrelid)
        JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)
      WHERE n.nspname = 'public' AND ct.relname = 'users' AND i.indisprimary) result
      WHERE result.A_ATTNUM = (result.KEYS).x ORDER BY result.table_name, result.pk_name, result.key_seq`);
    expect(pk).toEqual([{ table_name: 'users', column_name: 'id', key_seq: 1n, pk_name: 'users_pkey' }]);
  });

  it('sizes and row estimates come from the snapshot files', async () => {
    const [r] = await q(`SELECT c.reltuples, pg_catalog.pg_relation_size(c.oid) AS size, pg_total_relation_size(c.oid) AS total,
      pg_size_pretty(pg_relation_size(c.oid)) AS pretty, s.n_live_tup
      FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = 'orders'`);
    expect(r).toEqual({ reltuples: 3, size: 5000n, total: 5000n, pretty: '5000 bytes', n_live_tup: 3n });
    const [p] = await q(`SELECT pg_size_pretty(1048576::bigint) AS a, pg_size_pretty(10240) AS b, pg_size_pretty(123456789) AS c`);
    expect(p).toEqual({ a: '1024 kB', b: '10 kB', c: '118 MB' });
  });
});

describe('session functions and Postgres semantics', () => {
  it('version(), current_database(), current_schemas() and current_user are session literals', async () => {
    const [r] = await q(`SELECT version(), current_database(), current_schema(), current_schemas(true) AS s, current_user,
      pg_catalog.current_setting('server_version_num') AS num, pg_backend_pid()`);
    expect(String(r!.version)).toMatch(/^PostgreSQL 16\.4 /);
    expect(r).toMatchObject({ current_database: 'corpus', current_schema: 'public', s: ['pg_catalog', 'public'], current_user: 'corpus_user', num: '160004', pg_backend_pid: 4242 });
  });

  it('current_setting of an unknown parameter is 42704, missing_ok gives NULL', async () => {
    expect(rewriteError(`SELECT current_setting('no_such_setting')`).sqlstate).toBe('42704');
    const [r] = await q(`SELECT current_setting('no_such_setting', true) AS v`);
    expect(r).toEqual({ v: null });
  });

  it('set_config returns the value and reports it for the session to apply', () => {
    const res = rewriteCatalogQueryDetailed(ast(`SELECT set_config('bytea_output', 'hex', false)`), db.ctx);
    expect(res.setConfig).toEqual([{ name: 'bytea_output', value: 'hex', isLocal: false }]);
  });

  it('unknown catalog functions are 42883 naming the function', () => {
    const e = rewriteError(`SELECT pg_catalog.pg_no_such_thing(1, 'x')`);
    expect(e.sqlstate).toBe('42883');
    expect(e.message).toBe('function pg_no_such_thing(integer, unknown) does not exist');
  });

  it('regex operators match anywhere (Postgres), LIKE honours backslash escapes, ANY takes array literals', async () => {
    const rows = await q(`SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname NOT LIKE 'pg\\_%'
      AND nspname <> ALL('{information_schema}') AND nspname ~ 'ubl' ORDER BY 1`);
    expect(rows).toEqual([{ nspname: 'public' }]);
    const kinds = await q(`SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = ANY('{r,p,f}') AND n.nspname = 'public'`);
    expect(kinds).toEqual([{ n: 3n }]);
  });

  it('pg_settings reflects the session', async () => {
    const rows = await q(`SELECT name, setting, source FROM pg_catalog.pg_settings WHERE name IN ('application_name', 'TimeZone') ORDER BY 1`);
    expect(rows).toEqual([{ name: 'TimeZone', setting: 'UTC', source: 'default' }, { name: 'application_name', setting: 'corpus', source: 'session' }]);
  });

  it('uses Postgres output column names and leaves the input tree untouched', async () => {
    const tree = ast(`SELECT version(), 1, pg_catalog.pg_get_userbyid(10), 'x'::pg_catalog.text, current_user`);
    const before = JSON.stringify(tree);
    const [r] = await db.query(rewriteCatalogQuery(tree, db.ctx));
    expect(Object.keys(r!)).toEqual(['version', '?column?', 'pg_get_userbyid', 'text', 'current_user']);
    expect(JSON.stringify(tree)).toBe(before);
  });

  it('index OIDs and constraint lookups line up', async () => {
    const rows = await q(`SELECT indexrelid, indrelid, indkey, indkey[0] AS first FROM pg_index WHERE indrelid = 'users'::regclass`);
    expect(rows).toEqual([{ indexrelid: primaryKeyIndexOid(1), indrelid: USERS_OID, indkey: '1', first: 1n }]);
  });
});

describe('PostgreSQL JDBC DatabaseMetaData queries', () => {
  it('getTables lists user tables with JDBC table types', async () => {
    const rows = await q(`SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME,
      CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema' WHEN true THEN CASE
        WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind WHEN 'r' THEN 'SYSTEM TABLE'
          WHEN 'v' THEN 'SYSTEM VIEW' WHEN 'i' THEN 'SYSTEM INDEX' ELSE NULL END
        ELSE NULL END
      WHEN false THEN CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'i' THEN 'INDEX'
        WHEN 'v' THEN 'VIEW' ELSE NULL END ELSE NULL END AS TABLE_TYPE, d.description AS REMARKS
      FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 and d.classoid = 'pg_class'::regclass)
      WHERE c.relnamespace = n.oid AND n.nspname LIKE 'public' AND c.relname LIKE '%'
        AND (false OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' ))
      ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME`);
    expect(rows.map((r) => [r.table_name, r.table_type])).toEqual([['clubs', 'TABLE'], ['orders', 'TABLE'], ['users', 'TABLE']]);
  });

  it('getIndexInfo reads the primary key index through int2vector subscripts', async () => {
    const inner = `SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, ct.relname AS TABLE_NAME, NOT i.indisunique AS NON_UNIQUE,
        NULL AS INDEX_QUALIFIER, ci.relname AS INDEX_NAME,
        CASE i.indisclustered WHEN true THEN 1 ELSE CASE am.amname WHEN 'hash' THEN 2 ELSE 3 END END AS TYPE,
        (information_schema._pg_expandarray(i.indkey)).n AS ORDINAL_POSITION, ci.reltuples AS CARDINALITY,
        ci.relpages AS PAGES, pg_catalog.pg_get_expr(i.indpred, i.indrelid) AS FILTER_CONDITION, ci.oid AS CI_OID,
        i.indoption AS I_INDOPTION, am.amname AS AM_NAME
      FROM pg_catalog.pg_class ct JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)
        JOIN pg_catalog.pg_index i ON (ct.oid = i.indrelid) JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid)
        JOIN pg_catalog.pg_am am ON (ci.relam = am.oid)
      WHERE true AND n.nspname = E'public' AND ct.relname = E'orders'`;
    const rows = await q(`SELECT tmp.TABLE_CAT, tmp.TABLE_SCHEM, tmp.TABLE_NAME, tmp.NON_UNIQUE, tmp.INDEX_QUALIFIER,
        tmp.INDEX_NAME, tmp.TYPE, tmp.ORDINAL_POSITION,
        trim(both '"' from pg_catalog.pg_get_indexdef(tmp.CI_OID, tmp.ORDINAL_POSITION, false)) AS COLUMN_NAME,
        CASE tmp.AM_NAME WHEN 'btree' THEN CASE tmp.I_INDOPTION[tmp.ORDINAL_POSITION - 1] & 1::smallint
          WHEN 1 THEN 'D' ELSE 'A' END ELSE NULL END AS ASC_OR_DESC,
        tmp.CARDINALITY, tmp.PAGES, tmp.FILTER_CONDITION
      FROM (${inner}) AS tmp ORDER BY NON_UNIQUE, TYPE, INDEX_NAME, ORDINAL_POSITION`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ table_name: 'orders', non_unique: false, index_name: 'orders_pkey', type: 3,
      ordinal_position: 1n, column_name: 'id', asc_or_desc: 'A', cardinality: 3 });
  });

  it('psql \\df runs (DuckMesh has no user functions)', async () => {
    const rows = await q(`SELECT n.nspname as "Schema", p.proname as "Name",
      pg_catalog.pg_get_function_result(p.oid) as "Result data type",
      pg_catalog.pg_get_function_arguments(p.oid) as "Argument data types",
      CASE p.prokind WHEN 'a' THEN 'agg' WHEN 'w' THEN 'window' WHEN 'p' THEN 'proc' ELSE 'func' END as "Type"
      FROM pg_catalog.pg_proc p LEFT JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE pg_catalog.pg_function_is_visible(p.oid) AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'
      ORDER BY 1, 2, 4`);
    expect(rows).toEqual([]);
    const [t] = await q(`SELECT pg_catalog.oidvectortypes(p.proargtypes) AS args FROM pg_catalog.pg_proc p WHERE p.proname = 'format_type'`);
    expect(t).toEqual({ args: 'oid, integer' });
  });
});

describe('lookups, comments and shim cost', () => {
  it('to_regclass and parameterised ::regclass resolve names', async () => {
    const [r] = await q(`SELECT to_regclass('users') AS a, to_regclass('nope') AS b, to_regclass('postgres.test_table') AS c`);
    expect(r).toEqual({ a: BigInt(USERS_OID), b: null, c: BigInt(tableOid(4)) });
    const sql = rewriteCatalogQuery(ast(`SELECT relname FROM pg_class WHERE oid = $1::regclass`), db.ctx);
    expect(await db.query(sql, ['public.orders'])).toEqual([{ relname: 'orders' }]);
  });

  it('COMMENT texts fed to the shim show up in pg_description, obj_description and col_description', async () => {
    const { createShimDb: create } = await import('./shim-db.js');
    const { snapshotShimSql } = await import('../../src/compat/index.js');
    const other = await create(fixtureContents());
    try {
      const contents = fixtureContents();
      for (const s of snapshotShimSql(contents, other.catalogName, {
        tenant: 'corpus', user: 'corpus_user',
        comments: [{ tableId: 1, text: 'Registered users' }, { tableId: 1, column: 'email', text: 'Primary e-mail address' }],
      })) await other.conn.run(s);
      const [r] = await other.query(rewriteCatalogQuery(ast(`SELECT obj_description('users'::regclass, 'pg_class') AS t,
        col_description('users'::regclass, 3) AS c, (SELECT count(*) FROM pg_description) AS n`), other.ctx));
      expect(r).toEqual({ t: 'Registered users', c: 'Primary e-mail address', n: 2n });
    } finally {
      other.close();
    }
  });

  it('builds the shim of a 100-table snapshot in well under a second', async () => {
    const { snapshotShimSql } = await import('../../src/compat/index.js');
    const tables = Array.from({ length: 100 }, (_, i) => ({
      tableId: 100 + i, tenant: 'corpus', schema: i % 3 === 0 ? 'sales' : 'public', name: `t${i}`,
      columns: Array.from({ length: 10 }, (_, j) => ({ name: `c${j}`, type: j % 2 ? 'VARCHAR' : 'DECIMAL(10,2)', notNull: j === 0, defaultValue: null })),
      primaryKey: ['c0'], schemaVersion: 1, createdSeq: 1, droppedSeq: null,
    }));
    const contents = { snapshot: { snapshotId: 99, watermark: 1, committedAt: 0 }, tables, files: new Map() };
    await db.conn.run(`ATTACH ':memory:' AS snap_99`);
    const t0 = performance.now();
    const statements = snapshotShimSql(contents, 'snap_99', { tenant: 'corpus', user: 'corpus_user' });
    for (const s of statements) await db.conn.run(s);
    const ms = performance.now() - t0;
    console.log(`snapshot shim for 100 tables × 10 columns: ${statements.length} statements, ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
    const sql = rewriteCatalogQuery(ast(`SELECT count(*) AS n FROM information_schema.columns WHERE table_schema IN ('public', 'sales')`),
      { ...db.ctx, catalogName: 'snap_99' });
    const [r] = await db.query(sql);
    expect(r).toEqual({ n: 1000n });
  });
});

describe('every catalog relation', () => {
  it('answers SELECT * with exactly its Postgres column list', async () => {
    const { ALL_CATALOG_RELATIONS } = await import('../../src/compat/relations/registry.js');
    const problems: string[] = [];
    for (const rel of ALL_CATALOG_RELATIONS) {
      try {
        const sql = rewriteCatalogQuery(ast(`SELECT * FROM ${rel.schema}.${rel.name} LIMIT 0`), db.ctx);
        const reader = await db.conn.runAndReadAll(sql);
        const names = reader.columnNames();
        const want = rel.columns.map((c) => c.name);
        if (JSON.stringify(names) !== JSON.stringify(want)) problems.push(`${rel.name}: ${names.join(',')}`);
      } catch (err) {
        problems.push(`${rel.schema}.${rel.name}: ${(err as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('describes itself in pg_class and pg_attribute', async () => {
    const rows = await q(`SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
      WHERE a.attrelid = 'pg_catalog.pg_namespace'::regclass AND a.attnum > 0 ORDER BY a.attnum`);
    expect(rows).toEqual([
      { attname: 'oid', type: 'oid' }, { attname: 'nspname', type: 'name' },
      { attname: 'nspowner', type: 'oid' }, { attname: 'nspacl', type: 'aclitem[]' },
    ]);
  });
});

describe('more client queries', () => {
  it('psql \\d table properties (reloptions concatenated with a subquery over unnest)', async () => {
    const rows = await q(`SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity,
      c.relforcerowsecurity, false AS relhasoids, c.relispartition,
      pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', '),
      c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END,
      c.relpersistence, c.relreplident, am.amname
      FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
      LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid) WHERE c.oid = '${USERS_OID}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ relkind: 'r', relhasindex: true, relpersistence: 'p', amname: 'heap' });
  });

  it('DBeaver table columns with a bound oid parameter', async () => {
    const sql = rewriteCatalogQuery(ast(`SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,
      dsc.description,dep.objid FROM pg_catalog.pg_attribute a INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
      LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
      LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
      LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum
        and dep.classid = dep.refclassid
      WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=$1 ORDER BY a.attnum`), db.ctx);
    const rows = await db.query(sql, [tableOid(2)]);
    expect(rows.map((r) => r.attname)).toEqual(['id', 'user_id', 'amount', 'status', 'quantity', 'ordered_on', 'shipped_at', 'note', 'payload']);
  });

  it('SQLAlchemy column reflection (json_build_object, REGCLASS casts, pg_sequence)', async () => {
    const rows = await q(`SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
      (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d
        WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef) AS DEFAULT,
      a.attnotnull, a.attrelid as table_oid, pgd.description as comment, a.attgenerated as generated,
      (SELECT json_build_object('always', a.attidentity = 'a', 'start', s.seqstart, 'increment', s.seqincrement,
          'minvalue', s.seqmin, 'maxvalue', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle)
        FROM pg_catalog.pg_sequence s, pg_catalog.pg_class c WHERE s.seqrelid = c.oid AND c.relkind = 'S'
          AND a.attidentity != '' AND s.seqrelid = CAST(pg_catalog.pg_get_serial_sequence(
            CAST(CAST(a.attrelid AS REGCLASS) AS TEXT), a.attname) AS REGCLASS)) as identity_options
      FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_description pgd ON (pgd.objoid = a.attrelid AND pgd.objsubid = a.attnum)
      WHERE a.attrelid = ${tableOid(3)} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`);
    expect(rows.map((r) => [r.attname, r.format_type, r.attnotnull])).toEqual([['id', 'integer', true], ['name', 'text', false]]);
  });
});

describe('needsCompatRewrite', () => {
  it('routes catalog and Postgres-only queries, leaves DuckDB-dialect queries alone', async () => {
    const { needsCompatRewrite } = await import('../../src/compat/index.js');
    const routed = (sql: string) => needsCompatRewrite(ast(sql));
    expect(routed(`SELECT slot_name FROM pg_replication_slots`)).toBe(true);
    expect(routed(`SELECT json_build_object('a', 1)`)).toBe(true);
    expect(routed(`SELECT '{}'::jsonb`)).toBe(true);
    expect(routed(`SELECT 'x'::pg_catalog.text`)).toBe(true);
    expect(routed(`SELECT word FROM t WHERE word <> ALL('{a,b}'::text[])`)).toBe(true);
    expect(routed(`SELECT format('%I.%I', 'a', 'b')`)).toBe(true);
    expect(routed(`SELECT encode(x, 'hex') FROM t`)).toBe(true);
    expect(routed(`SELECT s[1] FROM string_to_array('a,b', ',') s`)).toBe(true);
    expect(routed(`SELECT 1`)).toBe(false);
    expect(routed(`SELECT id, name FROM users WHERE name ~ 'a.*' AND x::int > 1`)).toBe(false);
    expect(routed(`SELECT array_length(tags), format('{} x', 1), encode('a') FROM users`)).toBe(false);
    expect(routed(`SELECT string_to_array(name, ',') FROM users, range(3) r`)).toBe(false);
  });

  it('keeps DuckDB builtins with other arities working inside catalog queries', async () => {
    const [r] = await q(`SELECT array_length(ARRAY['a', 'b']) AS one, array_length(current_schemas(true), 1) AS two`);
    expect(r).toEqual({ one: 2n, two: 2 });
  });
});

describe('extended-protocol parameters', () => {
  it('leaves no parameter or result column untyped at prepare time (Describe needs both)', async () => {
    for (const sql of [
      'SELECT relname FROM pg_catalog.pg_class WHERE oid = $1::regclass',
      'SELECT pg_catalog.pg_get_userbyid($1), format_type($2, $3), to_regclass($4)',
      'SELECT pg_get_indexdef($1, 1, false), quote_ident($2), pg_size_pretty($3)',
    ]) {
      const prepared = await db.conn.prepare(rewriteCatalogQuery(ast(sql), db.ctx));
      for (let i = 1; i <= prepared.parameterCount; i++) expect(prepared.parameterTypeId(i), `${sql} $${i}`).not.toBe(0);
      for (let i = 0; i < prepared.columnCount; i++) expect(prepared.columnTypeId(i), `${sql} column ${i}`).not.toBe(0);
    }
    const sql = rewriteCatalogQuery(ast('SELECT pg_catalog.pg_get_userbyid($1) AS owner, format_type($2, $3) AS t'), db.ctx);
    expect(await db.query(sql, [10, 1043, 24])).toEqual([{ owner: 'corpus_user', t: 'character varying(20)' }]);
  });
});
