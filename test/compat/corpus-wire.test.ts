import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';
import { loadCorpus } from './corpus-files.js';

/**
 * Corpus replay over the wire: the same fixture as ../shared/corpus/fixture.sql, loaded through
 * DuckMesh's own SQL (minus what DuckMesh does not model: FKs, UNIQUE/CHECK, sequences),
 * then every corpus statement that runs on Postgres 15 is sent by node-postgres, each on a fresh
 * connection (as the Postgres results were made), parameters through the extended protocol.
 */
let srv: Awaited<ReturnType<typeof startServer>>;

const FIXTURE = [
  `CREATE TABLE public.users (id integer PRIMARY KEY, name text NOT NULL, email varchar(255), active boolean NOT NULL DEFAULT true,
     created_at timestamptz, balance numeric(10,2), score double precision, birth_date date, tags text[], profile jsonb, external_id uuid)`,
  `CREATE TABLE public.orders (id bigint PRIMARY KEY, user_id integer NOT NULL, amount numeric(12,2) NOT NULL, status char(1) NOT NULL DEFAULT 'n',
     quantity smallint, ordered_on date, shipped_at timestamp, note text, payload bytea)`,
  `INSERT INTO public.users (id, name, email, active, created_at, balance, score, birth_date, tags, profile, external_id) VALUES
     (1, 'Alice', 'alice@example.com', true, now(), 10.50, 1.5, '1990-01-02', ARRAY['a','b'], '{"plan": "pro"}', '58a7c845-af77-44b2-8664-7ca613d92f04'),
     (2, 'Bob', 'bob@example.com', false, now(), 0.00, NULL, NULL, NULL, '{"plan": "free"}', NULL)`,
  `INSERT INTO public.orders (id, user_id, amount, status, quantity, ordered_on, note) VALUES
     (1, 1, 19.99, 'p', 2, current_date, 'first'), (2, 1, 5.00, 'n', 1, current_date, NULL), (3, 2, 42.00, 's', 7, current_date, 'gift')`,
  `CREATE TABLE public.clubs (id integer PRIMARY KEY, name text)`,
  `CREATE TABLE postgres.test_table (id integer PRIMARY KEY, varchar_column varchar(255))`,
  'CREATE INDEX orders_user_id_ordered_on_idx ON public.orders (user_id, ordered_on)',
  'CREATE VIEW public.active_users AS SELECT id, name, email FROM public.users WHERE active',
  `COMMENT ON TABLE public.users IS 'Registered users'`,
  `COMMENT ON COLUMN public.users.email IS 'Primary e-mail address'`,
  `COMMENT ON TABLE public.orders IS 'Orders placed by users'`,
  `COMMENT ON VIEW public.active_users IS 'Users with active = true'`,
];

beforeAll(async () => {
  srv = await startServer();
  const c = await connect(srv.port, 'corpus');
  // Every statement is replayed on a fresh connection, which reads the newest snapshot: wait until
  // each fixture write is visible, or the first statements may race the commit worker.
  await c.query('SET duckmesh.wait_for_visibility = on');
  for (const sql of FIXTURE) await c.query(sql);
  await c.end();
});
afterAll(async () => {
  await srv.stop();
});

describe('client-introspection corpus over pg-wire', () => {
  it('runs ≥ 95 % of the statements that run on Postgres 15, per tool', async () => {
    const statements = loadCorpus().filter((s) => s.pg15?.ok);
    const perTool = new Map<string, { total: number; passed: number }>();
    const failures: string[] = [];
    for (const s of statements) {
      const tool = s.file.replace(/\.sql$/, '');
      const t = perTool.get(tool) ?? { total: 0, passed: 0 };
      t.total++;
      const c = await connect(srv.port, 'corpus');
      c.on('error', () => undefined);
      try {
        const sql = s.sql.trim().replace(/;\s*$/, '');
        if (s.params.length > 0) await c.query(sql, s.params);
        else await c.query(sql);
        t.passed++;
      } catch (err) {
        failures.push(`${s.file} [${s.index}] ${(err as { code?: string }).code ?? ''} ${(err as Error).message.split('\n')[0]}`);
      } finally {
        await c.end().catch(() => undefined);
      }
      perTool.set(tool, t);
    }
    const total = [...perTool.values()].reduce((a, t) => a + t.total, 0);
    const passed = [...perTool.values()].reduce((a, t) => a + t.passed, 0);
    const lines = [...perTool].map(([tool, t]) => `${tool.padEnd(24)} ${String(t.passed).padStart(4)}/${String(t.total).padEnd(4)} ${((100 * t.passed) / t.total).toFixed(1)} %`);
    console.log(['corpus replay over pg-wire (statements that run on Postgres 15):', ...lines, `TOTAL ${passed}/${total} ${((100 * passed) / total).toFixed(1)} %`, 'failures:', ...failures].join('\n'));
    expect(total).toBeGreaterThan(300);
    expect(passed / total).toBeGreaterThanOrEqual(0.95);
  });
});
