// Ingest: N concurrent pg-wire writers sending INSERTs of B rows; DuckMesh vs plain Postgres.
import { summarize } from '../lib.mjs';

function valuesSql(w, i, batch) {
  const rows = [];
  for (let r = 0; r < batch; r++) rows.push(`(${w}, ${i * batch + r}, 'event-${w}-${r}', ${(r * 1.5).toFixed(1)})`);
  return rows.join(', ');
}

/** Runs one ingest configuration against a client factory; returns rows/s and ack latencies. */
export async function runIngest(makeClient, { writers, batch, statements, table }) {
  const setup = makeClient();
  await setup.connect();
  await setup.query(`DROP TABLE IF EXISTS ${table}`);
  await setup.query(`CREATE TABLE ${table} (writer INTEGER, n BIGINT, payload TEXT, amount DOUBLE PRECISION)`);
  const clients = [];
  for (let w = 0; w < writers; w++) {
    const c = makeClient();
    await c.connect();
    clients.push(c);
  }
  const lat = [];
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, w) => {
      for (let i = 0; i < statements; i++) {
        const s = performance.now();
        await c.query(`INSERT INTO ${table} VALUES ${valuesSql(w, i, batch)}`);
        lat.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const c of clients) await c.end();
  await setup.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await setup.end();
  return { rowsPerSec: (writers * statements * batch) / seconds, ...summarize(lat) };
}
