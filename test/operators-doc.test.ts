// docs/operators.md's examples work as written: each ```ts block that starts with
// `// examples/operators/<name>.ts` is that file, word for word, and the file runs (its marble
// assertions throw on a mismatch). The files import 'rxmgmt/operators' as a user would, so this
// runs against the BUILT package (dist/): `npm run build` first.
//
// It also guards against a second rxjs copy: examples/operators/converged.ts drives
// `converged(5)` (default scheduler) with the TestScheduler of the rxjs beside it, which only
// works when the operators and the user share one rxjs. rxjs is therefore a peer dependency.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const doc = readFileSync(join(repoRoot, 'docs', 'operators.md'), 'utf8');
const exampleDir = join(repoRoot, 'examples', 'operators');
const exampleFiles = readdirSync(exampleDir).filter((f) => f.endsWith('.ts')).sort();

/** The ```ts blocks of the doc that name an example file on their first line. */
function includedBlocks(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const body = m[1]!;
    const named = /^\/\/ (examples\/operators\/[\w-]+\.ts)\b/.exec(body);
    if (named) out.set(named[1]!, body);
  }
  return out;
}

describe('docs/operators.md examples', () => {
  it('shows every file of examples/operators word for word', () => {
    const blocks = includedBlocks();
    expect([...blocks.keys()].sort()).toEqual(exampleFiles.map((f) => `examples/operators/${f}`));
    for (const [path, body] of blocks) {
      expect(body, `the block for ${path} in docs/operators.md`).toBe(readFileSync(join(repoRoot, path), 'utf8'));
    }
  });

  for (const file of exampleFiles) {
    it(`runs examples/operators/${file} without a failed expectation`, async () => {
      await expect(import(pathToFileURL(join(exampleDir, file)).href)).resolves.toBeDefined();
    });
  }

  it('declares rxjs a peer dependency, so that a user never gets a second, nested copy', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(pkg.peerDependencies?.rxjs, 'peerDependencies.rxjs in package.json').toMatch(/^\^7\./);
    expect(Object.keys(pkg.dependencies ?? {}), 'dependencies in package.json').not.toContain('rxjs');
  });
});
