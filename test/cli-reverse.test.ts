// meta reverse end to end: a graph swap that removes a resource with `reverse: true` undoes
// what it did (a created file removed, a line taken out again); without it, nothing is undone.
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, replaceAtomically, startCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

function graph(dir: string, withManaged: boolean): string {
  const managed = withManaged
    ? [
        '    - name: created',
        `      path: ${dir}/created`,
        '      content: "made by rxmgmt\\n"',
        '      meta: {reverse: true}',
        '    - name: kept',
        `      path: ${dir}/kept`,
        '      content: "stays\\n"',
      ]
    : [];
  const line = withManaged
    ? ['  line:', '    - name: banner', `      file: ${dir}/motd`, '      content: "managed by rxmgmt"', '      meta: {reverse: true}']
    : [];
  return lines('graph: reverse', 'resources:', '  file:', '    - name: anchor', `      path: ${dir}/anchor`, '      content: "x\\n"', ...managed, ...line);
}

describe('meta reverse', () => {
  it('a swap that removes a reversible resource undoes it; one without reverse is left alone', { timeout: 60_000 }, async () => {
    const yaml = box.path('graph.yaml');
    await writeFile(box.path('motd'), 'hello\n');
    await writeFile(yaml, graph(box.dir, true));
    const mgmt = startCli(['run', '-f', yaml]);
    await mgmt.waitFor(async () => (await readIfExists(box.path('created'))) === 'made by rxmgmt\n', 'the reversible file to be created');
    await mgmt.waitFor(async () => (await readIfExists(box.path('motd'))) === 'hello\nmanaged by rxmgmt\n', 'the line to be added');
    await mgmt.waitFor(async () => (await readIfExists(box.path('kept'))) === 'stays\n', 'the plain file to be created');

    await replaceAtomically(yaml, graph(box.dir, false));
    await mgmt.waitFor(async () => (await readIfExists(box.path('created'))) === undefined, 'the reversible file to be removed by the swap');
    await mgmt.waitFor(async () => (await readIfExists(box.path('motd'))) === 'hello\n', 'the line to be taken out again');
    expect(await readIfExists(box.path('kept'))).toBe('stays\n');

    mgmt.signal('SIGINT');
    const res = await mgmt.waitForExit();
    expect(res.code, res.stderr).toBe(0);
  });
});
