// Streaming: SELECT * of N rows to node-postgres, DuckMesh vs Postgres. node-postgres parses
// every row into a JS object, so the client costs more CPU than either server; on a shared
// 2-core box single runs vary by ±20 %, hence the median of `reps` runs (all are returned).
export async function runStream(client, sql, { reps = 3 } = {}) {
  const runs = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    const r = await client.query(sql);
    const seconds = (performance.now() - s) / 1000;
    runs.push({ rows: r.rowCount, rowsPerSec: r.rowCount / seconds });
  }
  const sorted = [...runs].sort((a, b) => a.rowsPerSec - b.rowsPerSec);
  const median = sorted[sorted.length >> 1];
  return { rows: median.rows, rowsPerSec: median.rowsPerSec, runs: runs.map((r) => Math.round(r.rowsPerSec)) };
}
