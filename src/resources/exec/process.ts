// Child processes for the exec resource, as Observables. Each command runs in its own process
// group (spawned detached, so it also ignores the terminal's Ctrl-C meant for rxmgmt); a timeout
// or an unsubscription ends the whole group: SIGTERM, then SIGKILL after a grace period. All
// waiting goes through the given RxJS scheduler.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Observable, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import { longTimer } from '../../../operators/long-timer.js';
import { Tail } from './tail.js';

export interface ProcessSpec {
  file: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
}

export interface ProcessOptions {
  scheduler: SchedulerLike;
  /** Milliseconds before the group is terminated; 0 or absent: no limit. */
  timeoutMs?: number;
  /** Milliseconds between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** Bytes of stdout, and of stderr, kept. */
  maxOutput?: number;
  /**
   * Milliseconds to keep reading output after the process exited. A background child that
   * inherited stdout can hold it open for ever; after this we stop reading and carry on.
   */
  drainMs?: number;
}

export const defaults = { graceMs: 2000, maxOutput: 4096, drainMs: 100 };

export interface ProcessResult {
  pid: number;
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The timeout expired and the group was terminated. */
  timedOut: boolean;
  stdout: Tail;
  stderr: Tail;
  /** Output was still open (held by a background process) when reading stopped. */
  outputHeldOpen: boolean;
}

// ---------------------------------------------------------------------------------------------
// Process groups

/** Groups of commands still running, killed if rxmgmt itself exits (a second Ctrl-C, say). */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function track(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const g of liveGroups) signalGroup(g, 'SIGKILL');
  });
}

/** Sends `sig` to every process of group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    if (code === 'EPERM') return true; // it exists, but is not ours to signal
    throw err;
  }
}

/**
 * Whether any process of group `pgid` still runs. Zombies do not count: where PID 1 does not
 * reap orphans (many containers), a killed grandchild stays a zombie, which kill(2) still finds.
 */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill(2)
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so cut at the last ")".
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}

/**
 * SIGTERM now, SIGKILL after `graceMs` unless the group has gone by then. Fire and forget: it
 * looks again every few milliseconds, so that a group that obeyed SIGTERM leaves nothing
 * scheduled behind (which would hold rxmgmt's exit for the whole grace period).
 */
export function terminateGroup(pgid: number, graceMs: number, scheduler: SchedulerLike): void {
  if (!signalGroup(pgid, 'SIGTERM')) {
    liveGroups.delete(pgid);
    return;
  }
  const step = Math.max(1, Math.min(50, graceMs));
  scheduler.schedule(function (this: SchedulerAction<number>, waited = 0) {
    if (!groupAlive(pgid)) return void liveGroups.delete(pgid);
    if (waited + step < graceMs) return void this.schedule(waited + step, step);
    signalGroup(pgid, 'SIGKILL');
    liveGroups.delete(pgid);
  }, step, 0);
}

function startError(spec: ProcessSpec, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such program (ENOENT)' : e.code === 'EACCES' ? 'permission denied (EACCES)' : e.message;
  return new Error(`cannot start ${spec.file}: ${why}`, { cause: err });
}

// ---------------------------------------------------------------------------------------------
// One supervised process: shared by `runProcess` (run to the end) and `watchLines` (stream).

interface Handlers {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** The process exited and its output ended (or the drain time passed). */
  done(exit: { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean; outputHeldOpen: boolean }): void;
  /** It could not be started. */
  failed(err: Error): void;
}

