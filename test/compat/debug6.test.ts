import { it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { instanceSetupSql, snapshotShimSql } from '../../src/compat/index.js';
import type { SnapshotContents, TableDef } from '../../src/catalog/types.js';
import { initSqlParser } from '../../src/sql/parser.js';
import { buildSnapshotModel } from '../../src/compat/snapshot-model.js';

it('perf2', async () => {
  await initSqlParser();
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  for (const s of instanceSetupSql()) await conn.run(s);
  const n = 100;
  const tables: TableDef[] = [];
  for (let i = 1; i <= n; i++) tables.push({ tableId: i, tenant: 't', schema: i % 3 === 0 ? 's2' : 'public', name: `t${i}`, columns: Array.from({ length: 10 }, (_, j) => ({ name: `c${j}`, type: j % 2 ? 'VARCHAR' : 'DECIMAL(10,2)', notNull: j === 0, defaultValue: j === 3 ? "'x'" : null })), primaryKey: ['c0'], schemaVersion: 1, createdSeq: 1, droppedSeq: null });
  const contents: SnapshotContents = { snapshot: { snapshotId: n, watermark: 1, committedAt: 0 }, tables, files: new Map() };
  for (let k = 0; k < 3; k++) { const t0 = performance.now(); buildSnapshotModel(contents, { tenant: 't', user: 'u' }); console.log('model', (performance.now() - t0).toFixed(1)); }
  for (let k = 0; k < 3; k++) { const t0 = performance.now(); snapshotShimSql(contents, 'x', { tenant: 't', user: 'u' }); console.log('sql', (performance.now() - t0).toFixed(1)); }
  await conn.run(`ATTACH ':memory:' AS snapq`);
  const stmts = snapshotShimSql(contents, 'snapq', { tenant: 't', user: 'u' });
  const times: [number, string][] = [];
  for (const s of stmts) { const t0 = performance.now(); await conn.run(s); times.push([performance.now() - t0, s.slice(0, 90)]); }
  times.sort((a, b) => b[0] - a[0]);
  console.log(times.slice(0, 12).map(([t, s]) => `${t.toFixed(1)} ${s}`).join('\n'));
  console.log('sum', times.reduce((a, b) => a + b[0], 0).toFixed(0));
}, 120000);
