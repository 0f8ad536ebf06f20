import os from 'node:os';
import { z } from 'zod';

/** The roles one process can run; `duckmesh serve` runs all three unless told otherwise. */
export const ROLES = ['ingest', 'query', 'worker'] as const;
export type Role = (typeof ROLES)[number];

/** Distinguishes processes in the commit-worker lease; unique per process on one host. */
export function defaultNodeId(): string {
  return `${os.hostname()}-${process.pid}`;
}

const PG_URL = /^postgres(ql)?:\/\//i;
const NATS_URL = /^nats:\/\//i;

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

/** `embedded`, a postgres:// URL, or nats:// URL(s) (comma-separated for a cluster). */
const busSetting = z
  .string()
  .trim()
  .min(1)
  .refine(
    (v) =>
      v === 'embedded' ||
      (PG_URL.test(v) && isUrl(v)) ||
      v.split(',').every((u) => NATS_URL.test(u.trim()) && isUrl(u.trim())),
    { message: 'must be "embedded", a postgres://… URL or nats://… URL(s), comma-separated' },
  );

const catalogSetting = z
  .string()
  .trim()
  .min(1)
  .refine((v) => v === 'embedded' || (PG_URL.test(v) && isUrl(v)), { message: 'must be "embedded" or a postgres://… URL' });

/** A list of roles, also accepted as one comma-separated string (env, flags). */
const rolesSetting = z.preprocess(
  (v) =>
    typeof v === 'string'
      ? v
          .split(',')
          .map((r) => r.trim())
          .filter((r) => r !== '')
      : v,
  z
    .array(z.enum(ROLES))
    .min(1, 'needs at least one of ingest, query, worker')
    .transform((rs) => ROLES.filter((r) => rs.includes(r))),
);

/** Windows below this need `retention.force` (DESIGN §7: the safety window is at least 24 h by default). */
export const MIN_UNFORCED_WINDOW_HOURS = 24;

export const RETENTION_DEFAULTS = {
  snapshotsDays: 7,
  fileSafetyHours: 24,
  busHours: 24,
  idempotencyKeyHours: 24,
  gcIntervalMinutes: 60,
  force: false,
};

