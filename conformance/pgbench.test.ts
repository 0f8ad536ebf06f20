/**
 * pgbench (Debian postgresql-client ships it on PATH) with a custom script in the extended and
 * prepared query modes: a point read and an insert per transaction, several clients.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { has, port, psql, run } from './helpers.js';

const DB = 'conf_pgbench';
let dir: string;
let token = '';

const SCRIPT = `\\set id random(1, 1000)
\\set newid 1000000 * :client_id + 1000 * :id + random(0, 999)
\\set amount :id * 2
SELECT bal FROM acct WHERE id = :id;
BEGIN;
INSERT INTO log (id, acct, amount) VALUES (:newid, :id, :amount);
SELECT count(*) FROM log WHERE acct = :id;
END;
`;

async function pgbench(mode: string, tag: number): Promise<{ code: number; out: string }> {
  const r = await run('pgbench', ['-n', '-h', '127.0.0.1', '-p', String(port()), '-U', 'tester', '-M', mode, '-f', path.join(dir, 'script.sql'), '-t', '25', '-c', '4', '-j', '2', DB], {
    // New sessions: read the setup's data, and acknowledge writes only once visible for the checks below.
    env: { PGOPTIONS: `-c duckmesh.min_visibility_token=${token} -c duckmesh.wait_for_visibility=on -c application_name=bench${tag}` },
  });
  return { code: r.code, out: r.stdout + r.stderr };
}

describe.runIf(has('pgbench'))('pgbench', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'conf-pgbench-'));
    writeFileSync(path.join(dir, 'script.sql'), SCRIPT);
    const r = await psql(DB, ['-At', '-v', 'ON_ERROR_STOP=1', '-c', 'CREATE TABLE acct (id INTEGER PRIMARY KEY, bal BIGINT)', '-c', 'CREATE TABLE log (id BIGINT, acct INTEGER, amount BIGINT)', '-c', 'INSERT INTO acct SELECT i, i * 10 FROM range(1, 1001) t(i)', '-c', 'SHOW duckmesh.last_visibility_token']);
    if (r.code !== 0) throw new Error(r.stderr);
    token = r.stdout.trim().split('\n').pop()!;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [i, mode] of ['extended', 'prepared'].entries()) {
    it(`-M ${mode}: 100 transactions, no failures, every insert visible`, async () => {
      const r = await pgbench(mode, i);
      expect(r.out).toContain(`query mode: ${mode}`);
      expect(r.out).toContain('number of transactions actually processed: 100/100');
      expect(r.out).toMatch(/number of failed transactions: 0 /);
      const n = await psql(DB, ['-At', '-c', 'SELECT count(*) FROM log'], { env: { PGOPTIONS: `-c duckmesh.min_visibility_token=${token}` } });
      expect(Number(n.stdout.trim())).toBe(100 * (i + 1));
    });
  }
});
