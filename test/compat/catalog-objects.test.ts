/**
 * The catalog objects DuckMesh stores besides tables — COMMENT ON TABLE/COLUMN/VIEW and CREATE INDEX —
 * as the Postgres catalog shows them (pg_description, obj_description/col_description, pg_class,
 * pg_index, pg_get_indexdef, pg_indexes), read by the queries real clients send: psql `\dt+` and
 * `\d+`, SQLAlchemy 1.4's inspector (get_indexes, get_unique_constraints, get_table_comment),
 * pgjdbc getTables REMARKS, and Grafana's table list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogObject, ObjectEvent } from '../../src/catalog/types.js';
import { rewriteCatalogQuery, tableOid } from '../../src/compat/index.js';
import { secondaryIndexOid, viewOid } from '../../src/compat/object-ids.js';
import { commentEvent, indexEvent, viewEvent } from '../../src/engine/catalog-objects.js';
import { parseSql } from '../../src/sql/parser.js';
import { fixtureContents } from './fixture-catalog.js';
import { createShimDb, type ShimDb } from './shim-db.js';

const USERS = tableOid(1);
const ORDERS = tableOid(2);
const CLUBS = tableOid(3);
const VIEW_V = viewOid('public', 'v');

function objects(events: ObjectEvent[]): CatalogObject[] {
  return events.map((e, i) => ({ ...e, tenant: 'corpus', seq: 100 + i, ord: 0 }));
}

const EVENTS: ObjectEvent[] = [
  commentEvent({ target: 'table', tableId: 1 }, 'Registered users'),
  // users.email is the third column (column ids default to position + 1)
  commentEvent({ target: 'column', tableId: 1, columnId: 3 }, 'Primary e-mail address'),
  commentEvent({ target: 'column', tableId: 2, columnId: 8 }, 'free text'),
  // a comment on a table that no longer exists in this snapshot is not shown
  commentEvent({ target: 'table', tableId: 77 }, 'gone'),
  viewEvent({ schema: 'public', name: 'v', sql: 'SELECT 1 AS x', definition: 'SELECT 1 AS x', columns: [{ name: 'x', type: 'INTEGER' }], dependsOn: [] }, 'public', 'v'),
  commentEvent({ target: 'view', schema: 'public', name: 'v' }, 'a view'),
  indexEvent({ schema: 'public', name: 'users_email', tableId: 1, keys: ['email'], unique: false, method: 'btree', definition: 'CREATE INDEX users_email ON users (email)' }),
  indexEvent({
    schema: 'public', name: 'orders_user_status', tableId: 2, keys: ['user_id', '(lower(status))'], unique: true, method: 'btree',
    definition: 'CREATE UNIQUE INDEX orders_user_status ON public.orders USING btree (user_id DESC, lower(status)) INCLUDE (note) WHERE amount > 0',
  }),
  indexEvent({ schema: 'public', name: 'clubs_name_hash', tableId: 3, keys: ['name'], unique: false, method: 'hash', definition: 'CREATE INDEX clubs_name_hash ON clubs USING hash (name)' }),
];

let db: ShimDb;

async function q(sql: string): Promise<Record<string, unknown>[]> {
  return db.query(rewriteCatalogQuery(parseSql(sql)[0]!.ast, db.ctx));
}

beforeAll(async () => {
  db = await createShimDb({ ...fixtureContents(), objects: objects(EVENTS) });
});
afterAll(() => db?.close());

describe('COMMENT ON TABLE / COLUMN / VIEW (stored in the catalog, no comments passed to the shim)', () => {
  it('pg_description holds one row per table/column/view comment of the snapshot, keyed as Postgres does', async () => {
    const rows = await q(`SELECT objoid, classoid, objsubid, description FROM pg_catalog.pg_description ORDER BY objoid, objsubid`);
    expect(rows).toEqual([
      { objoid: USERS, classoid: 1259, objsubid: 0, description: 'Registered users' },
      { objoid: USERS, classoid: 1259, objsubid: 3, description: 'Primary e-mail address' },
      { objoid: ORDERS, classoid: 1259, objsubid: 8, description: 'free text' },
      { objoid: VIEW_V, classoid: 1259, objsubid: 0, description: 'a view' },
    ]);
  });

  it('obj_description / col_description answer them; other objects have none', async () => {
    const [r] = await q(`SELECT obj_description('users'::regclass, 'pg_class') AS t, obj_description('users'::regclass) AS t1,
      obj_description('orders'::regclass, 'pg_class') AS none, col_description('users'::regclass, 3) AS c,
      col_description('users'::regclass, 2) AS c2, col_description('public.orders'::regclass, 8) AS c8`);
    expect(r).toEqual({ t: 'Registered users', t1: 'Registered users', none: null, c: 'Primary e-mail address', c2: null, c8: 'free text' });
  });

  it("psql \\dt+ shows the table's description", async () => {
    const rows = await q(`SELECT n.nspname as "Schema", c.relname as "Name",
      CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
      pg_catalog.pg_get_userbyid(c.relowner) as "Owner",
      CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 't' THEN 'temporary' WHEN 'u' THEN 'unlogged' END as "Persistence",
      am.amname as "Access method",
      pg_catalog.pg_size_pretty(pg_catalog.pg_table_size(c.oid)) as "Size",
      pg_catalog.obj_description(c.oid, 'pg_class') as "Description"
    FROM pg_catalog.pg_class c
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
    WHERE c.relkind IN ('r','p','t','s','')
          AND n.nspname <> 'pg_catalog'
          AND n.nspname !~ '^pg_toast'
          AND n.nspname <> 'information_schema'
      AND pg_catalog.pg_table_is_visible(c.oid)
    ORDER BY 1,2`);
    expect(rows.map((r) => [r.Name, r.Type, r.Description])).toEqual([
      ['clubs', 'table', null],
      ['orders', 'table', null],
      ['users', 'table', 'Registered users'],
    ]);
  });

  it("psql \\d+ shows column descriptions", async () => {
    const rows = await q(`SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
      a.attnotnull, a.attstorage, pg_catalog.col_description(a.attrelid, a.attnum)
    FROM pg_catalog.pg_attribute a
    WHERE a.attrelid = '${USERS}' AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY a.attnum`);
    expect(rows.slice(0, 4).map((r) => [r.attname, r.col_description])).toEqual([
      ['id', null], ['name', null], ['email', 'Primary e-mail address'], ['active', null],
    ]);
  });

  it('pgjdbc getTables REMARKS and SQLAlchemy get_table_comment / column comments', async () => {
    const remarks = await q(`SELECT c.relname AS TABLE_NAME, d.description AS REMARKS
      FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 and d.classoid = 'pg_class'::regclass)
        LEFT JOIN pg_catalog.pg_class dc ON (d.classoid=dc.oid AND dc.relname='pg_class')
        LEFT JOIN pg_catalog.pg_namespace dn ON (dn.oid=dc.relnamespace AND dn.nspname='pg_catalog')
      WHERE c.relnamespace = n.oid AND n.nspname LIKE 'public' AND c.relkind = 'r' ORDER BY TABLE_NAME`);
    expect(remarks).toEqual([
      { table_name: 'clubs', remarks: null }, { table_name: 'orders', remarks: null }, { table_name: 'users', remarks: 'Registered users' },
    ]);
    const [comment] = await q(`
            SELECT
                pgd.description as table_comment
            FROM
                pg_catalog.pg_description pgd
            WHERE
                pgd.objsubid = 0 AND
                pgd.objoid = ${USERS}
        `);
    expect(comment).toEqual({ table_comment: 'Registered users' });
    const cols = await q(`SELECT a.attname, pgd.description as comment
      FROM pg_catalog.pg_attribute a LEFT JOIN pg_catalog.pg_description pgd ON (pgd.objoid = a.attrelid AND pgd.objsubid = a.attnum)
      WHERE a.attrelid = ${ORDERS} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`);
    expect(cols.filter((c) => c.comment !== null)).toEqual([{ attname: 'note', comment: 'free text' }]);
  });

  it('comments given explicitly to the shim replace the stored table/column ones (view comments stay)', async () => {
    const { snapshotShimSql } = await import('../../src/compat/index.js');
    const contents = { ...fixtureContents(), objects: objects(EVENTS) };
    const other = await createShimDb(contents);
    try {
      for (const s of snapshotShimSql(contents, other.catalogName, { tenant: 'corpus', user: 'corpus_user', comments: [{ tableId: 3, text: 'explicit' }] })) {
        await other.conn.run(s);
      }
      const rows = await other.query(rewriteCatalogQuery(parseSql('SELECT objoid, description FROM pg_description ORDER BY objoid')[0]!.ast, other.ctx));
      expect(rows).toEqual([{ objoid: CLUBS, description: 'explicit' }, { objoid: VIEW_V, description: 'a view' }]);
    } finally {
      other.close();
    }
  });
});

describe('CREATE INDEX (recorded metadata) in pg_class, pg_index and pg_get_indexdef', () => {
  it('pg_indexes lists primary keys and secondary indexes with Postgres-style definitions', async () => {
    const rows = await q(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY tablename, indexname`);
    expect(rows).toEqual([
      { tablename: 'clubs', indexname: 'clubs_name_hash', indexdef: 'CREATE INDEX clubs_name_hash ON public.clubs USING hash (name)' },
      { tablename: 'clubs', indexname: 'clubs_pkey', indexdef: 'CREATE UNIQUE INDEX clubs_pkey ON public.clubs USING btree (id)' },
      {
        tablename: 'orders', indexname: 'orders_pkey', indexdef: 'CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)',
      },
      {
        tablename: 'orders', indexname: 'orders_user_status',
        indexdef: 'CREATE UNIQUE INDEX orders_user_status ON public.orders USING btree (user_id DESC, lower(status)) INCLUDE (note) WHERE (amount > 0)',
      },
      { tablename: 'users', indexname: 'users_email', indexdef: 'CREATE INDEX users_email ON public.users USING btree (email)' },
      { tablename: 'users', indexname: 'users_pkey', indexdef: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)' },
    ]);
  });

  it('pg_index and pg_class rows: keys, INCLUDE, expressions, DESC, predicate, access method', async () => {
    const oid = secondaryIndexOid('public', 'orders_user_status');
    const [r] = await q(`SELECT c.relname, c.relkind, c.relnatts, am.amname, i.indrelid, i.indnatts, i.indnkeyatts, i.indisunique,
        i.indisprimary, i.indkey, i.indoption, i.indexprs IS NOT NULL AS has_exprs, pg_get_expr(i.indpred, i.indrelid) AS pred,
        pg_get_indexdef(i.indexrelid, 1, true) AS k1, pg_get_indexdef(i.indexrelid, 2, true) AS k2
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam WHERE i.indexrelid = ${oid}`);
    expect(r).toEqual({
      relname: 'orders_user_status', relkind: 'i', relnatts: 3, amname: 'btree', indrelid: ORDERS, indnatts: 3,
      indnkeyatts: 2, indisunique: true, indisprimary: false, indkey: '2 0 8', indoption: '3 0', has_exprs: true,
      pred: '(amount > 0)', k1: 'user_id', k2: 'lower(status)',
    });
    const attrs = await q(`SELECT attname, format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = ${oid} ORDER BY attnum`);
    expect(attrs).toEqual([{ attname: 'user_id', t: 'integer' }, { attname: 'lower', t: 'text' }, { attname: 'note', t: 'text' }]);
    const [h] = await q(`SELECT relhasindex FROM pg_class WHERE oid = ${CLUBS}`);
    expect(h).toEqual({ relhasindex: true });
  });

  it("psql \\d's index list", async () => {
    const rows = await q(`SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
      pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
    FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
      LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
    WHERE c.oid = '${USERS}' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
    ORDER BY i.indisprimary DESC, c2.relname`);
    expect(rows.map((r) => [r.relname, r.indisprimary, r.pg_get_indexdef, r.pg_get_constraintdef, r.contype])).toEqual([
      ['users_pkey', true, 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)', 'PRIMARY KEY (id)', 'p'],
      ['users_email', false, 'CREATE INDEX users_email ON public.users USING btree (email)', null, null],
    ]);
  });
});

/** SQLAlchemy 1.4 (Debian python3-sqlalchemy) PGDialect.get_indexes for server versions ≥ 8.5. */
function sqlalchemyIndexSql(tableOid: number): string {
  return `
              SELECT
                  i.relname as relname,
                  ix.indisunique, ix.indexprs,
                  a.attname, a.attnum, c.conrelid, ix.indkey::varchar,
                  ix.indoption::varchar, i.reloptions, am.amname,
                  pg_get_expr(ix.indpred, ix.indrelid),
                  ix.indnkeyatts as indnkeyatts
              FROM
                  pg_class t
                        join pg_index ix on t.oid = ix.indrelid
                        join pg_class i on i.oid = ix.indexrelid
                        left outer join
                            pg_attribute a
                            on t.oid = a.attrelid and a.attnum = ANY(ix.indkey)
                        left outer join
                            pg_constraint c
                            on (ix.indrelid = c.conrelid and
                                ix.indexrelid = c.conindid and
                                c.contype in ('p', 'u', 'x'))
                        left outer join
                            pg_am am
                            on i.relam = am.oid
              WHERE
                  t.relkind IN ('r', 'v', 'f', 'm', 'p')
                  and t.oid = ${tableOid}
                  and ix.indisprimary = 'f'
              ORDER BY
                  t.relname,
                  i.relname
            `;
}

