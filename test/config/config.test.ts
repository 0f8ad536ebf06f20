import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

function configFile(content: unknown): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'dm-cfg-')), 'duckmesh.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function loadError(opts: Parameters<typeof loadConfig>[0]): ConfigError {
  try {
    loadConfig(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const SHARED = { DUCKMESH_BUS: 'postgres://postgres@127.0.0.1:5432/test', DUCKMESH_CATALOG: 'postgres://postgres@127.0.0.1:5432/test' };

describe('config: existing behaviour', () => {
  it('runs with no configuration at all on safe defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({
      dataDir: './duckmesh-data',
      host: '127.0.0.1',
      pgPort: 5433,
      httpPort: 8433,
      logLevel: 'info',
      defaultTenant: 'duckmesh',
      auth: { method: 'trust', users: [] },
    });
    expect(c.worker.maxEntriesPerCommit).toBe(20_000);
  });

  it('applies defaults < file < environment < flags', () => {
    const file = configFile({ pgPort: 6000, logLevel: 'warn', httpPort: 7000, limits: { maxConnections: 10 } });
    expect(loadConfig({ file, env: {} })).toMatchObject({ pgPort: 6000, logLevel: 'warn', httpPort: 7000 });
    const env = { DUCKMESH_PG_PORT: '6001', DUCKMESH_HTTP_PORT: '7001' };
    expect(loadConfig({ file, env })).toMatchObject({ pgPort: 6001, httpPort: 7001, logLevel: 'warn' });
    const c = loadConfig({ file, env, flags: { pgPort: '6002', httpPort: undefined } });
    expect(c).toMatchObject({ pgPort: 6002, httpPort: 7001, logLevel: 'warn' });
    // A nested object from the file keeps the defaults of the keys it does not set.
    expect(c.limits).toMatchObject({ maxConnections: 10, maxRowsPerWrite: 1_000_000 });
    // DUCKMESH_CONFIG names the file when no explicit one is given; empty env values are ignored.
    expect(loadConfig({ env: { DUCKMESH_CONFIG: file, DUCKMESH_PG_PORT: '' } }).pgPort).toBe(6000);
  });

  it('names the key of a bad value', () => {
    expect(loadError({ env: { DUCKMESH_PG_PORT: '70000' } }).message).toMatch(/pgPort/);
    expect(loadError({ env: {}, flags: { httpPort: 'eighty' } }).message).toMatch(/httpPort/);
    expect(loadError({ file: configFile({ limits: { maxConnections: -1 } }), env: {} }).message).toMatch(/limits\.maxConnections/);
    expect(loadError({ file: configFile({ nosuchKey: 1 }), env: {} }).message).toMatch(/nosuchKey/);
    expect(loadError({ file: configFile('{not json'), env: {} }).message).toMatch(/not valid JSON/);
    expect(loadError({ file: '/nonexistent/duckmesh.json', env: {} }).message).toMatch(/cannot read config file/);
  });

  it('refuses trust authentication beyond loopback', () => {
    expect(loadError({ env: { DUCKMESH_HOST: '0.0.0.0' } }).message).toMatch(/refusing to listen on 0\.0\.0\.0 with trust/);
    expect(loadError({ env: {}, flags: { host: '192.0.2.10' } }).message).toMatch(/trust/);
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1']) expect(loadConfig({ env: { DUCKMESH_HOST: host } }).host).toBe(host);
    const users = [{ name: 'u', scram: 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vy' }];
    const c = loadConfig({ file: configFile({ host: '0.0.0.0', auth: { method: 'scram-sha-256', users } }), env: {} });
    expect(c.auth.method).toBe('scram-sha-256');
    expect(loadError({ env: { DUCKMESH_AUTH_METHOD: 'scram-sha-256' } }).message).toMatch(/no users/);
  });
});

describe('config: bus, catalog, roles, lease, nodeId', () => {
  it('defaults to today\'s single embedded process', () => {
    const c = loadConfig({ env: {} });
    expect(c.bus).toBe('embedded');
    expect(c.catalog).toBe('embedded');
    expect(c.roles).toEqual(['ingest', 'query', 'worker']);
    expect(c.lease).toEqual({ ttlMs: 5000 });
    expect(c.nodeId).toBe(`${os.hostname()}-${process.pid}`);
  });

  it('reads them from the environment, roles comma-separated', () => {
    const c = loadConfig({
      env: {
        DUCKMESH_BUS: 'nats://127.0.0.1:4222,nats://127.0.0.2:4222',
        DUCKMESH_CATALOG: 'postgresql://dm:secret@db.internal:5432/duckmesh?schema=prod',
        DUCKMESH_ROLES: ' query , ingest,query',
        DUCKMESH_LEASE_TTL_MS: '2000',
        DUCKMESH_NODE_ID: 'node-7',
      },
    });
    expect(c.bus).toBe('nats://127.0.0.1:4222,nats://127.0.0.2:4222');
    expect(c.catalog).toBe('postgresql://dm:secret@db.internal:5432/duckmesh?schema=prod');
    // Canonical order, duplicates dropped.
    expect(c.roles).toEqual(['ingest', 'query']);
    expect(c.lease.ttlMs).toBe(2000);
    expect(c.nodeId).toBe('node-7');
  });

  it('takes them from the file and flags with the usual precedence', () => {
    const file = configFile({ bus: 'postgres://h/db', catalog: 'postgres://h/db', roles: ['worker'], lease: { ttlMs: 9000 }, nodeId: 'from-file' });
    expect(loadConfig({ file, env: {} })).toMatchObject({ roles: ['worker'], lease: { ttlMs: 9000 }, nodeId: 'from-file' });
    const c = loadConfig({ file, env: { DUCKMESH_ROLES: 'query', DUCKMESH_NODE_ID: 'from-env' }, flags: { roles: 'ingest,worker', bus: 'nats://127.0.0.1:4222' } });
    expect(c).toMatchObject({ roles: ['ingest', 'worker'], nodeId: 'from-env', bus: 'nats://127.0.0.1:4222', catalog: 'postgres://h/db' });
    expect(loadConfig({ env: SHARED, flags: { roles: ['query'] } }).roles).toEqual(['query']);
  });

  it('rejects bad values naming the key', () => {
    expect(loadError({ env: { DUCKMESH_BUS: 'redis://127.0.0.1' } }).message).toMatch(/bus: must be "embedded"/);
    expect(loadError({ env: { DUCKMESH_BUS: 'nats://127.0.0.1:4222,postgres://h/db' } }).message).toMatch(/bus/);
    expect(loadError({ env: { DUCKMESH_CATALOG: 'nats://127.0.0.1:4222' } }).message).toMatch(/catalog: must be "embedded" or a postgres/);
    expect(loadError({ env: { ...SHARED, DUCKMESH_ROLES: 'query,reader' } }).message).toMatch(/roles/);
    expect(loadError({ env: { ...SHARED, DUCKMESH_ROLES: ' , ' } }).message).toMatch(/roles: needs at least one/);
    expect(loadError({ env: { DUCKMESH_LEASE_TTL_MS: '50' } }).message).toMatch(/lease\.ttlMs/);
    expect(loadError({ env: {}, flags: { nodeId: '  ' } }).message).toMatch(/nodeId/);
  });

  it('refuses roles without the worker on an embedded bus or catalog', () => {
    expect(loadError({ env: { DUCKMESH_ROLES: 'ingest,query' } }).message).toMatch(/shared bus and catalog/);
    expect(loadError({ env: { DUCKMESH_ROLES: 'query', DUCKMESH_BUS: SHARED.DUCKMESH_BUS } }).message).toMatch(/catalog/);
    // With the worker, any combination is fine for one process.
    expect(loadConfig({ env: { DUCKMESH_BUS: 'nats://127.0.0.1:4222', DUCKMESH_ROLES: 'worker' } }).catalog).toBe('embedded');
    expect(loadConfig({ env: { ...SHARED, DUCKMESH_ROLES: 'query' } }).roles).toEqual(['query']);
  });
});
