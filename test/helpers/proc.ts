// What Linux's /proc says about a running process: used where the CLI prints nothing that would
// tell a test it has reached a given point (idle after start-up, blocked in a system call).
import { readFile, readdir } from 'node:fs/promises';
import type { CliProcess } from './cli.js';

/** CPU time used so far (user + system), in clock ticks. */
export async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is [0], utime [11], stime [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** The kernel function each thread of `pid` sleeps in (`do_epoll_wait`, `wait_for_partner`, ...). */
export async function threadWchans(pid: number): Promise<string[]> {
  const tids = await readdir(`/proc/${pid}/task`);
  const out: string[] = [];
  for (const tid of tids) {
    try {
      out.push((await readFile(`/proc/${pid}/task/${tid}/wchan`, 'utf8')).trim());
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Read system calls made so far by the whole process (every read of an inotify event counts). */
export async function readSyscalls(pid: number): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const m = /^syscr:\s*(\d+)$/m.exec(io);
  if (!m) throw new Error(`no syscr in /proc/${pid}/io`);
  return Number(m[1]);
}

/**
 * Waits until the process has finished starting up: its main thread sleeps in epoll_wait and
 * has used no CPU for `samples` polls in a row. For a command that prints nothing when it is up.
 */
export async function waitForIdle(proc: CliProcess, samples = 4): Promise<void> {
  let lastTicks = -1;
  let stable = 0;
  await proc.waitFor(
    async () => {
      const ticks = await cpuTicks(proc.pid);
      const main = (await readFile(`/proc/${proc.pid}/wchan`, 'utf8')).trim();
      stable = ticks === lastTicks && main.includes('epoll') ? stable + 1 : 0;
      lastTicks = ticks;
      return stable >= samples;
    },
    'the process to be up and idle (main thread in epoll_wait, no CPU used for a while)',
    { intervalMs: 100 },
  );
}

/** Waits until a thread of `proc` sleeps in the kernel function `fn`. */
export async function waitForThreadIn(proc: CliProcess, fn: string, what: string): Promise<void> {
  await proc.waitFor(async () => (await threadWchans(proc.pid)).includes(fn), what);
}
