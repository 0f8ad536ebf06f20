#!/usr/bin/env node
// `npm run bench [-- --quick]`: DuckMesh side by side with plain Postgres on this machine.
import os from 'node:os';
import { duckmeshClient, fmt, postgresClientFactory, printTable, startDuckMesh } from './lib.mjs';
import { runIngest } from './scenarios/ingest.mjs';
import { runWriteToVisible } from './scenarios/visibility.mjs';

const quick = process.argv.includes('--quick');
console.log(`# DuckMesh bench${quick ? ' (quick)' : ''}`);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`);

const dm = await startDuckMesh();
const pgFactory = await postgresClientFactory();
if (!pgFactory) console.log('(Postgres anchor not reachable at 127.0.0.1:5432: Postgres columns are empty)');

const ingestRows = [];
const configs = quick
  ? [{ writers: 16, batch: 1, statements: 50 }, { writers: 32, batch: 100, statements: 5 }]
  : [
      { writers: 16, batch: 1, statements: 1000 },
      { writers: 1, batch: 100, statements: 300 },
      { writers: 32, batch: 100, statements: 100 },
      { writers: 8, batch: 1000, statements: 30 },
    ];
let k = 0;
for (const cfg of configs) {
  const table = `bench_ingest_${k++}`;
  const d = await runIngest(() => duckmeshClient(dm.port), { ...cfg, table });
  const p = pgFactory ? await runIngest(pgFactory, { ...cfg, table }) : null;
  ingestRows.push([
    `${cfg.writers} × ${cfg.batch}-row INSERT`,
    fmt(d.rowsPerSec, 0),
    p ? fmt(p.rowsPerSec, 0) : '—',
    p ? (d.rowsPerSec / p.rowsPerSec).toFixed(2) + '×' : '—',
    `${fmt(d.p50, 2)} / ${fmt(d.p95, 2)} / ${fmt(d.p99, 2)}`,
    p ? `${fmt(p.p50, 2)} / ${fmt(p.p95, 2)} / ${fmt(p.p99, 2)}` : '—',
  ]);
}
printTable('ingest (rows/s; ack latency ms p50 / p95 / p99)', ['load', 'DuckMesh rows/s', 'Postgres rows/s', 'ratio', 'DuckMesh ack ms', 'Postgres ack ms'], ingestRows);

const vis = await runWriteToVisible(() => duckmeshClient(dm.port), { writes: quick ? 30 : 300, intervalMs: 10 });
printTable('write → visible at low load (ms, writer ack + reader with token)', ['p50', 'p95', 'p99', 'samples', 'goal p95'], [[fmt(vis.p50, 2), fmt(vis.p95, 2), fmt(vis.p99, 2), vis.n, '≤ 100']]);

printTable('memory', ['DuckMesh peak RSS (MB)', 'budget'], [[dm.peakRssMb(), '≤ 512']]);
await dm.stop();
