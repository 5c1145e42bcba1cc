// The worked examples of docs/testing.md, run as a user would: in a fresh project where rxmgmt
// is installed from its `npm pack` tarball, with a plain `vitest run`. Offline: the project's
// other dependencies are links to this repository's node_modules. Needs a built dist/ (as the
// CLI tests do).
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/cli.js';

const run = promisify(execFile);

describe('rxmgmt/testing in a fresh project', () => {
  it('runs the shipped examples with a plain vitest', { timeout: 180_000 }, async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-fresh-'));
    try {
      const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: repoRoot });
      const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
      const project = join(tmp, 'project');
      const installed = join(project, 'node_modules', 'rxmgmt');
      await mkdir(installed, { recursive: true });
      await run('tar', ['-xzf', join(tmp, filename), '-C', installed, '--strip-components=1']);
      for (const dep of await readdir(join(repoRoot, 'node_modules'))) {
        if (dep !== 'rxmgmt') await symlink(join(repoRoot, 'node_modules', dep), join(project, 'node_modules', dep));
      }
      await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'my-site', private: true, type: 'module' }));
      // The examples as the package ships them, copied into the user's project.
      const shipped = join(installed, 'examples', 'testing');
      const files = (await readdir(shipped)).filter((f) => f.endsWith('.test.ts') || f.endsWith('.yaml'));
      expect(files.sort()).toEqual(['flapping.test.ts', 'restart-once.test.ts', 'retry.test.ts', 'sema.test.ts', 'swap.test.ts', 'web.yaml']);
      for (const f of files) await cp(join(shipped, f), join(project, f));

      const res = await run(join(project, 'node_modules', '.bin', 'vitest'), ['run'], { cwd: project, env: { ...process.env, CI: '1' } }).catch(
        (e: { stdout: string; stderr: string }) => ({ stdout: e.stdout, stderr: e.stderr, failed: true }),
      );
      expect('failed' in res ? `${res.stdout}\n${res.stderr}` : 'passed').toBe('passed');
      expect(res.stdout).toMatch(/Test Files\s+.*5 passed/);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
