// rxmgmt/testing drives the engine `run` uses: on one small graph, the marble run and a real
// `rxmgmt run` (real processes) show the same runs, in the same order, as often.
import { readFile, writeFile } from 'node:fs/promises';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { testGraph } from '../src/testing/index.js';
import { lines, runCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

/** noop -> exec[build] -> exec[deploy], notify edges; each exec appends its name to `order`. */
function chain(dir: string): string {
  return lines(
    'graph: chain',
    'resources:',
    '  noop:',
    '    - name: start',
    '  exec:',
    '    - name: build',
    `      cmd: sleep 0.2; echo build >> ${dir}/order`,
    '      shell: /bin/sh',
    '    - name: deploy',
    `      cmd: echo deploy >> ${dir}/order`,
    '      shell: /bin/sh',
    'edges:',
    '  - {name: e1, from: {kind: noop, name: start}, to: {kind: exec, name: build}, notify: true}',
    '  - {name: e2, from: {kind: exec, name: build}, to: {kind: exec, name: deploy}, notify: true}',
  );
}

describe('the marble run matches a real run', () => {
  it('noop -> exec -> exec: same changed runs, same order, same counts, same exit', async () => {
    const yaml = box.path('chain.yaml');
    await writeFile(yaml, chain(box.dir));

    const real = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(real.code, real.stderr).toBe(0);
    const realOrder = (await readFile(box.path('order'), 'utf8')).trim().split('\n');
    const realChanged = real.stderr.split('\n').flatMap((l) => /(\w+\[\w+\]): changed$/.exec(l)?.[1] ?? []);

    // The same file, each exec a stand-in that (like an exec without ifcmd) changes on every run.
    let marbleChanged: string[] = [];
    let marbleChecks: Record<string, string> = {};
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    ts.run(({ expectObservable }) => {
      const t = testGraph({ scheduler: ts, file: yaml, convergedTimeout: 0, standIns: { 'exec[build]': { runs: ['200ms c'] }, 'exec[deploy]': { runs: ['c'] } } });
      expectObservable(t.checks('exec[deploy]')).toBe('200ms r');
      expectObservable(t.exit$).toBe('200ms (x|)', { x: { reason: 'converged', failed: [], wouldChange: [], code: 0 } });
      ts.flush();
      marbleChanged = t.events.flatMap((e) => (e.type === 'run' && e.result === 'changed' ? [e.key] : []));
      marbleChecks = Object.fromEntries(t.keys.map((k) => [k, t.events.filter((e) => e.type === 'run' && e.key === k).length]));
    });

    expect(realOrder).toEqual(['build', 'deploy']);
    expect(realChanged).toEqual(['exec[build]', 'exec[deploy]']);
    expect(marbleChanged).toEqual(realChanged);
    expect(marbleChecks).toEqual({ 'noop[start]': 1, 'exec[build]': 1, 'exec[deploy]': 1 });
  });
});
