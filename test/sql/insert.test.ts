import { beforeAll, describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import { classifyStatement } from '../../src/sql/classify.js';
import { initSqlParser, parseSql } from '../../src/sql/parser.js';
import type { Cell, InsertStatement, Statement, TypeRef } from '../../src/sql/statements.js';

beforeAll(async () => {
  await initSqlParser();
});

function insert(sql: string): InsertStatement {
  const [p] = parseSql(sql);
  const s: Statement = classifyStatement(p!);
  expect(s.kind).toBe('insert');
  return s as InsertStatement;
}

function cells(sql: string): Cell[] {
  const s = insert(`INSERT INTO t VALUES (${sql})`);
  if (s.source.kind !== 'values') throw new Error('expected VALUES');
  return s.source.rows[0]!;
}

const c = (value: string | null, typeHint: TypeRef | null = null): Cell => ({ kind: 'const', value, typeHint });
const t = (names: string[], typmods: number[] = [], arrayDims = 0): TypeRef => ({ names, typmods, arrayDims });

describe('cell decoding', () => {
  it('decodes constants without deparsing', () => {
    expect(cells("1, 0, -0, 1.5, -1.5, 1e10, 99999999999999999999, 'x', '', true, false, NULL")).toEqual([
      c('1'),
      c('0'),
      c('0'),
      c('1.5'),
      c('-1.5'),
      c('1e10'),
      c('99999999999999999999'),
      c('x'),
      c(''),
      c('true'),
      c('false'),
      c(null),
    ]);
  });

  it('folds unary minus/plus over numeric constants', () => {
    expect(cells('-5, - 5, -(5), +5, - -5, -2147483648, -9223372036854775808')).toEqual([
      c('-5'),
      c('-5'),
      c('-5'),
      c('5'),
      c('5'),
      c('-2147483648'),
      c('-9223372036854775808'),
    ]);
    expect(cells('- 2::int')).toEqual([c('-2', t(['pg_catalog', 'int4']))]);
  });

  it('keeps casts as type hints', () => {
    expect(
      cells("'2024-01-01'::date, CAST('1.5' AS numeric(10,2)), '{1,2}'::int[], NULL::text, date '2024-02-02', $2::timestamptz, 1::int8"),
    ).toEqual([
      c('2024-01-01', t(['date'])),
      c('1.5', t(['pg_catalog', 'numeric'], [10, 2])),
      c('{1,2}', t(['pg_catalog', 'int4'], [], 1)),
      c(null, t(['text'])),
      c('2024-02-02', t(['date'])),
      { kind: 'param', index: 2, typeHint: t(['timestamptz']) },
      c('1', t(['int8'])),
    ]);
  });

  it('decodes params and DEFAULT', () => {
    expect(cells('$1, $12, DEFAULT')).toEqual([
      { kind: 'param', index: 1, typeHint: null },
      { kind: 'param', index: 12, typeHint: null },
      { kind: 'default' },
    ]);
  });

  it('deparses anything computed into expr cells', () => {
    expect(cells("now(), 1 + 2, -x, upper('a'), ARRAY[1, 2], $1 || 'x', '1'::text::int, (SELECT 1)")).toEqual([
      { kind: 'expr', sql: 'now()' },
      { kind: 'expr', sql: '1 + 2' },
      { kind: 'expr', sql: '- x' },
      { kind: 'expr', sql: "upper('a')" },
      { kind: 'expr', sql: 'ARRAY[1, 2]' },
      { kind: 'expr', sql: "$1 || 'x'" },
      { kind: 'expr', sql: "CAST('1'::text AS int)" },
      { kind: 'expr', sql: '(SELECT 1)' },
    ]);
  });

  it('rejects VALUES rows of different lengths with 42601 at the offending row', () => {
    try {
      insert('INSERT INTO t VALUES (1, 2), (3)');
      expect.unreachable();
    } catch (err) {
      const e = err as DuckMeshError;
      expect(e.sqlstate).toBe('42601');
      expect(e.message).toBe('VALUES lists must all be the same length');
      expect(e.position).toBe(31);
    }
  });
});

describe('insert shapes', () => {
  it('columns, schema, alias, ON CONFLICT DO UPDATE with excluded.*, RETURNING', () => {
    const s = insert(
      'INSERT INTO s.t AS x (a, b, c) VALUES (1, 2, 3) ON CONFLICT (a, b) DO UPDATE SET c = excluded.c, b = 7 WHERE x.c < excluded.c RETURNING *',
    );
    expect(s).toEqual({
      kind: 'insert',
      schema: 's',
      table: 't',
      alias: 'x',
      columns: ['a', 'b', 'c'],
      source: { kind: 'values', rows: [[c('1'), c('2'), c('3')]] },
      onConflict: {
        action: 'update',
        target: ['a', 'b'],
        set: [
          { column: 'c', value: { kind: 'expr', sql: 'excluded.c' } },
          { column: 'b', value: c('7') },
        ],
        whereSql: 'x.c < excluded.c',
      },
      returning: true,
    });
  });

  it('ON CONFLICT DO NOTHING with and without target', () => {
    expect(insert('INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING').onConflict).toEqual({
      action: 'nothing',
      target: [],
      set: [],
      whereSql: null,
    });
    expect(insert('INSERT INTO t VALUES (1) ON CONFLICT (id) DO NOTHING').onConflict?.target).toEqual(['id']);
  });

  it('DEFAULT VALUES', () => {
    expect(insert('INSERT INTO t DEFAULT VALUES')).toMatchObject({ columns: null, source: { kind: 'defaultValues' }, returning: false });
  });

  it('INSERT ... SELECT slices the source query text', () => {
    const cases: [string, string][] = [
      ['INSERT INTO t SELECT * FROM u WHERE x > 1', 'SELECT * FROM u WHERE x > 1'],
      ['INSERT INTO s.t (a, b) SELECT 1, 2 ON CONFLICT DO NOTHING', 'SELECT 1, 2'],
      ['INSERT INTO t SELECT a FROM u RETURNING a', 'SELECT a FROM u'],
      ["INSERT INTO t AS z (a) (SELECT 'é' FROM u)", "(SELECT 'é' FROM u)"],
      ['INSERT INTO t VALUES (1), (2) ORDER BY 1 LIMIT 1', 'VALUES (1), (2) ORDER BY 1 LIMIT 1'],
      ['INSERT INTO t WITH w AS (SELECT 1) SELECT * FROM w', 'WITH w AS (SELECT 1) SELECT * FROM w'],
      ['INSERT INTO t TABLE u', 'TABLE u'],
    ];
    for (const [sql, expected] of cases) {
      const s = insert(sql);
      expect(s.source.kind).toBe('select');
      if (s.source.kind === 'select') {
        expect(s.source.sql).toBe(expected);
        expect(Object.keys(s.source.ast)).toEqual(['SelectStmt']);
      }
    }
  });

  it('WITH ... INSERT hands the CTEs to the source query (deparsed)', () => {
    const s = insert('WITH x AS (SELECT 1 AS a) INSERT INTO t SELECT a FROM x');
    expect(s.source).toMatchObject({ kind: 'select', sql: 'WITH x AS (SELECT 1 AS a) SELECT a FROM x' });
  });

  it('rejects what the ingest path cannot express', () => {
    for (const [sql, re] of [
      ['INSERT INTO t (a[1]) VALUES (1)', /subfield or array element/],
      ['INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (1)', /OVERRIDING/],
      ['INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT c DO NOTHING', /ON CONSTRAINT/],
      ['INSERT INTO c.s.t VALUES (1)', /cross-database/],
    ] as const) {
      expect(() => insert(sql)).toThrow(re);
    }
  });
});

describe('ingest hot path', () => {
  function bigInsert(rows: number): string {
    const parts: string[] = [];
    for (let i = 0; i < rows; i++) {
      parts.push(`(${i}, 'name ''${i}''', -${i}.5, '2024-01-${(i % 28) + 1}'::date, $${(i % 3) + 1}, NULL, DEFAULT, ${i % 2 === 0}, -${i})`);
    }
    return `INSERT INTO metrics (id, name, v, d, p, n, def, b, neg) VALUES ${parts.join(', ')}`;
  }

  it('decodes a 1,000-row multi-row INSERT with mixed cells', () => {
    const sql = bigInsert(1000);
    const [p] = parseSql(sql);
    const s = classifyStatement(p!) as InsertStatement;
    expect(s.source.kind).toBe('values');
    if (s.source.kind !== 'values') return;
    expect(s.source.rows).toHaveLength(1000);
    expect(s.source.rows[999]).toEqual([
      c('999'),
      c("name '999'"),
      c('-999.5'),
      c('2024-01-20', t(['date'])),
      { kind: 'param', index: 1, typeHint: null },
      c(null),
      { kind: 'default' },
      c('false'),
      c('-999'),
    ]);
    expect(s.source.rows[0]![2]).toEqual(c('-0.5'));
    expect(s.source.rows[0]![8]).toEqual(c('0'));
  });

  it('classifies well under a millisecond per 100 rows (timing printed, not asserted)', () => {
    const sql = bigInsert(1000);
    let parseMs = Infinity;
    let classifyMs = Infinity;
    for (let round = 0; round < 10; round++) {
      const t0 = performance.now();
      const [p] = parseSql(sql);
      const t1 = performance.now();
      classifyStatement(p!);
      const t2 = performance.now();
      parseMs = Math.min(parseMs, t1 - t0);
      classifyMs = Math.min(classifyMs, t2 - t1);
    }
    console.log(
      `1,000-row INSERT (${sql.length} chars): parse ${parseMs.toFixed(2)} ms, classify ${classifyMs.toFixed(3)} ms ` +
        `(${((classifyMs / 1000) * 100).toFixed(4)} ms per 100 rows)`,
    );
  });
});
