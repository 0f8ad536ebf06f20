// Write → visible: a writer on one connection, a reader on another that waits with the token.
import { summarize } from '../lib.mjs';

export async function runWriteToVisible(makeClient, { writes, intervalMs }) {
  const w = makeClient();
  const r = makeClient();
  await w.connect();
  await r.connect();
  await w.query('CREATE TABLE IF NOT EXISTS vis (n INTEGER)');
  await w.query('INSERT INTO vis VALUES (0)');
  await r.query('SET duckmesh.read_your_writes = off');
  const lat = [];
  for (let i = 1; i <= writes; i++) {
    const start = performance.now();
    await w.query(`INSERT INTO vis VALUES (${i})`);
    const token = (await w.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token'];
    await r.query(`SET duckmesh.min_visibility_token = '${token}'`);
    const res = await r.query(`SELECT count(*)::INTEGER AS c FROM vis WHERE n = ${i}`);
    if (res.rows[0].c !== 1) throw new Error(`write ${i} not visible with its token`);
    lat.push(performance.now() - start);
    await new Promise((res2) => setTimeout(res2, intervalMs));
  }
  await w.end();
  await r.end();
  return summarize(lat);
}
