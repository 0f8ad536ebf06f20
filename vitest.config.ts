import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The crash harness runs many kill -9 rounds; it has its own command (npm run test:crash),
    // which .ci/run calls with a bounded round count.
    exclude: ['test/crash/**', '**/node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Server tests bind ports and spawn processes; run files one at a time on a 2-core box.
    fileParallelism: false,
  },
});
