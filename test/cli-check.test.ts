// `rxmgmt check -f FILE`: the CI gate. Validates as `run` does (parse, build, autoedges,
// autogroup, cycles, conflicts) and touches nothing: no CheckApply, no ifcmd, no watchcmd.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lineOf, lines, readIfExists, runCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

/** A graph every part of which would leave a marker file behind if it were run. */
function touchy(dir: string, ...extra: string[]): string {
  return lines(
    'graph: touchy',
    'resources:',
    '  file:',
    '    - name: dir',
    `      path: ${dir}/made/`,
    '    - name: conf',
    `      path: ${dir}/made/conf`,
    '      content: "x\\n"',
    '  exec:',
    '    - name: guarded',
    `      cmd: touch ${dir}/cmd-ran`,
    `      ifcmd: touch ${dir}/ifcmd-ran`,
    // A watch command runs for as long as it watches; one that ends would fail the resource.
    `      watchcmd: "touch ${dir}/watchcmd-ran; exec sleep 600"`,
    '      watchshell: /bin/sh',
    '    - name: failing-guard',
    `      cmd: touch ${dir}/cmd2-ran`,
    `      ifcmd: "touch ${dir}/ifcmd2-ran; exit 3"`,
    '      ifshell: /bin/sh',
    '  noop:',
    '    - name: start',
    '    - name: "@@exported"',
    'edges:',
    '  - {name: s1, from: {kind: noop, name: start}, to: {kind: exec, name: guarded}}',
    ...extra,
  );
}

/** Everything in the sandbox but the graph file (and DOT output) itself. */
async function leftovers(): Promise<string[]> {
  return (await readdir(box.dir)).filter((f) => !f.endsWith('.yaml') && !f.endsWith('.dot')).sort();
}

describe('rxmgmt check', () => {
  it('a good graph: a one-line summary on stdout, exit 0, and nothing run or written', async () => {
    const yaml = box.path('g.yaml');
    await writeFile(yaml, touchy(box.dir));
    const res = await runCli(['check', '-f', yaml]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('graph "touchy": 5 resources (2 exec, 2 file, 1 noop), 2 edges (1 automatic), 1 exported\n');
    expect(res.stderr).toBe('');
    expect(await leftovers()).toEqual([]);

    // The markers are real: `run` of the same graph leaves them.
    const run = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(run.code, run.stderr).toBe(0);
    expect(await leftovers()).toEqual(['cmd-ran', 'ifcmd-ran', 'ifcmd2-ran', 'made', 'watchcmd-ran']);
  });

  it('problems: each with file and line as run prints them, exit 1, nothing run', async () => {
    const yaml = box.path('bad.yaml');
    const text = touchy(box.dir, '  - {name: s2, from: {kind: exec, name: guarded}, to: {kind: file, name: nowhere}}').replace('content: "x\\n"', 'contnet: "x\\n"');
    await writeFile(yaml, text);
    const res = await runCli(['check', '-f', yaml]);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain(`${yaml}:${lineOf(text, 'contnet')}: file[conf]: field "contnet" is not a file field`);
    expect(res.stderr).toContain(`${yaml}:${lineOf(text, 'name: s2')}: edge[s2]:`);
    expect(res.stdout).toBe('');
    // run reports the same lines.
    const run = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(run.code).toBe(1);
    for (const l of res.stderr.split('\n').filter((x) => x.includes(yaml))) expect(run.stderr).toContain(l);
    expect(await leftovers()).toEqual([]);
  });

  it('a cycle and a conflict found at build are problems too', async () => {
    const yaml = box.path('cycle.yaml');
    const text = touchy(box.dir, '  - {name: back, from: {kind: exec, name: guarded}, to: {kind: noop, name: start}}');
    await writeFile(yaml, text);
    const res = await runCli(['check', '-f', yaml]);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/the graph has a cycle: .*exec\[guarded\].*noop\[start\]|the graph has a cycle: .*noop\[start\].*exec\[guarded\]/);

    const conflict = lines('graph: c', 'resources:', '  svc:', '    - name: web', '    - name: web.service');
    await writeFile(yaml, conflict);
    const res2 = await runCli(['check', '-f', yaml]);
    expect(res2.code, res2.stderr).toBe(1);
    expect(res2.stderr).toContain(`${yaml}:5: svc[web.service]: manages svc:web.service, as does svc[web] (${yaml}:4)`);
    expect(await leftovers()).toEqual([]);
  });

  it('--graphviz writes the DOT file of the checked graph; --graphviz-filter alone is a usage error', async () => {
    const yaml = box.path('g.yaml');
    const dot = box.path('g.dot');
    await writeFile(yaml, touchy(box.dir));
    const res = await runCli(['check', '-f', yaml, '--graphviz', dot]);
    expect(res.code, res.stderr).toBe(0);
    const text = await readFile(dot, 'utf8');
    expect(text).toContain('"noop[start]" -> "exec[guarded]";');
    expect(text).toContain('"file[dir]" -> "file[conf]" [style=dashed];');
    expect(await leftovers()).toEqual([]);

    const usage = await runCli(['check', '-f', yaml, '--graphviz-filter', 'dot']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--graphviz-filter needs --graphviz FILE');
  });

  it('a missing file: exit 1 naming it', async () => {
    const res = await runCli(['check', '-f', box.path('none.yaml')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${box.path('none.yaml')}: cannot read the graph file: no such file`);
    expect(await readIfExists(box.path('cmd-ran'))).toBeUndefined();
  });
});
