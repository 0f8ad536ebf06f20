/**
 * The randomized model test of DESIGN §4/§5: concurrent sessions issue random inserts, upserts,
 * updates and deletes; afterwards, for several snapshots, each table must equal a serial model that
 * applies the same writes one by one in bus (token) order up to that snapshot's watermark — before
 * and after a restart.
 */
import { rmSync } from 'node:fs';
import type { Client } from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';
import { describeService, dropPgSchemas, freshPgSchema, PG_URL, postgresAvailable } from '../helpers/services.js';
import { at, lastSeq, rng, waitVisible } from './helpers.js';

type KvRow = { id: number; v: number; s: string };
type EvRow = { k: number; v: number };

/** One logical write, as SQL for the server and as a function on the model. */
type Op =
  | { t: 'kv-insert'; rows: KvRow[] }
  | { t: 'kv-upsert-add'; rows: KvRow[] }
  | { t: 'kv-upsert-where'; rows: KvRow[]; lim: number }
  | { t: 'kv-nothing'; rows: KvRow[] }
  | { t: 'kv-inc'; mod: number; r: number }
  | { t: 'kv-relabel'; gt: number }
  | { t: 'kv-del-range'; a: number; b: number }
  | { t: 'kv-del-v'; gt: number }
  | { t: 'kv-rekey'; id: number; d: number }
  | { t: 'ev-insert'; rows: EvRow[] }
  | { t: 'ev-bump'; k: number }
  | { t: 'ev-del'; gt: number };

const values = (rows: KvRow[]) => rows.map((r) => `(${r.id}, ${r.v}, '${r.s}')`).join(', ');

/** Prepared in every session: parameters of UPDATE/DELETE are typed and inlined at ingest. */
const PREPARED = [
  'PREPARE inc(int, int) AS UPDATE kv SET v = v + 1 WHERE id % $1 = $2',
  'PREPARE delr(int, int) AS DELETE FROM kv WHERE id BETWEEN $1 AND $2',
];

/** SQL text and parameters; INSERT … ON CONFLICT … WHERE goes through the extended protocol with `$1`. */
function sqlOf(op: Op): { text: string; params?: unknown[] } {
  switch (op.t) {
    case 'kv-insert':
      return { text: `INSERT INTO kv VALUES ${values(op.rows)}` };
    case 'kv-upsert-add':
      return { text: `INSERT INTO kv VALUES ${values(op.rows)} ON CONFLICT (id) DO UPDATE SET v = kv.v + excluded.v, s = excluded.s` };
    case 'kv-upsert-where':
      return { text: `INSERT INTO kv AS old VALUES ${values(op.rows)} ON CONFLICT (id) DO UPDATE SET v = excluded.v WHERE old.v < ${op.lim}` };
    case 'kv-nothing':
      return { text: `INSERT INTO kv VALUES ${values(op.rows)} ON CONFLICT DO NOTHING` };
    case 'kv-inc':
      return { text: `EXECUTE inc(${op.mod}, ${op.r})` };
    case 'kv-relabel':
      return { text: `UPDATE kv SET s = 'u' || CAST(id AS TEXT) WHERE v > ${op.gt}` };
    case 'kv-del-range':
      return { text: `EXECUTE delr(${op.a}, ${op.b})` };
    case 'kv-del-v':
      return { text: `DELETE FROM kv WHERE v > ${op.gt}` };
    case 'kv-rekey':
      return { text: `UPDATE kv SET id = id + ${op.d} WHERE id = ${op.id}` };
    case 'ev-insert':
      return { text: `INSERT INTO ev VALUES ${op.rows.map((r) => `(${r.k}, ${r.v})`).join(', ')}` };
    case 'ev-bump':
      return { text: `UPDATE ev SET v = (v * 3 + 1) % 997 WHERE k = ${op.k}` };
    case 'ev-del':
      return { text: `DELETE FROM ev WHERE v > ${op.gt}` };
  }
}

class Model {
  kv = new Map<number, { v: number; s: string }>();
  ev: EvRow[] = [];

