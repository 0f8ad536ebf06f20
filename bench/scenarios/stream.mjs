// Streaming: SELECT * of N rows to node-postgres, DuckMesh vs Postgres.
export async function runStream(client, sql) {
  const s = performance.now();
  const r = await client.query(sql);
  const seconds = (performance.now() - s) / 1000;
  return { rows: r.rowCount, rowsPerSec: r.rowCount / seconds };
}
