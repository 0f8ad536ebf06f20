import { z } from 'zod';

/**
 * The whole configuration, with safe defaults: `duckmesh serve` with no config at all runs the
 * embedded default on 127.0.0.1:5433 with trust auth (loopback only).
 */
export const configSchema = z
  .object({
    dataDir: z.string().min(1).default('./duckmesh-data'),
    host: z.string().min(1).default('127.0.0.1'),
    pgPort: z.coerce.number().int().min(0).max(65535).default(5433),
    /** 0 disables the HTTP endpoint. */
    httpPort: z.coerce.number().int().min(0).max(65535).default(8433),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    defaultTenant: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('duckmesh'),
    auth: z
      .object({
        method: z.enum(['trust', 'scram-sha-256']).default('trust'),
        users: z
          .array(
            z.object({
              name: z.string().min(1),
              scram: z.string().startsWith('SCRAM-SHA-256$', 'must be a SCRAM-SHA-256 verifier (see `duckmesh hash-password`)'),
              tenant: z.string().optional(),
            }),
          )
          .default([]),
      })
      .default({ method: 'trust', users: [] }),
    limits: z
      .object({
        maxConnections: z.coerce.number().int().positive().default(500),
        maxMessageBytes: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
        maxRowsPerWrite: z.coerce.number().int().positive().default(1_000_000),
        maxBytesPerWrite: z.coerce.number().int().positive().default(256 * 1024 * 1024),
        rowsPerBusEntry: z.coerce.number().int().positive().default(10_000),
      })
      .default({
        maxConnections: 500,
        maxMessageBytes: 64 * 1024 * 1024,
        maxRowsPerWrite: 1_000_000,
        maxBytesPerWrite: 256 * 1024 * 1024,
        rowsPerBusEntry: 10_000,
      }),
    engine: z
      .object({
        threadsPerTenant: z.coerce.number().int().positive().default(2),
        memoryLimitPerTenant: z.string().default('1GB'),
        maxTempDirectorySize: z.string().default('10GB'),
      })
      .default({ threadsPerTenant: 2, memoryLimitPerTenant: '1GB', maxTempDirectorySize: '10GB' }),
    worker: z
      .object({
        maxEntriesPerCommit: z.coerce.number().int().positive().default(20_000),
        maxBytesPerCommit: z.coerce.number().int().positive().default(128 * 1024 * 1024),
        idleRecheckMs: z.coerce.number().int().positive().default(1000),
        retryDelayMs: z.coerce.number().int().positive().default(500),
      })
      .default({ maxEntriesPerCommit: 20_000, maxBytesPerCommit: 128 * 1024 * 1024, idleRecheckMs: 1000, retryDelayMs: 500 }),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
