import { defineConfig } from 'vitest/config';

/** The crash harness (DESIGN §8): rounds of kill -9 under load, then the checker. */
export default defineConfig({
  test: {
    include: ['test/crash/**/*.test.ts'],
    testTimeout: 1_200_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