describe('SQLAlchemy reflection: ANY(int2vector) in an outer join', () => {
  it('get_indexes: one row per key column, primary key excluded (DuckDB cannot outer-join on an ANY subquery)', async () => {
    expect(await q(sqlalchemyIndexSql(USERS))).toEqual([{
      relname: 'users_email', indisunique: false, indexprs: null, attname: 'email', attnum: 3, conrelid: null, indkey: '3',
      indoption: '0', reloptions: null, amname: 'btree', pg_get_expr: null, indnkeyatts: 1,
    }]);
    const orders = await q(sqlalchemyIndexSql(ORDERS));
    // The expression key (attnum 0) matches no attribute: the LEFT JOIN keeps the index row with NULLs.
    expect(orders.map((r) => [r.relname, r.attname, r.attnum, r.indkey, r.indexprs])).toEqual([
      ['orders_user_status', expect.any(String), expect.any(Number), '2 0 8', 'lower(status)'],
      ['orders_user_status', expect.any(String), expect.any(Number), '2 0 8', 'lower(status)'],
    ]);
    expect(orders.map((r) => r.attname).sort()).toEqual(['note', 'user_id']);
    expect(await q(sqlalchemyIndexSql(tableOid(4)))).toEqual([]);
  });

  it('an index with no matching attribute still yields its row (outer join semantics kept)', async () => {
    const rows = await q(`SELECT i.relname, a.attname FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid
      LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = ANY(ix.indkey) AND a.attname = 'nothing'
      WHERE ix.indrelid = ${USERS} ORDER BY 1`);
    expect(rows).toEqual([{ relname: 'users_email', attname: null }, { relname: 'users_pkey', attname: null }]);
  });

  it('get_unique_constraints and the primary-key column query', async () => {
    const pk = await q(`
                SELECT a.attname
                FROM pg_attribute a JOIN (
                    SELECT unnest(ix.indkey) attnum,
                           generate_subscripts(ix.indkey, 1) ord
                    FROM pg_index ix
                    WHERE ix.indrelid = ${USERS} AND ix.indisprimary
                    ) k ON a.attnum=k.attnum
                WHERE a.attrelid = ${USERS}
                ORDER BY k.ord
            `);
    expect(pk).toEqual([{ attname: 'id' }]);
    const uniques = await q(`
            SELECT
                cons.conname as name,
                cons.conkey as key,
                a.attnum as col_num,
                a.attname as col_name
            FROM
                pg_catalog.pg_constraint cons
                join pg_attribute a
                  on cons.conrelid = a.attrelid AND
                    a.attnum = ANY(cons.conkey)
            WHERE
                cons.conrelid = ${USERS} AND
                cons.contype IN ('u', 'p')
        `);
    expect(uniques).toEqual([{ name: 'users_pkey', key: [1], col_num: 1, col_name: 'id' }]);
  });

  it('= ANY keeps its three-valued meaning outside join conditions', async () => {
    const [r] = await q(`SELECT 1 = ANY('{2,NULL}'::int[]) AS a, 2 = ANY('{2,NULL}'::int[]) AS b
      FROM pg_class WHERE oid = ${USERS}`);
    expect(r).toEqual({ a: null, b: true });
  });
});

describe('Grafana table list', () => {
  it('FROM string_to_array(current_setting(search_path)) yields one row holding the array', async () => {
    const rows = await q(`SELECT
CASE WHEN
      quote_ident(table_schema) IN (
      SELECT
        CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
      FROM
        generate_series(
          array_lower(string_to_array(current_setting('search_path'),','),1),
          array_upper(string_to_array(current_setting('search_path'),','),1)
        ) as i,
        string_to_array(current_setting('search_path'),',') s
      )
  THEN quote_ident(table_name)
  ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
END AS "table"
FROM information_schema.tables
WHERE quote_ident(table_schema) NOT IN ('information_schema', 'pg_catalog')
ORDER BY 1`);
    expect(rows.map((r) => r.table)).toEqual(['clubs', 'orders', 'postgres.test_table', 'users', 'v']);
    const [one] = await q(`SELECT s, cardinality(s) AS n FROM string_to_array('a,b,c', ',') s`);
    expect(one).toEqual({ s: ['a', 'b', 'c'], n: 3 });
  });
});