  apply(op: Op): void {
    const kv = this.kv;
    switch (op.t) {
      case 'kv-insert':
        // Plain INSERT on a table with a primary key: the newest version of a key wins.
        for (const r of op.rows) kv.set(r.id, { v: r.v, s: r.s });
        return;
      case 'kv-upsert-add':
        for (const r of op.rows) {
          const old = kv.get(r.id);
          kv.set(r.id, old ? { v: old.v + r.v, s: r.s } : { v: r.v, s: r.s });
        }
        return;
      case 'kv-upsert-where':
        for (const r of op.rows) {
          const old = kv.get(r.id);
          if (!old) kv.set(r.id, { v: r.v, s: r.s });
          else if (old.v < op.lim) kv.set(r.id, { v: r.v, s: old.s });
        }
        return;
      case 'kv-nothing':
        for (const r of op.rows) if (!kv.has(r.id)) kv.set(r.id, { v: r.v, s: r.s });
        return;
      case 'kv-inc':
        for (const [id, row] of kv) if (id % op.mod === op.r) row.v += 1;
        return;
      case 'kv-relabel':
        for (const [id, row] of kv) if (row.v > op.gt) row.s = `u${id}`;
        return;
      case 'kv-del-range':
        for (const id of [...kv.keys()]) if (id >= op.a && id <= op.b) kv.delete(id);
        return;
      case 'kv-del-v':
        for (const [id, row] of [...kv]) if (row.v > op.gt) kv.delete(id);
        return;
      case 'kv-rekey': {
        const row = kv.get(op.id);
        if (!row) return;
        kv.delete(op.id);
        kv.set(op.id + op.d, row);
        return;
      }
      case 'ev-insert':
        for (const r of op.rows) this.ev.push({ ...r });
        return;
      case 'ev-bump':
        for (const r of this.ev) if (r.k === op.k) r.v = (r.v * 3 + 1) % 997;
        return;
      case 'ev-del':
        this.ev = this.ev.filter((r) => r.v <= op.gt);
        return;
    }
  }

  kvRows(): KvRow[] {
    return [...this.kv].map(([id, r]) => ({ id, v: r.v, s: r.s })).sort((a, b) => a.id - b.id);
  }

  evRows(): EvRow[] {
    return [...this.ev].sort((a, b) => a.k - b.k || a.v - b.v);
  }
}

function randomOp(r: ReturnType<typeof rng>): Op {
  const id = () => r.int(1, 14);
  const row = (i = id()): KvRow => ({ id: i, v: r.int(0, 60), s: r.pick(['a', 'b', 'c', 'd']) });
  const distinct = (n: number) => {
    const ids = new Set<number>();
    while (ids.size < n) ids.add(id());
    return [...ids].map((i) => row(i));
  };
  switch (r.int(0, 13)) {
    case 0:
    case 1:
      return { t: 'kv-insert', rows: Array.from({ length: r.int(1, 4) }, () => row()) };
    case 2:
      return { t: 'kv-upsert-add', rows: distinct(r.int(1, 3)) };
    case 3:
      return { t: 'kv-upsert-where', rows: distinct(r.int(1, 3)), lim: r.int(10, 50) };
    case 4:
      return { t: 'kv-nothing', rows: Array.from({ length: r.int(1, 4) }, () => row()) };
    case 5:
      return { t: 'kv-inc', mod: r.int(2, 4), r: r.int(0, 1) };
    case 6:
      return { t: 'kv-relabel', gt: r.int(20, 60) };
    case 7: {
      const a = id();
      return { t: 'kv-del-range', a, b: a + r.int(0, 2) };
    }
    case 8:
      return { t: 'kv-del-v', gt: r.int(50, 80) };
    case 9:
      return { t: 'kv-rekey', id: id(), d: r.int(1, 6) };
    case 10:
    case 11:
      return { t: 'ev-insert', rows: Array.from({ length: r.int(1, 3) }, () => ({ k: r.int(1, 5), v: r.int(0, 500) })) };
    case 12:
      return { t: 'ev-bump', k: r.int(1, 5) };
    default:
      return { t: 'ev-del', gt: r.int(700, 990) };
  }
}

const SESSIONS = 8;
const OPS_PER_SESSION = 30;
const SEED = Number(process.env['DUCKMESH_MODEL_SEED'] ?? Date.now() % 1_000_000);

const pg = await postgresAvailable();
const schemas: string[] = [];
afterAll(async () => {
  if (pg.ok) await dropPgSchemas(schemas);
});

describe(`randomized model test, embedded bus and catalog (seed ${SEED})`, () => modelTest(() => ({})));

