// SIGHUP re-reads the graph file (systemctl reload), also under --no-watch; it never kills rxmgmt.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, startCli, useSandbox } from './helpers/cli.js';
import { servedAt } from './helpers/observe.js';

const box = useSandbox();

const graph = (content: string) =>
  lines('graph: hup', 'resources:', '  file:', '    - name: f', `      path: ${box.dir}/f`, `      content: "${content}\\n"`);

describe('SIGHUP', () => {
  it('re-reads the graph file under --no-watch and applies it', async () => {
    const yaml = box.path('g.yaml');
    await writeFile(yaml, graph('one'));
    const proc = startCli(['run', '-f', yaml, '--no-watch']);
    await proc.waitFor(async () => (await readIfExists(box.path('f'))) === 'one\n', 'the first graph applied');
    await writeFile(yaml, graph('two'));
    proc.signal('SIGHUP');
    await proc.waitFor(async () => (await readIfExists(box.path('f'))) === 'two\n', 'the re-read graph applied');
    expect(proc.stderr).toContain(`SIGHUP: re-reading ${yaml}`);

    // A bad file on SIGHUP is reported and the running graph keeps running.
    await writeFile(yaml, 'graph: hup\nresources: [oops\n');
    proc.signal('SIGHUP');
    await proc.waitForLog('keeping the running graph');
    expect(proc.alive).toBe(true);
    proc.signal('SIGTERM');
    expect((await proc.waitForExit()).code).toBe(0);
    expect(await readFile(box.path('f'), 'utf8')).toBe('two\n');
  });

  it('without a graph file is logged, not fatal', async () => {
    // --prometheus only for its "serving" line: the barrier that says the run is up.
    const proc = startCli(['run', '--prometheus', '--prometheus-listen', '127.0.0.1:0']);
    await servedAt(proc);
    proc.signal('SIGHUP');
    await proc.waitForLog('SIGHUP: no graph file to re-read');
    expect(proc.alive).toBe(true);
    proc.signal('SIGTERM');
    expect((await proc.waitForExit()).code).toBe(0);
  });
});
