// mgmt's shell tests t6 and file-move: run without a timeout; drift (a deleted, overwritten or
// moved file) is repaired by the watch, and SIGINT ends the run with exit 0.
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, startCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

function graph(dir: string): string {
  return lines(
    'graph: t6-drift',
    'resources:',
    '  file:',
    '    - name: one',
    `      path: ${dir}/f1`,
    '      content: "file one\\n"',
    '    - name: two',
    `      path: ${dir}/f2`,
    '      content: "file two\\n"',
    '    - name: three',
    `      path: ${dir}/f3`,
    '      content: "file three\\n"',
    '    - name: never',
    `      path: ${dir}/f4`,
    '      state: absent',
    'edges:',
    '  - {name: one-two, from: {kind: file, name: one}, to: {kind: file, name: two}}',
    '  - {name: two-three, from: {kind: file, name: two}, to: {kind: file, name: three}}',
  );
}

describe('t6: running without a timeout repairs drift', () => {
  it('restores a deleted, overwritten and moved file, then exits 0 on SIGINT', { timeout: 90_000 }, async () => {
    const yaml = box.path('t6.yaml');
    await writeFile(yaml, graph(box.dir));
    const f1 = box.path('f1');
    const f2 = box.path('f2');
    const is = (path: string, want: string) => async () => (await readIfExists(path)) === want;

    const mgmt = startCli(['run', '-f', yaml]);
    await mgmt.waitFor(is(f2, 'file two\n'), 'f2 to be created');
    await mgmt.waitForLog('file[three]: changed');

    // Deleted -> back.
    await unlink(f2);
    await mgmt.waitFor(is(f2, 'file two\n'), 'deleted f2 to come back');

    // Overwritten in place -> content restored.
    await writeFile(f2, 'someone else was here\n');
    await mgmt.waitFor(is(f2, 'file two\n'), 'overwritten f2 to get its content back');

    // Moved away (mgmt's file-move test) -> f1 comes back; the moved copy is left alone.
    await rename(f1, box.path('f1.moved'));
    await mgmt.waitFor(is(f1, 'file one\n'), 'moved-away f1 to come back');
    expect(await readFile(box.path('f1.moved'), 'utf8')).toBe('file one\n');

    // Something created where the graph says nothing may be -> removed.
    await writeFile(box.path('f4'), 'unwanted\n');
    await mgmt.waitFor(async () => (await readIfExists(box.path('f4'))) === undefined, 'f4 (state absent) to be removed again');

    expect(mgmt.alive, mgmt.describe()).toBe(true);
    mgmt.signal('SIGINT');
    const res = await mgmt.waitForExit();
    expect(res.code, res.stderr).toBe(0);
    expect(res.signal).toBeNull();
    expect(await readFile(f2, 'utf8')).toBe('file two\n');
    expect(await readFile(box.path('f3'), 'utf8')).toBe('file three\n');
  });

  it('repairs the same file again and again (every deletion is seen)', { timeout: 90_000 }, async () => {
    const yaml = box.path('t6.yaml');
    await writeFile(yaml, graph(box.dir));
    const f3 = box.path('f3');
    const mgmt = startCli(['run', '-f', yaml]);
    await mgmt.waitFor(async () => (await readIfExists(f3)) === 'file three\n', 'f3 to be created');
    for (let i = 0; i < 5; i++) {
      await unlink(f3);
      await mgmt.waitFor(async () => (await readIfExists(f3)) === 'file three\n', `f3 to come back after deletion #${i + 1}`);
    }
    mgmt.signal('SIGINT');
    const res = await mgmt.waitForExit();
    expect(res.code, res.stderr).toBe(0);
  });
});
