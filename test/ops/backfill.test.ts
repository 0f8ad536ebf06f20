import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultKey, runBackfill, type BackfillOptions, type BackfillReport } from '../../src/ops/backfill.js';
import { OpsError } from '../../src/ops/data-dir.js';
import type { ProgressSink } from '../../src/ops/progress.js';
import { decodeToken } from '../../src/visibility/token.js';
import { connect, startServer } from '../helpers/server.js';
import { runCli } from './replay-backfill-cli.js';

type Server = Awaited<ReturnType<typeof startServer>>;

const COLUMNS = 'id INTEGER NOT NULL, name VARCHAR, amount DECIMAL(10,2), ts TIMESTAMP, ok BOOLEAN';
const ROWS = 'SELECT id, name, amount::VARCHAR AS amount, ts::VARCHAR AS ts, ok FROM';

/** The rows every input file below holds, as the server returns them. */
function expected(n: number, from = 1): { id: number; name: string | null; amount: string; ts: string; ok: boolean }[] {
  return Array.from({ length: n }, (_, i) => {
    const id = from + i;
    return {
      id,
      name: id % 4 === 0 ? null : `name ${id}, "quoted"`,
      amount: `${id}.25`,
      ts: `2024-01-${String(1 + (id % 28)).padStart(2, '0')} 10:00:00`,
      ok: id % 2 === 0,
    };
  });
}

