import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { configSchema, type Config } from './schema.js';

/** Environment variables that map onto config keys (flat ones; nested ones via the file). */
const ENV: Record<string, string> = {
  DUCKMESH_DATA_DIR: 'dataDir',
  DUCKMESH_HOST: 'host',
  DUCKMESH_PG_PORT: 'pgPort',
  DUCKMESH_HTTP_PORT: 'httpPort',
  DUCKMESH_LOG_LEVEL: 'logLevel',
  DUCKMESH_DEFAULT_TENANT: 'defaultTenant',
  DUCKMESH_AUTH_METHOD: 'auth.method',
  DUCKMESH_TLS_CERT: 'tls.cert',
  DUCKMESH_TLS_KEY: 'tls.key',
  DUCKMESH_BUS: 'bus',
  DUCKMESH_CATALOG: 'catalog',
  /** Comma-separated, e.g. `ingest,query`. */
  DUCKMESH_ROLES: 'roles',
  DUCKMESH_LEASE_TTL_MS: 'lease.ttlMs',
  DUCKMESH_NODE_ID: 'nodeId',
};

export class ConfigError extends Error {}

/**
 * Precedence: defaults < config file < environment < command-line flags. Validated once at start;
 * every problem is reported with its key path.
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; flags?: Record<string, unknown> }): Config {
  const merged: Record<string, unknown> = {};
  const file = opts.file ?? opts.env?.['DUCKMESH_CONFIG'];
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      deepMerge(merged, JSON.parse(text) as Record<string, unknown>);
    } catch (err) {
      throw new ConfigError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
    }
  }
  for (const [name, key] of Object.entries(ENV)) {
    const v = opts.env?.[name];
    if (v !== undefined && v !== '') setPath(merged, key, v);
  }
  for (const [key, v] of Object.entries(opts.flags ?? {})) if (v !== undefined) setPath(merged, key, v);

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  checkSafety(config);
  return config;
}

/** Refuses to expose an unauthenticated server beyond loopback. */
function checkSafety(config: Config): void {
  if (config.auth.method === 'trust' && !isLoopback(config.host)) {
    throw new ConfigError(
      `refusing to listen on ${config.host} with trust authentication: configure auth.method "scram-sha-256" and users, or bind 127.0.0.1`,
    );
  }
  if (config.auth.method !== 'trust' && config.auth.users.length === 0) {
    throw new ConfigError(`auth.method is ${config.auth.method} but no users are configured`);
  }
  if (config.auth.method === 'md5') {
    const scramOnly = config.auth.users.filter((u) => u.password === undefined).map((u) => u.name);
    if (scramOnly.length > 0) {
      throw new ConfigError(`auth.method is md5 but users ${scramOnly.join(', ')} have only a SCRAM verifier (md5 needs "password")`);
    }
  }
  if (config.tls) {
    for (const [k, file] of Object.entries(config.tls)) {
      if (!existsSync(file)) throw new ConfigError(`tls.${k}: file ${file} does not exist`);
    }
  }
  // The embedded bus and catalog belong to the one process holding the data directory: a process
  // that leaves the commit worker to another process must share a bus and catalog with it.
  if (!config.roles.includes('worker') && (config.bus === 'embedded' || config.catalog === 'embedded')) {
    throw new ConfigError(
      `roles "${config.roles.join(',')}" run no commit worker; another process must, and that needs a shared bus and catalog: ` +
        'set bus (postgres://… or nats://…) and catalog (postgres://…), or add the "worker" role',
    );
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1';
  return false;
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function deepMerge(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      if (typeof target[k] !== 'object' || target[k] === null) target[k] = {};
      deepMerge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

