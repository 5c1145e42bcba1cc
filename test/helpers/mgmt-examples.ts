// mgmt's own example graphs, read in place (never copied into the repository): beside the
// repository at ../shared/mgmt-examples, or wherever $RXMGMT_MGMT_EXAMPLES points.
//
// A test that reads them is skipped with a message when they are missing, and FAILS instead
// under RXMGMT_REQUIRE_REAL=1 (CI), so a clone without them can never pass it vacuously.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { requireReal } from './sandbox.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export const mgmtExamplesDir = process.env.RXMGMT_MGMT_EXAMPLES || join(repoRoot, '..', 'shared', 'mgmt-examples');

/** Why mgmt's examples cannot be read here, or undefined when they can. */
export const mgmtExamplesProblem: string | undefined = existsSync(mgmtExamplesDir)
  ? undefined
  : `mgmt's example graphs are not at ${mgmtExamplesDir} (set RXMGMT_MGMT_EXAMPLES)`;

/** The path of one of mgmt's examples (`latest/exec1.yaml`); throws, naming it, when it is missing. */
export function mgmtExample(relative: string): string {
  const path = join(mgmtExamplesDir, relative);
  if (!existsSync(path)) throw new Error(`mgmt example ${relative} is missing (looked for ${path})`);
  return path;
}

/** `it` for a test that reads mgmt's examples: a skip that says why, or a failure under RXMGMT_REQUIRE_REAL=1. */
export function itWithMgmtExamples(name: string, fn: () => unknown | Promise<unknown>): void {
  if (!mgmtExamplesProblem) {
    it(name, fn);
  } else if (requireReal) {
    it(name, () => {
      throw new Error(`RXMGMT_REQUIRE_REAL=1 but ${mgmtExamplesProblem}`);
    });
  } else {
    // A deliberate skip, only where the examples are missing outside CI (see above).
    it.skip(`${name} (skipped: ${mgmtExamplesProblem})`, fn);
  }
}

/** `describe` for a suite that reads mgmt's examples: the same skip or failure as `itWithMgmtExamples`. */
export function describeWithMgmtExamples(name: string, body: () => void): void {
  if (!mgmtExamplesProblem) return describe(name, body);
  describe(name, () => itWithMgmtExamples('reads mgmt\'s example graphs', () => undefined));
}
