// A program bundled as scripts/build-cli.mjs bundles the CLI (esbuild, maps without the source
// text), with mapStackTraces on its own directory as the launcher does, run by plain Node: its
// stack names the .ts files and lines, and frames outside the bundle stay as they are.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxmgmt-stack-'));
  await writeFile(join(dir, 'helper.ts'), ['// line 1', 'export function fail(what: string): never {', '  throw new Error(`failed: ${what}`);', '}', ''].join('\n'));
  await writeFile(
    join(dir, 'entry.ts'),
    [
      `import { mapStackTraces } from ${JSON.stringify(join(import.meta.dirname, 'stack-traces.ts'))};`,
      "import { fail } from './helper.js';",
      "mapStackTraces(new URL('./', import.meta.url));",
      'try {',
      "  [1].forEach(() => fail('on purpose'));",
      '} catch (e) {',
      '  console.log((e as Error).stack);',
      '}',
      '',
    ].join('\n'),
  );
  await build({ entryPoints: [join(dir, 'entry.ts')], outdir: join(dir, 'out'), bundle: true, format: 'esm', platform: 'node', sourcemap: true, sourcesContent: false, logLevel: 'error' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mapStackTraces', () => {
  it('shows the bundle\'s frames at their place in the sources', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [join(dir, 'out', 'entry.js')]);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('Error: failed: on purpose');
    expect(lines[1]).toBe(`    at fail (${join(dir, 'helper.ts')}:3:9)`);
    expect(lines[2]).toBe(`    at ${join(dir, 'entry.ts')}:5:21`);
    // Array.prototype.forEach is Node's own: not under the bundle's directory, left as V8 wrote it.
    expect(lines[3]).toBe('    at Array.forEach (<anonymous>)');
    expect(lines[4]).toBe(`    at ${join(dir, 'entry.ts')}:5:7`);
    expect(stdout).not.toContain('entry.js');
  });
});
