import { beforeAll, describe, expect, it } from 'vitest';
import { DuckMeshError } from '../../src/common/errors.js';
import { initSqlParser, isSqlParserReady, parseSql } from '../../src/sql/parser.js';

beforeAll(async () => {
  await initSqlParser();
});

function syntaxError(sql: string): DuckMeshError {
  try {
    parseSql(sql);
  } catch (err) {
    expect(err).toBeInstanceOf(DuckMeshError);
    return err as DuckMeshError;
  }
  throw new Error(`expected a syntax error for ${sql}`);
}

describe('initSqlParser', () => {
  it('is idempotent and concurrent-safe', async () => {
    await Promise.all([initSqlParser(), initSqlParser()]);
    expect(isSqlParserReady()).toBe(true);
  });
});

describe('parseSql', () => {
  it('returns [] for empty input, whitespace, comments and bare semicolons', () => {
    expect(parseSql('')).toEqual([]);
    expect(parseSql('   \n\t')).toEqual([]);
    expect(parseSql('-- just a comment')).toEqual([]);
    expect(parseSql('/* block */ ; ;')).toEqual([]);
  });

  it('slices each statement of a multi-statement string', () => {
    const sql = 'SELECT 1;  select 2 ;\n\nINSERT INTO t VALUES (1)';
    const stmts = parseSql(sql);
    expect(stmts.map((s) => s.text)).toEqual(['SELECT 1', 'select 2', 'INSERT INTO t VALUES (1)']);
    for (const s of stmts) expect(sql.slice(s.location, s.location + s.text.length)).toBe(s.text);
    expect(stmts.map((s) => s.location)).toEqual([0, 11, 23]);
    expect(Object.keys(stmts[2]!.ast)).toEqual(['InsertStmt']);
    expect(stmts[0]!.source).toBe(sql);
  });

  it('maps UTF-8 byte offsets to string offsets for non-ASCII text', () => {
    const sql = "select 'héllo 🦆'; select 'ß' as x;select 3";
    const stmts = parseSql(sql);
    expect(stmts.map((s) => s.text)).toEqual(["select 'héllo 🦆'", "select 'ß' as x", 'select 3']);
    for (const s of stmts) expect(sql.slice(s.location, s.location + s.text.length)).toBe(s.text);
  });

  it('drops trailing comments so callers can wrap the text safely', () => {
    const stmts = parseSql('select 1 -- trailing\n; select 2 /* c */');
    expect(stmts.map((s) => s.text)).toEqual(['select 1', 'select 2']);
    expect(parseSql("select '--not a comment'")[0]!.text).toBe("select '--not a comment'");
    // A leading comment is not part of the statement either (Postgres starts it at the first token).
    const [lead] = parseSql('-- leading\nselect 1');
    expect(lead!.text).toBe('select 1');
    expect(lead!.location).toBe(11);
  });

  it('keeps empty statements out but preserves order', () => {
    expect(parseSql('select 1 ; ; select 2').map((s) => s.text)).toEqual(['select 1', 'select 2']);
  });

  it('raises 42601 with the Postgres message and a 1-based position', () => {
    const e = syntaxError('SELECT * FROM t WHERE FOO BAR');
    expect(e.sqlstate).toBe('42601');
    expect(e.message).toBe('syntax error at or near "BAR"');
    expect(e.position).toBe(27);
  });

  it('counts the position in characters of the whole string', () => {
    const sql = "select 'éé🦆'; select 1 FOO bar";
    const e = syntaxError(sql);
    expect(e.message).toBe('syntax error at or near "bar"');
    // characters: the duck is one character although it is two UTF-16 units
    expect(e.position).toBe([...sql].length - 2);
  });

  it('reports errors in a later statement relative to the whole string', () => {
    const e = syntaxError('select 1; selec 2');
    expect(e.message).toBe('syntax error at or near "selec"');
    expect(e.position).toBe(11);
  });

  it('reports end-of-input and lexer errors', () => {
    const a = syntaxError('select (1');
    expect(a.message).toBe('syntax error at end of input');
    expect(a.position).toBe(10);
    const b = syntaxError("select 'unterminated");
    expect(b.message).toMatch(/unterminated quoted string/);
    expect(b.position).toBe(8);
  });

  it('rejects DuckDB-only syntax (the caller falls back to DuckDB)', () => {
    for (const sql of [
      'SELECT a, sum(b) FROM t GROUP BY ALL',
      'SELECT * EXCLUDE (a) FROM t',
      'SELECT a FROM t QUALIFY row_number() OVER () = 1',
      'FROM t SELECT a',
      'PIVOT t ON a USING sum(b)',
    ]) {
      expect(syntaxError(sql).sqlstate).toBe('42601');
    }
  });
});
