/**
 * Corpus replay: every statement of the shared client-introspection corpus that ran on
 * Postgres 15 must run on DuckMesh's catalog shim (acceptance bar: at least 95 %). Prints a
 * per-tool table (pass rate and how many row counts equal Postgres') and every failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureContents, fixtureObjects } from './fixture-catalog.js';
import { loadCorpus, type CorpusStatement } from './corpus-files.js';
import { replay, report, type ReplayResult } from './corpus-replay.js';
import { createShimDb, type ShimDb } from './shim-db.js';

describe('client-introspection corpus replay', () => {
  let db: ShimDb;
  let statements: CorpusStatement[];

  beforeAll(async () => {
    db = await createShimDb({ ...fixtureContents(), objects: fixtureObjects() });
    statements = loadCorpus().filter((s) => s.pg15?.ok === true);
  });
  afterAll(() => db?.close());

  it('replays the corpus with at least 95 % of Postgres-15-valid statements passing', async () => {
    const results: ReplayResult[] = [];
    for (const s of statements) results.push(await replay(db, s));
    const strict: ReplayResult[] = [];
    for (const s of statements) strict.push(await replay(db, s, true));
    const rewriteTimes = results.flatMap((r) => (r.rewriteMs !== undefined ? [r.rewriteMs] : [])).sort((a, b) => a - b);
    const median = rewriteTimes[Math.floor(rewriteTimes.length / 2)] ?? 0;
    console.log(`\n## Corpus replay (needsCompatRewrite routing)\n\n${report(results)}\n`);
    console.log(`\n## Corpus replay (classifier touchesCatalog routing only)\n\n${report(strict)}\n`);
    console.log(`rewrite+deparse: median ${median.toFixed(2)} ms over ${rewriteTimes.length} statements; ` +
      `setup: instance ${db.setupMs.instance.toFixed(0)} ms, snapshot shim ${db.setupMs.snapshot.toFixed(0)} ms`);
    const rate = results.filter((r) => r.ok).length / results.length;
    expect(statements.length).toBeGreaterThan(330);
    expect(rate).toBeGreaterThanOrEqual(0.95);
  });
});
