// mgmt's "no graph" shell test: `run` with nothing to do stays up until SIGINT, then exits 0;
// with --converged-timeout it exits 0 by itself.
import { describe, expect, it } from 'vitest';
import { runCli, startCli, useSandbox } from './helpers/cli.js';
import { waitForIdle } from './helpers/proc.js';

const box = useSandbox();

describe('run with no graph', () => {
  it('stays up with nothing to do, and exits 0 on SIGINT', async () => {
    const mgmt = startCli(['run'], { cwd: box.dir });
    // It prints nothing when up: wait until start-up is over (idle in epoll_wait, no CPU
    // used for a while), which fails at once if the process exits instead.
    await waitForIdle(mgmt);
    expect(mgmt.alive, mgmt.describe()).toBe(true);

    mgmt.signal('SIGINT');
    const res = await mgmt.waitForExit();
    expect(res.signal, res.stderr).toBeNull();
    expect(res.code, res.stderr).toBe(0);
  });

  it('stays up with nothing to do, and exits 0 on SIGTERM', async () => {
    const mgmt = startCli(['run', '--log-level', 'warn'], { cwd: box.dir });
    await waitForIdle(mgmt);
    mgmt.signal('SIGTERM');
    const res = await mgmt.waitForExit();
    expect(res.signal, res.stderr).toBeNull();
    expect(res.code, res.stderr).toBe(0);
  });

  it('--converged-timeout=0 exits 0 by itself', async () => {
    const res = await runCli(['run', '--converged-timeout=0'], { cwd: box.dir });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('');
  });

  it('-t 1 exits 0 by itself', async () => {
    const res = await runCli(['run', '-t', '1'], { cwd: box.dir });
    expect(res.code, res.stderr).toBe(0);
  });
});
