import { it } from 'vitest';
import { fixtureContents } from './fixture-catalog.js';
import { loadCorpus } from './corpus-files.js';
import { replay } from './corpus-replay.js';
import { createShimDb } from './shim-db.js';

it('debug', async () => {
  const db = await createShimDb(fixtureContents());
  const want = (process.env.DBG ?? '').split(',');
  for (const s of loadCorpus()) {
    if (!want.includes(`${s.file}#${s.index}`) && !(process.env.DBG === 'mismatch' && s.pg15?.ok)) continue;
    const r = await replay(db, s);
    if (process.env.DBG === 'mismatch' && r.ok && (s.pg15?.rows === undefined || r.rows === s.pg15.rows)) continue;
    console.log(`### ${s.file}#${s.index} ok=${r.ok} rows=${r.rows} pg15=${s.pg15?.rows} ${r.error ?? ''}\n${r.sql}\n`);
  }
  db.close();
}, 120000);
