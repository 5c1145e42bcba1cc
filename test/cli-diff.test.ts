// --diff on real runs: each change on stdout, with and without --noop; nothing without the flag.
// (msg reports its changes; file's detailed reports come from the file resource itself.)
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, runCli, startCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

async function graph(): Promise<string> {
  const yaml = box.path('g.yaml');
  await writeFile(box.path('motd'), 'old\n');
  await writeFile(
    yaml,
    lines(
      'graph: diff',
      'resources:',
      '  file:',
      '    - name: motd',
      `      path: ${box.dir}/motd`,
      '      content: "new\\n"',
      '  msg:',
      '    - name: note',
      '      body: motd updated',
      'edges:',
      '  - name: e1',
      '    from: {kind: file, name: motd}',
      '    to: {kind: msg, name: note}',
    ),
  );
  return yaml;
}

describe('run --diff', () => {
  it('with --noop prints what would change on stdout and changes nothing', async () => {
    const res = await runCli(['run', '-f', await graph(), '-t', '0', '--noop', '--diff']);
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(box.path('motd'), 'utf8')).toBe('old\n');
    const out = res.stdout.split('\n');
    expect(out).toContain('file[motd]: would change');
    expect(out).toContain('msg[note]: would change');
    expect(out).toContain('  log: (none) -> motd updated');
    expect(res.stdout).not.toContain('\u001b'); // a pipe: no colour
  });

  it('without --noop prints what changed, once; a second run prints nothing', async () => {
    const yaml = await graph();
    const res = await runCli(['run', '-f', yaml, '-t', '0', '--diff']);
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(box.path('motd'), 'utf8')).toBe('new\n');
    const out = res.stdout.split('\n');
    expect(out.filter((l) => l === 'file[motd]: changed')).toHaveLength(1);
    expect(out).toContain('msg[note]: changed');
    expect(out).toContain('  log: (none) -> motd updated');

    const again = await runCli(['run', '-f', yaml, '-t', '0', '--diff']);
    expect(again.stdout.split('\n')).not.toContain('file[motd]: changed');
  });

  it('prints nothing on stdout without the flag', async () => {
    const res = await runCli(['run', '-f', await graph(), '-t', '0', '--noop']);
    expect(res.stdout).toBe('');
    expect(await readIfExists(box.path('motd'))).toBe('old\n');
  });

  it('a reader that goes away (| head) ends the diffs, not the run', async () => {
    const yaml = box.path('pipe.yaml');
    await writeFile(
      yaml,
      lines(
        'graph: pipe',
        'resources:',
        '  msg:',
        '    - {name: first, body: one}',
        '  exec:',
        '    - name: later',
        `      cmd: while [ ! -e ${box.dir}/gate ]; do sleep 0.05; done`,
        '      shell: /bin/sh',
      ),
    );
    const proc = startCli(['run', '-f', yaml, '-t', '0', '--diff']);
    await proc.waitFor(() => proc.stdout.includes('msg[first]: changed'), 'the first diff');
    proc.child.stdout!.destroy(); // the reader is gone: the next diff meets EPIPE
    await writeFile(box.path('gate'), '');
    const res = await proc.waitForExit();
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('--diff: stdout closed (EPIPE); no more diffs');
    expect(res.stderr).toMatch(/recap: ok 0, changed 2, failed 0, skipped 0/);
  });
});
