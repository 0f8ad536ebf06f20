import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatReport, harnessOptionsFromEnv, runCrashHarness } from './harness.js';

/**
 * Crash harness with the maintenance machinery running hard, so that kill -9 lands in the middle
 * of it: retention/GC every ~0.6 s with second-long windows (snapshot expiry, file deletion, bus
 * and key pruning), compaction every few hundred ms with a tiny target, and an online
 * `duckmesh backup` of the live data directory in every round, itself killed at a random moment.
 * Checked: everything the core harness checks, plus every finished backup verifies against its
 * manifest and no killed one looks complete. Rounds: DUCKMESH_CRASH_MAINTENANCE_ROUNDS (default 10).
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'dm-crash-maint-'));
const configFile = path.join(dir, 'config.json');
writeFileSync(
  configFile,
  JSON.stringify({
    http: { queryTimeoutMs: 500 },
    retention: { snapshotsDays: 0.00002, fileSafetyHours: 0.0003, busHours: 0.0005, idempotencyKeyHours: 1, gcIntervalMinutes: 0.01, force: true },
    compaction: { enabled: true, intervalMs: 300, mergeFactor: 2, maxFilesPerTable: 6, targetFileBytes: 262144 },
  }),
);
const rounds = Number(process.env['DUCKMESH_CRASH_MAINTENANCE_ROUNDS'] ?? 10);
const opts = { ...harnessOptionsFromEnv('embedded'), rounds, configFile, backups: true };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crash harness: GC, compaction and backup under kill -9 (embedded)', () => {
  it(
    `${opts.rounds} rounds: no violation, backups verified or detectably incomplete`,
    async () => {
      const report = await runCrashHarness(opts);
      console.log(formatReport(report));
      expect(report.violations).toEqual([]);
      expect(report.rounds).toBe(opts.rounds);
      expect(report.writesAcked).toBeGreaterThan(opts.rounds * 10);
      expect((report.backupsCompleted ?? 0) + (report.backupsKilled ?? 0)).toBeGreaterThan(0);
    },
    opts.rounds * 30_000 + 120_000,
  );
});
