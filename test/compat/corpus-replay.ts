/**
 * Replays corpus statements the way a DuckMesh session handles them: session statements
 * (SET/SHOW/BEGIN/DISCARD…) are the session's job and pass when they classify as such; SELECTs
 * that need the compat layer are rewritten onto the shim, others run on DuckDB as written.
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { needsCompatRewrite, rewriteCatalogQuery } from '../../src/compat/index.js';
import { classifyStatement } from '../../src/sql/classify.js';
import { assertSafeQuery } from '../../src/sql/guard.js';
import { parseSql } from '../../src/sql/parser.js';
import type { CorpusStatement } from './corpus-files.js';
import type { ShimDb } from './shim-db.js';

const SESSION_KINDS = new Set(['set', 'show', 'transaction', 'discard', 'setTransaction', 'reset']);

export interface ReplayResult {
  stmt: CorpusStatement;
  ok: boolean;
  path: 'session' | 'rewrite' | 'direct';
  error?: string;
  rows?: number;
  /** What the sandbox guard (src/sql/guard.ts) says about the client's tree, for the lead's information. */
  guardError?: string;
  /** Rewrite + deparse time. */
  rewriteMs?: number;
  sql?: string;
}

/** `strict`: decide rewriting with the classifier's touchesCatalog alone (no needsCompatRewrite). */
export async function replay(db: ShimDb, stmt: CorpusStatement, strict = false): Promise<ReplayResult> {
  let sql: string | undefined;
  try {
    const parsed = parseSql(stmt.sql);
    if (parsed.length !== 1) return { stmt, ok: false, path: 'direct', error: `${parsed.length} statements` };
    const c = classifyStatement(parsed[0]!);
    if (SESSION_KINDS.has(c.kind)) return { stmt, ok: true, path: 'session' };
    if (c.kind !== 'select') return { stmt, ok: false, path: 'direct', error: `not a SELECT (${c.kind})` };
    let guardError: string | undefined;
    try {
      assertSafeQuery(c.ast);
    } catch (err) {
      const detail = (err as { detail?: string }).detail ?? '';
      guardError = `${(err as Error).message}${detail ? ` (${detail.length > 60 ? detail.slice(0, 57) + '...' : detail})` : ''}`;
    }
    const rewrite = strict ? c.touchesCatalog : c.touchesCatalog || needsCompatRewrite(c.ast);
    let rewriteMs: number | undefined;
    if (rewrite) {
      const t0 = performance.now();
      sql = rewriteCatalogQuery(c.ast, db.ctx);
      rewriteMs = performance.now() - t0;
    } else {
      sql = c.text;
    }
    const rows = await db.query(sql, stmt.params.length > 0 ? (stmt.params as DuckDBValue[]) : undefined);
    return { stmt, ok: true, path: rewrite ? 'rewrite' : 'direct', rows: rows.length, rewriteMs, sql, guardError };
  } catch (err) {
    const e = err as { sqlstate?: string; message?: string };
    const msg = `${e.sqlstate ? e.sqlstate + ': ' : ''}${(e.message ?? String(err)).split('\n')[0]}`;
    return { stmt, ok: false, path: sql === undefined ? 'rewrite' : 'direct', error: msg, sql };
  }
}

/** Markdown table of pass rates per corpus file and the list of failures. */
export function report(results: ReplayResult[]): string {
  const byFile = new Map<string, ReplayResult[]>();
  for (const r of results) {
    const list = byFile.get(r.stmt.file) ?? [];
    list.push(r);
    byFile.set(r.stmt.file, list);
  }
  const lines = ['| file | statements | passed | pass rate | rows = pg15 |', '| --- | ---: | ---: | ---: | ---: |'];
  let total = 0;
  let passed = 0;
  let rowsKnown = 0;
  let rowsMatch = 0;
  for (const [file, list] of byFile) {
    const ok = list.filter((r) => r.ok).length;
    const known = list.filter((r) => r.ok && r.stmt.pg15?.rows !== undefined);
    const match = known.filter((r) => r.rows === r.stmt.pg15?.rows).length;
    lines.push(`| ${file} | ${list.length} | ${ok} | ${((100 * ok) / list.length).toFixed(1)} % | ${match}/${known.length} |`);
    total += list.length;
    passed += ok;
    rowsKnown += known.length;
    rowsMatch += match;
  }
  lines.push(`| **total** | ${total} | ${passed} | ${((100 * passed) / total).toFixed(1)} % | ${rowsMatch}/${rowsKnown} |`);
  const failures = results.filter((r) => !r.ok);
  if (failures.length > 0) {
    lines.push('', 'Failures:');
    for (const f of failures) lines.push(`- ${f.stmt.file} [${f.stmt.index}]: ${f.error}`);
  }
  const guarded = results.filter((r) => r.ok && r.guardError !== undefined);
  if (guarded.length > 0) {
    lines.push('', 'Passing here but refused by the current sandbox guard (run on the client tree):');
    for (const g of guarded) lines.push(`- ${g.stmt.file} [${g.stmt.index}]: ${g.guardError}`);
  }
  return lines.join('\n');
}
