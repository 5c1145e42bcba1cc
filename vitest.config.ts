import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The examples import the public module as a user would; in the repository it is the source.
  resolve: { alias: { 'rxmgmt/testing': fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)) } },
  test: {
    include: ['src/**/*.test.ts', 'operators/**/*.test.ts', 'marble-tests/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    reporters: ['default', './test/reporters/plain-summary.ts'],
    hookTimeout: 60_000,
  },
});
