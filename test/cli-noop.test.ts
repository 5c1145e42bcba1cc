// --noop: check everything, change nothing, report what would change.
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, runCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

describe('run --noop', () => {
  it('changes nothing on disk and names the vertices that would change', async () => {
    const yaml = box.path('noop.yaml');
    await writeFile(box.path('stale'), 'before\n');
    await writeFile(box.path('fine'), 'already right\n');
    await writeFile(box.path('doomed'), 'should go, but not in noop\n');
    await writeFile(
      yaml,
      lines(
        'graph: noop-check',
        'resources:',
        '  file:',
        '    - name: to-create',
        `      path: ${box.dir}/new-file`,
        '      content: "new\\n"',
        '    - name: to-rewrite',
        `      path: ${box.dir}/stale`,
        '      content: "after\\n"',
        '    - name: to-keep',
        `      path: ${box.dir}/fine`,
        '      content: "already right\\n"',
        '    - name: to-remove',
        `      path: ${box.dir}/doomed`,
        '      state: absent',
        '    - name: to-mkdir',
        `      path: ${box.dir}/new-dir/`,
      ),
    );
    const mtimeBefore = (await stat(box.path('stale'))).mtimeMs;

    const res = await runCli(['run', '-f', yaml, '-t', '0', '--noop']);

    expect(res.code, res.stderr).toBe(0);
    expect(await readIfExists(box.path('new-file'))).toBeUndefined();
    expect(await readIfExists(box.path('new-dir'))).toBeUndefined();
    expect(await readFile(box.path('stale'), 'utf8')).toBe('before\n');
    expect((await stat(box.path('stale'))).mtimeMs).toBe(mtimeBefore);
    expect(await readFile(box.path('doomed'), 'utf8')).toBe('should go, but not in noop\n');
    // No leftovers such as temporary files.
    expect((await readdir(box.dir)).sort()).toEqual(['doomed', 'fine', 'noop.yaml', 'stale']);

    for (const v of ['file[to-create]', 'file[to-rewrite]', 'file[to-remove]', 'file[to-mkdir]']) {
      expect(res.stderr, `stderr should name ${v} as a change it would make`).toContain(v);
    }
    expect(res.stderr).not.toContain('file[to-keep]');
    expect(res.stderr).not.toMatch(/: changed$/m);
  });

  it('meta noop on one resource leaves it alone while the rest is applied', async () => {
    const yaml = box.path('meta-noop.yaml');
    await writeFile(
      yaml,
      lines(
        'graph: meta-noop',
        'resources:',
        '  file:',
        '    - name: applied',
        `      path: ${box.dir}/applied`,
        '      content: "yes\\n"',
        '    - name: only-checked',
        `      path: ${box.dir}/only-checked`,
        '      content: "no\\n"',
        '      meta: {noop: true}',
      ),
    );
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(box.path('applied'), 'utf8')).toBe('yes\n');
    expect(await readIfExists(box.path('only-checked'))).toBeUndefined();
    expect(res.stderr).toContain('file[only-checked]');
  });
});
