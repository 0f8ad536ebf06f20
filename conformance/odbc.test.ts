/**
 * psqlODBC (Debian odbc-postgresql) through unixODBC's isql (Debian unixodbc). The driver and
 * DSN are declared in a temp dir (ODBCSYSINI / ODBCINI), so nothing is installed system-wide.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { port, run } from './helpers.js';

const DRIVER = '/usr/lib/x86_64-linux-gnu/odbc/psqlodbcw.so';
const ready = existsSync(DRIVER) && existsSync('/usr/bin/isql');
let dir: string;

/** One isql session (one connection) running `lines`; -b batch, -v verbose errors, -d, CSV-ish. */
async function isql(lines: string[]): Promise<{ out: string[]; stderr: string }> {
  const r = await run('isql', ['-b', '-v', '-d,', 'duckmesh'], { input: lines.join('\n') + '\n', env: { ODBCSYSINI: dir, ODBCINI: path.join(dir, 'odbc.ini') } });
  return { out: r.stdout.split('\n').filter((l) => l.trim() !== ''), stderr: r.stderr };
}

describe.runIf(ready)('psqlODBC via isql', () => {
  let first: { out: string[]; stderr: string };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'conf-odbc-'));
    writeFileSync(path.join(dir, 'odbcinst.ini'), `[PostgreSQL Unicode]\nDriver = ${DRIVER}\n`);
    writeFileSync(path.join(dir, 'odbc.ini'), `[duckmesh]\nDriver = PostgreSQL Unicode\nServername = 127.0.0.1\nPort = ${port()}\nDatabase = conf_odbc\nUsername = tester\n`);
    first = await isql([
      'CREATE TABLE o (id INTEGER PRIMARY KEY, name TEXT NOT NULL, amount NUMERIC(8,2), d DATE, ts TIMESTAMP, ok BOOLEAN)',
      "INSERT INTO o VALUES (1, 'x', 2.5, '2024-01-02', '2024-01-02 03:04:05', true), (2, 'y, z', NULL, NULL, NULL, false)",
      'SELECT id, name, amount, d, ts, ok FROM o ORDER BY id',
      'help',
      'help o',
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('DDL, INSERT and typed SELECT (server-side prepared statements)', () => {
    expect(first.stderr).toBe('');
    expect(first.out.slice(0, 2)).toEqual(['1,x,2.50,2024-01-02,2024-01-02 03:04:05,1', '2,y, z,,,,0']);
  });

  it('SQLTables (isql "help") lists the table', () => {
    expect(first.out).toContain('conf_odbc,public,o,TABLE,');
  });

  // bool is SQL_VARCHAR (12): psqlODBC's default BoolsAsChar=1, the same against Postgres.
  it('SQLColumns (isql "help o") describes the columns', () => {
    const cols = first.out.filter((l) => l.startsWith('conf_odbc,public,o,') && l.split(',').length > 10).map((l) => l.split(',').slice(3, 6).join(','));
    expect(cols).toEqual(['id,4,int4', 'name,-1,text', 'amount,2,numeric', 'd,9,date', 'ts,11,timestamp', 'ok,12,bool']);
  });

  it('errors carry the SQLSTATE', async () => {
    const r = await isql(['SELECT * FROM nowhere']);
    expect(r.out.join('\n')).toContain('[42P01]');
    expect(r.out.join('\n')).toContain('relation "nowhere" does not exist');
  });
});
