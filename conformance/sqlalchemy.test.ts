/**
 * SQLAlchemy (Debian python3-sqlalchemy, psycopg2 dialect) inspector and table reflection, and
 * pandas (python3-pandas) read_sql / to_sql: python/sqlalchemy_cases.py.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { has, PYTHON, pythonCases } from './helpers.js';

const ready = has(PYTHON, ['-c', 'import sqlalchemy, pandas, psycopg2']);
let out: Record<string, unknown> = {};

describe.runIf(ready)('SQLAlchemy + pandas', () => {
  beforeAll(async () => {
    out = await pythonCases('sqlalchemy_cases.py', 'conf_sqlalchemy');
  });

  it('inspector: schemas, tables (views excluded), columns, primary key, foreign keys, has_table', () => {
    expect(out['create']).toBe('ok');
    expect(out['schema_names']).toEqual(['information_schema', 'public']);
    expect(out['table_names']).toEqual(['sales']);
    expect(out['columns']).toEqual([
      ['id', 'BIGINT', false],
      ['region', 'TEXT', false],
      ['amount', 'NUMERIC(10, 2)', true],
      ['sold', 'DATE', true],
      ['ratio', 'DOUBLE_PRECISION', true],
    ]);
    expect(out['pk_constraint']).toEqual({ constrained_columns: ['id'], name: 'sales_pkey' });
    expect(out['foreign_keys']).toEqual([]);
    expect(out['has_table']).toEqual([true, false]);
  });

  // SQLAlchemy's index query joins pg_attribute ON a.attnum = ANY(ix.indkey) in a LEFT JOIN; the
  // compat rewrite turns that into list_contains (DuckDB cannot outer-join on an ANY subquery).
  // Expected values are what the same script gets from PostgreSQL 15.
  it('inspector: get_indexes lists CREATE INDEX (DESC key), not the primary key index, as in Postgres', () => {
    expect(out['indexes']).toEqual([
      {
        name: 'sales_region_sold',
        unique: false,
        column_names: ['region', 'sold'],
        include_columns: [],
        column_sorting: { sold: ['desc'] },
        dialect_options: { postgresql_include: [] },
      },
    ]);
  });

  it('inspector: table and column comments (COMMENT ON → pg_description)', () => {
    expect(out['table_comment']).toEqual({ text: 'one row per sale' });
    expect(out['column_comments']).toEqual({ id: null, region: null, amount: 'in EUR', sold: null, ratio: null });
  });

  it('Table reflection (autoload): columns, primary key, indexes, comment, and a query built from it', () => {
    expect(out['reflect_table']).toEqual({
      rows: [
        ['eu', 2],
        ['us', 1],
      ],
      columns: ['id', 'region', 'amount', 'sold', 'ratio'],
      primary_key: ['id'],
      indexes: [['sales_region_sold', ['region', 'sold'], false]],
      comment: 'one row per sale',
    });
  });

  // Postgres 15 answers the same, except the definition text: it prints
  // " SELECT sales.id,\n    sales.amount,\n    sales.sold\n   FROM sales\n  WHERE (sales.region = 'eu'::text);"
  // (columns qualified, casts added); DuckMesh lays the SELECT out the same way as written.
  it('inspector: view names, definition, columns and comment; Table reflection of a view', () => {
    expect(out['view_names']).toEqual(['eu_sales']);
    expect(out['view_definition']).toBe(" SELECT id,\n    amount,\n    sold\n   FROM sales\n  WHERE region = 'eu';");
    expect(out['view_columns']).toEqual([
      ['id', 'BIGINT', true],
      ['amount', 'NUMERIC(10, 2)', true],
      ['sold', 'DATE', true],
    ]);
    expect(out['view_comment']).toEqual({ text: 'sales in the EU' });
    expect(out['reflect_view']).toEqual({
      columns: ['id', 'amount', 'sold'],
      rows: [
        [1, '10.50'],
        [3, 'None'],
      ],
      comment: 'sales in the EU',
    });
  });

  it('pandas.read_sql: values and dtypes', () => {
    expect(out['read_sql']).toEqual({
      dtypes: { id: 'int64', region: 'object', amount: 'float64', sold: 'object', ratio: 'float64' },
      region: ['eu', 'us', 'eu'],
      amount: [10.5, 20.0, null],
      ratio_sum: 1.25,
    });
    expect(out['read_sql_params']).toEqual([1, 3]);
  });

  it('pandas.to_sql appends rows', () => {
    expect(out['to_sql_append']).toBe(2);
  });
});
