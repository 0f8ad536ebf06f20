import { it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { instanceSetupSql, snapshotShimSql } from '../../src/compat/index.js';
import type { SnapshotContents, TableDef } from '../../src/catalog/types.js';
import { initSqlParser } from '../../src/sql/parser.js';

it('perf', async () => {
  await initSqlParser();
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  let t0 = performance.now();
  const setup = instanceSetupSql();
  const gen0 = performance.now() - t0;
  for (const s of setup) await conn.run(s);
  console.log('instance', setup.length, 'stmts gen', gen0.toFixed(1), 'total', (performance.now() - t0).toFixed(0));
  for (const n of [1, 100, 100, 500]) {
    const tables: TableDef[] = [];
    for (let i = 1; i <= n; i++) tables.push({ tableId: i, tenant: 't', schema: i % 3 === 0 ? 's2' : 'public', name: `t${i}`, columns: Array.from({ length: 10 }, (_, j) => ({ name: `c${j}`, type: j % 2 ? 'VARCHAR' : 'DECIMAL(10,2)', notNull: j === 0, defaultValue: j === 3 ? "'x'" : null })), primaryKey: ['c0'], schemaVersion: 1, createdSeq: 1, droppedSeq: null });
    const contents: SnapshotContents = { snapshot: { snapshotId: n, watermark: 1, committedAt: 0 }, tables, files: new Map() };
    await conn.run(`ATTACH ':memory:' AS snap_x${n}_${Math.random().toString(36).slice(2, 6)}`).catch(() => {});
    const cat = `snap_${n}_${Math.random().toString(36).slice(2, 6)}`;
    await conn.run(`ATTACH ':memory:' AS ${cat}`);
    t0 = performance.now();
    const stmts = snapshotShimSql(contents, cat, { tenant: 't', user: 'u' });
    const gen = performance.now() - t0;
    for (const s of stmts) await conn.run(s);
    const sep = performance.now() - t0;
    const cat2 = cat + 'b';
    await conn.run(`ATTACH ':memory:' AS ${cat2}`);
    const stmts2 = snapshotShimSql(contents, cat2, { tenant: 't', user: 'u' });
    t0 = performance.now();
    await conn.run(stmts2.join(';\n'));
    const joined = performance.now() - t0;
    console.log(`${n} tables: ${stmts.length} stmts, gen ${gen.toFixed(1)} ms, separate ${sep.toFixed(0)} ms, joined ${joined.toFixed(0)} ms`);
  }
}, 120000);
