/**
 * Shared fixtures for the type tests: a reference PostgreSQL 15 (for differential tests)
 * and an in-memory DuckDB.
 *
 * Postgres is optional: when it is unreachable the differential suites are skipped with the
 * reason printed, unless DUCKMESH_REQUIRE_SERVICES=1, in which case connecting throws and
 * the test file fails.
 */
import pg from 'pg';
import { DuckDBInstance, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';

export const PG_URL = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: process.env.PGDATABASE ?? 'test',
};

/** Session settings DuckMesh emulates (and drivers usually set). */
const PG_OPTIONS = '-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=1 -c bytea_output=hex';

/** Raw values: text as string, binary as Buffer. */
const rawTypes = { getTypeParser: () => (v: unknown) => v };

export interface PgRef {
  client: pg.Client;
  /** Text output of `SELECT $1::<type>` (or null for SQL NULL). */
  text(type: string, literal: string): Promise<string | null>;
  /** One-value query, text result. */
  scalar(sql: string, params?: unknown[]): Promise<string | null>;
  /**
   * Postgres' binary send format of `literal` cast to `type`, via the type's own send function
   * (pg's binary result mode decodes fields as UTF-8 text, which mangles bytes).
   */
  send(type: string, literal: string): Promise<Buffer>;
  /** Outcome of casting a literal in Postgres: its text output or its error. */
  cast(type: string, literal: string): Promise<{ ok: true; text: string | null } | { ok: false; code: string; message: string }>;
}

export async function connectPg(): Promise<{ ref: PgRef | null; reason?: string }> {
  const client = new pg.Client({ ...PG_URL, options: PG_OPTIONS, types: rawTypes, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (e) {
    const why = `PostgreSQL at ${PG_URL.host}:${PG_URL.port} is unreachable (${(e as Error).message})`;
    if (process.env.DUCKMESH_REQUIRE_SERVICES === '1') throw new Error(`${why} and DUCKMESH_REQUIRE_SERVICES=1`);
    const reason = `${why}; differential tests skipped`;
    console.warn(reason);
    return { ref: null, reason };
  }
  const scalar = async (sql: string, params: unknown[] = []): Promise<string | null> => {
    const r = await client.query({ text: sql, values: params, rowMode: 'array' });
    return r.rows[0][0] as string | null;
  };
  const send = async (type: string, literal: string): Promise<Buffer> => {
    const fn = await scalar(`SELECT typsend::text FROM pg_type WHERE oid = $1::regtype`, [type]);
    const hex = await scalar(`SELECT ${fn}($1::${type})`, [literal]);
    return Buffer.from((hex ?? '').slice(2), 'hex');
  };
  const ref: PgRef = {
    client,
    text: (type, literal) => scalar(`SELECT $1::${type}`, [literal]),
    scalar,
    send,
    async cast(type, literal) {
      try {
        // A savepoint-free session: every statement is its own transaction.
        return { ok: true, text: await scalar(`SELECT $1::${type}`, [literal]) };
      } catch (e) {
        const err = e as { code?: string; message: string };
        return { ok: false, code: err.code ?? '', message: err.message };
      }
    },
  };
  return { ref };
}

export interface Duck {
  conn: DuckDBConnection;
  /** Evaluate `sql` and return the first value with its column type. */
  value(sql: string, params?: (string | null)[]): Promise<{ type: DuckDBType; value: DuckDBValue }>;
  close(): void;
}

export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'`).catch(() => undefined);
  return {
    conn,
    async value(sql, params) {
      const r = params === undefined
        ? await conn.runAndReadAll(sql)
        : await conn.runAndReadAll(sql, params as never);
      return { type: r.columnType(0), value: r.getRows()[0][0] };
    },
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

export type Outcome = { ok: true; text: string | null } | { ok: false; code: string; message: string };

const tables = new Map<string, string>();

/**
 * What Postgres stores for `literal` assigned to a column of `type` (INSERT semantics, so
 * varchar(n) overflow is an error rather than a truncating cast), as its text output.
 */
export async function pgStore(ref: PgRef, type: string, literal: string): Promise<Outcome> {
  let table = tables.get(type);
  if (table === undefined) {
    table = `dm_v${tables.size}`;
    await ref.client.query(`CREATE TEMP TABLE ${table} (c ${type})`);
    tables.set(type, table);
  }
  try {
    const r = await ref.client.query({ text: `INSERT INTO ${table} VALUES ($1) RETURNING c`, values: [literal], rowMode: 'array' });
    return { ok: true, text: r.rows[0][0] as string | null };
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { ok: false, code: err.code ?? '', message: err.message };
  }
}
