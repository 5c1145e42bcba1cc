import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'operators/**/*.test.ts', 'marble-tests/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    reporters: ['default', './test/reporters/plain-summary.ts'],
    hookTimeout: 60_000,
  },
});
