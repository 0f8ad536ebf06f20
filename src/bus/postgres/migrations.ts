import type { Migration } from '../../common/pg/migrations.js';

export const BUS_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: (s) => `
      -- One row; its row lock serializes appenders (see pg-bus.ts for why that gives commit order).
      CREATE TABLE ${s}.bus_head (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        head bigint NOT NULL
      );
      INSERT INTO ${s}.bus_head (id, head) VALUES (true, 0);
      CREATE TABLE ${s}.bus_entries (
        seq bigint PRIMARY KEY,
        tenant text NOT NULL,
        kind text NOT NULL,
        payload text NOT NULL,
        appended_at bigint NOT NULL
      );`,
  },
];
