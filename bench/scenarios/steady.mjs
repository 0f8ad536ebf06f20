// Steady state under sustained small commits (issue 7, compaction): the same workload twice —
// once with compaction off (the many-small-files state), once with it on (files a query touches
// during ingest, the state compaction settles in, amplification) — and the same rows in one file.
import Database from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';

const COLUMNS = 'id BIGINT, ts TIMESTAMP, customer_id INTEGER, kind TEXT, url TEXT, amount DOUBLE PRECISION';

function rowsSelect(from, to) {
  return `SELECT r AS id, TIMESTAMP '2024-01-01' + to_seconds((r * 37) % 31536000) AS ts, (r % 5000)::INTEGER AS customer_id,
    (ARRAY['view','click','signup','purchase','refund'])[(r % 5) + 1] AS kind, '/page/' || (r % 977)::VARCHAR AS url,
    ((r * 7) % 10000) / 100.0 AS amount FROM range(${from}, ${to}) t(r)`;
}

/** A few analytics queries; `salt` makes every run a distinct statement (no result cache). */
function queries(t, salt) {
  const live = `id > -1 - ${salt}`;
  return [
    ['count + sum', `SELECT count(*), sum(amount) FROM ${t} WHERE ${live}`],
    ['group by kind', `SELECT kind, count(*), avg(amount) FROM ${t} WHERE ${live} GROUP BY kind ORDER BY kind`],
    ['time window', `SELECT count(*), max(amount) FROM ${t} WHERE ${live} AND ts >= TIMESTAMP '2024-03-01' AND ts < TIMESTAMP '2024-03-08'`],
    ['daily buckets', `SELECT date_trunc('day', ts) AS d, count(*) FROM ${t} WHERE ${live} GROUP BY d ORDER BY d LIMIT 400`],
    ['top customers', `SELECT customer_id, sum(amount) AS s FROM ${t} WHERE ${live} GROUP BY customer_id ORDER BY s DESC, customer_id LIMIT 10`],
  ];
}

