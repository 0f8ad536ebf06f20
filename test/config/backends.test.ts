import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { NatsBus } from '../../src/bus/nats/nats-bus.js';
import { PgBus } from '../../src/bus/postgres/pg-bus.js';
import { PgCatalog } from '../../src/catalog/postgres/pg-catalog.js';
import { DuckMeshError, SqlState } from '../../src/common/errors.js';
import { natsTarget, openBus, openCatalog, postgresTarget, redactUrl, usesEmbeddedStorage } from '../../src/node/backends.js';
import { DataLayout } from '../../src/storage/layout.js';
import {
  closedPort,
  deleteNatsStreams,
  describeService,
  dropPgSchemas,
  freshNatsStream,
  freshPgSchema,
  NATS_URL,
  natsAvailable,
  PG_URL,
  postgresAvailable,
} from '../helpers/services.js';

const layout = () => new DataLayout(mkdtempSync(path.join(os.tmpdir(), 'dm-backends-')));
const cfg = (bus = 'embedded', catalog = 'embedded') => ({ bus, catalog, nodeId: 'test-node' });

describe('backend settings', () => {
  it('parses Postgres URLs, taking schema= out of the connection string', () => {
    expect(postgresTarget('postgres://u:p@h:5432/db?schema=dm_a&sslmode=disable')).toEqual({
      connectionString: 'postgres://u:p@h:5432/db?sslmode=disable',
      schema: 'dm_a',
    });
    expect(postgresTarget('postgresql://h/db')).toEqual({ connectionString: 'postgresql://h/db' });
  });

  it('parses NATS URLs: several servers, stream/subject, credentials kept out of the server list', () => {
    expect(natsTarget('nats://127.0.0.1:4222')).toEqual({ servers: ['nats://127.0.0.1:4222'] });
    expect(natsTarget('nats://u:p%40ss@a:4222?stream=S1&subject=x.y, nats://b:4223?stream=S1')).toEqual({
      servers: ['nats://a:4222', 'nats://b:4223'],
      stream: 'S1',
      subject: 'x.y',
      connection: { user: 'u', pass: 'p@ss' },
    });
    expect(() => natsTarget('nats://a:4222?stream=S1,nats://b:4222?stream=S2')).toThrow(/conflicting stream/);
  });

  it('redacts passwords for logs', () => {
    expect(redactUrl('postgres://dm:secret@db:5432/x?schema=s')).toBe('postgres://dm:***@db:5432/x?schema=s');
    expect(redactUrl('nats://a:4222,nats://u:pw@b:4222')).toBe('nats://a:4222,nats://u:***@b:4222');
    expect(redactUrl('embedded')).toBe('embedded');
  });

  it('knows when the data directory is this process\'s alone', () => {
    expect(usesEmbeddedStorage(cfg())).toBe(true);
    expect(usesEmbeddedStorage(cfg('nats://h:4222'))).toBe(true);
    expect(usesEmbeddedStorage(cfg('nats://h:4222', 'postgres://h/db'))).toBe(false);
  });

  it('opens the embedded bus and catalog by default, in the data directory', async () => {
    const l = layout();
    const bus = await openBus(cfg(), l);
    const cat = await openCatalog(cfg(), l);
    expect([bus.backend, cat.backend]).toEqual(['embedded', 'embedded']);
    expect(existsSync(l.busFile) && existsSync(l.catalogFile)).toBe(true);
    await bus.close();
    await cat.close();
  });
});

const pgOk = await postgresAvailable();
const natsOk = await natsAvailable();
const schemas: string[] = [];
const streams: string[] = [];
afterAll(async () => {
  if (pgOk.ok) await dropPgSchemas(schemas);
  if (natsOk.ok) await deleteNatsStreams(streams);
});

describeService('backends on Postgres', pgOk, () => {
  it('opens PgBus and PgCatalog in the schema the URL names, tagged with the node id', async () => {
    const schema = freshPgSchema('dmbk');
    schemas.push(schema);
    const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    const bus = await openBus(cfg(url, url), layout());
    const cat = await openCatalog(cfg(url, url), layout());
    expect(bus).toBeInstanceOf(PgBus);
    expect(cat).toBeInstanceOf(PgCatalog);
    expect((cat as PgCatalog).schema).toBe(schema);
    await bus.append([{ tenant: 't', kind: 'ddl', payload: '{}' }]);
    await cat.ping();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".bus_entries`);
    const apps = await admin.query(`SELECT DISTINCT application_name FROM pg_stat_activity WHERE application_name LIKE '%test-node'`);
    await admin.end();
    expect(rows[0].n).toBe(1);
    expect(apps.rows.map((r) => r.application_name).sort()).toEqual(['duckmesh-bus test-node', 'duckmesh-catalog test-node']);
    await bus.close();
    await cat.close();
  });

  it('fails clearly when the Postgres catalog or bus is unreachable', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
    const catErr = await openCatalog(cfg('embedded', url), layout()).catch((e: unknown) => e);
    expect(catErr).toBeInstanceOf(DuckMeshError);
    expect((catErr as DuckMeshError).sqlstate).toBe(SqlState.catalogUnavailable);
    const busErr = await openBus(cfg(url), layout()).catch((e: unknown) => e);
    expect((busErr as DuckMeshError).sqlstate).toBe(SqlState.busUnavailable);
  });
});

describeService('backends on NATS', natsOk, () => {
  it('opens NatsBus on the stream and subject the URL names', async () => {
    const { stream, subject } = freshNatsStream();
    streams.push(stream);
    const bus = await openBus(cfg(`${NATS_URL}?stream=${stream}&subject=${subject}`), layout());
    expect(bus).toBeInstanceOf(NatsBus);
    expect((bus as NatsBus).stream).toBe(stream);
    expect((bus as NatsBus).subject).toBe(subject);
    const seq = await bus.append([{ tenant: 't', kind: 'ddl', payload: '{}' }]);
    expect(await bus.head()).toBe(seq);
    await bus.close();
  });
});
