import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Recent projects, autosaves and image caches go to a fresh folder, never the user's own.
    env: { KILN_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'kiln-test-config-')), KILN_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kiln-test-cache-')) },
    testTimeout: 30_000,
    // Polls wait for UI and files; the machine may be busy.
    expect: { poll: { timeout: 10_000 } },
    hookTimeout: 60_000,
    // End-to-end tests start servers and browsers: keep files from competing for the 2 cores.
    fileParallelism: false,
    reporters: ['default', './test/summaryReporter.ts'],
  },
});
