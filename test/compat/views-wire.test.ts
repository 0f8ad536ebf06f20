/**
 * User views in the Postgres catalog over pg-wire, end to end: CREATE [OR REPLACE] VIEW, COMMENT
 * ON VIEW and DROP VIEW go through the bus and the catalog, and each snapshot's pg_catalog /
 * information_schema shows the views of that snapshot (time travel included). Expected values
 * are what Postgres 15 answers for the same statements, except where DuckMesh differs on purpose
 * (read-only views; definitions printed as written, without Postgres' column qualification).
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { viewOid } from '../../src/compat/object-ids.js';
import { connect, startServer } from '../helpers/server.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let c: pg.Client;

const EU_OID = viewOid('public', 'eu_sales');

beforeAll(async () => {
  srv = await startServer();
  c = await connect(srv.port, 'views');
  await c.query('SET duckmesh.wait_for_visibility = on');
  await c.query('CREATE TABLE sales (id BIGINT PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC(10,2), sold DATE)');
  await c.query(`INSERT INTO sales VALUES (1, 'eu', 10.50, '2024-01-01'), (2, 'us', 20, '2024-01-02'), (3, 'eu', 4.5, NULL)`);
  await c.query(`CREATE VIEW eu_sales AS SELECT id, amount, sold FROM sales WHERE region = 'eu'`);
  await c.query('CREATE VIEW region_totals (region, total) AS SELECT region, sum(amount) FROM sales GROUP BY region');
  await c.query(`COMMENT ON VIEW eu_sales IS 'sales in the EU'`);
});
afterAll(async () => {
  await c?.end();
  await srv?.stop();
});

describe('views over pg-wire', () => {
  it('are queryable and listed in pg_class with the stable view OID', async () => {
    const rows = await c.query('SELECT count(*)::int AS n, sum(amount)::text AS s FROM eu_sales');
    expect(rows.rows).toEqual([{ n: 2, s: '15.00' }]);
    const cls = await c.query(`SELECT oid::bigint AS oid, relname, relkind, relnatts, reltype::bigint AS reltype FROM pg_catalog.pg_class
      WHERE relkind = 'v' AND relnamespace = 'public'::regnamespace ORDER BY relname`);
    expect(cls.rows).toEqual([
      { oid: String(EU_OID), relname: 'eu_sales', relkind: 'v', relnatts: 3, reltype: String(EU_OID + 1) },
      { oid: String(viewOid('public', 'region_totals')), relname: 'region_totals', relkind: 'v', relnatts: 2, reltype: String(viewOid('public', 'region_totals') + 1) },
    ]);
  });

  it('pg_views, information_schema.views and pg_get_viewdef print the definition (extended protocol, bound parameters)', async () => {
    const def = ` SELECT id,\n    amount,\n    sold\n   FROM sales\n  WHERE region = 'eu';`;
    const v = await c.query('SELECT viewname, viewowner, definition FROM pg_catalog.pg_views WHERE schemaname = $1 ORDER BY viewname', ['public']);
    expect(v.rows).toEqual([
      { viewname: 'eu_sales', viewowner: 'tester', definition: def },
      { viewname: 'region_totals', viewowner: 'tester', definition: ' SELECT region,\n    sum(amount) AS total\n   FROM sales\n  GROUP BY region;' },
    ]);
    const is = await c.query('SELECT table_name, view_definition, check_option, is_updatable FROM information_schema.views WHERE table_name = $1', ['eu_sales']);
    expect(is.rows).toEqual([{ table_name: 'eu_sales', view_definition: def, check_option: 'NONE', is_updatable: 'NO' }]);
    const g = await c.query(`SELECT pg_catalog.pg_get_viewdef($1::regclass, true) AS a, pg_get_viewdef('eu_sales'::regclass::oid) AS b`, ['eu_sales']);
    expect(g.rows).toEqual([{ a: def, b: def }]);
  });

  it('information_schema.tables / columns and COMMENT ON VIEW', async () => {
    const t = await c.query(`SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_type, table_name`);
    expect(t.rows).toEqual([
      { table_name: 'sales', table_type: 'BASE TABLE' },
      { table_name: 'eu_sales', table_type: 'VIEW' },
      { table_name: 'region_totals', table_type: 'VIEW' },
    ]);
    const cols = await c.query(`SELECT column_name, data_type, numeric_precision, numeric_scale, is_nullable FROM information_schema.columns
      WHERE table_name = 'eu_sales' ORDER BY ordinal_position`);
    expect(cols.rows).toEqual([
      { column_name: 'id', data_type: 'bigint', numeric_precision: 64, numeric_scale: 0, is_nullable: 'YES' },
      { column_name: 'amount', data_type: 'numeric', numeric_precision: 10, numeric_scale: 2, is_nullable: 'YES' },
      { column_name: 'sold', data_type: 'date', numeric_precision: null, numeric_scale: null, is_nullable: 'YES' },
    ]);
    const d = await c.query(`SELECT obj_description('eu_sales'::regclass, 'pg_class') AS d, pg_table_is_visible('eu_sales'::regclass) AS vis,
      'eu_sales'::regclass::text AS name`);
    expect(d.rows).toEqual([{ d: 'sales in the EU', vis: true, name: 'eu_sales' }]);
  });

  it('COMMENT ON COLUMN of a view is stored and shown (col_description); unknown columns are 42703', async () => {
    await c.query(`COMMENT ON COLUMN eu_sales.amount IS 'gross, EUR'`);
    const d = await c.query(`SELECT col_description('eu_sales'::regclass, 2) AS amount, col_description('eu_sales'::regclass, 1) AS id`);
    expect(d.rows).toEqual([{ amount: 'gross, EUR', id: null }]);
    const err = await c.query(`COMMENT ON COLUMN eu_sales.nope IS 'x'`).catch((e: { code: string }) => e);
    expect((err as { code: string }).code).toBe('42703');
    await c.query(`COMMENT ON COLUMN eu_sales.amount IS NULL`);
    expect((await c.query(`SELECT col_description('eu_sales'::regclass, 2) AS amount`)).rows).toEqual([{ amount: null }]);
  });

  it('CREATE OR REPLACE keeps the OID and the comment; DROP VIEW removes it; an older snapshot still shows what it had', async () => {
    await c.query('SELECT 1 FROM eu_sales LIMIT 0');
    const before = Number((await c.query('SHOW duckmesh.last_snapshot_id')).rows[0]!['duckmesh.last_snapshot_id']);
    await c.query(`CREATE OR REPLACE VIEW eu_sales AS SELECT id, amount, sold, region FROM sales WHERE region = 'eu'`);
    await c.query('DROP VIEW region_totals');
    const now = await c.query(`SELECT c.oid::bigint AS oid, c.relnatts, pg_get_viewdef(c.oid) AS def, obj_description(c.oid, 'pg_class') AS d
      FROM pg_class c WHERE c.relkind = 'v' AND c.relnamespace = 'public'::regnamespace`);
    expect(now.rows).toEqual([{
      oid: String(EU_OID), relnatts: 4, def: ` SELECT id,\n    amount,\n    sold,\n    region\n   FROM sales\n  WHERE region = 'eu';`, d: 'sales in the EU',
    }]);
    expect((await c.query(`SELECT to_regclass('region_totals') AS r`)).rows).toEqual([{ r: null }]);

    await c.query(`SET duckmesh.snapshot_id = ${before}`);
    try {
      const old = await c.query(`SELECT viewname FROM pg_views WHERE schemaname = 'public' ORDER BY 1`);
      expect(old.rows).toEqual([{ viewname: 'eu_sales' }, { viewname: 'region_totals' }]);
      const attrs = await c.query(`SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = ${EU_OID}`);
      expect(attrs.rows).toEqual([{ n: 3 }]);
    } finally {
      await c.query('RESET duckmesh.snapshot_id');
    }
  });
});
