// The command line as a user gets it: packed with `npm pack`, unpacked into a fresh project, run
// through the package's `bin`. The bundle and its chunks are in the tarball, the compile cache
// is not, and the installed bin applies a graph and, run again, uses a cache of its own.
// Offline: the project's dependencies are links to this repository's node_modules. Needs a
// built dist/ (as the other CLI tests do).
import { execFile } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const run = promisify(execFile);

describe('the packed command line', () => {
  it('runs from its tarball in a fresh project, and keeps its compile cache private', { timeout: 180_000 }, async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-packed-'));
    try {
      const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: repoRoot });
      const [{ filename, files }] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
      const paths = files.map((f) => f.path);
      const bin = (JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { bin: { rxmgmt: string } }).bin.rxmgmt;
      expect(paths).toContain(bin);
      expect(paths.filter((p) => p.startsWith('dist/src/cli/chunks/') && p.endsWith('.js')).length).toBeGreaterThan(0);
      expect(paths.filter((p) => p.includes('compile-cache'))).toEqual([]);
      // The startup snapshot would serve only the packer's own Node binary: the bin runs the plain bundle.
      expect(paths.filter((p) => p.includes('.blob'))).toEqual([]);
      expect(paths).toContain('dist/src/cli/snapshot.cjs');

      const project = join(tmp, 'project');
      const installed = join(project, 'node_modules', 'rxmgmt');
      await mkdir(installed, { recursive: true });
      await run('tar', ['-xzf', join(tmp, filename), '-C', installed, '--strip-components=1']);
      for (const dep of await readdir(join(repoRoot, 'node_modules'))) {
        if (dep !== 'rxmgmt' && !dep.startsWith('.')) await symlink(join(repoRoot, 'node_modules', dep), join(project, 'node_modules', dep));
      }

      // The bin itself, as npm links it: executed through its launcher line.
      const version = await run(join(installed, bin), ['--version'], { cwd: project });
      expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
      const graph = join(project, 'site.yaml');
      const out = join(project, 'motd');
      await writeFile(graph, ['graph: packed', 'resources:', '  file:', '    - name: motd', `      path: ${out}`, '      content: "hello\\n"', ''].join('\n'));
      await run(join(installed, bin), ['run', '-f', graph, '-t', '0', '--no-watch'], { cwd: project });
      expect(await readFile(out, 'utf8')).toBe('hello\n');

      // The compile cache: in the package's own directory, a real directory only we may write.
      const cache = await lstat(join(installed, '.compile-cache'));
      expect(cache.isDirectory()).toBe(true);
      expect(cache.uid).toBe(process.geteuid!());
      expect((cache.mode & 0o777).toString(8)).toBe('700');
      expect((await readdir(join(installed, '.compile-cache'))).length).toBeGreaterThan(0);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
