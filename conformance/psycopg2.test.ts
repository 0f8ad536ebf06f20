/** psycopg2 (Debian python3-psycopg2, run with /usr/bin/python3): python/psycopg2_cases.py. */
import { beforeAll, describe, expect, it } from 'vitest';
import { has, PYTHON, pythonCases } from './helpers.js';

const ready = has(PYTHON, ['-c', 'import psycopg2']);
let out: Record<string, unknown> = {};

describe.runIf(ready)('psycopg2', () => {
  beforeAll(async () => {
    out = await pythonCases('psycopg2_cases.py', 'conf_psycopg2');
  });

  it('typed parameters (named and positional) round-trip', () => {
    expect(out['create']).toBe('ok');
    expect(out['params']).toEqual([1, "it's", '9.99', '2024-01-02 03:04:05', ['a', 'b,c'], true]);
    expect(out['server_version']).toBe(16);
  });

  it('executemany', () => {
    expect(out['executemany']).toEqual([10, '16.25']);
  });

  it('copy_from (text format with escapes and NULLs)', () => {
    expect(out['copy_from']).toEqual([
      [100, 'copied', '1.50', null, ['x'], true],
      [101, 'tab\there', null, '2024-01-01 00:00:00', null, false],
    ]);
  });

  it('copy_expert CSV in and CSV out with HEADER', () => {
    expect(out['copy_expert_csv_in']).toEqual([
      [200, 'a, b'],
      [201, ''],
    ]);
    expect(out['copy_to']).toBe("id,kind,amount\n1,it's,9.99\n2,k2,0.50\n100,copied,1.50\n");
  });

  it('a bad COPY line: SQLSTATE, CONTEXT naming line and column, nothing written', () => {
    expect(out['copy_error']).toEqual(['22P02', 'COPY ev, line 2, column amount: "not-a-number"', 0]);
  });

  it('named (server-side) cursors: iteration and fetchmany', () => {
    expect(out['named_cursor']).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(out['named_cursor_fetchmany']).toEqual([2, 1, 9, 11]);
  });

  it('an error leaves the connection usable after rollback', () => {
    expect(out['error_and_recover']).toEqual(['42P01', 1]);
  });
});
