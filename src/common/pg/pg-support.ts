import pg from 'pg';

/**
 * Connection settings shared by the Postgres bus and catalog. Either a URL or discrete fields;
 * discrete fields override the URL's.
 */
export interface PgConnectionOptions {
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Pool size (default 10). */
  maxConnections?: number;
  /** Shown in pg_stat_activity; lets operators (and tests) find DuckMesh's sessions. */
  applicationName?: string;
  /** How long to wait for a new connection before failing (default 5000 ms). */
  connectTimeoutMs?: number;
  /** Schema holding DuckMesh's tables (default `duckmesh`). */
  schema?: string;
}

export const DEFAULT_SCHEMA = 'duckmesh';

const INT8_OID = 20;

/**
 * int8 columns (sequences, ids, epoch ms) come back as JS numbers. Values stay far below 2^53 in
 * practice; past it we refuse rather than silently round a sequence number.
 */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} exceeds the safe integer range`);
  return n;
}

// Per-pool type parsers, so this never changes pg's global parsers that other modules rely on.
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export function createPool(opts: PgConnectionOptions, defaultApplicationName: string): pg.Pool {
  return new pg.Pool({
    connectionString: opts.connectionString,
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    database: opts.database,
    max: opts.maxConnections ?? 10,
    application_name: opts.applicationName ?? defaultApplicationName,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    // An acknowledged write must be on disk: never inherit synchronous_commit=off from the server.
    options: '-c synchronous_commit=on',
    keepAlive: true,
    types,
  });
}

/** Client config for a standalone connection (the LISTEN session) matching the pool's. */
export function clientConfig(opts: PgConnectionOptions, defaultApplicationName: string): pg.ClientConfig {
  return {
    connectionString: opts.connectionString,
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    database: opts.database,
    application_name: opts.applicationName ?? defaultApplicationName,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    keepAlive: true,
    types,
  };
}

/** Schema names are interpolated into DDL, so only plain identifiers are accepted. */
export function checkSchemaName(schema: string): string {
  if (!/^[a-z_][a-z0-9_]{0,39}$/.test(schema)) {
    throw new Error(`invalid Postgres schema name ${JSON.stringify(schema)}: use lowercase letters, digits and _ (max 40)`);
  }
  return schema;
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, idle-session timeout.
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57P05']);

/**
 * True when the error means "the database is not reachable right now" rather than "this request
 * is wrong": the caller may retry later and the service recovers by itself.
 */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (CONNECTION_ERRNOS.has(code) || CONNECTION_SQLSTATES.has(code) || code.startsWith('08')) return true;
  const msg = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection error|timeout exceeded when trying to connect|Query read timeout|Client was closed|Cannot use a pool after calling end/i.test(
    msg,
  );
}

export function describeError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const msg = typeof e?.message === 'string' && e.message !== '' ? e.message : String(err);
  return typeof e?.code === 'string' && !msg.includes(e.code) ? `${msg} (${e.code})` : msg;
}

export interface CheckedOutClient {
  client: pg.PoolClient;
  /** Returns the client to the pool, or destroys it when `broken` or after its connection failed. */
  release: (broken: boolean) => void;
}

/**
 * `pool.connect()` for a multi-statement transaction. pg-pool removes its own 'error' listener
 * while a client is checked out, so a connection dying mid-transaction (server restart, network)
 * would emit an unhandled 'error' and crash the process; here it is absorbed, marks the client
 * broken, and still reaches the caller as the pending query's rejection.
 */
export async function checkout(pool: pg.Pool): Promise<CheckedOutClient> {
  const client = await pool.connect();
  let failed = false;
  const onError = (): void => {
    failed = true;
  };
  client.on('error', onError);
  return {
    client,
    release: (broken) => {
      client.removeListener('error', onError);
      client.release(broken || failed);
    },
  };
}
