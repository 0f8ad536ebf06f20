import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { SqliteBus } from '../bus/embedded/sqlite-bus.js';
import { NatsBus, type NatsBusOptions } from '../bus/nats/nats-bus.js';
import { PgBus, type PgBusOptions } from '../bus/postgres/pg-bus.js';
import type { IngestBus } from '../bus/types.js';
import { SqliteCatalog } from '../catalog/embedded/sqlite-catalog.js';
import { PgCatalog, type PgCatalogOptions } from '../catalog/postgres/pg-catalog.js';
import type { Catalog } from '../catalog/types.js';
import type { Config } from '../config/schema.js';
import type { DataLayout } from '../storage/layout.js';

export interface BackendOptions {
  /** Errors nobody awaits (a pooled connection dropped, a LISTEN session lost); they recover by themselves. */
  onBackgroundError?: (component: 'bus' | 'catalog', err: Error) => void;
}

type BackendConfig = Pick<Config, 'bus' | 'catalog' | 'nodeId'>;

/**
 * Opens the ingest bus `config.bus` names: "embedded" → SQLite in the data directory (the default),
 * postgres://… → PgBus, nats://… → NatsBus. Fails with DM005 when the service is unreachable.
 */
export async function openBus(config: BackendConfig, layout: DataLayout, opts: BackendOptions = {}): Promise<IngestBus> {
  const setting = config.bus;
  if (setting === 'embedded') {
    mkdirSync(path.dirname(layout.busFile), { recursive: true });
    return new SqliteBus(layout.busFile);
  }
  const onBackgroundError = (err: Error) => opts.onBackgroundError?.('bus', err);
  if (/^postgres(ql)?:/i.test(setting)) {
    const pgOpts: PgBusOptions = { ...postgresTarget(setting), applicationName: appName('bus', config.nodeId), onBackgroundError };
    return PgBus.open(pgOpts);
  }
  if (/^nats:/i.test(setting)) return NatsBus.open({ ...natsTarget(setting), name: appName('bus', config.nodeId), onBackgroundError });
  throw new Error(`unsupported bus setting ${JSON.stringify(redactUrl(setting))}`);
}

/**
 * Opens the catalog `config.catalog` names: "embedded" → SQLite in the data directory (the default),
 * postgres://… → PgCatalog. Fails with DM006 when Postgres is unreachable.
 */
export async function openCatalog(config: BackendConfig, layout: DataLayout, opts: BackendOptions = {}): Promise<Catalog> {
  const setting = config.catalog;
  if (setting === 'embedded') {
    mkdirSync(path.dirname(layout.catalogFile), { recursive: true });
    return new SqliteCatalog(layout.catalogFile);
  }
  if (/^postgres(ql)?:/i.test(setting)) {
    const pgOpts: PgCatalogOptions = {
      ...postgresTarget(setting),
      applicationName: appName('catalog', config.nodeId),
      onBackgroundError: (err) => opts.onBackgroundError?.('catalog', err),
    };
    return PgCatalog.open(pgOpts);
  }
  throw new Error(`unsupported catalog setting ${JSON.stringify(redactUrl(setting))}`);
}

/**
 * True when this process uses the embedded bus or catalog, i.e. state that lives in (and only in)
 * its data directory: it must then hold the data-directory lock. With a shared bus and catalog,
 * several processes share one data directory and none may take that lock.
 */
export function usesEmbeddedStorage(config: Pick<Config, 'bus' | 'catalog'>): boolean {
  return config.bus === 'embedded' || config.catalog === 'embedded';
}

/** The setting with any password replaced by `***`, for logs and errors. */
export function redactUrl(setting: string): string {
  return setting
    .split(',')
    .map((part) => {
      try {
        const u = new URL(part.trim());
        if (u.password !== '') u.password = '***';
        return u.toString();
      } catch {
        return part;
      }
    })
    .join(',');
}

/** postgres://…?schema=name → the connection string without `schema`, and the schema. */
export function postgresTarget(setting: string): { connectionString: string; schema?: string } {
  const u = new URL(setting);
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  return schema === undefined ? { connectionString: u.toString() } : { connectionString: u.toString(), schema };
}

/**
 * nats://[user:pass@]host:port[?stream=S&subject=s][,nats://…] → servers, stream and subject, and
 * the credentials as connection options (not left in the server URLs, where they would be logged).
 */
export function natsTarget(setting: string): Pick<NatsBusOptions, 'servers' | 'stream' | 'subject' | 'connection'> {
  const servers: string[] = [];
  let stream: string | undefined;
  let subject: string | undefined;
  let user: string | undefined;
  let pass: string | undefined;
  for (const part of setting.split(',')) {
    const u = new URL(part.trim());
    const s = u.searchParams.get('stream');
    const j = u.searchParams.get('subject');
    if (s !== null) {
      if (stream !== undefined && stream !== s) throw new Error('conflicting stream= parameters in the NATS bus URLs');
      stream = s;
    }
    if (j !== null) {
      if (subject !== undefined && subject !== j) throw new Error('conflicting subject= parameters in the NATS bus URLs');
      subject = j;
    }
    if (u.username !== '') {
      user = decodeURIComponent(u.username);
      pass = decodeURIComponent(u.password);
    }
    servers.push(`${u.protocol}//${u.host}`);
  }
  return {
    servers,
    ...(stream !== undefined ? { stream } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(user !== undefined ? { connection: { user, pass } } : {}),
  };
}

/** Shown by Postgres (pg_stat_activity) / NATS monitoring; Postgres keeps the first 63 bytes. */
function appName(component: 'bus' | 'catalog', nodeId: string): string {
  return `duckmesh-${component} ${nodeId}`.slice(0, 63);
}
