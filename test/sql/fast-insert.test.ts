/**
 * The INSERT fast path must classify exactly as libpg-query + classify do, or step aside (null).
 * A differential test over generated statements, plus the forms it must leave to the parser.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyStatement } from '../../src/sql/classify.js';
import { parseFastInsert } from '../../src/sql/fast-insert.js';
import { initSqlParser, parseSql } from '../../src/sql/parser.js';
import type { Statement } from '../../src/sql/statements.js';

beforeAll(async () => {
  await initSqlParser();
});

/** What the ordinary path makes of `sql`: its statement, or 'error' when it refuses it. */
function reference(sql: string): Statement | 'error' {
  try {
    const parsed = parseSql(sql);
    if (parsed.length !== 1) return 'error';
    return classifyStatement(parsed[0]!);
  } catch {
    return 'error';
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const NAMES = ['t', 'events', 'Events', '"Events"', '"my table"', '"a""b"', 'data', 'user', '"user"', 'select', 'x1', '_y', 'ts', 'value', 'values', '"ö"', 'ö', 'a$b', 'order'];
const VALUES = [
  '1', '0', '-0', '007', '-7', '42', '2147483647', '2147483648', '-2147483648', '99999999999', '1.5', '-1.5', '1.', '.5', '1e3', '1E-3', '-2.5e+10',
  "'x'", "''", "'it''s'", "'a\nb'", "'back\\slash'", "'ünïcødé'", "E'\\n'", "U&'\\0041'", "'a' 'b'", "'a'\n'b'", "B'101'", "X'1F'",
  'NULL', 'null', 'TRUE', 'false', 'DEFAULT', 'default', '$1', '$2', '$12', '$0', '$1::int', "'1'::int", '1::text', '- 5', '-(5)', 'now()', '1 + 2',
  "'a' || 'b'", 'ARRAY[1,2]', "'{1,2}'", '0x1F', '1_000', '1abc', 'nan', "'x' COLLATE \"C\"", '+5', '(1)',
];

function generate(r: () => number): string {
  const kw = (w: string) => (r() < 0.5 ? w.toUpperCase() : r() < 0.5 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1));
  const sp = () => pick(r, [' ', ' ', '  ', '\n', '\t', ' \n ']);
  const table = r() < 0.2 ? `${pick(r, NAMES)}.${pick(r, NAMES)}` : pick(r, NAMES);
  const ncols = 1 + Math.floor(r() * 4);
  const cols = r() < 0.6 ? `${sp()}(${Array.from({ length: ncols }, () => pick(r, NAMES)).join(pick(r, [',', ', ', ' , ']))})` : '';
  const nrows = 1 + Math.floor(r() * 3);
  const width = r() < 0.9 ? ncols : ncols + 1;
  const rows = Array.from({ length: nrows }, (_, i) => {
    const w = i > 0 && r() < 0.05 ? width + 1 : width;
    return `(${Array.from({ length: w }, () => pick(r, VALUES)).join(pick(r, [',', ', ', ' ,']))})`;
  }).join(pick(r, [',', ', ', ',\n']));
  const tail = pick(r, ['', '', ';', ' ;', ' ON CONFLICT DO NOTHING', ' RETURNING *', '; SELECT 1', ' -- c', ' /* c */']);
  return `${pick(r, ['', ' ', '\n'])}${kw('insert')}${sp()}${kw('into')}${sp()}${table}${cols}${sp()}${kw('values')}${pick(r, ['', ' ', '\n'])}${rows}${tail}`;
}

describe('INSERT fast path', () => {
  it('agrees with libpg-query + classify on 50,000 generated statements, or steps aside', () => {
    const r = rng(20261126);
    let taken = 0;
    for (let i = 0; i < 50_000; i++) {
      const sql = generate(r);
      const fast = parseFastInsert(sql);
      if (fast === null) continue;
      taken++;
      const ref = reference(sql);
      expect([sql, fast]).toEqual([sql, ref]);
    }
    // It must actually take the common case, or it is useless.
    expect(taken).toBeGreaterThan(800);
  });

  it('takes the ingest hot path', () => {
    const sql = `INSERT INTO events (id, kind, amount, at2) VALUES (1, 'view', 1.50, '2024-01-01 00:00:00+00'), (2, NULL, -3, DEFAULT)`;
    expect(parseFastInsert(sql)).toEqual(reference(sql));
    expect(parseFastInsert(sql)).not.toBeNull();
    const params = 'insert into t values ($1, $2, $3)';
    expect(parseFastInsert(params)).toEqual(reference(params));
  });

  it('leaves everything else to the parser', () => {
    for (const sql of [
      'INSERT INTO t VALUES (1::int)',
      "INSERT INTO t VALUES (E'x')",
      'INSERT INTO t VALUES (now())',
      'INSERT INTO t VALUES (1) RETURNING *',
      'INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING',
      'INSERT INTO t SELECT 1',
      'INSERT INTO t DEFAULT VALUES',
      'INSERT INTO t AS x VALUES (1)',
      'INSERT INTO a.b.c VALUES (1)',
      'INSERT INTO t VALUES (1), (1, 2)',
      'INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)',
      '/* c */ INSERT INTO t VALUES (1)',
      'INSERT INTO t VALUES (2147483648)',
      'INSERT INTO user VALUES (1)',
      'WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x',
      "INSERT INTO t VALUES ('a'\n'b')",
    ]) {
      expect([sql, parseFastInsert(sql)]).toEqual([sql, null]);
    }
  });
});
