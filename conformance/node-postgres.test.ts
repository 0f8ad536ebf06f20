/** node-postgres (pg): simple and extended protocol, typed parameters, type parsing, errors. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { port } from './helpers.js';

let c: pg.Client;

describe('node-postgres', () => {
  beforeAll(async () => {
    c = new pg.Client({ host: '127.0.0.1', port: port(), user: 'tester', database: 'conf_nodepg' });
    await c.connect();
    await c.query('CREATE TABLE np (id BIGINT PRIMARY KEY, name TEXT, price NUMERIC(10,2), at_ts TIMESTAMPTZ, d DATE, tags TEXT[], j JSON, ok BOOLEAN, b BYTEA)');
  });
  afterAll(async () => {
    await c.end();
  });

  it('parameterized INSERT and SELECT with type parsing', async () => {
    await c.query('INSERT INTO np VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [1, 'widget', '9.90', new Date('2024-05-06T07:08:09Z'), '2024-02-29', ['a', 'b c'], JSON.stringify({ k: [1, 2] }), true, Buffer.from([0, 255])]);
    const r = await c.query('SELECT id, name, price, at_ts, d, tags, j, ok, b FROM np WHERE id = $1', [1]);
    expect(r.rows[0]).toEqual({ id: '1', name: 'widget', price: '9.90', at_ts: new Date('2024-05-06T07:08:09Z'), d: expect.any(Date), tags: ['a', 'b c'], j: { k: [1, 2] }, ok: true, b: Buffer.from([0, 255]) });
    expect(r.fields.map((f) => f.dataTypeID)).toEqual([20, 25, 1700, 1184, 1082, 1009, 114, 16, 17]);
  });

  it('named prepared statement reused, multi-statement simple query', async () => {
    for (const id of [2, 3, 4]) await c.query({ name: 'ins', text: 'INSERT INTO np (id, name) VALUES ($1, $2)', values: [id, `n${id}`] });
    const r = await c.query({ name: 'cnt', text: 'SELECT count(*)::INTEGER AS n FROM np WHERE id >= $1', values: [2] });
    expect(r.rows).toEqual([{ n: 3 }]);
    const multi = (await c.query('SELECT 1 AS a; SELECT 2 AS b')) as unknown as pg.QueryResult[];
    expect(multi.map((m) => m.rows[0])).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('transactions and errors with SQLSTATE', async () => {
    await c.query('BEGIN');
    await c.query('INSERT INTO np (id) VALUES (99)');
    await c.query('ROLLBACK');
    expect((await c.query('SELECT count(*)::INTEGER AS n FROM np WHERE id = 99')).rows).toEqual([{ n: 0 }]);
    await expect(c.query('SELECT $1::INTEGER', ['x'])).rejects.toMatchObject({ code: '22P02' });
    await expect(c.query('SELECT * FROM nowhere')).rejects.toMatchObject({ code: '42P01' });
  });
});
