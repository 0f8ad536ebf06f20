import { it } from 'vitest';
import { fixtureContents } from './fixture-catalog.js';
import { createShimDb } from './shim-db.js';
import { rewriteCatalogQuery } from '../../src/compat/index.js';
import { parseSql } from '../../src/sql/parser.js';

it('adhoc', async () => {
  const db = await createShimDb(fixtureContents());
  for (const sql of (process.env.SQLS ?? '').split('@@')) {
    const out = rewriteCatalogQuery(parseSql(sql)[0]!.ast, db.ctx);
    console.log(out);
    try { console.log(JSON.stringify(await db.query(out), (_k, v) => (typeof v === 'bigint' ? Number(v) : v)).slice(0, 2000)); } catch (e) { console.log('ERR', (e as Error).message); }
  }
  for (const sql of (process.env.RAW ?? '').split('@@').filter(Boolean)) {
    try { console.log(JSON.stringify(await db.query(sql), (_k, v) => (typeof v === 'bigint' ? Number(v) : v)).slice(0, 2000)); } catch (e) { console.log('ERR', (e as Error).message); }
  }
  db.close();
}, 120000);
