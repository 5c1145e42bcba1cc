// On a terminal (a real pty through util-linux `script`): the live status line during the first
// convergence, colours in --help and --diff; and none of that into a pipe or with NO_COLOR.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cliPath, lines, runCli, useSandbox, waitFor } from './helpers/cli.js';

const box = useSandbox();
type Pty = ReturnType<typeof onPty>;
const ptys = new Set<Pty>();
// Runs before the sandbox's own afterEach (hooks run as a stack): rxmgmt sits under `script` in
// its own session, so it is stopped by its pid and waited for before its dir is removed.
afterEach(async () => {
  await Promise.all([...ptys].map((p) => p.stop('SIGKILL')));
  ptys.clear();
});

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the built CLI on a pty; `output` is everything the terminal showed (stdout and stderr).
 * `stop` signals rxmgmt itself (its pid comes from the shell `script` runs) and resolves once
 * `script` has closed, which it does only after rxmgmt has exited.
 */
function onPty(args: string[], env: NodeJS.ProcessEnv = {}) {
  const pidFile = box.path(`.pty-${ptys.size}.pid`);
  const cmd = `echo $$ > ${shellQuote(pidFile)} && exec ${[process.execPath, cliPath, ...args].map(shellQuote).join(' ')}`;
  const child: ChildProcess = spawn('script', ['-qfec', cmd, '/dev/null'], {
    env: { ...process.env, SHELL: '/bin/sh', TERM: 'xterm-256color', NO_COLOR: undefined, FORCE_COLOR: undefined, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const run = { output: '', code: undefined as number | null | undefined };
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (run.output += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (run.output += s));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve((run.code = code))));
  const stop = async (signal: NodeJS.Signals) => {
    if (run.code !== undefined) return;
    const pid = Number(await readFile(pidFile, 'utf8').catch(() => ''));
    try {
      if (pid > 0) process.kill(pid, signal);
      else child.kill('SIGKILL'); // the shell never started: nothing runs under script
    } catch {
      // already gone
    }
    await exited;
  };
  const pty = { run, exited, stop };
  ptys.add(pty);
  return pty;
}

/** Files, one that fails, and an exec that waits for `gate` (so the first convergence is held open). */
async function graph(): Promise<string> {
  const yaml = box.path('g.yaml');
  await writeFile(box.path('blocker'), 'not a directory\n');
  await writeFile(
    yaml,
    lines(
      'graph: tty',
      'resources:',
      '  file:',
      ...[1, 2, 3].flatMap((i) => [`    - name: f${i}`, `      path: ${box.dir}/f${i}`, '      content: "x\\n"']),
      '    - name: bad',
      `      path: ${box.dir}/blocker/x`,
      '      content: "x\\n"',
      '      meta: {autoedge: false}',
      '  exec:',
      '    - name: wait-for-gate',
      `      cmd: while [ ! -e ${box.dir}/gate ]; do sleep 0.05; done`,
      '      shell: /bin/sh',
    ),
  );
  return yaml;
}

describe('on a terminal', () => {
  it('shows "applying N/M, K failed" while the first convergence runs, then clears it', async () => {
    const { run, exited } = onPty(['run', '-f', await graph(), '-t', '0']);
    await waitFor(() => run.output.includes('applying 4/5, 1 failed'), 'the status line with 4 of 5 done and 1 failed', { context: () => run.output });
    await writeFile(box.path('gate'), '');
    expect(await exited).toBe(1);
    const recap = run.output.split(/\r?\n/).find((l) => l.includes('recap:'));
    expect(recap).toMatch(/^info {2}recap: ok 0, changed 4, failed 1, skipped 0, in /); // the line is clear: no leftovers before it
    expect(run.output).not.toContain('\u001b['); // the status line uses \r and spaces, no ANSI codes
  });

  it('clears the line for good when the rest waits behind a failed parent', async () => {
    const yaml = box.path('blocked.yaml');
    await writeFile(box.path('blocker'), 'not a directory\n');
    await writeFile(
      yaml,
      lines(
        'graph: blocked',
        'resources:',
        '  file:',
        '    - {name: ok, path: ' + box.dir + '/ok, content: "x\\n"}',
        '    - {name: bad, path: ' + box.dir + '/blocker/x, content: "x\\n", meta: {autoedge: false}}',
        '  msg:',
        '    - {name: after-bad, body: never}',
        'edges:',
        '  - {name: e1, from: {kind: file, name: bad}, to: {kind: msg, name: after-bad}}',
      ),
    );
    const { run, stop } = onPty(['run', '-f', yaml]);
    const cleared = () => {
      const last = run.output.lastIndexOf('applying 2/3, 1 failed');
      return last >= 0 && /^applying 2\/3, 1 failed\r {22,}\r$/.test(run.output.slice(last));
    };
    await waitFor(cleared, 'the status line drawn, then cleared (nothing left running)', { context: () => JSON.stringify(run.output) });
    expect(run.code).toBeUndefined(); // still running: a daemon without -t
    await stop('SIGTERM');
  });

  it('no status line into a pipe', async () => {
    const yaml = await graph();
    await writeFile(box.path('gate'), '');
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.stderr).not.toContain('applying ');
    expect(res.stderr).not.toContain('\r');
  });

  it('colours --help and --diff on a terminal, not with NO_COLOR nor into a pipe', async () => {
    const help = onPty(['run', '--help']);
    expect(await help.exited).toBe(0);
    expect(help.run.output).toContain('\u001b[1m');
    expect(help.run.output).toContain('-f,--file FILE');
    const plain = onPty(['run', '--help'], { NO_COLOR: '1' });
    expect(await plain.exited).toBe(0);
    expect(plain.run.output).not.toContain('\u001b');
    const piped = await runCli(['--help'], { env: { NO_COLOR: undefined, FORCE_COLOR: undefined } });
    expect(piped.stdout).not.toContain('\u001b');
    expect(piped.stdout).not.toContain('#0');

    const yaml = box.path('d.yaml');
    await writeFile(yaml, lines('graph: d', 'resources:', '  msg:', '    - name: m', '      body: hi'));
    const diff = onPty(['run', '-f', yaml, '-t', '0', '--noop', '--diff']);
    expect(await diff.exited).toBe(0);
    expect(diff.run.output).toContain('\u001b[1mmsg[m]: would change\u001b[0m');
    const diffPlain = onPty(['run', '-f', yaml, '-t', '0', '--noop', '--diff'], { NO_COLOR: '1' });
    expect(await diffPlain.exited).toBe(0);
    expect(diffPlain.run.output).toContain('msg[m]: would change');
    expect(diffPlain.run.output).not.toContain('\u001b');
  });
});
