// mgmt's shell test t2: apply a small graph with --converged-timeout and --no-watch; the
// process exits 0 by itself with every file in its declared state.
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, runCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

function graph(dir: string): string {
  return lines(
    'graph: t2-files',
    'comment: three chained files, a directory, a file that must go away',
    'resources:',
    '  noop:',
    '    - name: start',
    '  file:',
    '    - name: first',
    `      path: ${dir}/f1`,
    '      content: "first file\\n"',
    '    - name: second',
    `      path: ${dir}/f2`,
    '      content: |',
    '        second file',
    '        has two lines',
    '    - name: third',
    `      path: ${dir}/f3`,
    '      content: "third"',
    '      state: exists',
    '    - name: gone',
    `      path: ${dir}/f4`,
    '      state: absent',
    '    - name: a-directory',
    `      path: ${dir}/dir1/`,
    '    - name: inside',
    `      path: ${dir}/dir1/inner`,
    '      content: "in dir1\\n"',
    'edges:',
    '  - {name: start-first, from: {kind: noop, name: start}, to: {kind: file, name: first}}',
    '  - {name: first-second, from: {kind: file, name: first}, to: {kind: file, name: second}}',
    '  - {name: second-third, from: {kind: file, name: second}, to: {kind: file, name: third}}',
    '  - {name: third-gone, from: {kind: file, name: third}, to: {kind: file, name: gone}}',
  );
}

describe('t2: run --converged-timeout=1 --no-watch', () => {
  it('applies the graph and exits 0 by itself', async () => {
    const dir = box.dir;
    const yaml = box.path('t2.yaml');
    await writeFile(yaml, graph(dir));
    await writeFile(box.path('f4'), 'I should not be here\n'); // proves that absent removes it
    await writeFile(box.path('f2'), 'stale content\n'); // proves that content is rewritten

    const res = await runCli(['run', '-f', yaml, '--converged-timeout=1', '--no-watch']);

    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(box.path('f1'), 'utf8')).toBe('first file\n');
    expect(await readFile(box.path('f2'), 'utf8')).toBe('second file\nhas two lines\n');
    expect(await readFile(box.path('f3'), 'utf8')).toBe('third');
    expect(await readIfExists(box.path('f4'))).toBeUndefined();
    expect((await stat(box.path('dir1'))).isDirectory()).toBe(true);
    expect(await readFile(box.path('dir1', 'inner'), 'utf8')).toBe('in dir1\n');
    // Every change is logged against its vertex.
    for (const v of ['file[first]', 'file[second]', 'file[third]', 'file[gone]', 'file[a-directory]', 'file[inside]']) {
      expect(res.stderr).toContain(`${v}: changed`);
    }
    expect(res.stderr).toMatch(/converged/);
  });

  it('a second run over the converged state changes nothing and exits 0 (-t 0)', async () => {
    const yaml = box.path('t2.yaml');
    await writeFile(yaml, graph(box.dir));
    await mkdir(box.path('dir1'));
    const first = await runCli(['run', '-f', yaml, '-t', '0', '--no-watch']);
    expect(first.code, first.stderr).toBe(0);

    const second = await runCli(['run', '-f', yaml, '-t', '0', '--no-watch']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain(': changed');
    expect(await readFile(box.path('f1'), 'utf8')).toBe('first file\n');
  });
});
