// Exit drains: on SIGTERM/SIGINT no new events are taken, but a CheckApply already started
// finishes before the process exits 0; a second SIGINT aborts at once (exit code 130).
//
// A file resource's CheckApply takes well under a millisecond, so the test holds one in flight
// from outside: the child runs with a single libuv worker thread (UV_THREADPOOL_SIZE=1), and the graph file is replaced by a FIFO. The graph
// reload then blocks that one thread in open() until someone opens the FIFO for writing, so
// every fs call of a CheckApply started afterwards waits in the queue: the engine is busy for
// as long as the test wants. Linux's /proc tells when each step has happened.
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type CliProcess, lines, readIfExists, startCli, useSandbox } from './helpers/cli.js';
import { readSyscalls, waitForThreadIn } from './helpers/proc.js';

const box = useSandbox();

// The content comes from a source file: a file with inline content is checked with synchronous
// calls (the file kind's quick path), which no blocked worker thread holds back.
function graph(dir: string): string {
  return lines('graph: drain', 'resources:', '  file:', '    - name: held', `      path: ${dir}/held`, `      source: ${dir}/held.src`);
}

async function writeGraph(yaml: string): Promise<void> {
  await writeFile(box.path('held.src'), 'held\n');
  await writeFile(yaml, graph(box.dir));
}

/**
 * Starts rxmgmt, lets it converge, then leaves it with the CheckApply of file[held] started and
 * stuck behind the blocked worker thread. Returns the process and a function that unblocks it.
 */
async function startWithCheckApplyInFlight(): Promise<{ mgmt: CliProcess; unblock: () => Promise<void> }> {
  const yaml = box.path('drain.yaml');
  const held = box.path('held');
  await writeGraph(yaml);
  const mgmt = startCli(['run', '-f', yaml], { env: { UV_THREADPOOL_SIZE: '1' } });
  await mgmt.waitForLog('file[held]: changed');

  // Block the only worker thread: the graph file becomes a FIFO nobody writes to.
  const fifo = box.path('drain.fifo');
  execFileSync('mkfifo', [fifo]);
  await rename(fifo, yaml);
  await waitForThreadIn(mgmt, 'wait_for_partner', 'the graph reload to block opening the FIFO');

  // Start a CheckApply: delete the file. Its inotify event is read (a read syscall) and handled
  // in the same turn of the event loop, before any signal sent afterwards.
  // Baseline once the reads caused by the rename have settled.
  let reads = -1;
  let steady = 0;
  await mgmt.waitFor(async () => {
    const now = await readSyscalls(mgmt.pid);
    steady = now === reads ? steady + 1 : 0;
    reads = now;
    return steady >= 3;
  }, 'the process to stop reading events after the rename');
  await unlink(held);
  await mgmt.waitFor(async () => (await readSyscalls(mgmt.pid)) > reads, 'the deletion event to be read');
  expect(await readIfExists(held)).toBeUndefined(); // stuck: the repair cannot reach the disk

  const unblock = async () => {
    // O_NONBLOCK: fails (ENXIO) instead of hanging if the reader is gone.
    const fh = await open(yaml, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      await fh.writeFile(graph(box.dir));
    } finally {
      await fh.close();
    }
  };
  return { mgmt, unblock };
}

describe('graceful exit', () => {
  it('SIGTERM exits 0', async () => {
    const yaml = box.path('term.yaml');
    await writeGraph(yaml);
    const mgmt = startCli(['run', '-f', yaml]);
    await mgmt.waitForLog('file[held]: changed');
    mgmt.signal('SIGTERM');
    const res = await mgmt.waitForExit();
    expect(res.signal, res.stderr).toBeNull();
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(box.path('held'), 'utf8')).toBe('held\n');
  });

  it('SIGTERM waits for the CheckApply in flight, then exits 0', { timeout: 90_000 }, async () => {
    const { mgmt, unblock } = await startWithCheckApplyInFlight();

    mgmt.signal('SIGTERM');
    await mgmt.waitForLog(/draining/);
    expect(mgmt.alive, `still draining: ${mgmt.describe()}`).toBe(true);

    await unblock();
    const res = await mgmt.waitForExit();
    expect(res.signal, res.stderr).toBeNull();
    expect(res.code, res.stderr).toBe(0);
    // The run that was in flight finished before the exit: the file is back.
    expect(await readFile(box.path('held'), 'utf8')).toBe('held\n');
  });

  it('a second SIGINT while draining aborts at once with exit code 130', { timeout: 90_000 }, async () => {
    const { mgmt, unblock } = await startWithCheckApplyInFlight();

    mgmt.signal('SIGINT');
    await mgmt.waitForLog(/draining/);
    expect(mgmt.alive, `still draining: ${mgmt.describe()}`).toBe(true);

    mgmt.signal('SIGINT'); // the CheckApply is still stuck: only an abort ends the process now
    await mgmt.waitFor(() => mgmt.stderr.includes('second SIGINT') || !mgmt.alive, 'the abort message (or the exit)', { allowExit: true });
    // process.exit() joins libuv's worker threads, and ours is still stuck in open(): release it
    // (the main thread is exiting by now, so the CheckApply cannot finish any more).
    if (mgmt.alive) await unblock();
    const res = await mgmt.waitForExit();
    expect(res, 'rxmgmt must exit(130) itself, not die of the signal').toMatchObject({ code: 130, signal: null });
    expect(res.stderr).toContain('second SIGINT');
    // Aborted, not drained: the run in flight never got to repair the file.
    expect(await readIfExists(box.path('held'))).toBeUndefined();
  });
});
