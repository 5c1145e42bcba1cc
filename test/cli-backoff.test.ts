// A resource that always fails, with real processes: `-t` still exits (code 1, naming it), and
// a failure that causes its own next event is re-run at the backoff times, not in a tight loop.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, readIfExists, runCli, startCli, useSandbox, waitFor } from './helpers/cli.js';

const box = useSandbox();

const runsIn = async (file: string): Promise<number> => ((await readIfExists(file)) ?? '').split('\n').filter(Boolean).length;

describe('failure backoff', () => {
  it('-t 0 exits 1 naming the failed exec (`false`), after running it once', async () => {
    const yaml = box.path('false.yaml');
    const count = box.path('runs');
    await writeFile(
      yaml,
      lines('graph: failing', 'resources:', '  exec:', '    - name: doomed', `      cmd: echo run >> ${count}; false`, '      shell: /bin/sh'),
    );
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/failed: exec\[doomed\]: /);
    expect(await runsIn(count)).toBe(1);
  });

  it('a failing exec with an event every 50 ms runs at the backoff times, and -t 1 exits 1', async () => {
    // The watchcmd prints a line every 50 ms (a unit that keeps crashing, a file being fought
    // over): each line is an event for the exec, which always fails. Without a backoff it runs on
    // every event, 20 times a second, and is never idle for 1 s; with it the runs are 0, 0.1,
    // 0.3, 0.7, 1.5, 3.1 s... and the converger (a failed exec backing off is idle) exits once
    // a gap exceeds 1 s.
    const yaml = box.path('loop.yaml');
    const count = box.path('runs');
    await writeFile(
      yaml,
      lines(
        'graph: self-triggering',
        'resources:',
        '  exec:',
        '    - name: flapping',
        `      cmd: echo run >> ${count}; exit 7`,
        '      shell: /bin/sh',
        '      watchcmd: "while :; do echo tick; sleep 0.05; done"',
        '      watchshell: /bin/sh',
      ),
    );
    const res = await runCli(['run', '-f', yaml, '-t', '1'], { timeoutMs: 60_000 });
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/failed: exec\[flapping\]: /);
    const runs = await runsIn(count);
    // About 6; a few more on a slow machine, nowhere near the 20 a second of no backoff.
    expect(runs, await readFile(count, 'utf8')).toBeGreaterThanOrEqual(4);
    expect(runs, `ran ${runs} times: not backing off`).toBeLessThan(15);
    expect(res.stderr).toMatch(/next run no sooner than 400 ms/);
  });
});

describe('duration flags', () => {
  it('refuses a duration longer than 10 years, naming the flag, and applies nothing', async () => {
    const res = await runCli(['run', '-t', '315576001']);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain('--converged-timeout: 315576001 s is longer than the longest duration rxmgmt waits, 315576000 s (10 years)');
  });
});

describe('a watch out of retries', () => {
  it('a watchcmd that fails makes its exec failed: -t exits 1 naming it', async () => {
    const yaml = box.path('watch.yaml');
    await writeFile(
      yaml,
      lines(
        'graph: broken-watch',
        'resources:',
        '  exec:',
        '    - name: watched',
        '      cmd: "true"',
        '      watchcmd: "echo nope >&2; exit 3"',
        '      watchshell: /bin/sh',
      ),
    );
    const res = await runCli(['run', '-f', yaml, '-t', '1']);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/failed: exec\[watched\]: watch: .*exited with code 3/);
  });
});

describe('bounded drain', () => {
  it('SIGTERM with a CheckApply that does not end: waits --drain-timeout, names it, stops it and exits 1', async () => {
    const yaml = box.path('slow.yaml');
    const pidFile = box.path('slow.pid');
    await writeFile(
      yaml,
      lines('graph: slow', 'resources:', '  exec:', '    - name: slow', `      cmd: echo $$ > ${pidFile}; exec sleep 300`, '      shell: /bin/sh'),
    );
    const mgmt = startCli(['run', '-f', yaml, '--drain-timeout', '1']);
    await waitFor(async () => ((await readIfExists(pidFile)) ?? '').trim() !== '', 'the exec to start its command', { context: () => mgmt.describe() });
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    mgmt.signal('SIGTERM');
    const res = await mgmt.waitForExit();
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toMatch(/the drain timed out; stopped while still running: exec\[slow\] \(running\)/);
    // Its process is ended with it (exec kills its process group when its run is unsubscribed).
    await waitFor(() => !alive(pid), `the command's process ${pid} to be ended`);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