describeService(`randomized model test, Postgres bus and catalog (seed ${SEED})`, pg, () =>
  modelTest(() => {
    const schema = freshPgSchema('dmmodel');
    schemas.push(schema);
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    return { bus: url, catalog: url };
  }),
);

function modelTest(backends: () => Record<string, string>): void {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('every snapshot equals the serial model applied in bus order up to its watermark, before and after a restart', async () => {
    const flags = { 'worker.maxEntriesPerCommit': 7, ...backends() };
    let srv = await startServer({ flags });
    const dataDir = srv.dataDir;
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => srv.stop());
    const admin = await connect(srv.port);
    await admin.query('CREATE TABLE kv (id INTEGER PRIMARY KEY, v INTEGER NOT NULL, s TEXT NOT NULL)');
    await admin.query('CREATE TABLE ev (k INTEGER, v INTEGER)');
    const created = await lastSeq(admin);

    // (seq of each entry, op) for every acknowledged write; transactions give several entries.
    const log: { seq: number; op: Op }[] = [];
    const session = async (n: number): Promise<void> => {
      const r = rng(SEED * 31 + n);
      const c: Client = await connect(srv.port);
      for (const sql of PREPARED) await c.query(sql);
      try {
        for (let i = 0; i < OPS_PER_SESSION; i++) {
          if (r.chance(0.12)) {
            const ops = [randomOp(r), randomOp(r), randomOp(r)];
            await c.query('BEGIN');
            for (const op of ops) {
              const q = sqlOf(op);
              await c.query(q.text, q.params);
            }
            await c.query('COMMIT');
            const last = await lastSeq(c);
            ops.forEach((op, j) => log.push({ seq: last - ops.length + 1 + j, op }));
          } else {
            const op = randomOp(r);
            const q = sqlOf(op);
            await c.query(q.text, q.params);
            log.push({ seq: await lastSeq(c), op });
          }
        }
      } finally {
        await c.end();
      }
    };
    await Promise.all(Array.from({ length: SESSIONS }, (_, n) => session(n)));
    log.sort((a, b) => a.seq - b.seq);
    expect(new Set(log.map((l) => l.seq)).size).toBe(log.length);
    const head = log[log.length - 1]!.seq;
    await waitVisible(admin, head);

    const snapshots = (await admin.query('SELECT snapshot_id, watermark FROM duckmesh.snapshots ORDER BY snapshot_id')).rows.map((x) => ({
      id: Number(x.snapshot_id),
      watermark: Number(x.watermark),
    }));
    const usable = snapshots.filter((s) => s.watermark >= created);
    // Many snapshots (the worker commits at most 7 entries at a time): check a spread of them.
    expect(usable.length).toBeGreaterThan(10);
    const picks = [...new Set([0, 1, 2, 3, 5, 8].map((k) => Math.floor((k / 8) * (usable.length - 1))).concat(usable.length - 1))].map((i) => usable[i]!);
    expect(picks[picks.length - 1]!.watermark).toBeGreaterThanOrEqual(head);

    const expected = (watermark: number) => {
      const m = new Model();
      for (const l of log) if (l.seq <= watermark) m.apply(l.op);
      return { kv: m.kvRows(), ev: m.evRows() };
    };
    const check = async (c: Client) => {
      for (const s of picks) {
        const want = expected(s.watermark);
        const kv = await at<KvRow>(c, s.id, 'SELECT id, v, s FROM kv ORDER BY id');
        const ev = await at<EvRow>(c, s.id, 'SELECT k, v FROM ev ORDER BY k, v');
        expect({ snapshot: s.id, kv }).toEqual({ snapshot: s.id, kv: want.kv });
        expect({ snapshot: s.id, ev }).toEqual({ snapshot: s.id, ev: want.ev });
      }
    };
    await check(admin);
    expect((await admin.query('SELECT count(*)::int AS n FROM duckmesh.write_failures')).rows[0].n).toBe(0);
    await admin.end();

    await srv.stop({ keepData: true });
    srv = await startServer({ dataDir, flags });
    const after = await connect(srv.port);
    await check(after);
    // Writes keep following the model after the restart.
    await after.query('UPDATE kv SET v = v + 1000');
    const final = new Model();
    for (const l of log) final.apply(l.op);
    for (const row of final.kv.values()) row.v += 1000;
    expect((await after.query('SELECT id, v, s FROM kv ORDER BY id')).rows).toEqual(final.kvRows());
    await after.end();
  }, 180_000);
}