function client(port) {
  return new pg.Client({ host: '127.0.0.1', port, user: 'bench', database: 'duckmesh' });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Median latency (ms) per query and table over `reps` runs after one warm-up, the tables taking
 * turns query by query (so a load spike on a shared machine hits them alike); plus the sum of medians.
 */
async function latencies(c, tables, reps) {
  const runs = Object.fromEntries(tables.map((t) => [t, {}]));
  let salt = 0;
  for (let rep = -1; rep < reps; rep++) {
    salt++;
    for (let q = 0; q < queries('x', 0).length; q++) {
      for (const t of tables) {
        const [name, sql] = queries(t, salt)[q];
        const start = performance.now();
        await c.query(sql);
        if (rep >= 0) (runs[t][name] ??= []).push(performance.now() - start);
      }
    }
  }
  const out = {};
  for (const t of tables) {
    const med = Object.fromEntries(Object.entries(runs[t]).map(([k, v]) => [k, median(v)]));
    med.total = Object.values(med).reduce((a, b) => a + b, 0);
    out[t] = med;
  }
  return out;
}

async function filesOf(c, table) {
  const r = await c.query(`SELECT files FROM duckmesh.tables WHERE table_name = '${table}'`);
  return Number(r.rows[0]?.files ?? NaN);
}

/** Most files any published snapshot gave `table` (from the embedded catalog's history). */
function maxFilesOverHistory(dataDir, table) {
  const db = new Database(path.join(dataDir, 'catalog', 'catalog.db'), { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT max(n) AS n FROM (
           SELECT s.snapshot_id, count(f.file_id) AS n FROM snapshots s
           JOIN tables t ON t.table_name = ? AND t.dropped_seq IS NULL
           JOIN files f ON f.table_id = t.table_id AND f.added_snapshot <= s.snapshot_id
             AND (f.removed_snapshot IS NULL OR f.removed_snapshot > s.snapshot_id)
           GROUP BY s.snapshot_id)`,
      )
      .get(table);
    return row?.n ?? NaN;
  } finally {
    db.close();
  }
}

async function metrics(httpPort) {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const value = (name) => {
    let sum = 0;
    let found = false;
    for (const line of text.split('\n')) {
      if (line.startsWith(name + ' ') || line.startsWith(name + '{')) {
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    return found ? sum : NaN;
  };
  return {
    amplification: value('duckmesh_compaction_amplification'),
    written: value('duckmesh_compaction_written_bytes_total'),
    ingestedParquet: value('duckmesh_compaction_ingested_bytes_total'),
    ingestedPayload: value('duckmesh_ingest_bytes_total'),
    published: value('duckmesh_compaction_jobs_total{outcome="published"}') || 0,
  };
}

/** `writers` sessions, each `statements` INSERT … SELECT of `rows` rows; every statement its own write. */
async function ingest(port, { writers, statements, rows }) {
  const t = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const c = client(port);
      await c.connect();
      for (let i = 0; i < statements; i++) {
        const from = (w * statements + i) * rows;
        await c.query(`INSERT INTO steady ${rowsSelect(from, from + rows)}`);
      }
      // Read-your-writes: returns once this writer's last commit is visible.
      await c.query('SELECT count(*) FROM steady');
      await c.end();
    }),
  );
  return (performance.now() - t) / 1000;
}

export async function runSteady({ startDuckMesh, quick }) {
  const load = quick ? { writers: 4, statements: 100, rows: 50 } : { writers: 8, statements: 600, rows: 200 };
  const reps = quick ? 7 : 11;
  const worker = { maxEntriesPerCommit: 2 }; // small commits: one file per one or two statements
  const compaction = { intervalMs: 1000 }; // defaults otherwise (target 128 MiB, 8 per tier, ceiling 64)
  const totalRows = load.writers * load.statements * load.rows;

  // 1. Compaction off: every commit stays a file.
  const off = await startDuckMesh({ config: { worker, compaction: { ...compaction, enabled: false } } });
  let c = client(off.port);
  await c.connect();
  await c.query(`CREATE TABLE steady (${COLUMNS})`);
  const offSeconds = await ingest(off.port, load);
  const smallFiles = await filesOf(c, 'steady');
  const small = (await latencies(c, ['steady'], reps)).steady;
  await c.end();
  await off.stop();

  // 2. Compaction on, same workload.
  const on = await startDuckMesh({ config: { worker, compaction }, http: true });
  c = client(on.port);
  await c.connect();
  await c.query(`CREATE TABLE steady (${COLUMNS})`);
  const onSeconds = await ingest(on.port, load);
  // Let compaction settle: no new job for three seconds.
  let last = -1;
  for (let stable = 0; stable < 3; ) {
    await new Promise((r) => setTimeout(r, 1000));
    const m = await metrics(on.httpPort);
    stable = m.published === last ? stable + 1 : 0;
    last = m.published;
  }
  await c.query('SELECT 1');
  const m = await metrics(on.httpPort);
  const compactedFiles = await filesOf(c, 'steady');
  const duringIngestMax = maxFilesOverHistory(on.dataDir, 'steady');

  // 3. The same rows in one file (one logical write → one commit → one file).
  await c.query(`CREATE TABLE steady_one (${COLUMNS})`);
  await c.query('SET duckmesh.wait_for_visibility = on');
  await c.query('INSERT INTO steady_one SELECT * FROM steady');
  await c.query('RESET duckmesh.wait_for_visibility');
  const oneFiles = await filesOf(c, 'steady_one');
  const both = await latencies(c, ['steady', 'steady_one'], reps);
  const compacted = both.steady;
  const one = both.steady_one;
  const check = await c.query('SELECT (SELECT count(*) FROM steady) AS a, (SELECT count(*) FROM steady_one) AS b');
  await c.end();
  await on.stop();

  return {
    load: { ...load, totalRows, commitsAbout: Math.ceil((load.writers * load.statements) / worker.maxEntriesPerCommit) },
    ingestSeconds: { off: offSeconds, on: onSeconds },
    files: { small: smallFiles, compacted: compactedFiles, one: oneFiles, maxDuringIngest: duringIngestMax, ceiling: 64 },
    latency: { small, compacted, one },
    amplification: m.amplification,
    bytes: m,
    rowsMatch: Number(check.rows[0].a) === totalRows && Number(check.rows[0].b) === totalRows,
  };
}
