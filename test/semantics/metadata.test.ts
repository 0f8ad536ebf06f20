/**
 * Views, comments and CREATE INDEX (kept in the catalog, positioned on the bus, resolved per
 * snapshot), the `duckmesh` schema, and time-travel errors.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';
import { at, errorOf, lastSeq, waitVisible } from './helpers.js';

type Server = Awaited<ReturnType<typeof startServer>>;

describe('views, comments, indexes, the duckmesh schema and time travel', () => {
  let srv: Server;
  let c: pg.Client;

  beforeAll(async () => {
    srv = await startServer();
    c = await connect(srv.port);
    await c.query('CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT, amount NUMERIC(10,2))');
    await c.query(`INSERT INTO sales VALUES (1, 'eu', 10.50), (2, 'us', 20), (3, 'eu', 5)`);
  });

  afterAll(async () => {
    await c?.end().catch(() => undefined);
    await srv?.stop();
  });

  const snapshotNow = async () => Number((await c.query('SELECT snapshot_id FROM duckmesh.snapshot')).rows[0].snapshot_id);

  it('views are stored in the catalog and resolved against the query\'s snapshot', async () => {
    await waitVisible(c, await lastSeq(c));
    const before = await snapshotNow();
    await c.query(`CREATE VIEW eu_sales AS SELECT id, amount FROM sales WHERE region = 'eu'`);
    await c.query(`CREATE VIEW totals (region, total) AS SELECT region, sum(amount) FROM sales GROUP BY region`);
    await c.query('CREATE VIEW big_eu AS SELECT * FROM eu_sales WHERE amount > 6');
    expect((await c.query('SELECT * FROM eu_sales ORDER BY id')).rows).toEqual([
      { id: 1, amount: '10.50' },
      { id: 3, amount: '5.00' },
    ]);
    expect((await c.query('SELECT * FROM totals ORDER BY region')).rows).toEqual([
      { region: 'eu', total: '15.50' },
      { region: 'us', total: '20.00' },
    ]);
    expect((await c.query('SELECT id FROM big_eu')).rows).toEqual([{ id: 1 }]);
    // A view reads the same snapshot as the rest of the query: a new row shows up in both.
    await c.query(`INSERT INTO sales VALUES (4, 'eu', 100)`);
    const after = await snapshotNow();
    expect((await c.query('SELECT (SELECT count(*) FROM eu_sales) AS v, (SELECT count(*) FROM sales WHERE region = \'eu\') AS t')).rows).toEqual([{ v: '3', t: '3' }]);
    // Time travel: before CREATE VIEW, there was no view.
    await c.query(`SET duckmesh.snapshot_id = ${before}`);
    expect((await errorOf(c, 'SELECT * FROM eu_sales'))?.code).toBe('42P01');
    await c.query(`SET duckmesh.snapshot_id = ${after}`);
    expect((await c.query('SELECT count(*)::int AS n FROM eu_sales')).rows).toEqual([{ n: 3 }]);
    await c.query('RESET duckmesh.snapshot_id');

    // OR REPLACE may add columns at the end; other changes are refused, as in Postgres.
    await c.query(`CREATE OR REPLACE VIEW eu_sales AS SELECT id, amount, region FROM sales WHERE region = 'eu'`);
    expect((await errorOf(c, `CREATE OR REPLACE VIEW eu_sales AS SELECT amount FROM sales`))?.code).toBe('42P16');
    expect((await errorOf(c, `CREATE VIEW eu_sales AS SELECT 1`))?.code).toBe('42P07');
    expect((await errorOf(c, `CREATE VIEW sales AS SELECT 1`))?.code).toBe('42P07');
    expect((await errorOf(c, `CREATE TABLE totals (x INTEGER)`))?.code).toBe('42P07');
    expect((await errorOf(c, `CREATE VIEW bad AS SELECT * FROM nowhere`))?.code).toBe('42P01');
    expect((await errorOf(c, `CREATE VIEW leak AS SELECT * FROM read_csv('/etc/passwd')`))?.code).toBe('42501');

    // Dependencies: dropping what a view reads needs CASCADE; so does changing it.
    expect((await errorOf(c, 'DROP TABLE sales'))?.code).toBe('2BP01');
    expect((await errorOf(c, 'ALTER TABLE sales RENAME COLUMN amount TO amt'))?.code).toBe('2BP01');
    await c.query('ALTER TABLE sales ADD COLUMN note TEXT');
    expect((await errorOf(c, 'DROP VIEW eu_sales'))?.code).toBe('2BP01');
    expect((await errorOf(c, 'DROP VIEW sales'))?.code).toBe('42809');
    await c.query('DROP VIEW eu_sales CASCADE');
    expect((await errorOf(c, 'SELECT * FROM big_eu'))?.code).toBe('42P01');
    await c.query('DROP VIEW IF EXISTS eu_sales, nothing_here');
    expect((await c.query('SELECT view_name FROM duckmesh.views ORDER BY 1')).rows).toEqual([{ view_name: 'totals' }]);
  });

  it('COMMENT ON TABLE / COLUMN / VIEW is kept (and follows renames) and CREATE INDEX is recorded', async () => {
    await c.query(`COMMENT ON TABLE sales IS 'one row per sale'`);
    await c.query(`COMMENT ON COLUMN sales.amount IS 'in EUR'`);
    await c.query(`COMMENT ON VIEW totals IS 'per region'`);
    await c.query(`COMMENT ON COLUMN sales.region IS 'temporary'`);
    await c.query(`COMMENT ON COLUMN sales.region IS NULL`);
    expect((await errorOf(c, `COMMENT ON TABLE nope IS 'x'`))?.code).toBe('42P01');
    expect((await errorOf(c, `COMMENT ON COLUMN sales.nope IS 'x'`))?.code).toBe('42703');
    expect((await errorOf(c, `COMMENT ON FUNCTION f() IS 'x'`))?.code).toBe('0A000');

    await c.query('CREATE INDEX sales_region ON sales (region)');
    await c.query('CREATE UNIQUE INDEX IF NOT EXISTS sales_region ON sales (region)');
    await c.query('CREATE INDEX ON sales USING btree (region, lower(region)) WHERE amount > 0');
    expect((await errorOf(c, 'CREATE INDEX sales_region ON sales (amount)'))?.code).toBe('42P07');
    expect((await errorOf(c, 'CREATE INDEX ix ON sales (nope)'))?.code).toBe('42703');
    expect((await errorOf(c, 'CREATE INDEX ix ON nope (x)'))?.code).toBe('42P01');

    const comments = async () => (await c.query('SELECT object_type, object_name, column_name, comment FROM duckmesh.comments ORDER BY 1, 2, 3')).rows;
    const expected = [
      { object_type: 'column', object_name: 'sales', column_name: 'amount', comment: 'in EUR' },
      { object_type: 'table', object_name: 'sales', column_name: null, comment: 'one row per sale' },
      { object_type: 'view', object_name: 'totals', column_name: null, comment: 'per region' },
    ];
    expect(await comments()).toEqual(expected);
    expect((await c.query('SELECT index_name, table_name, keys, is_unique FROM duckmesh.indexes ORDER BY 1')).rows).toEqual([
      { index_name: 'sales_region', table_name: 'sales', keys: 'region', is_unique: false },
      { index_name: 'sales_region_lowerregion_idx', table_name: 'sales', keys: 'region, (lower(region))', is_unique: false },
    ]);
    // The comment and the index follow the column's table through a rename (views dropped first).
    await c.query('DROP VIEW totals');
    await c.query('ALTER TABLE sales RENAME TO orders');
    expect((await comments()).map((r) => [r.object_type, r.object_name])).toEqual([
      ['column', 'orders'],
      ['table', 'orders'],
    ]);
    // A table dropped and created again does not inherit comments.
    await c.query('CREATE TABLE gone (x INTEGER)');
    await c.query(`COMMENT ON TABLE gone IS 'old'`);
    await c.query('DROP TABLE gone');
    await c.query('CREATE TABLE gone (x INTEGER)');
    expect((await c.query(`SELECT count(*)::int AS n FROM duckmesh.comments WHERE object_name = 'gone'`)).rows[0].n).toBe(0);
  });

  it('the duckmesh schema shows snapshots, watermarks, bus lag and schema history', async () => {
    await c.query('INSERT INTO orders (id, region, amount) VALUES (9, \'ap\', 1)');
    const seq = await lastSeq(c);
    await waitVisible(c, seq);
    const snap = (await c.query('SELECT * FROM duckmesh.snapshot')).rows[0];
    expect(Number(snap.watermark)).toBeGreaterThanOrEqual(seq);
    expect(snap.watermark_token).toMatch(/^dm1\.[0-9a-f]{16}$/);
    expect(Number(snap.bus_lag)).toBeGreaterThanOrEqual(0);
    const list = (await c.query('SELECT snapshot_id, watermark, expired FROM duckmesh.snapshots ORDER BY snapshot_id DESC LIMIT 3')).rows;
    expect(Number(list[0].snapshot_id)).toBe(Number(snap.snapshot_id));
    expect(list.every((r) => r.expired === false)).toBe(true);
    const t = (await c.query(`SELECT * FROM duckmesh.tables WHERE table_name = 'orders'`)).rows[0];
    expect(Number(t.watermark)).toBe(seq);
    expect(t).toMatchObject({ table_schema: 'public', primary_key: 'id', compatibility: 'backward' });
    expect(Number(t.files)).toBeGreaterThan(0);
    // History is per table id: the table was called sales before.
    const h = (await c.query(`SELECT table_name, change FROM duckmesh.schema_history WHERE table_id = ${t.table_id} ORDER BY version`)).rows;
    expect(h).toEqual([
      { table_name: 'sales', change: 'create table' },
      { table_name: 'sales', change: 'add column note VARCHAR' },
      { table_name: 'orders', change: 'rename to orders' },
    ]);
    // Time travel by timestamp reads the same schema view of that time.
    const old = (await c.query('SELECT snapshot_id, committed_at FROM duckmesh.snapshots ORDER BY snapshot_id LIMIT 1 OFFSET 3')).rows[0];
    expect((await at(c, Number(old.snapshot_id), 'SELECT snapshot_id FROM duckmesh.snapshot'))[0]).toEqual({ snapshot_id: old.snapshot_id });
  });

  it('time travel to an unknown, future or expired snapshot fails with DM003', async () => {
    await c.query('SET duckmesh.snapshot_id = 999999');
    expect(await errorOf(c, 'SELECT 1 FROM orders')).toMatchObject({ code: 'DM003', message: expect.stringMatching(/snapshot 999999 is not available/) });
    await c.query('RESET duckmesh.snapshot_id');
    await c.query(`SET duckmesh.as_of = '2999-01-01T00:00:00Z'`);
    expect(await errorOf(c, 'SELECT 1 FROM orders')).toMatchObject({ code: 'DM003', message: expect.stringMatching(/in the future/) });
    await c.query(`SET duckmesh.as_of = '2000-01-01T00:00:00Z'`);
    expect((await errorOf(c, 'SELECT 1 FROM orders'))?.code).toBe('DM003');
    await c.query('RESET duckmesh.as_of');
    // Retention (ops/retention.ts) marks old snapshots expired: a clear error, naming the oldest left.
    const oldest = Number((await c.query('SELECT min(snapshot_id) AS id FROM duckmesh.snapshots')).rows[0].id);
    await srv.server.node.catalog.expireSnapshots(oldest + 2);
    await c.query(`SET duckmesh.snapshot_id = ${oldest}`);
    expect(await errorOf(c, 'SELECT 1')).toMatchObject({ code: 'DM003', message: expect.stringMatching(new RegExp(`snapshot ${oldest} has expired.*oldest available snapshot is ${oldest + 2}`)) });
    await c.query('RESET duckmesh.snapshot_id');
  });

  it('metadata DDL goes through the bus like other writes (it reports a visibility token)', async () => {
    const before = await lastSeq(c);
    await c.query(`COMMENT ON TABLE orders IS 'again'`);
    expect(await lastSeq(c)).toBeGreaterThan(before);
  });
});
