// The analytics dataset: `events` (N rows) and a small `customers` dimension, loaded through
// DuckMesh's own write path (INSERT … SELECT over range(), in 500k-row statements) and into
// Postgres with generate_series, so both hold identical rows.
export const EVENT_COLUMNS = `id BIGINT, tenant_id INTEGER, customer_id INTEGER, kind TEXT, url TEXT, amount DOUBLE PRECISION, ts TIMESTAMP`;

export function duckmeshEventSelect(from, to) {
  return `SELECT r AS id, (r % 50)::INTEGER AS tenant_id, (r % 5000)::INTEGER AS customer_id,
    (ARRAY['view','click','signup','purchase','refund'])[(r % 5) + 1] AS kind,
    '/page/' || (r % 977)::VARCHAR AS url, ((r * 7) % 10000) / 100.0 AS amount,
    TIMESTAMP '2024-01-01' + to_seconds((r * 37) % 31536000) AS ts
    FROM range(${from}, ${to}) t(r)`;
}

export function postgresEventInsert(table, from, to) {
  return `INSERT INTO ${table} SELECT r, (r % 50), (r % 5000),
    (ARRAY['view','click','signup','purchase','refund'])[(r % 5) + 1],
    '/page/' || (r % 977)::text, ((r * 7) % 10000) / 100.0,
    TIMESTAMP '2024-01-01' + make_interval(secs => (r * 37) % 31536000)
    FROM generate_series(${from}::bigint, ${to - 1}::bigint) r`;
}

// 100k rows per statement: a statement's rows are held as bus payload until it is appended (see docs/performance.md).
export async function loadDuckMesh(client, rows, chunk = 100000) {
  await client.query(`CREATE TABLE events (${EVENT_COLUMNS})`);
  await client.query(`CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT, segment TEXT)`);
  for (let from = 0; from < rows; from += chunk) {
    await client.query(`INSERT INTO events ${duckmeshEventSelect(from, Math.min(rows, from + chunk))}`);
  }
  await client.query(`INSERT INTO customers SELECT r::INTEGER, 'customer ' || r::VARCHAR, (ARRAY['smb','mid','ent'])[(r % 3) + 1] FROM range(5000) t(r)`);
  await client.query('SET duckmesh.wait_for_visibility = on');
  await client.query('INSERT INTO customers VALUES (-1, NULL, NULL)');
  await client.query('RESET duckmesh.wait_for_visibility');
}

export async function loadPostgres(client, rows) {
  await client.query('DROP TABLE IF EXISTS bench_events, bench_customers');
  await client.query(`CREATE TABLE bench_events (${EVENT_COLUMNS})`);
  await client.query(`CREATE TABLE bench_customers (customer_id INTEGER PRIMARY KEY, name TEXT, segment TEXT)`);
  const chunk = 1000000;
  for (let from = 0; from < rows; from += chunk) await client.query(postgresEventInsert('bench_events', from, Math.min(rows, from + chunk)));
  await client.query(`INSERT INTO bench_customers SELECT r, 'customer ' || r, (ARRAY['smb','mid','ent'])[(r % 3) + 1] FROM generate_series(0, 4999) r`);
  await client.query('INSERT INTO bench_customers VALUES (-1, NULL, NULL)');
  await client.query('ANALYZE bench_events');
}

/** ~10 analytics queries; `t` and `c` are the events and customers table names. */
export function analyticsQueries(t, c) {
  return [
    ['count', `SELECT count(*) FROM ${t}`],
    ['count distinct', `SELECT count(DISTINCT customer_id) FROM ${t}`],
    ['group by', `SELECT kind, count(*), sum(amount) FROM ${t} GROUP BY kind ORDER BY kind`],
    ['top-N', `SELECT url, count(*) AS n FROM ${t} GROUP BY url ORDER BY n DESC, url LIMIT 10`],
    ['date_trunc buckets', `SELECT date_trunc('day', ts) AS d, count(*) FROM ${t} GROUP BY d ORDER BY d LIMIT 400`],
    ['tenant + time filter', `SELECT count(*), avg(amount) FROM ${t} WHERE tenant_id = 7 AND ts >= TIMESTAMP '2024-03-01' AND ts < TIMESTAMP '2024-04-01'`],
    ['percentiles', `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount), percentile_cont(0.95) WITHIN GROUP (ORDER BY amount) FROM ${t}`],
    ['LIKE', `SELECT count(*) FROM ${t} WHERE url LIKE '/page/9%'`],
    ['join dimension', `SELECT c.segment, count(*) FROM ${t} e JOIN ${c} c ON c.customer_id = e.customer_id GROUP BY c.segment ORDER BY c.segment`],
    ['window', `SELECT customer_id, amount, rank() OVER (PARTITION BY customer_id ORDER BY amount DESC) AS r FROM ${t} WHERE customer_id < 20 ORDER BY customer_id, r LIMIT 50`],
  ];
}