describe('duckmesh backfill', { timeout: 180_000 }, () => {
  let srv: Server;
  let c: pg.Client;
  let dir: string;
  let duck: DuckDBInstance;

  const opts = (files: string[], table: string, extra: Partial<BackfillOptions> = {}): BackfillOptions => ({
    files,
    table,
    connection: { host: '127.0.0.1', port: srv.port, user: 'tester', database: 'duckmesh' },
    ...extra,
  });

  /** Rows of `table` once `token` is visible (a fresh read, not the backfill's session). */
  async function rowsAt(table: string, token: string | null): Promise<unknown[]> {
    if (token) await c.query(`SET duckmesh.min_visibility_token = '${token}'`);
    try {
      return (await c.query(`${ROWS} ${table} ORDER BY id, name`)).rows.map((r: Record<string, unknown>) => ({ ...r, amount: String(r['amount']) }));
    } finally {
      await c.query('RESET duckmesh.min_visibility_token');
    }
  }

  /** Newest watermark (waits for nothing). */
  async function watermark(): Promise<number> {
    return Number((await c.query('SELECT watermark FROM duckmesh.snapshot')).rows[0].watermark);
  }

  async function writeParquet(file: string, n: number, from = 1): Promise<void> {
    const conn = await duck.connect();
    await conn.run(
      `COPY (SELECT (${from} + i)::INTEGER AS id,
                    CASE WHEN (${from} + i) % 4 = 0 THEN NULL ELSE 'name ' || (${from} + i) || ', "quoted"' END AS name,
                    ((${from} + i) + 0.25)::DECIMAL(10,2) AS amount,
                    TIMESTAMP '2024-01-01 10:00:00' + INTERVAL (((${from} + i) % 28)) DAY AS ts,
                    (${from} + i) % 2 = 0 AS ok
             FROM range(${n}) t(i) ORDER BY i) TO '${file}' (FORMAT parquet)`,
    );
    conn.closeSync();
  }

  function writeCsv(file: string, n: number, from = 1): void {
    const lines = ['id,name,amount,ts,ok'];
    for (const r of expected(n, from)) {
      const name = r.name === null ? '' : `"${r.name.replace(/"/g, '""')}"`;
      lines.push(`${r.id},${name},${r.amount},${r.ts},${r.ok}`);
    }
    writeFileSync(file, lines.join('\n') + '\n');
  }

  function writeNdjson(file: string, n: number, from = 1): void {
    const lines = expected(n, from).map((r) => JSON.stringify({ id: r.id, name: r.name, amount: Number(r.amount), ts: r.ts, ok: r.ok }));
    writeFileSync(file, lines.join('\n') + '\n');
  }

  beforeAll(async () => {
    srv = await startServer();
    c = await connect(srv.port);
    dir = mkdtempSync(path.join(os.tmpdir(), 'dm-backfill-'));
    duck = await DuckDBInstance.create(':memory:');
    await c.query(`CREATE TABLE bf_marker (x INTEGER)`);
  });

  afterAll(async () => {
    await c?.end();
    duck?.closeSync();
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads a Parquet file as one write: rows present exactly once, the token makes them visible; re-running returns the same receipt and writes nothing', async () => {
    await c.query(`CREATE TABLE bf_parquet (${COLUMNS})`);
    const file = path.join(dir, 'events.parquet');
    await writeParquet(file, 2500);
    const first = await runBackfill(opts([file], 'bf_parquet'));
    expect(first.rows).toBe(2500);
    expect(first.parts).toHaveLength(1);
    expect(first.parts[0]!.rows).toBe(2500);
    expect(first.token).toMatch(/^dm1\.[0-9a-f]{16}$/);
    expect(first.idempotency_key).toMatch(/^backfill-[0-9a-f]{32}$/);
    expect(first.files).toEqual([{ path: file, format: 'parquet', rows: 2500 }]);
    expect(await rowsAt('bf_parquet', first.token)).toEqual(expected(2500));

    const before = await watermark();
    const again = await runBackfill(opts([file], 'bf_parquet'));
    expect(again.token).toBe(first.token);
    expect(again.idempotency_key).toBe(first.idempotency_key);
    // Nothing new on the bus: after the re-run (and a fresh write to move the watermark) the table is unchanged.
    await c.query(`INSERT INTO bf_marker VALUES (1)`);
    const tok = Object.values((await c.query('SHOW duckmesh.last_visibility_token')).rows[0] as Record<string, string>)[0]!;
    expect(await rowsAt('bf_parquet', tok)).toEqual(expected(2500));
    expect(decodeToken(tok)).toBe(before + 1);
    expect((await c.query('SELECT count(*)::INTEGER AS n FROM bf_parquet')).rows[0].n).toBe(2500);
  });

  it('loads CSV (quoted fields, empty = NULL) and NDJSON (absent key = default), with --wait', async () => {
    await c.query(`CREATE TABLE bf_csv (${COLUMNS})`);
    const csv = path.join(dir, 'events.csv');
    writeCsv(csv, 40);
    const r = await runBackfill(opts([csv], 'bf_csv', { wait: true, waitTimeoutMs: 30_000 }));
    expect(r.rows).toBe(40);
    expect(r.visible_snapshot_id).toBeGreaterThan(0);
    expect(await rowsAt('bf_csv', null)).toEqual(expected(40));

    await c.query(`CREATE TABLE bf_json (id INTEGER NOT NULL, name VARCHAR DEFAULT 'none', amount DECIMAL(10,2), ts TIMESTAMP, ok BOOLEAN)`);
    const nd = path.join(dir, 'events.ndjson');
    writeNdjson(nd, 30);
    // One record without "name": the column default, not NULL (HTTP ingest rules).
    writeFileSync(nd, '{"id": 31, "amount": 1.5, "ts": "2024-02-01 00:00:00", "ok": true}\n', { flag: 'a' });
    const j = await runBackfill(opts([nd], 'bf_json'));
    expect(j.rows).toBe(31);
    expect(await rowsAt('bf_json', j.token)).toEqual([...expected(30), { id: 31, name: 'none', amount: '1.50', ts: '2024-02-01 00:00:00', ok: true }]);
  });

  it('several files and formats into one table, in one write', async () => {
    await c.query(`CREATE TABLE bf_mixed (${COLUMNS})`);
    const p = path.join(dir, 'm1.parquet');
    const s = path.join(dir, 'm2.csv');
    const n = path.join(dir, 'm3.jsonl');
    await writeParquet(p, 10, 1);
    writeCsv(s, 10, 11);
    writeNdjson(n, 10, 21);
    const r = await runBackfill(opts([p, s, n], 'bf_mixed'));
    expect(r.parts).toHaveLength(1);
    expect(r.files.map((f) => [path.basename(f.path), f.format, f.rows])).toEqual([
      ['m1.parquet', 'parquet', 10],
      ['m2.csv', 'csv', 10],
      ['m3.jsonl', 'ndjson', 10],
    ]);
    expect(await rowsAt('bf_mixed', r.token)).toEqual(expected(30));
  });

  it('a bad row anywhere: a clear error naming file, row and column, and nothing is written (also when it is in a later part)', async () => {
    await c.query(`CREATE TABLE bf_bad (${COLUMNS})`);
    const good = path.join(dir, 'good.csv');
    const bad = path.join(dir, 'bad.csv');
    writeCsv(good, 20);
    writeCsv(bad, 5, 21);
    const lines = readFileSync(bad, 'utf8').split('\n');
    lines[3] = lines[3]!.replace(/^23,/, 'abc,'); // data row 3
    writeFileSync(bad, lines.join('\n'));
    const before = await watermark();
    const err = await runBackfill(opts([good, bad], 'bf_bad', { partRows: 5 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as Error).message).toContain(`${bad}, row 3, column "id": invalid input syntax for type integer: "abc"`);
    expect((err as Error).message).toContain('nothing was written');

    const nd = path.join(dir, 'bad.ndjson');
    writeFileSync(nd, '{"id": 1, "name": "a", "amount": 1, "ts": "2024-01-01", "ok": true}\n{"id": 2, "name": "b", "amount": 1, "ts": "2024-01-01", "ok": "maybe"}\n');
    const err2 = await runBackfill(opts([nd], 'bf_bad', { allowMissingColumns: true })).catch((e: unknown) => e);
    expect((err2 as Error).message).toContain(`${nd}, record 2, column "ok": invalid input syntax for type boolean: "maybe"`);

    const pq = path.join(dir, 'overflow.parquet');
    const conn = await duck.connect();
    await conn.run(`COPY (SELECT i::BIGINT * 1000000000 AS id, 'x' AS name, 1.0::DECIMAL(10,2) AS amount, TIMESTAMP '2024-01-01' AS ts, true AS ok FROM range(1, 4) t(i)) TO '${pq}' (FORMAT parquet)`);
    conn.closeSync();
    const err3 = await runBackfill(opts([pq], 'bf_bad')).catch((e: unknown) => e);
    expect((err3 as Error).message).toContain(`${pq}, row 3, column "id": value "3000000000" is out of range for type integer`);

    // Nothing reached the bus: the watermark moves only with our own marker write.
    await c.query(`INSERT INTO bf_marker VALUES (2)`);
    expect((await c.query('SELECT count(*)::INTEGER AS n FROM bf_bad')).rows[0].n).toBe(0);
    const tok = Object.values((await c.query('SHOW duckmesh.last_visibility_token')).rows[0] as Record<string, string>)[0]!;
    expect(decodeToken(tok)).toBe(before + 1);
  });

  it('missing and extra columns are clear errors (or defaults / dropped when asked)', async () => {
    await c.query(`CREATE TABLE bf_cols (id INTEGER NOT NULL, name VARCHAR, extra_col VARCHAR DEFAULT 'd')`);
    const csv = path.join(dir, 'cols.csv');
    writeFileSync(csv, 'id,name,surprise\n1,a,x\n2,b,y\n');
    const err = await runBackfill(opts([csv], 'bf_cols')).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `${csv}: column "surprise" of the file is not in table public.bf_cols (--ignore-extra-columns drops them); ` +
        'table column "extra_col" is not in the file (--allow-missing-columns fills them with their defaults); nothing was written',
    );
    const r = await runBackfill(opts([csv], 'bf_cols', { ignoreExtraColumns: true, allowMissingColumns: true }));
    await c.query(`SET duckmesh.min_visibility_token = '${r.token}'`);
    expect((await c.query('SELECT * FROM bf_cols ORDER BY id')).rows).toEqual([
      { id: 1, name: 'a', extra_col: 'd' },
      { id: 2, name: 'b', extra_col: 'd' },
    ]);
    await c.query('RESET duckmesh.min_visibility_token');
    // Without a header line, columns map by position.
    const plain = path.join(dir, 'plain.csv');
    writeFileSync(plain, '3;c;q\n4;d;r\n');
    const p = await runBackfill(opts([plain], 'bf_cols', { csv: { header: false, delimiter: ';' } }));
    await c.query(`SET duckmesh.min_visibility_token = '${p.token}'`);
    expect((await c.query('SELECT * FROM bf_cols WHERE id > 2 ORDER BY id')).rows).toEqual([
      { id: 3, name: 'c', extra_col: 'q' },
      { id: 4, name: 'd', extra_col: 'r' },
    ]);
    await c.query('RESET duckmesh.min_visibility_token');
    const missing = await runBackfill(opts([path.join(dir, 'nope.csv')], 'bf_cols')).catch((e: unknown) => e);
    expect((missing as Error).message).toBe(`no such file: ${path.join(dir, 'nope.csv')}`);
    const noTable = await runBackfill(opts([csv], 'no_such_table')).catch((e: unknown) => e);
    expect((noTable as Error).message).toBe('table public.no_such_table does not exist in database duckmesh (as of the newest snapshot)');
  });

  it('large inputs go in parts (one key each): an interrupted run resumed with the same key writes every row exactly once', async () => {
    await c.query(`CREATE TABLE bf_parts (${COLUMNS})`);
    const file = path.join(dir, 'parts.parquet');
    await writeParquet(file, 10);
    // Interrupt the first run while it sends part 3 (after parts 1 and 2 were committed).
    const interrupting: ProgressSink = {
      phase: () => undefined,
      advance: (_n, note) => {
        if (note === 'part 3/3') throw new Error('interrupted');
      },
      note: () => undefined,
      end: () => undefined,
    };
    const err = await runBackfill(opts([file], 'bf_parts', { partRows: 4, progress: interrupting })).catch((e: unknown) => e);
    expect((err as Error).message).toBe('interrupted');
    const key = defaultKey('duckmesh', { schema: 'public', name: 'bf_parts' }, [
      { path: file, format: 'parquet', size: statSync(file).size, mtimeMs: statSync(file).mtimeMs },
    ]);
    // Parts 1 and 2 are there (8 rows), part 3 is not.
    await c.query(`INSERT INTO bf_marker VALUES (3)`);
    expect((await c.query('SELECT count(*)::INTEGER AS n FROM bf_parts')).rows[0].n).toBe(8);

    const resumed: BackfillReport = await runBackfill(opts([file], 'bf_parts', { partRows: 4 }));
    expect(resumed.idempotency_key).toBe(key);
    expect(resumed.parts.map((p) => [p.part, p.idempotency_key, p.rows])).toEqual([
      [1, key, 4],
      [2, `${key}/part-2`, 4],
      [3, `${key}/part-3`, 2],
    ]);
    expect(resumed.token).toBe(resumed.parts[2]!.token);
    expect(await rowsAt('bf_parts', resumed.token)).toEqual(expected(10));
    // Parts 1 and 2 were answered with their original receipts: earlier than part 3's.
    expect(resumed.parts[0]!.last_seq).toBeLessThan(resumed.parts[1]!.last_seq);
    expect(resumed.parts[1]!.last_seq).toBeLessThan(resumed.parts[2]!.last_seq);

    // Same key, other part size: part 1's rows differ → refused before anything is written.
    const err2 = await runBackfill(opts([file], 'bf_parts', { partRows: 3 })).catch((e: unknown) => e);
    expect((err2 as Error).message).toContain('(SQLSTATE DM004)');
    expect((err2 as Error).message).toContain('--part-rows changed');
    await c.query(`INSERT INTO bf_marker VALUES (4)`);
    expect(await rowsAt('bf_parts', null)).toEqual(expected(10));

    // An explicit key is used as given.
    const explicit = await runBackfill(opts([file], 'bf_parts', { idempotencyKey: 'my-load-2024', partRows: 100 }));
    expect(explicit.idempotency_key).toBe('my-load-2024');
    expect(explicit.parts.map((p) => p.idempotency_key)).toEqual(['my-load-2024']);
    expect((await rowsAt('bf_parts', explicit.token)).length).toBe(20);
  });

  it('the CLI: prints the receipt (--json), exit 0; a bad file is exit 2 with the error on stderr', async () => {
    await c.query(`CREATE TABLE bf_cli (id INTEGER NOT NULL, name VARCHAR)`);
    const csv = path.join(dir, 'cli.csv');
    writeFileSync(csv, 'id,name\n1,x\n2,y\n');
    const conn = ['-H', '127.0.0.1', '-p', String(srv.port), '-U', 'tester', '-d', 'duckmesh'];
    const ok = await runCli(['backfill', csv, '--table', 'bf_cli', ...conn, '--json', '--quiet', '--wait', '--wait-timeout', '30s']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const receipt = JSON.parse(ok.stdout) as BackfillReport;
    expect(receipt).toMatchObject({ ok: true, database: 'duckmesh', table: 'public.bf_cli', rows: 2, parts: [{ part: 1, rows: 2 }] });
    expect(receipt.visible_snapshot_id).toBeGreaterThan(0);
    expect((await c.query('SELECT id, name FROM bf_cli ORDER BY id')).rows).toEqual([{ id: 1, name: 'x' }, { id: 2, name: 'y' }]);

    const human = await runCli(['backfill', csv, '--table', 'bf_cli', ...conn, '--quiet', '--idempotency-key', receipt.idempotency_key]);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(
      `backfilled 2 rows from 1 file(s) into duckmesh.public.bf_cli as one write\ntoken ${receipt.token}\nidempotency key ${receipt.idempotency_key}\n`,
    );

    writeFileSync(csv, 'id,name\n1,x\nzwei,y\n');
    const bad = await runCli(['backfill', csv, '--table', 'bf_cli', ...conn, '--quiet']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe(`duckmesh: ${csv}, row 2, column "id": invalid input syntax for type integer: "zwei" (SQLSTATE 22P02); nothing was written\n`);
  });
});
