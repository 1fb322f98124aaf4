import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    // argon2 and Chromium are real and slow-ish; a generous per-test limit avoids flakes without hiding hangs.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser tests share one Chromium per file; keep files parallel but bounded for a 2-core machine.
    maxWorkers: 2,
  },
});
