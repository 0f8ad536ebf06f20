// Analytics queries: DuckMesh via pg-wire vs DuckDB in-process on the same Parquet files vs Postgres.
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import path from 'node:path';
import { analyticsQueries } from './dataset.mjs';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeIt(fn, reps) {
  await fn(); // warm-up
  const t = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  return median(t);
}

/** Files of the newest snapshot, read from the embedded catalog (same files DuckMesh reads). */
export function snapshotFiles(dataDir, tableName) {
  const db = new Database(path.join(dataDir, 'catalog', 'catalog.db'), { readonly: true });
  try {
    const rows = db
      .prepare(
        `SELECT f.path FROM files f JOIN tables t ON t.table_id = f.table_id
         WHERE t.table_name = ? AND t.dropped_seq IS NULL AND f.removed_snapshot IS NULL ORDER BY f.file_id`,
      )
      .all(tableName);
    return rows.map((r) => path.join(dataDir, r.path));
  } finally {
    db.close();
  }
}

export async function runQueries({ dmClient, pgClient, dataDir, reps }) {
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  const duck = await inst.connect();
  const list = (files) => '[' + files.map((f) => `'${f}'`).join(', ') + ']';
  await duck.run(`CREATE VIEW events AS SELECT * EXCLUDE (_dm_seq, _dm_ord) FROM read_parquet(${list(snapshotFiles(dataDir, 'events'))})`);
  await duck.run(`CREATE VIEW customers AS SELECT * EXCLUDE (_dm_seq, _dm_ord) FROM read_parquet(${list(snapshotFiles(dataDir, 'customers'))})`);
  const out = [];
  const dmQs = analyticsQueries('events', 'customers');
  const pgQs = analyticsQueries('bench_events', 'bench_customers');
  for (let i = 0; i < dmQs.length; i++) {
    const [name, sql] = dmQs[i];
    const dm = await timeIt(() => dmClient.query(sql), reps);
    const dd = await timeIt(() => duck.runAndReadAll(sql), reps);
    const pg = pgClient ? await timeIt(() => pgClient.query(pgQs[i][1]), Math.max(1, Math.min(reps, 3))) : NaN;
    out.push({ name, dm, duck: dd, pg });
  }
  duck.closeSync();
  inst.closeSync();
  return out;
}