/** Starts the process; the returned function stops it (terminating its group) if still running. */
function supervise(spec: ProcessSpec, opts: ProcessOptions, h: Handlers): { pid?: number; stop: () => void } {
  const { scheduler, timeoutMs = 0, graceMs = defaults.graceMs, drainMs = defaults.drainMs } = opts;
  let child: ChildProcess;
  try {
    child = spawn(spec.file, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      uid: spec.uid,
      gid: spec.gid,
      detached: true, // setsid(): its own session and process group, pgid = pid
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    h.failed(startError(spec, err));
    return { stop: () => undefined };
  }
  const pid = child.pid;
  let finished = false;
  let exited = false;
  let code: number | null = null;
  let signal: NodeJS.Signals | null = null;
  let timedOut = false;
  let killSent = false;
  let openStreams = 2;
  const timers: Subscription[] = [];
  let draining = false;

  const cleanup = (): void => {
    finished = true;
    for (const t of timers) t.unsubscribe();
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  const finish = (outputHeldOpen: boolean): void => {
    if (finished) return;
    cleanup();
    if (pid !== undefined) liveGroups.delete(pid);
    h.done({ code, signal, timedOut, outputHeldOpen });
  };
  const maybeFinish = (): void => {
    if (finished || !exited) return;
    // After a timeout, the group (not only its leader) must be gone before we report.
    if (timedOut && !killSent && pid !== undefined && groupAlive(pid)) return;
    if (openStreams === 0) return finish(false);
    if (!draining) {
      draining = true;
      timers.push(scheduler.schedule(() => finish(true), drainMs));
    }
  };

  child.on('error', (err) => {
    if (finished) return;
    if (pid === undefined || !exited) {
      cleanup();
      if (pid !== undefined) terminateGroup(pid, graceMs, scheduler);
      h.failed(startError(spec, err));
    }
  });
  if (pid === undefined) return { stop: () => cleanup() }; // 'error' follows
  track(pid);

  child.stdout!.on('data', (b: Buffer) => finished || h.stdout(b));
  child.stderr!.on('data', (b: Buffer) => finished || h.stderr(b));
  for (const s of [child.stdout!, child.stderr!]) {
    s.on('close', () => {
      openStreams--;
      maybeFinish();
    });
  }
  child.on('exit', (c, s) => {
    exited = true;
    code = c;
    signal = s;
    maybeFinish();
  });

  if (timeoutMs > 0) {
    timers.push(
      // longTimer: a timeout past 2^31-1 ms (~24.8 days) would fire at once with a plain schedule.
      longTimer(timeoutMs, scheduler).subscribe(() => {
        if (exited || finished) return;
        timedOut = true;
        if (!signalGroup(pid, 'SIGTERM')) return maybeFinish();
        timers.push(
          scheduler.schedule(() => {
            signalGroup(pid, 'SIGKILL');
            killSent = true;
            maybeFinish();
          }, graceMs),
        );
      }),
    );
  }

  return {
    pid,
    stop: () => {
      if (finished) return;
      cleanup();
      terminateGroup(pid, graceMs, scheduler);
    },
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Runs a command to its end and emits its result once (also for a non-zero exit, a signal or a
 * timeout: the caller decides what is a failure). Errors only when it cannot be started.
 * Unsubscribing while it runs terminates its process group.
 */
export function runProcess(spec: ProcessSpec, opts: ProcessOptions): Observable<ProcessResult> {
  return new Observable<ProcessResult>((subscriber) => {
    const max = opts.maxOutput ?? defaults.maxOutput;
    const stdout = new Tail(max);
    const stderr = new Tail(max);
    let pid = -1;
    const p = supervise(spec, opts, {
      stdout: (b) => stdout.push(b),
      stderr: (b) => stderr.push(b),
      done: (exit) => {
        subscriber.next({ pid, ...exit, stdout, stderr });
        subscriber.complete();
      },
      failed: (err) => subscriber.error(err),
    });
    pid = p.pid ?? -1;
    return p.stop;
  });
}

/** How a watched process ended: always an error, as a watch command should run for ever. */
export class ProcessExitError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string[],
  ) {
    const how = code !== null ? `exited with code ${code}` : `was killed by ${signal ?? 'a signal'}`;
    const tail = stderrTail.length ? `; stderr: ${stderrTail.join(' | ')}` : '';
    super(`${command} ${how}${tail}`);
  }
}

export interface WatchOptions extends ProcessOptions {
  /** Name of the command in the exit error. */
  label: string;
  /** Each line of stderr, as it comes. */
  onStderrLine?(line: string): void;
  /** Longest line kept; longer output without a newline counts as a line anyway. */
  maxLine?: number;
}

/** Splits a byte stream into lines (without `\n` or `\r\n`), calling `line` for each. */
function lineSplitter(maxLine: number, line: (l: string) => void): { write(b: Buffer): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  const emit = (l: string) => line(l.endsWith('\r') ? l.slice(0, -1) : l);
  return {
    write(b) {
      const parts = (partial + decoder.write(b)).split('\n');
      partial = parts.pop()!;
      for (const l of parts) emit(l);
      if (partial.length > maxLine) {
        emit(partial);
        partial = '';
      }
    },
    end() {
      const rest = partial + decoder.end();
      partial = '';
      if (rest !== '') emit(rest);
    },
  };
}

/**
 * Starts a long-running command and emits each line it prints on stdout. When it exits, for
 * whatever reason, the Observable errors with a ProcessExitError. Unsubscribing terminates its
 * process group.
 */
export function watchLines(spec: ProcessSpec, opts: WatchOptions): Observable<string> {
  return new Observable<string>((subscriber) => {
    const maxLine = opts.maxLine ?? 64 * 1024;
    const stderr = new Tail(opts.maxOutput ?? defaults.maxOutput);
    const out = lineSplitter(maxLine, (l) => subscriber.next(l));
    const err = lineSplitter(maxLine, (l) => opts.onStderrLine?.(l));
    const p = supervise(spec, { ...opts, timeoutMs: 0 }, {
      stdout: (b) => out.write(b),
      stderr: (b) => {
        stderr.push(b);
        err.write(b);
      },
      done: (exit) => {
        out.end();
        err.end();
        subscriber.error(new ProcessExitError(opts.label, exit.code, exit.signal, stderr.lastLines(3)));
      },
      failed: (e) => subscriber.error(e),
    });
    return p.stop;
  });
}
