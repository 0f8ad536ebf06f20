// Short dashboard queries from C concurrent clients for a fixed duration: QPS and p95.
import { summarize } from '../lib.mjs';

export async function runConcurrency(makeClient, { clients, seconds, queries }) {
  const cs = [];
  for (let i = 0; i < clients; i++) {
    const c = makeClient();
    await c.connect();
    cs.push(c);
  }
  const lat = [];
  const end = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    cs.map(async (c, i) => {
      let k = i;
      while (performance.now() < end) {
        const q = queries[k++ % queries.length];
        const s = performance.now();
        await c.query(q);
        lat.push(performance.now() - s);
        n++;
      }
    }),
  );
  for (const c of cs) await c.end();
  return { qps: n / seconds, ...summarize(lat) };
}

export function dashboardQueries(t) {
  return [
    `SELECT count(*) FROM ${t} WHERE tenant_id = 3`,
    `SELECT kind, count(*) FROM ${t} WHERE tenant_id = 5 GROUP BY kind`,
    `SELECT max(ts) FROM ${t} WHERE customer_id = 42`,
    `SELECT sum(amount) FROM ${t} WHERE tenant_id = 9 AND kind = 'purchase'`,
  ];
}
