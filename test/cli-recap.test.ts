// The recap every run ends with, --detailed-exitcodes (Puppet's meaning) and --log-timestamps,
// on real runs of the built CLI against real files.
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, runCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

/** Two files (one in a "directory" that is a file, so it fails) and a msg below the failing one. */
async function graph(opts: { failing: boolean }): Promise<string> {
  const yaml = box.path('g.yaml');
  await writeFile(box.path('blocker'), 'a file, not a directory\n');
  await writeFile(
    yaml,
    lines(
      'graph: recap',
      'resources:',
      '  file:',
      '    - name: good',
      `      path: ${box.dir}/good`,
      '      content: "good\\n"',
      '    - name: bad',
      `      path: ${opts.failing ? `${box.dir}/blocker/x` : `${box.dir}/fine`}`,
      '      content: "x\\n"',
      '      meta: {autoedge: false}',
      '  msg:',
      '    - name: after-bad',
      '      body: bad is done',
      'edges:',
      '  - name: e1',
      '    from: {kind: file, name: bad}',
      '    to: {kind: msg, name: after-bad}',
    ),
  );
  return yaml;
}

const recapOf = (stderr: string) => stderr.split('\n').find((l) => l.includes('recap: '));

describe('the recap', () => {
  it('counts ok, changed, failed and skipped, lists each failure with its error, never claims success', async () => {
    const yaml = await graph({ failing: true });
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.code, res.stderr).toBe(1);
    expect(recapOf(res.stderr)).toMatch(/recap: ok 0, changed 1, failed 1, skipped 1, in \d+\.\d\d s$/);
    expect(res.stderr).toMatch(/error failed: file\[bad\]: .*ENOTDIR/);
    expect(res.stderr).not.toContain('everything is in its desired state');

    // Second run: good is already right (ok), bad still fails, its child still never runs.
    const again = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(recapOf(again.stderr)).toMatch(/recap: ok 1, changed 0, failed 1, skipped 1, in /);
  });

  it('says everything is in its desired state only when it is', async () => {
    const yaml = await graph({ failing: false });
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.code, res.stderr).toBe(0);
    expect(recapOf(res.stderr)).toMatch(/recap: ok 0, changed 3, failed 0, skipped 0, in /);
    expect(res.stderr).toContain('converged: everything is in its desired state');
  });

  it('is printed whatever --log-level says', async () => {
    const yaml = await graph({ failing: false });
    const res = await runCli(['run', '-f', yaml, '-t', '0', '--log-level', 'error']);
    expect(res.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^info {2}recap: ok 0, changed 3, failed 0, skipped 0, in /),
      'info  converged: everything is in its desired state',
    ]);
  });

  it('under --noop counts would-change and names them', async () => {
    const yaml = await graph({ failing: false });
    const res = await runCli(['run', '-f', yaml, '-t', '0', '--noop']);
    expect(res.code, res.stderr).toBe(0);
    expect(recapOf(res.stderr)).toMatch(/recap: ok 0, would change 3, failed 0, skipped 0, in /);
    const said = res.stderr.split('\n').find((l) => l.includes('noop: would change '));
    for (const key of ['file[good]', 'file[bad]', 'msg[after-bad]']) expect(said, `the noop line should name ${key}`).toContain(key);
    expect(res.stderr).not.toContain('everything is in its desired state');
  });
});

describe('--detailed-exitcodes', () => {
  it('changes: 2', async () => {
    const res = await runCli(['run', '-f', await graph({ failing: false }), '-t', '0', '--detailed-exitcodes']);
    expect(res.code, res.stderr).toBe(2);
  });

  it('changes and failures: 6', async () => {
    const res = await runCli(['run', '-f', await graph({ failing: true }), '-t', '0', '--detailed-exitcodes']);
    expect(res.code, res.stderr).toBe(6);
  });

  it('failures only: 4 (the second run: good is right, the msg below bad never runs)', async () => {
    const yaml = await graph({ failing: true });
    await runCli(['run', '-f', yaml, '-t', '0']);
    const res = await runCli(['run', '-f', yaml, '-t', '0', '--detailed-exitcodes']);
    expect(recapOf(res.stderr)).toMatch(/recap: ok 1, changed 0, failed 1, skipped 1, in /);
    expect(res.code, res.stderr).toBe(4);
  });

  it('noop with would-change: 2', async () => {
    const res = await runCli(['run', '-f', await graph({ failing: false }), '-t', '0', '--noop', '--detailed-exitcodes']);
    expect(res.code, res.stderr).toBe(2);
  });

  it('nothing to change: 0, with and without --noop', async () => {
    const yaml = box.path('right.yaml');
    await writeFile(box.path('right'), 'right\n');
    await writeFile(yaml, lines('graph: right', 'resources:', '  file:', '    - name: r', `      path: ${box.dir}/right`, '      content: "right\\n"'));
    for (const noop of [[], ['--noop']]) {
      const res = await runCli(['run', '-f', yaml, '-t', '0', '--detailed-exitcodes', ...noop]);
      expect(res.code, res.stderr).toBe(0);
      expect(recapOf(res.stderr)).toMatch(noop.length ? /recap: ok 1, would change 0, failed 0, skipped 0, in / : /recap: ok 1, changed 0, failed 0, skipped 0, in /);
    }
  });

  it('without the flag: 1 for a failure, 0 for changes', async () => {
    expect((await runCli(['run', '-f', await graph({ failing: true }), '-t', '0'])).code).toBe(1);
    expect((await runCli(['run', '-f', await graph({ failing: false }), '-t', '0'])).code).toBe(0);
  });
});

describe('--log-timestamps', () => {
  const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|warn|error|debug) /;

  it('stamps every line when asked', async () => {
    const yaml = await graph({ failing: false });
    const res = await runCli(['run', '-f', yaml, '-t', '0', '--log-timestamps']);
    const ls = res.stderr.trim().split('\n');
    expect(ls.length).toBeGreaterThan(3);
    expect(ls.filter((l) => !stamp.test(l))).toEqual([]);
  });

  it('not by default, also into a pipe: lines start with their level', async () => {
    const yaml = await graph({ failing: false });
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.stderr).toMatch(/^info {2}graph "recap"/);
    expect(res.stderr.trim().split('\n').filter((l) => stamp.test(l))).toEqual([]);
  });
});
