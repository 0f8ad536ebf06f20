import { defineConfig } from 'vitest/config';

/**
 * `npm run conformance`: real clients (psql, pgjdbc, psycopg2/3, SQLAlchemy + pandas, psqlODBC,
 * node-postgres, postgres.js, pgbench) against a DuckMesh that globalSetup starts itself
 * (`bin/duckmesh serve`, temp data dir, free port). Separate from `npm test`: it needs the
 * Debian client packages that .ci/run installs.
 */
export default defineConfig({
  test: {
    include: ['conformance/**/*.test.ts'],
    globalSetup: ['conformance/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One server, one client file at a time: keeps the 2-core CI box predictable.
    fileParallelism: false,
  },
});
