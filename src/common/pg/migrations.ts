import type pg from 'pg';
import { checkout, quoteIdent } from './pg-support.js';

/**
 * Versioned schema migrations for DuckMesh's Postgres components. The bus and the catalog may
 * share one database and schema, so `duckmesh_schema_migrations` is keyed by component.
 */
export interface Migration {
  version: number;
  /** DDL to run; receives the quoted schema name. Runs inside a transaction. */
  sql: (schema: string) => string;
}

/**
 * Applies the missing migrations of `component`, each in its own transaction, while holding a
 * session-level advisory lock keyed by schema: two processes starting together would otherwise
 * both see version N missing and both try to apply it (CREATE SCHEMA IF NOT EXISTS itself races
 * on the catalog's unique index).
 */
export async function runMigrations(pool: pg.Pool, schema: string, component: string, migrations: readonly Migration[]): Promise<void> {
  const s = quoteIdent(schema);
  const { client, release } = await checkout(pool);
  let broken = false;
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`duckmesh:migrate:${schema}`]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.duckmesh_schema_migrations (
           component text NOT NULL,
           version integer NOT NULL,
           applied_at bigint NOT NULL,
           PRIMARY KEY (component, version))`,
      );
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${s}.duckmesh_schema_migrations WHERE component = $1`,
        [component],
      );
      const applied = new Set(rows.map((r) => r.version));
      const known = Math.max(0, ...migrations.map((m) => m.version));
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new Error(
          `the ${component} schema in Postgres schema "${schema}" is at version ${newest}, newer than this DuckMesh build knows (${known}); upgrade DuckMesh`,
        );
      }
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql(s));
          await client.query(
            `INSERT INTO ${s}.duckmesh_schema_migrations (component, version, applied_at) VALUES ($1, $2, $3)`,
            [component, m.version, Date.now()],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`duckmesh:migrate:${schema}`]).catch(() => {
        broken = true;
      });
    }
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    // A client whose state is unknown (lock possibly still held) must not go back to the pool.
    release(broken);
  }
}
