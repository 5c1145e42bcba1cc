// Runs these examples from the rxmgmt repository itself: `npx vitest run --config
// examples/testing/vitest.config.ts`. In your own project, where rxmgmt is installed, plain
// `vitest` runs them as they are (`rxmgmt/testing` is then the installed package).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { 'rxmgmt/testing': fileURLToPath(new URL('../../src/testing/index.ts', import.meta.url)) } },
  test: { include: [fileURLToPath(new URL('./*.test.ts', import.meta.url))], root: fileURLToPath(new URL('../..', import.meta.url)) },
});
