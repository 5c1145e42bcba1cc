// A program bundled as scripts/build-cli.mjs bundles the CLI (esbuild, maps without the source
// text, then cut to the program's own sources), with mapStackTraces on its own directory as the
// launcher does, run by plain Node: its stack names the .ts files and lines, a library's frames
// stay at their place in the bundle, and frames outside the bundle stay as they are.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropLibraryMappings } from '../../scripts/library-maps.mjs';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxmgmt-stack-'));
  await writeFile(join(dir, 'helper.ts'), ['// line 1', 'export function fail(what: string): never {', '  throw new Error(`failed: ${what}`);', '}', ''].join('\n'));
  await mkdir(join(dir, 'node_modules', 'lib'), { recursive: true });
  await writeFile(join(dir, 'node_modules', 'lib', 'index.js'), ['// a library', 'export function each(f) {', '  f();', '}', ''].join('\n'));
  await writeFile(
    join(dir, 'entry.ts'),
    [
      `import { mapStackTraces } from ${JSON.stringify(join(import.meta.dirname, 'stack-traces.ts'))};`,
      "import { fail } from './helper.js';",
      "import { each } from 'lib';",
      "mapStackTraces(new URL('./', import.meta.url));",
      'try {',
      "  [1].forEach(() => fail('on purpose'));",
      '} catch (e) {',
      '  console.log((e as Error).stack);',
      '}',
      "each(() => console.log(new Error('through a library').stack));",
      '',
    ].join('\n'),
  );
  await build({ entryPoints: [join(dir, 'entry.ts')], outdir: join(dir, 'out'), bundle: true, format: 'esm', platform: 'node', sourcemap: true, sourcesContent: false, logLevel: 'error' });
  dropLibraryMappings(join(dir, 'out', 'entry.js.map'));
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
    expect(lines[2]).toBe(`    at ${join(dir, 'entry.ts')}:6:21`);
    // Array.prototype.forEach is Node's own: not under the bundle's directory, left as V8 wrote it.
    expect(lines[3]).toBe('    at Array.forEach (<anonymous>)');
    expect(lines[4]).toBe(`    at ${join(dir, 'entry.ts')}:6:7`);
    const second = lines.indexOf('Error: through a library');
    expect(lines[second + 1]).toBe(`    at ${join(dir, 'entry.ts')}:10:24`);
    // The library's frame: where its code is in the bundle (not some line of ours before it).
    const bundle = (await readFile(join(dir, 'out', 'entry.js'), 'utf8')).split('\n');
    const row = bundle.findIndex((l) => l.trim() === 'f();') + 1;
    expect(lines[second + 2]).toBe(`    at each (${pathToFileURL(join(dir, 'out', 'entry.js')).href}:${row}:3)`);
    expect(lines[second + 3]).toBe(`    at ${join(dir, 'entry.ts')}:10:1`);
    expect(lines.slice(0, second).join('\n')).not.toContain('entry.js');
  });
});
