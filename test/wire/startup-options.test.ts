import { describe, expect, it } from 'vitest';
import { parseStartupOptions, splitStartupOptions } from '../../src/wire/codec/frontend.js';
import { expectDuckMeshError } from './helpers.js';

describe('parseStartupOptions (the "options" startup parameter)', () => {
  it('psql-style -c pairs', () => {
    expect(parseStartupOptions('-c search_path=a,b -c statement_timeout=5min')).toEqual({
      search_path: 'a,b',
      statement_timeout: '5min',
    });
  });

  it('attached -cname=value, --name=value and dashes in long names', () => {
    expect(parseStartupOptions('-cwork_mem=64MB --lock-timeout=10s --DateStyle=ISO,MDY')).toEqual({
      work_mem: '64MB',
      lock_timeout: '10s',
      DateStyle: 'ISO,MDY',
    });
  });

  it('backslash-escaped spaces and backslashes', () => {
    expect(parseStartupOptions('-c application_name=my\\ app -c x=a\\\\b')).toEqual({ application_name: 'my app', x: 'a\\b' });
    expect(splitStartupOptions('a\\ b  c\\')).toEqual(['a b', 'c']);
  });

  it('arbitrary whitespace between and around arguments', () => {
    expect(parseStartupOptions('  \t-c\n  a=1\r\n   --b=2  ')).toEqual({ a: '1', b: '2' });
    expect(parseStartupOptions('')).toEqual({});
    expect(parseStartupOptions('   ')).toEqual({});
  });

  it('values may contain "=" and be empty; later settings win', () => {
    expect(parseStartupOptions('-c a=x=y -c b= -c a=z')).toEqual({ a: 'z', b: '' });
  });

  it('rejects a setting without a value', () => {
    const err = expectDuckMeshError(() => parseStartupOptions('-c search_path'));
    expect(err.sqlstate).toBe('42601');
    expect(err.message).toBe('-c search_path requires a value');
    expect(expectDuckMeshError(() => parseStartupOptions('--geqo')).message).toBe('--geqo requires a value');
    expect(expectDuckMeshError(() => parseStartupOptions('-c =1')).sqlstate).toBe('42601');
  });

  it('rejects other server switches and stray words', () => {
    for (const bad of ['-B 100', 'foo', '-c', '--', '-']) {
      const err = expectDuckMeshError(() => parseStartupOptions(bad));
      expect(err.sqlstate, bad).toBe('42601');
      expect(err.message, bad).toMatch(/^invalid command-line argument for server process: /);
    }
  });

  it('returns a prototype-free record', () => {
    const r = parseStartupOptions('-c __proto__=x');
    expect(Object.getPrototypeOf(r)).toBeNull();
    expect(r['__proto__']).toBe('x');
  });
});
