#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --only=ingest,visible,query,stream,concurrency,steady]`:
// DuckMesh side by side with plain Postgres and in-process DuckDB on this machine, one table each.
import os from 'node:os';
import { duckmeshClient, fmt, postgresClientFactory, printTable, startDuckMesh } from './lib.mjs';
import { runConcurrency, dashboardQueries } from './scenarios/concurrency.mjs';
import { loadDuckMesh, loadPostgres } from './scenarios/dataset.mjs';
import { runIngest } from './scenarios/ingest.mjs';
import { runQueries } from './scenarios/query.mjs';
import { runStream } from './scenarios/stream.mjs';
import { runSteady } from './scenarios/steady.mjs';
import { runWriteToVisible } from './scenarios/visibility.mjs';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice(7).split(',')) : null;
const want = (s) => !only || only.has(s);
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) + '×' : '—');

console.log(`# DuckMesh bench${quick ? ' (quick)' : ''}`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, load avg ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

const dm = await startDuckMesh();
const pgFactory = await postgresClientFactory();
if (!pgFactory) console.log('(Postgres anchor not reachable at 127.0.0.1:5432: Postgres columns are empty)');
const rss = {};

if (want('ingest')) {
  const rows = [];
  const configs = quick
    ? [{ writers: 16, batch: 1, statements: 50 }, { writers: 32, batch: 100, statements: 5 }]
    : [
        { writers: 1, batch: 1, statements: 500 },
        { writers: 8, batch: 1, statements: 500 },
        { writers: 16, batch: 1, statements: 500 },
        { writers: 32, batch: 1, statements: 300 },
        { writers: 1, batch: 100, statements: 300 },
        { writers: 8, batch: 100, statements: 150 },
        { writers: 32, batch: 100, statements: 100 },
        { writers: 1, batch: 1000, statements: 50 },
        { writers: 8, batch: 1000, statements: 30 },
        { writers: 32, batch: 1000, statements: 10 },
      ];
  let k = 0;
  for (const cfg of configs) {
    const table = `bench_ingest_${k++}`;
    const d = await runIngest(() => duckmeshClient(dm.port), { ...cfg, table });
    const p = pgFactory ? await runIngest(pgFactory, { ...cfg, table }) : null;
    rows.push([
      `${cfg.writers} × ${cfg.batch}-row INSERT`,
      fmt(d.rowsPerSec, 0),
      p ? fmt(p.rowsPerSec, 0) : '—',
      ratio(d.rowsPerSec, p?.rowsPerSec),
      `${fmt(d.p50, 2)} / ${fmt(d.p95, 2)} / ${fmt(d.p99, 2)}`,
      p ? `${fmt(p.p50, 2)} / ${fmt(p.p95, 2)} / ${fmt(p.p99, 2)}` : '—',
    ]);
  }
  rss.ingest = dm.peakRssMb();
  printTable('ingest (rows/s; ack latency ms p50 / p95 / p99)', ['load', 'DuckMesh rows/s', 'Postgres rows/s', 'ratio', 'DuckMesh ack ms', 'Postgres ack ms'], rows);
}

if (want('visible')) {
  const vis = await runWriteToVisible(() => duckmeshClient(dm.port), { writes: quick ? 30 : 300, intervalMs: 10 });
  rss.visible = dm.peakRssMb();
  printTable('write → visible at low load (ms: writer ack + reader waiting with the token)', ['p50', 'p95', 'p99', 'samples', 'goal p95'], [[fmt(vis.p50, 2), fmt(vis.p95, 2), fmt(vis.p99, 2), vis.n, '≤ 100']]);
}

if (want('query') || want('stream') || want('concurrency')) {
  const events = quick ? 200_000 : 10_000_000;
  // The engine is measured without the result cache (repetitions would be answered from memory).
  const dmc = duckmeshClient(dm.port, { cache: false });
  await dmc.connect();
  let t = performance.now();
  await loadDuckMesh(dmc, events);
  const dmLoad = (performance.now() - t) / 1000;
  let pgc = null;
  let pgLoad = NaN;
  if (pgFactory) {
    pgc = pgFactory();
    await pgc.connect();
    t = performance.now();
    await loadPostgres(pgc, events);
    pgLoad = (performance.now() - t) / 1000;
  }
  console.log(`\ndataset: ${events.toLocaleString('en-US')} events loaded in ${dmLoad.toFixed(1)} s (DuckMesh, INSERT … SELECT) / ${fmt(pgLoad, 1)} s (Postgres)`);

  if (want('query')) {
    const res = await runQueries({ dmClient: dmc, pgClient: pgc, dataDir: dm.dataDir, reps: quick ? 2 : 5 });
    const rows = res.map((r) => [r.name, fmt(r.dm, 1), fmt(r.duck, 1), ratio(r.dm, r.duck), fmt(r.pg, 1), ratio(r.dm, r.pg)]);
    const sum = (k) => res.reduce((a, r) => a + r[k], 0);
    rows.push(['**sum of medians**', fmt(sum('dm'), 1), fmt(sum('duck'), 1), ratio(sum('dm'), sum('duck')), fmt(sum('pg'), 1), ratio(sum('dm'), sum('pg'))]);
    rss.query = dm.peakRssMb();
    printTable(`analytics queries on ${events.toLocaleString('en-US')} events (median ms; goal DuckMesh ≤ 1.15× DuckDB)`, ['query', 'DuckMesh', 'DuckDB in-process', 'DM/DuckDB', 'Postgres', 'DM/Postgres'], rows);
  }

  if (want('stream')) {
    const n = quick ? 100_000 : 1_000_000;
    const d = await runStream(dmc, `SELECT * FROM events WHERE id < ${n}`);
    const p = pgc ? await runStream(pgc, `SELECT * FROM bench_events WHERE id < ${n}`) : null;
    rss.stream = dm.peakRssMb();
    const runs = (r) => (r ? r.runs.map((x) => fmt(x, 0)).join(' / ') : '—');
    printTable(`stream: SELECT * of ${n.toLocaleString('en-US')} rows to node-postgres (rows/s, median of ${d.runs.length} runs)`, ['DuckMesh', 'Postgres', 'ratio (goal ≥ 1.0)', 'DuckMesh runs', 'Postgres runs'], [[fmt(d.rowsPerSec, 0), p ? fmt(p.rowsPerSec, 0) : '—', ratio(d.rowsPerSec, p?.rowsPerSec), runs(d), runs(p)]]);
  }

  if (want('concurrency')) {
    if (pgc) {
      await pgc.query('CREATE INDEX IF NOT EXISTS bench_events_tenant ON bench_events (tenant_id)');
      await pgc.query('CREATE INDEX IF NOT EXISTS bench_events_customer ON bench_events (customer_id)');
    }
    const rows = [];
    for (const clients of quick ? [1, 8] : [1, 8, 32]) {
      const seconds = quick ? 2 : 10;
      const d = await runConcurrency(() => duckmeshClient(dm.port), { clients, seconds, queries: dashboardQueries('events') });
      const u = await runConcurrency(() => duckmeshClient(dm.port, { cache: false }), { clients, seconds, queries: dashboardQueries('events') });
      const p = pgFactory ? await runConcurrency(pgFactory, { clients, seconds, queries: dashboardQueries('bench_events') }) : null;
      rows.push([clients, fmt(d.qps, 0), fmt(u.qps, 0), p ? fmt(p.qps, 0) : '—', ratio(d.qps, p?.qps), ratio(u.qps, p?.qps), `${fmt(d.p95, 1)} / ${fmt(u.p95, 1)}`, p ? fmt(p.p95, 1) : '—']);
    }
    rss.concurrency = dm.peakRssMb();
    printTable('concurrency: short dashboard queries (QPS; p95 ms; DuckMesh with / without the per-snapshot result cache)', ['clients', 'DuckMesh QPS', 'DuckMesh QPS (no cache)', 'Postgres QPS (indexed)', 'ratio', 'ratio (no cache)', 'DuckMesh p95 (cache / none)', 'Postgres p95'], rows);
  }
  await dmc.end();
  if (pgc) {
    await pgc.query('DROP TABLE IF EXISTS bench_events, bench_customers');
    await pgc.end();
  }
}

if (want('steady')) {
  const r = await runSteady({ startDuckMesh, quick });
  const l = r.load;
  console.log(
    `\nsteady: ${l.writers} writers × ${l.statements} INSERTs of ${l.rows} rows (${l.totalRows.toLocaleString('en-US')} rows, ~${l.commitsAbout} commits); ` +
      `ingest ${r.ingestSeconds.off.toFixed(1)} s without compaction, ${r.ingestSeconds.on.toFixed(1)} s with; rows identical: ${r.rowsMatch ? 'yes' : 'NO'}`,
  );
  printTable('steady: data files one query of the table opens', ['many small files (no compaction)', 'max during ingest (compaction on)', 'after compaction', 'one file', 'ceiling'], [
    [r.files.small, r.files.maxDuringIngest, r.files.compacted, r.files.one, r.files.ceiling],
  ]);
  const rows = Object.keys(r.latency.one).map((q) => [
    q === 'total' ? '**sum of medians**' : q,
    fmt(r.latency.small[q], 1),
    fmt(r.latency.compacted[q], 1),
    fmt(r.latency.one[q], 1),
    ratio(r.latency.small[q], r.latency.one[q]),
    ratio(r.latency.compacted[q], r.latency.one[q]),
  ]);
  printTable('steady: query latency (median ms; goal compacted ≤ 1.2× one file)', ['query', 'small files', 'compacted', 'one file', 'small/one', 'compacted/one'], rows);
  printTable('steady: compaction amplification', ['written by compaction', 'ingested (Parquet)', 'amplification (÷ Parquet ingested)', 'ingested (payload)', 'written ÷ payload'], [
    [fmt(r.bytes.written, 0), fmt(r.bytes.ingestedParquet, 0), fmt(r.amplification, 2), fmt(r.bytes.ingestedPayload, 0), fmt(r.bytes.written / r.bytes.ingestedPayload, 2)],
  ]);
}

printTable('memory: DuckMesh peak RSS after each scenario (MB, budget ≤ 512)', Object.keys(rss), [Object.values(rss)]);
await dm.stop();
