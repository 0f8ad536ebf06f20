/** postgres.js (the `postgres` package): tagged-template queries (extended protocol), types, COPY-free bulk insert, cursors. */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { port } from './helpers.js';

let sql: postgres.Sql;

describe('postgres.js', () => {
  beforeAll(async () => {
    // max: 1 keeps every statement in one session (read-your-writes is per session).
    sql = postgres({ host: '127.0.0.1', port: port(), user: 'tester', database: 'conf_postgresjs', max: 1, onnotice: () => undefined });
    await sql`CREATE TABLE pj (id BIGINT PRIMARY KEY, name TEXT, score DOUBLE PRECISION, d DATE, tags INTEGER[])`;
  });
  afterAll(async () => {
    await sql.end();
  });

  it('tagged-template parameters and result types', async () => {
    await sql`INSERT INTO pj VALUES (${1}, ${'ann'}, ${1.25}, ${'2024-02-29'}, ${sql.array([1, 2, 3])})`;
    const rows = await sql`SELECT id, name, score, d, tags FROM pj WHERE name = ${'ann'}`;
    expect(rows.map((r) => ({ ...r, d: (r['d'] as Date).toISOString().slice(0, 10) }))).toEqual([{ id: '1', name: 'ann', score: 1.25, d: '2024-02-29', tags: [1, 2, 3] }]);
    expect(rows.columns.map((c) => c.type)).toEqual([20, 25, 701, 1082, 1007]);
  });

  it('bulk insert helper and transactions', async () => {
    const people = Array.from({ length: 50 }, (_, i) => ({ id: 100 + i, name: `p${i}`, score: i / 2 }));
    await sql`INSERT INTO pj ${sql(people, 'id', 'name', 'score')}`;
    await sql.begin(async (tx) => {
      await tx`INSERT INTO pj (id, name) VALUES (${999}, ${'gone'})`;
      throw new Error('rollback please');
    }).catch(() => undefined);
    const [r] = await sql`SELECT count(*)::INTEGER AS n, sum(score) AS s FROM pj WHERE id >= 100`;
    expect(r).toEqual({ n: 50, s: 612.5 });
  });

  it('cursor() streams in batches (portal suspension)', async () => {
    const seen: number[] = [];
    await sql`SELECT id FROM pj WHERE id >= 100 ORDER BY id`.cursor(7, async (rows) => {
      seen.push(rows.length);
    });
    expect(seen).toEqual([7, 7, 7, 7, 7, 7, 7, 1]);
  });

  it('errors carry the SQLSTATE', async () => {
    await expect(sql`SELECT * FROM nowhere`).rejects.toMatchObject({ code: '42P01' });
  });
});
