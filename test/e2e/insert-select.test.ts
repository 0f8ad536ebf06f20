/**
 * INSERT … SELECT streams its rows from DuckDB into bus payload chunk by chunk: a big statement is
 * still one logical write (one token, all or nothing), and the per-statement limits apply.
 */
import type { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let c: Client;

beforeAll(async () => {
  srv = await startServer({ flags: { 'limits.rowsPerBusEntry': 1000, 'limits.maxRowsPerWrite': 50_000 } });
  c = await connect(srv.port);
  await c.query('CREATE TABLE src (id INTEGER, label TEXT, ts TIMESTAMPTZ)');
  await c.query('CREATE TABLE dst (id INTEGER NOT NULL, label TEXT, ts TIMESTAMPTZ)');
});
afterAll(async () => {
  await c?.end();
  await srv?.stop();
});

describe('INSERT … SELECT', () => {
  it('a 20,000-row statement spans many bus entries but is one write with one token, all visible at once', async () => {
    const before = Number((await c.query('SELECT 1')).rows.length);
    expect(before).toBe(1);
    const r = await c.query(`INSERT INTO src SELECT i::INTEGER, 'row ' || i, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 minute' FROM range(20000) t(i)`);
    expect(r.rowCount).toBe(20_000);
    const token = (await c.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token'] as string;
    const seqs = await srv.server.node.bus.read(0, { maxEntries: 1000, maxBytes: Number.MAX_SAFE_INTEGER });
    const rowsEntries = seqs.filter((e) => e.kind === 'rows');
    expect(rowsEntries.length).toBe(20);
    expect(Number.parseInt(token.slice(4), 16)).toBe(rowsEntries[rowsEntries.length - 1]!.seq);
    const stats = (await c.query('SELECT count(*)::int AS n, min(id) AS lo, max(id) AS hi, max(ts) AS last FROM src')).rows[0];
    expect(stats).toEqual({ n: 20_000, lo: 0, hi: 19_999, last: new Date('2024-01-14T21:19:00Z') });
    // INSERT … SELECT from a table, with a column list and validation (NOT NULL) per row.
    await c.query('INSERT INTO dst (id, label) SELECT id, upper(label) FROM src WHERE id < 5');
    expect((await c.query('SELECT id, label FROM dst ORDER BY id')).rows.map((x) => x.label)).toEqual(['ROW 0', 'ROW 1', 'ROW 2', 'ROW 3', 'ROW 4']);
  });

  it('is refused as a whole past limits.maxRowsPerWrite, and a bad row refuses the whole statement', async () => {
    const big = await c.query('INSERT INTO src SELECT i::INTEGER, NULL, NULL FROM range(60000) t(i)').catch((e: { code: string }) => e);
    expect((big as { code: string }).code).toBe('54000');
    const bad = await c.query('INSERT INTO dst SELECT CASE WHEN i = 3000 THEN NULL ELSE i END::INTEGER, NULL, NULL FROM range(5000) t(i)').catch((e: { code: string }) => e);
    expect((bad as { code: string }).code).toBe('23502');
    expect((await c.query('SELECT count(*)::int AS n FROM src')).rows[0].n).toBe(20_000);
    expect((await c.query('SELECT count(*)::int AS n FROM dst')).rows[0].n).toBe(5);
  });
});
