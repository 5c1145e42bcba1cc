// --graphviz FILE writes the graph as DOT; --graphviz-filter names a graphviz program, and when
// it is not installed rxmgmt says so once and carries on.
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, replaceAtomically, runCli, startCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

const dotInstalled = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v dot'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function graph(dir: string, withExtra = false): string {
  return lines(
    'graph: dot-me',
    'resources:',
    '  noop:',
    '    - name: begin',
    '  file:',
    '    - name: alpha',
    `      path: ${dir}/alpha`,
    '      content: "a"',
    '    - name: beta',
    `      path: ${dir}/beta`,
    '      content: "b"',
    ...(withExtra ? ['    - name: gamma', `      path: ${dir}/gamma`, '      content: "c"'] : []),
    'edges:',
    '  - {name: begin-alpha, from: {kind: noop, name: begin}, to: {kind: file, name: alpha}}',
    '  - {name: alpha-beta, from: {kind: file, name: alpha}, to: {kind: file, name: beta}, notify: true}',
    ...(withExtra ? ['  - {name: beta-gamma, from: {kind: file, name: beta}, to: {kind: file, name: gamma}}'] : []),
  );
}

/** Lines of stderr that say the filter program is missing. */
const missingLines = (stderr: string) => stderr.split('\n').filter((l) => /graphviz/i.test(l) && /not installed|missing|not found/i.test(l));

describe('--graphviz', () => {
  it('writes a DOT file with the vertices and edges', async () => {
    const yaml = box.path('g.yaml');
    const dot = box.path('graph.dot');
    await writeFile(yaml, graph(box.dir));

    const res = await runCli(['run', '-f', yaml, '-t', '1', '--graphviz', dot]);

    expect(res.code, res.stderr).toBe(0);
    const text = await readFile(dot, 'utf8');
    expect(text).toMatch(/^digraph\b/);
    for (const v of ['noop[begin]', 'file[alpha]', 'file[beta]']) expect(text).toContain(`"${v}"`);
    expect(text).toMatch(/"noop\[begin\]"\s*->\s*"file\[alpha\]"/);
    expect(text).toMatch(/"file\[alpha\]"\s*->\s*"file\[beta\]"/);
    expect(text).not.toMatch(/"file\[beta\]"\s*->/);
    expect(res.stderr).not.toMatch(/graphviz/i);
  });

  it.skipIf(dotInstalled)('--graphviz-filter dot without graphviz: says so once, still exits 0', async () => {
    const yaml = box.path('g.yaml');
    const dot = box.path('graph.dot');
    await writeFile(yaml, graph(box.dir));

    const res = await runCli(['run', '-f', yaml, '-t', '1', '--graphviz', dot, '--graphviz-filter', 'dot']);

    expect(res.code, res.stderr).toBe(0);
    expect(missingLines(res.stderr), res.stderr).toHaveLength(1);
    expect(missingLines(res.stderr)[0]).toContain('dot');
    expect(await readFile(dot, 'utf8')).toContain('"file[alpha]"');
    expect(await readIfExists(`${dot}.png`)).toBeUndefined();
  });

  it.skipIf(dotInstalled)('rewrites the DOT file after a graph swap, and says the filter is missing only once', { timeout: 60_000 }, async () => {
    const yaml = box.path('g.yaml');
    const dot = box.path('graph.dot');
    await writeFile(yaml, graph(box.dir));
    const mgmt = startCli(['run', '-f', yaml, '--graphviz', dot, '--graphviz-filter', 'dot']);
    await mgmt.waitFor(async () => (await readIfExists(dot))?.includes('"file[beta]"') === true, 'the first DOT file');
    await mgmt.waitFor(() => missingLines(mgmt.stderr).length > 0, 'the message that dot is missing');

    await replaceAtomically(yaml, graph(box.dir, true));
    await mgmt.waitFor(
      async () => /"file\[beta\]"\s*->\s*"file\[gamma\]"/.test((await readIfExists(dot)) ?? ''),
      'the DOT file to show the new edge beta -> gamma',
    );
    await mgmt.waitFor(async () => (await readIfExists(box.path('gamma'))) === 'c', 'gamma to be created');

    mgmt.signal('SIGINT');
    const res = await mgmt.waitForExit();
    expect(res.code, res.stderr).toBe(0);
    expect(missingLines(res.stderr), res.stderr).toHaveLength(1);
  });

  it('with -t 0 the DOT file is written before the exit, even for a graph that converges at once', { timeout: 120_000 }, async () => {
    // noop resources converge without touching the disk, so the exit comes very early.
    const yaml = box.path('quick.yaml');
    await writeFile(
      yaml,
      lines(
        'graph: quick',
        'resources:',
        '  noop:',
        '    - name: first',
        '    - name: second',
        'edges:',
        '  - {name: first-second, from: {kind: noop, name: first}, to: {kind: noop, name: second}}',
      ),
    );
    // Several runs: the exit races the write, and one lucky run proves nothing.
    for (let i = 1; i <= 5; i++) {
      const dot = box.path(`quick-${i}.dot`);
      const args = ['run', '-f', yaml, '-t', '0', '--graphviz', dot, ...(dotInstalled ? [] : ['--graphviz-filter', 'dot'])];
      const res = await runCli(args);
      expect(res.code, res.stderr).toBe(0);
      const text = await readIfExists(dot);
      expect(text, `run ${i}: ${dot} was not written before rxmgmt exited; stderr:\n${res.stderr}`).toBeDefined();
      expect(text).toMatch(/"noop\[first\]"\s*->\s*"noop\[second\]"/);
      if (!dotInstalled) expect(missingLines(res.stderr), `run ${i}: stderr:\n${res.stderr}`).toHaveLength(1);
    }
  });
});