const retentionSetting = z
  .object({
    /** Snapshots that stopped being the newest longer ago than this expire (the newest never does). */
    snapshotsDays: z.coerce.number().positive().default(RETENTION_DEFAULTS.snapshotsDays),
    /** A file no retained snapshot references is deleted this long after its last snapshot expired. */
    fileSafetyHours: z.coerce.number().min(0).default(RETENTION_DEFAULTS.fileSafetyHours),
    /** Applied bus entries are kept this long (for replay) before they are pruned. */
    busHours: z.coerce.number().min(0).default(RETENTION_DEFAULTS.busHours),
    idempotencyKeyHours: z.coerce.number().positive().default(RETENTION_DEFAULTS.idempotencyKeyHours),
    gcIntervalMinutes: z.coerce.number().positive().default(RETENTION_DEFAULTS.gcIntervalMinutes),
    /** Allows windows shorter than 24 h (tests, disposable deployments). */
    force: z.preprocess((v) => (typeof v === 'string' ? ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase()) : v), z.boolean()).default(false),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.force) return;
    const hours: [keyof typeof r, number][] = [
      ['snapshotsDays', r.snapshotsDays * 24],
      ['fileSafetyHours', r.fileSafetyHours],
      ['busHours', r.busHours],
      ['idempotencyKeyHours', r.idempotencyKeyHours],
    ];
    for (const [key, h] of hours) {
      if (h < MIN_UNFORCED_WINDOW_HOURS) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is ${h} hours, shorter than ${MIN_UNFORCED_WINDOW_HOURS} hours: set retention.force to true to allow it`,
        });
      }
    }
  });

export const COMPACTION_DEFAULTS = {
  enabled: true,
  targetFileBytes: 128 * 1024 * 1024,
  maxFilesPerTable: 64,
  mergeFactor: 8,
  intervalMs: 60_000,
  maxBytesPerRun: 1024 * 1024 * 1024,
  memoryLimit: '64MB',
};

/** Background compaction (src/storage/compaction-policy.ts, docs/operations.md "Compaction"). */
const compactionSetting = z
  .object({
    enabled: z.preprocess((v) => (typeof v === 'string' ? ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase()) : v), z.boolean()).default(COMPACTION_DEFAULTS.enabled),
    /** Size compaction aims at; files of at least half of it are left alone by the size tiers. */
    targetFileBytes: z.coerce.number().int().min(64 * 1024).default(COMPACTION_DEFAULTS.targetFileBytes),
    /** Ceiling of data files per table (what one query of a table opens). */
    maxFilesPerTable: z.coerce.number().int().min(4).default(COMPACTION_DEFAULTS.maxFilesPerTable),
    /** Files per size tier that trigger a merge; also: a pass runs after this many publications. */
    mergeFactor: z.coerce.number().int().min(2).max(64).default(COMPACTION_DEFAULTS.mergeFactor),
    /** Safety-net interval between passes. */
    intervalMs: z.coerce.number().int().min(100).default(COMPACTION_DEFAULTS.intervalMs),
    /** Input bytes one pass rewrites at most (one job always runs). */
    maxBytesPerRun: z.coerce.number().int().min(64 * 1024).default(COMPACTION_DEFAULTS.maxBytesPerRun),
    /** Memory limit of compaction's own DuckDB instance (it spills to disk beyond). */
    memoryLimit: z.string().min(1).default(COMPACTION_DEFAULTS.memoryLimit),
    /** Sort compacted files by this column where a table has it (default: its first TIMESTAMP/TIMESTAMPTZ/DATE column). */
    timeColumn: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.maxFilesPerTable < 2 * c.mergeFactor + 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxFilesPerTable'],
        message: `must be at least 2 × mergeFactor + 2 (${2 * c.mergeFactor + 2}): a table holds up to mergeFactor − 1 files per size tier`,
      });
    }
  });

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
        /** md5 and password (cleartext) exist for old clients; password needs TLS off loopback. */
        method: z.enum(['trust', 'scram-sha-256', 'md5', 'password']).default('trust'),
        users: z
          .array(
            z
              .object({
                name: z.string().min(1),
                scram: z.string().startsWith('SCRAM-SHA-256$', 'must be a SCRAM-SHA-256 verifier (see `duckmesh hash-password`)').optional(),
                /** Plaintext or "md5…" hash; used by the md5 and password methods (and SCRAM, derived at start). */
                password: z.string().min(1).optional(),
                tenant: z.string().optional(),
              })
              .refine((u) => u.scram !== undefined || u.password !== undefined, { message: 'needs "scram" or "password"' }),
          )
          .default([]),
      })
      .default({ method: 'trust', users: [] }),
    /** TLS for the pg-wire port: PEM certificate (chain) and private key file paths. */
    tls: z
      .object({
        cert: z.string().min(1),
        key: z.string().min(1),
      })
      .optional(),
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
        memoryLimitPerTenant: z.string().default('256MB'),
        maxTempDirectorySize: z.string().default('10GB'),
        /** Rows of cached query results kept per tenant (deterministic SELECTs, per snapshot); 0 = off. */
        resultCacheRows: z.coerce.number().int().min(0).default(200_000),
        /** Results with more rows than this are not cached. */
        resultCacheMaxRowsPerResult: z.coerce.number().int().min(0).default(10_000),
      })
      .default({ threadsPerTenant: 2, memoryLimitPerTenant: '256MB', maxTempDirectorySize: '10GB', resultCacheRows: 200_000, resultCacheMaxRowsPerResult: 10_000 }),
    http: z
      .object({
        maxBodyBytes: z.coerce.number().int().min(1024).default(64 * 1024 * 1024),
        /** Sustained ingest rows/s per tenant over HTTP; 0 = unlimited. */
        rowsPerSecondPerTenant: z.coerce.number().int().min(0).default(0),
        queryMaxRows: z.coerce.number().int().positive().default(100_000),
        queryMaxBytes: z.coerce.number().int().positive().default(64 * 1024 * 1024),
        queryTimeoutMs: z.coerce.number().int().positive().default(60_000),
        visibilityTimeoutMs: z.coerce.number().int().positive().default(10_000),
      })
      .default({
        maxBodyBytes: 64 * 1024 * 1024,
        rowsPerSecondPerTenant: 0,
        queryMaxRows: 100_000,
        queryMaxBytes: 64 * 1024 * 1024,
        queryTimeoutMs: 60_000,
        visibilityTimeoutMs: 10_000,
      }),
    worker: z
      .object({
        maxEntriesPerCommit: z.coerce.number().int().positive().default(20_000),
        maxBytesPerCommit: z.coerce.number().int().positive().default(128 * 1024 * 1024),
        idleRecheckMs: z.coerce.number().int().positive().default(1000),
        retryDelayMs: z.coerce.number().int().positive().default(500),
        /** Pause after each commit (folds a stream of small writes into fewer snapshots); adds at most this to write → visible. */
        minCommitIntervalMs: z.coerce.number().int().min(0).default(20),
      })
      .default({ maxEntriesPerCommit: 20_000, maxBytesPerCommit: 128 * 1024 * 1024, idleRecheckMs: 1000, retryDelayMs: 500, minCommitIntervalMs: 20 }),
    /**
     * The ingest bus: "embedded" (SQLite in the data directory), a postgres://… URL or nats://…
     * URL(s). URL query parameters `schema=` (Postgres) and `stream=` / `subject=` (NATS) select
     * where DuckMesh keeps its data; they are not passed to the driver.
     *
     * Any bus works for a single process. Several processes (scale-out: roles split across
     * processes) need a bus AND a catalog they all reach — postgres/nats, never "embedded": the
     * embedded ones live in one process's data directory, behind its lock.
     */
    bus: busSetting.default('embedded'),
    /** The catalog: "embedded" (SQLite in the data directory) or a postgres://… URL. See `bus`. */
    catalog: catalogSetting.default('embedded'),
    /**
     * Roles of this process. A process without "worker" relies on another process's commit worker,
     * so it needs a shared bus and catalog (enforced at load).
     */
    roles: rolesSetting.default([...ROLES]),
    lease: z
      .object({
        /** Commit-worker lease: a dead leader is replaced after about ttl + ttl/3. */
        ttlMs: z.coerce.number().int().min(300).max(600_000).default(5000),
      })
      .default({ ttlMs: 5000 }),
    /** Retention and garbage collection (src/ops/retention.ts); every window < 24 h needs `force`. */
    retention: retentionSetting.default(RETENTION_DEFAULTS),
    compaction: compactionSetting.default(COMPACTION_DEFAULTS),
    /** This process's name in the commit-worker lease; must be unique among processes sharing a catalog. */
    nodeId: z.string().trim().min(1).max(200).default(defaultNodeId),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
