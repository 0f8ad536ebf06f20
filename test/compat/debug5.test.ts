import { it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { instanceSetupSql, snapshotShimSql } from '../../src/compat/index.js';
import type { SnapshotContents, TableDef } from '../../src/catalog/types.js';
import { initSqlParser } from '../../src/sql/parser.js';

it('perf', async () => {
  await initSqlParser();
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  for (const s of instanceSetupSql()) await conn.run(s);
  let k = 0;
  for (const n of [1, 100, 500]) {
    const tables: TableDef[] = [];
    for (let i = 1; i <= n; i++) tables.push({ tableId: i, tenant: 't', schema: i % 3 === 0 ? 's2' : 'public', name: `t${i}`, columns: Array.from({ length: 10 }, (_, j) => ({ name: `c${j}`, type: j % 2 ? 'VARCHAR' : 'DECIMAL(10,2)', notNull: j === 0, defaultValue: j === 3 ? "'x'" : null })), primaryKey: ['c0'], schemaVersion: 1, createdSeq: 1, droppedSeq: null });
    const contents: SnapshotContents = { snapshot: { snapshotId: n, watermark: 1, committedAt: 0 }, tables, files: new Map() };
    const gen: number[] = [], sep: number[] = [], joined: number[] = [];
    for (let r = 0; r < 5; r++) {
      const cat = `snap_${k++}`;
      await conn.run(`ATTACH ':memory:' AS ${cat}`);
      let t0 = performance.now();
      const stmts = snapshotShimSql(contents, cat, { tenant: 't', user: 'u' });
      gen.push(performance.now() - t0);
      for (const s of stmts) await conn.run(s);
      sep.push(performance.now() - t0);
      const cat2 = `snap_${k++}`;
      await conn.run(`ATTACH ':memory:' AS ${cat2}`);
      t0 = performance.now();
      await conn.run(snapshotShimSql(contents, cat2, { tenant: 't', user: 'u' }).join(';\n'));
      joined.push(performance.now() - t0);
      await conn.run(`DETACH ${cat}`); await conn.run(`DETACH ${cat2}`);
    }
    const min = (a: number[]) => Math.min(...a).toFixed(0);
    console.log(`${n} tables: gen ${min(gen)} ms, separate ${min(sep)} ms, joined ${min(joined)} ms`);
  }
}, 300000);
