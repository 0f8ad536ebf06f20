/** psycopg 3 (Debian python3-psycopg, run with /usr/bin/python3): python/psycopg3_cases.py. */
import { beforeAll, describe, expect, it } from 'vitest';
import { has, PYTHON, pythonCases } from './helpers.js';

const ready = has(PYTHON, ['-c', 'import psycopg']);
let out: Record<string, unknown> = {};

const ROW = [1, 'one', 1.5, '2024-02-29', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', [1, null, 3], '-12.3456', '00ff', '2024-05-06 07:08:09+00:00'];

describe.runIf(ready)('psycopg 3', () => {
  beforeAll(async () => {
    out = await pythonCases('psycopg3_cases.py', 'conf_psycopg3');
  });

  it('server-side parameters of many types (text format)', () => {
    expect(out['create']).toBe('ok');
    expect(out['params']).toEqual(ROW);
  });

  it('binary parameters and binary results', () => {
    expect(out['binary_params_and_results']).toEqual(ROW);
  });

  it('executemany', () => {
    expect(out['executemany']).toEqual([20, 115.0]);
  });

  it('COPY FROM STDIN with write_row, text and binary', () => {
    expect(out['copy_in_text']).toEqual([
      [100, 'tab\there', 0.25],
      [101, null, null],
    ]);
    expect(out['copy_in_binary']).toEqual([200, 'bin', '1999-12-31', '3.1416']);
  });

  it('COPY TO STDOUT rows(), text and binary', () => {
    expect(out['copy_out_text']).toEqual([
      ['1', 'one'],
      ['100', 'tab\there'],
      ['101', null],
    ]);
    expect(out['copy_out_binary']).toEqual([[1, 'one', 1.5, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11']]);
  });

  it('named (server-side) cursors, also binary', () => {
    expect(out['named_cursor']).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(out['named_cursor_binary']).toEqual([1, '-12.3456', '2024-05-06 07:08:09+00:00']);
  });

  it('pipeline mode and errors with SQLSTATE', () => {
    expect(out['pipeline']).toEqual([2, 'yx']);
    expect(out['error_sqlstate']).toBe('42P01');
  });
});
