/**
 * Schema registry: data written under several schema versions reads correctly under the newest
 * one (files are never rewritten; they are projected by column id), every version is recorded and
 * queryable, compatibility modes refuse what they must, and time travel shows old schemas.
 */
import { rmSync } from 'node:fs';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, startServer } from '../helpers/server.js';
import { at, errorOf, lastSeq, waitVisible } from './helpers.js';

type Server = Awaited<ReturnType<typeof startServer>>;

describe('schema evolution', () => {
  let srv: Server;
  let dataDir: string;
  let c: pg.Client;

  beforeAll(async () => {
    srv = await startServer();
    dataDir = srv.dataDir;
    c = await connect(srv.port);
  });

  afterAll(async () => {
    await c?.end().catch(() => undefined);
    await srv?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('round trip: rows written under four versions, read (and updated) under the newest', async () => {
    await c.query('CREATE TABLE orders (id INTEGER PRIMARY KEY, qty INTEGER, note VARCHAR(10), gone TEXT)');
    await c.query(`INSERT INTO orders VALUES (1, 10, 'first', 'x'), (2, 20, 'second', 'y')`);
    await waitVisible(c, await lastSeq(c));
    const v1Snapshot = Number((await c.query('SELECT snapshot_id FROM duckmesh.snapshot')).rows[0].snapshot_id);

    // v2: a column with a default (old rows read it), a dropped column.
    await c.query(`ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new', DROP COLUMN gone`);
    await c.query(`INSERT INTO orders (id, qty, note, status) VALUES (3, 30, 'third', 'paid')`);
    // v3: rename + widening.
    await c.query('ALTER TABLE orders RENAME COLUMN qty TO quantity');
    await c.query('ALTER TABLE orders ALTER COLUMN quantity TYPE BIGINT, ALTER COLUMN note TYPE VARCHAR(40)');
    await c.query(`INSERT INTO orders VALUES (4, 5000000000, 'a much longer note than before', 'paid')`);
    // v4: the old name of a dropped column comes back as a NEW column: old data must not resurface.
    await c.query('ALTER TABLE orders ADD COLUMN gone TEXT');
    await c.query(`INSERT INTO orders VALUES (5, 50, 'fifth', 'new', 'fresh')`);
    // An update across files of every version, evaluated at its position.
    await c.query(`UPDATE orders SET quantity = quantity + 1 WHERE status = 'new'`);
    await waitVisible(c, await lastSeq(c));

    const expected = [
      { id: 1, quantity: '11', note: 'first', status: 'new', gone: null },
      { id: 2, quantity: '21', note: 'second', status: 'new', gone: null },
      { id: 3, quantity: '30', note: 'third', status: 'paid', gone: null },
      { id: 4, quantity: '5000000000', note: 'a much longer note than before', status: 'paid', gone: null },
      { id: 5, quantity: '51', note: 'fifth', status: 'new', gone: 'fresh' },
    ];
    expect((await c.query('SELECT * FROM orders ORDER BY id')).rows).toEqual(expected);
    const types = (await c.query('SELECT * FROM orders LIMIT 0')).fields.map((f) => [f.name, f.dataTypeID]);
    expect(types).toEqual([['id', 23], ['quantity', 20], ['note', 25], ['status', 25], ['gone', 25]]);

    // Every version is recorded, with what changed.
    const history = (await c.query(`SELECT version, change FROM duckmesh.schema_history WHERE table_name = 'orders' ORDER BY version`)).rows;
    expect(history.map((h) => h.version)).toEqual([1, 2, 3, 4, 5]);
    expect(history[1].change).toBe('add column status VARCHAR, drop column gone');
    expect(history[2].change).toBe('rename column qty to quantity');
    expect(history[3].change).toMatch(/alter column quantity type BIGINT \(was INTEGER\), alter column note type VARCHAR\(40\)/);

    // Time travel shows the table as it was then: old columns, old data.
    expect(await at(c, v1Snapshot, 'SELECT * FROM orders ORDER BY id')).toEqual([
      { id: 1, qty: 10, note: 'first', gone: 'x' },
      { id: 2, qty: 20, note: 'second', gone: 'y' },
    ]);

    // … and all of it survives a restart.
    await c.end();
    await srv.stop({ keepData: true });
    srv = await startServer({ dataDir });
    c = await connect(srv.port);
    expect((await c.query('SELECT * FROM orders ORDER BY id')).rows).toEqual(expected);
    expect((await at(c, v1Snapshot, 'SELECT count(*)::int AS n FROM orders'))[0]).toEqual({ n: 2 });
  });

  it('refuses narrowing and impossible changes, and applies the table\'s compatibility mode', async () => {
    await c.query('CREATE TABLE m (id INTEGER PRIMARY KEY, a BIGINT, b TEXT NOT NULL, c TEXT)');
    await c.query(`INSERT INTO m VALUES (1, 5000000000, 'x', 'y')`);
    expect((await errorOf(c, 'ALTER TABLE m ALTER COLUMN a TYPE INTEGER'))?.code).toBe('42804');
    expect((await errorOf(c, 'ALTER TABLE m ALTER COLUMN b TYPE INTEGER'))?.code).toBe('42804');
    expect((await errorOf(c, 'ALTER TABLE m ADD COLUMN d TEXT NOT NULL'))?.code).toBe('23502');
    expect((await errorOf(c, 'ALTER TABLE m DROP COLUMN id'))?.code).toBe('0A000');
    expect((await errorOf(c, 'ALTER TABLE m ALTER COLUMN c SET NOT NULL'))?.code).toBe('0A000');
    expect((await errorOf(c, 'ALTER TABLE m DROP COLUMN nope'))?.code).toBe('42703');
    expect((await errorOf(c, 'ALTER TABLE m ADD COLUMN c TEXT'))?.code).toBe('42701');
    expect((await errorOf(c, `ALTER TABLE m SET (duckmesh.compatibility = 'sideways')`))?.code).toBe('22023');
    await c.query('ALTER TABLE m ADD COLUMN IF NOT EXISTS c TEXT');
    await c.query('ALTER TABLE IF EXISTS nosuch ADD COLUMN z INTEGER');

    // FORWARD: readers of the previous version must keep working.
    await c.query(`ALTER TABLE m SET (duckmesh.compatibility = 'forward')`);
    expect((await errorOf(c, 'ALTER TABLE m RENAME COLUMN c TO c2'))?.code).toBe('0A000');
    expect((await errorOf(c, 'ALTER TABLE m DROP COLUMN b'))?.code).toBe('0A000');
    expect((await errorOf(c, 'ALTER TABLE m ALTER COLUMN id TYPE BIGINT'))?.code).toBe('0A000');
    await c.query('ALTER TABLE m DROP COLUMN c'); // nullable: old readers read NULL
    await c.query('ALTER TABLE m ADD COLUMN e INTEGER DEFAULT 3');

    // NONE: even a narrowing change; values that do not fit read as NULL.
    await c.query(`ALTER TABLE m SET (duckmesh.compatibility = 'none')`);
    await c.query('ALTER TABLE m ALTER COLUMN a TYPE INTEGER');
    await c.query(`INSERT INTO m (id, a, b) VALUES (2, 7, 'z')`);
    await waitVisible(c, await lastSeq(c));
    expect((await c.query('SELECT id, a, b, e FROM m ORDER BY id')).rows).toEqual([
      { id: 1, a: null, b: 'x', e: 3 },
      { id: 2, a: 7, b: 'z', e: 3 },
    ]);
    expect((await c.query(`SELECT compatibility FROM duckmesh.tables WHERE table_name = 'm'`)).rows).toEqual([{ compatibility: 'none' }]);
  });

  it('validates writes against the live schema and renames tables', async () => {
    await c.query('CREATE TABLE r (id INTEGER PRIMARY KEY, v INTEGER)');
    await c.query('INSERT INTO r VALUES (1, 1)');
    await c.query('ALTER TABLE r RENAME COLUMN v TO w');
    expect((await errorOf(c, 'INSERT INTO r (id, v) VALUES (2, 2)'))?.code).toBe('42703');
    expect((await errorOf(c, 'UPDATE r SET v = 3'))?.code).toBe('42703');
    await c.query('UPDATE r SET w = w + 10');
    await c.query('ALTER TABLE r RENAME TO renamed');
    expect((await errorOf(c, 'SELECT * FROM r'))?.code).toBe('42P01');
    expect((await c.query('SELECT * FROM renamed')).rows).toEqual([{ id: 1, w: 11 }]);
    await c.query('ALTER TABLE renamed ALTER COLUMN w SET DEFAULT 42');
    await c.query('INSERT INTO renamed (id) VALUES (2)');
    expect((await c.query('SELECT * FROM renamed ORDER BY id')).rows).toEqual([
      { id: 1, w: 11 },
      { id: 2, w: 42 },
    ]);
  });
});
