import { describe, expect, it } from 'vitest';
import { formatReport, harnessOptionsFromEnv, runCrashHarness } from './harness.js';

/**
 * Crash harness, embedded bus + catalog: one process, killed with SIGKILL at a random moment every
 * round (sometimes again while it recovers), restarted on the same data directory. Rounds:
 * DUCKMESH_CRASH_ROUNDS (default 20); see harness.ts for the other knobs and what is checked.
 */
const opts = harnessOptionsFromEnv('embedded');

describe('crash harness: embedded bus and catalog', () => {
  it(
    `${opts.rounds} rounds of kill -9 under concurrent writers and token-carrying readers: no violation`,
    async () => {
      const report = await runCrashHarness(opts);
      console.log(formatReport(report));
      expect(report.violations).toEqual([]);
      expect(report.rounds).toBe(opts.rounds);
      expect(report.writesAcked).toBeGreaterThan(opts.rounds * 10);
      expect(report.readsChecked).toBeGreaterThan(opts.rounds * 5);
    },
    opts.rounds * 20_000 + 120_000,
  );
});
