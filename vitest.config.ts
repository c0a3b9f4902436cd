import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // End-to-end tests start servers and browsers: keep files from competing for the 2 cores.
    fileParallelism: false,
    reporters: ['default', './test/summaryReporter.ts'],
  },
});
