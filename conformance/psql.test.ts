/**
 * psql (Debian postgresql-client): meta-commands that introspect the catalog, COPY and \copy,
 * PREPARE/EXECUTE, expanded output and verbose errors with SQLSTATE.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has, psql } from './helpers.js';

const DB = 'conf_psql';
let token = '';
let tmp: string;

/** psql in a new session that reads at least everything written so far (visibility token). */
async function dm(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await psql(DB, ['-v', 'ON_ERROR_STOP=1', ...args], { env: { PGOPTIONS: token ? `-c duckmesh.min_visibility_token=${token}` : '' }, input });
  const m = /dm1\.[0-9a-f]{16}/.exec(r.stdout.split('\n').reverse().find((l) => /^dm1\./.test(l)) ?? '');
  if (m) token = m[0];
  return r;
}

/** Runs SQL that writes, then records the session's token for the next sessions. */
async function write(sql: string[]): Promise<string> {
  const r = await dm(['-At', ...sql.flatMap((s) => ['-c', s]), '-c', 'SHOW duckmesh.last_visibility_token']);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe.runIf(has('psql'))('psql', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'conf-psql-'));
    await write([
      'CREATE TABLE orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL, total NUMERIC(10,2), placed TIMESTAMPTZ, tags TEXT[])',
      `INSERT INTO orders VALUES (1, 'ann', 12.50, '2024-01-02 03:04:05+00', '{new,vip}'), (2, 'bob', NULL, NULL, NULL)`,
    ]);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('\\l lists the tenant database', async () => {
    const r = await dm(['-At', '-c', '\\l']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toContainEqual(expect.stringMatching(/^conf_psql\|tester\|UTF8\|/));
  });

  it('\\dn lists the public schema', async () => {
    const r = await dm(['-At', '-c', '\\dn']);
    expect(r.stdout.trim().split('\n')).toContain('public|tester');
  });

  it('\\dt lists the tables', async () => {
    const r = await dm(['-At', '-c', '\\dt']);
    expect(r.stdout.trim().split('\n')).toEqual(['public|orders|table|tester']);
  });

  it('\\d orders shows columns, types, NOT NULL and the primary key', async () => {
    const r = await dm(['-c', '\\d orders']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    expect(lines).toContain('Table "public.orders"');
    expect(lines).toContain('id | bigint | | not null |');
    expect(lines).toContain('customer | text | | not null |');
    expect(lines).toContain('total | numeric(10,2) | | |');
    expect(lines).toContain('placed | timestamp with time zone | | |');
    expect(lines).toContain('tags | text[] | | |');
    expect(lines).toContain('"orders_pkey" PRIMARY KEY, btree (id)');
  });

  it('\\d+ orders adds storage details', async () => {
    const r = await dm(['-c', '\\d+ orders']);
    const lines = r.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    expect(lines.find((l) => l.startsWith('Column |'))).toContain('Storage');
    expect(lines).toContainEqual(expect.stringMatching(/^id \| bigint \| \| not null \| \| plain \|/));
    expect(lines).toContainEqual(expect.stringMatching(/^customer \| text \| \| not null \| \| extended \|/));
  });

  it('COMMENT ON TABLE/COLUMN and CREATE INDEX show in \\dt+, \\d+ and \\di', async () => {
    await write([`COMMENT ON TABLE orders IS 'one row per order'`, `COMMENT ON COLUMN orders.customer IS 'who ordered'`, 'CREATE INDEX orders_placed ON orders (placed DESC, customer)']);
    const dt = await dm(['-At', '-c', '\\dt+ orders']);
    expect(dt.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^public\|orders\|table\|tester\|permanent\|heap\|[^|]+\|one row per order$/)]);
    const d = await dm(['-c', '\\d+ orders']);
    const lines = d.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    expect(lines).toContainEqual(expect.stringMatching(/^customer \| text \| \| not null \| \| extended \| .*\| who ordered$/));
    expect(lines).toContainEqual(expect.stringMatching(/^total \| numeric\(10,2\) \| \| \| \| main \| .*\|$/));
    expect(lines).toContain('"orders_pkey" PRIMARY KEY, btree (id)');
    expect(lines).toContain('"orders_placed" btree (placed DESC, customer)');
    const di = await dm(['-At', '-c', '\\di']);
    expect(di.stdout.trim().split('\n')).toEqual(['public|orders_pkey|index|tester|orders', 'public|orders_placed|index|tester|orders']);
  });

  // Expected values are what psql prints against PostgreSQL 15 for the same objects, except the
  // view definition: Postgres qualifies columns and adds casts (`orders.total > 10::numeric`).
  it('CREATE VIEW and COMMENT ON VIEW show in \\dv, \\dv+, \\d and \\d+ (columns, storage, definition)', async () => {
    await write(['CREATE VIEW big_orders AS SELECT id, customer, total FROM orders WHERE total > 10', `COMMENT ON VIEW big_orders IS 'orders over 10'`]);
    const dv = await dm(['-At', '-c', '\\dv', '-c', '\\dv+']);
    expect(dv.stdout.trim().split('\n')).toEqual(['public|big_orders|view|tester', 'public|big_orders|view|tester|permanent|0 bytes|orders over 10']);
    const d = await dm(['-c', '\\d big_orders']);
    const dl = d.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    expect(dl).toContain('View "public.big_orders"');
    expect(dl).toContain('id | bigint | | |');
    expect(dl).toContain('customer | text | | |');
    expect(dl).toContain('total | numeric(10,2) | | |');
    const plus = await dm(['-c', '\\d+ big_orders']);
    const pl = plus.stdout.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
    expect(pl).toContain('id | bigint | | | | plain |');
    expect(pl).toContain('customer | text | | | | extended |');
    expect(pl).toContain('total | numeric(10,2) | | | | main |');
    expect(plus.stdout).toContain('View definition:\n SELECT id,\n    customer,\n    total\n   FROM orders\n  WHERE total > 10;\n');
    const rows = await dm(['-At', '-c', 'SELECT id, customer FROM big_orders']);
    expect(rows.stdout.trim().split('\n')).toEqual(['1|ann']);
  });

  it('\\x shows expanded records', async () => {
    const r = await dm(['-c', '\\x', '-c', 'SELECT id, customer, total FROM orders WHERE id = 1']);
    expect(r.stdout).toContain('-[ RECORD 1 ]');
    expect(r.stdout).toMatch(/customer \| ann/);
    expect(r.stdout).toMatch(/total +\| 12\.50/);
  });

  it('COPY FROM STDIN inside a script and COPY TO STDOUT', async () => {
    const script = ['COPY orders (id, customer, total) FROM STDIN;', '10\tcara\t1.25', '11\tdan\t\\N', '\\.', 'SELECT count(*) FROM orders WHERE id >= 10;', 'COPY (SELECT id, customer, total FROM orders WHERE id >= 10 ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER);', 'SHOW duckmesh.last_visibility_token;', ''].join('\n');
    const r = await dm(['-At', '-f', '-'], script);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').slice(0, 5)).toEqual(['COPY 2', '2', 'id,customer,total', '10,cara,1.25', '11,dan,']);
  });

  it('\\copy from a client file and back to a file', async () => {
    const inFile = path.join(tmp, 'in.csv');
    const outFile = path.join(tmp, 'out.csv');
    writeFileSync(inFile, 'id,customer,total\n20,"eve, jr",3.00\n21,fay,4.5\n');
    const r = await dm(['-At', '-c', `\\copy orders (id, customer, total) FROM '${inFile}' WITH (FORMAT csv, HEADER)`, '-c', `\\copy (SELECT id, customer, total FROM orders WHERE id >= 20 ORDER BY id) TO '${outFile}' WITH (FORMAT csv)`, '-c', 'SHOW duckmesh.last_visibility_token']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').slice(0, 2)).toEqual(['COPY 2', 'COPY 2']);
    expect(readFileSync(outFile, 'utf8')).toBe('20,"eve, jr",3.00\n21,fay,4.50\n');
  });

  it('a bad \\copy line is reported with its line and nothing is written', async () => {
    const bad = path.join(tmp, 'bad.csv');
    writeFileSync(bad, '30,ok,1\n31,bad,abc\n');
    const r = await dm(['-v', 'VERBOSITY=verbose', '-c', `\\copy orders (id, customer, total) FROM '${bad}' WITH (FORMAT csv)`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERROR:  22P02: invalid input syntax for type numeric: "abc"');
    expect(r.stderr).toContain('CONTEXT:  COPY orders, line 2, column total: "abc"');
    const n = await dm(['-At', '-c', 'SELECT count(*) FROM orders WHERE id >= 30']);
    expect(n.stdout.trim()).toBe('0');
  });

  it('PREPARE / EXECUTE / DEALLOCATE', async () => {
    const r = await dm(['-At', '-c', 'PREPARE by_id(bigint) AS SELECT customer, total FROM orders WHERE id = $1', '-c', 'EXECUTE by_id(1)', '-c', 'DEALLOCATE by_id']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['PREPARE', 'ann|12.50', 'DEALLOCATE']);
  });

  it('errors carry their SQLSTATE with VERBOSITY verbose', async () => {
    const r = await dm(['-v', 'VERBOSITY=verbose', '-c', 'SELECT * FROM nowhere']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ERROR:  42P01: relation "nowhere" does not exist');
    const s = await dm(['-v', 'VERBOSITY=verbose', '-c', "INSERT INTO orders (id, customer) VALUES ('x', 'y')"]);
    expect(s.stderr).toContain('ERROR:  22P02: invalid input syntax for type bigint: "x"');
    const f = await dm(['-v', 'VERBOSITY=verbose', '-c', "COPY orders FROM '/etc/passwd'"]);
    expect(f.stderr).toMatch(/ERROR: {2}42501: COPY FROM a file is not allowed/);
  });
});
