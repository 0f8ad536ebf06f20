import { expect, it } from 'vitest';
import { describeService, PG_URL, postgresAvailable } from '../helpers/services.js';
import { formatReport, harnessOptionsFromEnv, runCrashHarness } from './harness.js';

/**
 * Crash harness, Postgres bus + catalog: two processes sharing the bus, catalog and data
 * directory; every round kills one of them (sometimes both; sometimes again while it recovers) at a
 * random moment — the lease holder or the standby — and restarts it. Rounds: DUCKMESH_CRASH_ROUNDS
 * (default 20); see harness.ts for the other knobs and what is checked.
 */
const available = await postgresAvailable();
const opts = harnessOptionsFromEnv('postgres', PG_URL);

describeService('crash harness: Postgres bus and catalog, two processes', available, () => {
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
