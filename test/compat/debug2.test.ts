import { it } from 'vitest';
import { fixtureContents } from './fixture-catalog.js';
import { loadCorpus } from './corpus-files.js';
import { replay } from './corpus-replay.js';
import { createShimDb } from './shim-db.js';

it('timing', async () => {
  const db = await createShimDb(fixtureContents());
  console.log('setup', db.setupMs);
  const times: [number, string][] = [];
  for (const s of loadCorpus().filter((s) => s.pg15?.ok)) {
    const t0 = performance.now();
    await replay(db, s);
    times.push([performance.now() - t0, `${s.file}#${s.index}`]);
  }
  times.sort((a, b) => b[0] - a[0]);
  console.log(times.slice(0, 15).map(([t, n]) => `${t.toFixed(1)} ${n}`).join('\n'));
  console.log('total', times.reduce((a, b) => a + b[0], 0).toFixed(0));
  for (const sql of [`SELECT __dm_pgshim.main.format_type(23, -1)`, `SELECT 1`, `SELECT count(*) FROM snap_1.__dm_pg_catalog.pg_attribute`]) {
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await db.query(sql);
    console.log(sql, ((performance.now() - t0) / 5).toFixed(1), 'ms');
  }
  db.close();
}, 120000);
