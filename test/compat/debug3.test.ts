import { it } from 'vitest';
import { fixtureContents } from './fixture-catalog.js';
import { loadCorpus } from './corpus-files.js';
import { createShimDb } from './shim-db.js';
import { needsCompatRewrite, rewriteCatalogQuery } from '../../src/compat/index.js';
import { classifyStatement } from '../../src/sql/classify.js';
import { parseSql } from '../../src/sql/parser.js';

it('dump', async () => {
  const db = await createShimDb(fixtureContents());
  const only = process.env.FILES?.split(',');
  for (const s of loadCorpus().filter((s) => s.pg15?.ok)) {
    if (only && !only.some((f) => s.file === f)) continue;
    const c = classifyStatement(parseSql(s.sql)[0]!);
    if (c.kind !== 'select') continue;
    const sql = c.touchesCatalog || needsCompatRewrite(c.ast) ? rewriteCatalogQuery(c.ast, db.ctx) : c.text;
    try {
      const rows = await db.query(sql, s.params.length ? (s.params as never) : undefined);
      console.log(`### ${s.file}#${s.index} rows=${rows.length} pg=${s.pg15?.rows}\n${s.sql.slice(0, 300)}\n=> ${JSON.stringify(rows.slice(0, 6), (_k, v) => (typeof v === 'bigint' ? Number(v) : v)).slice(0, 1500)}\n`);
    } catch (e) { console.log(`### ${s.file}#${s.index} ERROR ${(e as Error).message}`); }
  }
  db.close();
}, 120000);
