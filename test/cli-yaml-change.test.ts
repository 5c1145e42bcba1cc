// mgmt's shell test yaml-change1: the graph file is watched; saving a new version swaps the
// running graph, and a broken version is reported while the running graph keeps running.
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lineOf, lines, readIfExists, replaceAtomically, startCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

/** The same file resource with a different content (and a bystander that never changes). */
function graph(dir: string, content: string): string {
  return lines(
    `graph: yaml-change-${content}`,
    'resources:',
    '  file:',
    '    - name: target',
    `      path: ${dir}/target`,
    `      content: "${content}"`,
    '    - name: bystander',
    `      path: ${dir}/bystander`,
    '      content: "untouched\\n"',
  );
}

describe('yaml-change: the graph file is live', () => {
  it('follows editor saves, in-place writes and broken versions of the graph file', { timeout: 120_000 }, async () => {
    const yaml = box.path('graph.yaml');
    const target = box.path('target');
    await writeFile(yaml, graph(box.dir, 'A'));
    const contentIs = (want: string) => async () => (await readIfExists(target)) === want;

    const mgmt = startCli(['run', '-f', yaml]);
    await mgmt.waitFor(contentIs('A'), 'target to hold "A"');
    await mgmt.waitForLog('file[bystander]: changed');

    // An editor save (write a temp file, rename it over the graph) -> B.
    await replaceAtomically(yaml, graph(box.dir, 'B'));
    await mgmt.waitFor(contentIs('B'), 'target to hold "B" after the graph file was replaced');

    // Swap back -> A.
    await replaceAtomically(yaml, graph(box.dir, 'A'));
    await mgmt.waitFor(contentIs('A'), 'target to hold "A" again after swapping the graph back');

    // Overwrite the graph file in place (truncate + write) -> C.
    await writeFile(yaml, graph(box.dir, 'C'));
    await mgmt.waitFor(contentIs('C'), 'target to hold "C" after the graph file was overwritten in place');

    // A broken version: reported with the file's name, the process keeps running the old graph.
    const errorsBefore = mgmt.stderr.split('\n').filter((l) => l.startsWith('error')).length;
    await replaceAtomically(yaml, lines('graph: broken', 'resources:', '  file:', '    - name: target', `      path: ${box.dir}/x: y`));
    await mgmt.waitFor(
      () => mgmt.stderr.split('\n').filter((l) => l.startsWith('error') && l.includes(yaml)).length > errorsBefore,
      'an error line naming the graph file',
    );
    expect(mgmt.stderr).toMatch(new RegExp(`${escape(yaml)}:5\\b`));
    expect(mgmt.alive, mgmt.describe()).toBe(true);
    expect(await readFile(target, 'utf8')).toBe('C');
    // ... and it still repairs drift with the graph it kept.
    await unlink(target);
    await mgmt.waitFor(contentIs('C'), 'target to come back (with "C") while the graph file is broken');

    // A file whose aliases would expand to billions of nodes: refused at its line, the engine
    // keeps running (unbounded, this swap exhausted the heap and killed the process).
    const laughs = [`l0: &l0 [${Array(9).fill('"lol"').join(', ')}]`];
    for (let i = 1; i <= 9; i++) laughs.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
    const bomb = graph(box.dir, 'X') + lines(...laughs);
    const laughsBefore = mgmt.stderr.split('\n').filter((l) => l.includes('YAML aliases expand')).length;
    await replaceAtomically(yaml, bomb);
    await mgmt.waitFor(() => mgmt.stderr.split('\n').filter((l) => l.includes('YAML aliases expand')).length > laughsBefore, 'the alias bomb to be refused');
    expect(mgmt.stderr).toContain(`${yaml}:${lineOf(bomb, 'l5: &l5')}: YAML aliases expand the document beyond`);
    expect(mgmt.alive, mgmt.describe()).toBe(true);
    await unlink(target);
    await mgmt.waitFor(contentIs('C'), 'target to come back (with "C") after the alias bomb was refused');

    // A valid version again -> applied.
    await replaceAtomically(yaml, graph(box.dir, 'D'));
    await mgmt.waitFor(contentIs('D'), 'target to hold "D" once the graph file is valid again');

    // The bystander's definition never changed: it was never re-applied.
    expect(mgmt.stderr.split('\n').filter((l) => l.includes('file[bystander]: changed'))).toHaveLength(1);
    expect(await readFile(box.path('bystander'), 'utf8')).toBe('untouched\n');

    mgmt.signal('SIGINT');
    const res = await mgmt.waitForExit();
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(target, 'utf8')).toBe('D');
  });

  it('a graph file that is a symlink: reloaded when its target changes and when the link is repointed', { timeout: 60_000 }, async () => {
    const { mkdir, rename, symlink } = await import('node:fs/promises');
    const conf = box.path('conf');
    await mkdir(conf);
    const link = box.path('graph.yaml');
    const target = box.path('target');
    await writeFile(join(conf, 'a.yaml'), graph(box.dir, 'A'));
    await writeFile(join(conf, 'b.yaml'), graph(box.dir, 'B'));
    await symlink(join(conf, 'a.yaml'), link);
    const contentIs = (want: string) => async () => (await readIfExists(target)) === want;

    const mgmt = startCli(['run', '-f', link]);
    await mgmt.waitFor(contentIs('A'), 'target to hold "A"');
    await mgmt.waitForLog('file[bystander]: changed');

    // The file the link points to, written in place in its own directory. Its watch is set up
    // once the link is resolved, just after start: until a write is seen, write again every
    // second (leaving the file time to settle).
    let polls = 0;
    await mgmt.waitFor(async () => {
      if (polls++ % 50 === 0) await writeFile(join(conf, 'a.yaml'), graph(box.dir, 'A2'));
      return contentIs('A2')();
    }, 'target to hold "A2" after the link\'s target changed');

    // The link repointed (atomically, as `ln -sfn` with a rename would).
    await symlink(join(conf, 'b.yaml'), box.path('graph.yaml.new'));
    await rename(box.path('graph.yaml.new'), link);
    await mgmt.waitFor(contentIs('B'), 'target to hold "B" after the link was repointed');

    // ... and the new target is followed from then on.
    await writeFile(join(conf, 'b.yaml'), graph(box.dir, 'B2'));
    await mgmt.waitFor(contentIs('B2'), 'target to hold "B2" after the new target changed');

    mgmt.signal('SIGINT');
    expect((await mgmt.waitForExit()).code).toBe(0);
  });

  it('a resource removed from the graph file is no longer managed', { timeout: 60_000 }, async () => {
    const yaml = box.path('graph.yaml');
    await writeFile(yaml, graph(box.dir, 'A'));
    const mgmt = startCli(['run', '-f', yaml]);
    await mgmt.waitFor(async () => (await readIfExists(box.path('bystander'))) === 'untouched\n', 'bystander to be created');

    await replaceAtomically(
      yaml,
      lines('graph: smaller', 'resources:', '  file:', '    - name: target', `      path: ${box.dir}/target`, '      content: "E"'),
    );
    await mgmt.waitFor(async () => (await readIfExists(box.path('target'))) === 'E', 'target to hold "E"');
    // The bystander's vertex stopped when the new graph was applied, before "E" was written.
    // Its deletion is seen by the same directory watch, before the target's drift: had it still
    // been managed, its repair would have started first (a weak check, but never a false alarm).
    await unlink(box.path('bystander'));
    await writeFile(box.path('target'), 'drift');
    await mgmt.waitFor(async () => (await readIfExists(box.path('target'))) === 'E', 'target to be repaired');
    expect(await readIfExists(box.path('bystander'))).toBeUndefined();

    mgmt.signal('SIGINT');
    expect((await mgmt.waitForExit()).code).toBe(0);
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
