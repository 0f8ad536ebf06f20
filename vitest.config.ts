import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Server tests bind ports and spawn processes; run files one at a time on a 2-core box.
    fileParallelism: false,
  },
});
