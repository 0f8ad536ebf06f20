import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, freePort, startServer } from '../helpers/server.js';
import { createScramVerifier, formatVerifier } from '../../src/wire/auth/scram.js';

let srv: Awaited<ReturnType<typeof startServer>>;
let base: string;

beforeAll(async () => {
  const httpPort = await freePort();
  srv = await startServer({ flags: { httpPort, 'http.rowsPerSecondPerTenant': 5_000, 'http.maxBodyBytes': 200_000 } });
  base = `http://127.0.0.1:${httpPort}`;
  const c = await connect(srv.port);
  await c.query('CREATE TABLE clicks (id BIGINT NOT NULL, page TEXT, ms INTEGER, at TIMESTAMPTZ, tags TEXT[])');
  await c.end();
});
afterAll(async () => {
  await srv.stop();
});

async function post(path: string, body: string, contentType: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, any> };
}

describe('HTTP API', () => {
  it('ingests NDJSON as one write (202) whose token works in pg-wire SET duckmesh.min_visibility_token', async () => {
    const ndjson = [
      { id: 1, page: '/a', ms: 12, at: '2024-05-01T10:00:00Z', tags: ['x', 'y'] },
      { id: 2, page: '/b', ms: null },
      { id: 3 },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n');
    const r = await post('/v1/tables/clicks/rows', ndjson, 'application/x-ndjson');
    expect(r.status).toBe(202);
    expect(r.json.rows).toBe(3);
    expect(r.json.token).toMatch(/^dm1\.[0-9a-f]{16}$/);
    expect(r.json.last_seq).toBeGreaterThanOrEqual(r.json.first_seq);
    const c = await connect(srv.port);
    await c.query(`SET duckmesh.min_visibility_token = '${r.json.token}'`);
    const rows = (await c.query('SELECT id, page, ms, tags FROM clicks ORDER BY id')).rows;
    expect(rows).toEqual([
      { id: '1', page: '/a', ms: 12, tags: ['x', 'y'] },
      { id: '2', page: '/b', ms: null, tags: null },
      { id: '3', page: null, ms: null, tags: null },
    ]);
    await c.end();
  });

  it('answers 200 once visible with wait_for_visibility=true, and a pg-wire token works in /v1/query', async () => {
    const r = await post('/v1/tables/clicks/rows?wait_for_visibility=true', JSON.stringify([{ id: 10, page: '/w' }]), 'application/json');
    expect(r.status).toBe(200);
    expect(r.json.snapshot_id).toBeGreaterThan(0);
    const c = await connect(srv.port);
    await c.query(`INSERT INTO clicks (id, page) VALUES (11, '/pg')`);
    const token = (await c.query('SHOW duckmesh.last_visibility_token')).rows[0]['duckmesh.last_visibility_token'];
    await c.end();
    const q = await post('/v1/query', JSON.stringify({ sql: 'SELECT id, page FROM clicks WHERE id >= $1 ORDER BY id', params: [10], min_visibility_token: token }), 'application/json');
    expect(q.status).toBe(200);
    // BIGINT travels as a JSON string (exact beyond 2^53); INTEGER as a number.
    expect(q.json.rows).toEqual([
      ['10', '/w'],
      ['11', '/pg'],
    ]);
    expect(q.json.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'page']);
  });

  it('rejects a bad row with 400 naming row and column, and writes nothing', async () => {
    const before = await post('/v1/query', JSON.stringify({ sql: 'SELECT count(*) AS n FROM clicks' }), 'application/json');
    const r = await post('/v1/tables/clicks/rows?wait_for_visibility=true', JSON.stringify([{ id: 20 }, { id: 21, ms: 'fast' }]), 'application/json');
    expect(r.status).toBe(400);
    expect(r.json.error.row).toBe(2);
    expect(r.json.error.column).toBe('ms');
    expect(r.json.error.code).toBe('22P02');
    const nn = await post('/v1/tables/clicks/rows', JSON.stringify([{ page: 'no id' }]), 'application/json');
    expect(nn.status).toBe(400);
    expect(nn.json.error.code).toBe('23502');
    const unk = await post('/v1/tables/clicks/rows', JSON.stringify([{ id: 1, nope: 1 }]), 'application/json');
    expect(unk.status).toBe(400);
    expect(unk.json.error.column).toBe('nope');
    const after = await post('/v1/query', JSON.stringify({ sql: 'SELECT count(*) AS n FROM clicks' }), 'application/json');
    expect(after.json.rows).toEqual(before.json.rows);
    const missing = await post('/v1/tables/nowhere/rows', '[]', 'application/json');
    expect(missing.status).toBe(404);
  });

  it('answers 413 over the body limit and 429 with Retry-After over the rate limit', async () => {
    const big = JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ id: i, page: 'x'.repeat(50) })));
    const r = await post('/v1/tables/clicks/rows', big, 'application/json');
    expect(r.status).toBe(413);
    let limited = null;
    for (let i = 0; i < 20 && !limited; i++) {
      const rows = JSON.stringify(Array.from({ length: 2000 }, (_, k) => ({ id: k })));
      const res = await post('/v1/tables/clicks/rows', rows, 'application/json');
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(202);
    }
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('op=upsert merges partial rows by key, op=delete removes keys, each one receipt', async () => {
    const c = await connect(srv.port);
    await c.query('CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, plan TEXT DEFAULT \'free\')');
    await c.end();
    const json = 'application/json';
    expect((await post('/v1/tables/accounts/rows', JSON.stringify([{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }]), json)).status).toBe(202);
    const up = await post('/v1/tables/accounts/rows?op=upsert', JSON.stringify([{ id: 1, plan: 'pro' }, { id: 3, name: 'cid' }]), json);
    expect(up.status).toBe(202);
    expect(up.json.rows).toBe(2);
    const del = await post('/v1/tables/accounts/rows?op=delete&wait_for_visibility=true', JSON.stringify([{ id: 2 }]), json);
    expect(del.status).toBe(200);
    const q = await post('/v1/query', JSON.stringify({ sql: 'SELECT id, name, plan FROM accounts ORDER BY id', min_visibility_token: del.json.token }), json);
    expect(q.json.rows).toEqual([
      [1, 'ann', 'pro'],
      [3, 'cid', 'free'],
    ]);
    const noKey = await post('/v1/tables/clicks/rows?op=upsert', JSON.stringify([{ id: 1 }]), json);
    expect([noKey.status, noKey.json.error.code]).toEqual([400, '0A000']);
    const badOp = await post('/v1/tables/accounts/rows?op=merge', '[]', json);
    expect(badOp.status).toBe(400);
  });

  it('Idempotency-Key: a retry answers the original receipt, a different payload answers 422, concurrent retries write once', async () => {
    const json = 'application/json';
    const body = JSON.stringify([{ id: 900500, page: '/idem' }]);
    const key = { 'idempotency-key': 'http-retry-1' };
    const first = await post('/v1/tables/clicks/rows', body, json, key);
    expect(first.status).toBe(202);
    const again = await post('/v1/tables/clicks/rows?wait_for_visibility=true', body, json, key);
    expect(again.status).toBe(200);
    expect([again.json.token, again.json.first_seq, again.json.replayed]).toEqual([first.json.token, first.json.first_seq, true]);
    const other = await post('/v1/tables/clicks/rows', JSON.stringify([{ id: 900501, page: '/idem' }]), json, key);
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe('DM004');
    const racers = await Promise.all(
      Array.from({ length: 16 }, () => post('/v1/tables/clicks/rows', JSON.stringify([{ id: 900502, page: '/race' }]), json, { 'idempotency-key': 'http-race' })),
    );
    expect(racers.every((r) => r.status === 202)).toBe(true);
    expect(new Set(racers.map((r) => r.json.token)).size).toBe(1);
    const q = await post(
      '/v1/query',
      JSON.stringify({ sql: 'SELECT id, count(*)::int AS n FROM clicks WHERE id >= 900500 GROUP BY id ORDER BY id', min_visibility_token: racers[0]!.json.token }),
      json,
    );
    expect(q.json.rows).toEqual([
      ['900500', 1],
      ['900502', 1],
    ]);
  });

  it('refuses writes on /v1/query and serves the OpenAPI document and snapshots', async () => {
    const w = await post('/v1/query', JSON.stringify({ sql: 'INSERT INTO clicks (id) VALUES (1)' }), 'application/json');
    expect(w.status).toBe(400);
    const hostile = await post('/v1/query', JSON.stringify({ sql: "SELECT * FROM read_csv('/etc/passwd')" }), 'application/json');
    expect(hostile.status).toBe(403);
    const doc = (await (await fetch(base + '/v1/openapi.json')).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/tables/{table}/rows');
    const snaps = (await (await fetch(base + '/v1/snapshots')).json()) as { snapshot_id: number; bus_head: number };
    expect(snaps.snapshot_id).toBeGreaterThan(0);
    expect(snaps.bus_head).toBeGreaterThan(0);
  });
});

describe('HTTP API with SCRAM users', () => {
  it('answers 401 without or with wrong credentials and 403 for another tenant', async () => {
    const httpPort = await freePort();
    const scram = formatVerifier(createScramVerifier('s3cret'));
    const s = await startServer({ flags: { httpPort, 'auth.method': 'scram-sha-256', 'auth.users': [{ name: 'acme_app', scram, tenant: 'acme' }] } });
    try {
      const url = `http://127.0.0.1:${httpPort}/v1/query`;
      const body = JSON.stringify({ sql: 'SELECT 1 AS one' });
      const none = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      expect(none.status).toBe(401);
      const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
      const wrong = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: basic('acme_app', 'nope') } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: basic('acme_app', 's3cret') } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { rows: unknown[] }).rows).toEqual([[1]]);
      const other = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: basic('acme_app', 's3cret'), 'x-duckmesh-tenant': 'globex' } });
      expect(other.status).toBe(403);
    } finally {
      await s.stop();
    }
  });
});
