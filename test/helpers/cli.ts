// End-to-end helpers: spawn the BUILT command line (dist/, so `npm run build` first), collect
// its output, wait for things with generous deadlines, and clean up processes and temp dirs.
//
// Nothing here measures or asserts wall-clock durations: every wait polls a condition until a
// deadline that is long enough for a loaded machine, and fails with a message saying what was
// awaited, what the process printed and whether it is still running.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach } from 'vitest';

/** The repository root and the built CLI, as absolute paths. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

/** Default deadlines: generous, so that a noisy machine slows the suite down but never fails it. */
export const WAIT_MS = 10_000;
export const EXIT_MS = 20_000;

export interface ExitResult {
  /** The exit code, or null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Extra text for the failure message (the process's output, say). */
  context?: () => string;
  /** Checked after each unmet poll: a message fails the wait at once (the process died, say). */
  abort?: () => string | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `predicate` until it returns true (a thrown error counts as "not yet"), or fails after
 * the deadline with `timed out waiting for <what>`.
 */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, opts: WaitOptions = {}): Promise<void> {
  const { timeoutMs = WAIT_MS, intervalMs = 20, context, abort } = opts;
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await predicate()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    const aborted = abort?.();
    if (aborted !== undefined) throw new Error(`gave up waiting for ${what}: ${aborted}`);
    if (performance.now() >= deadline) {
      const why = lastError ? `\nlast check threw: ${(lastError as Error).message}` : '';
      const extra = context ? `\n${context()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${extra}`);
    }
    await sleep(intervalMs);
  }
}

/** Every process spawned and not yet reaped; killed by `killAll` (afterEach). */
const live = new Set<CliProcess>();

/** One running `rxmgmt` process. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout = '';
  stderr = '';
  /** Settles when the process has exited and its output streams have closed. */
  readonly exited: Promise<ExitResult>;
  private result?: ExitResult;

  constructor(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` before these tests`);
    this.child = spawn(process.execPath, [cliPath, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error(`could not spawn ${process.execPath} ${cliPath}`);
    this.pid = this.child.pid;
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    live.add(this);
    this.exited = new Promise<ExitResult>((resolve, reject) => {
      this.child.once('error', reject);
      // 'close' comes after 'exit' and after stdout/stderr have ended: all output is in.
      this.child.once('close', (code, signal) => {
        live.delete(this);
        this.result = { code, signal, stdout: this.stdout, stderr: this.stderr };
        resolve(this.result);
      });
    });
    this.exited.catch(() => undefined); // reported by waitForExit
  }

  /** True until the process has exited. */
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The state and output, for failure messages. */
  describe(): string {
    const state = this.alive ? 'still running' : `exited with code ${this.child.exitCode} (signal ${this.child.signalCode})`;
    return `rxmgmt (pid ${this.pid}) ${state}; stderr so far:\n${indent(this.stderr)}\nstdout so far:\n${indent(this.stdout)}`;
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.alive) throw new Error(`cannot send ${sig}: ${this.describe()}`);
    process.kill(this.pid, sig);
  }

  async waitForExit(timeoutMs = EXIT_MS): Promise<ExitResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for rxmgmt to exit; ${this.describe()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Like `waitFor`, and fails at once (not at the deadline) if the process exits meanwhile,
   * unless `allowExit` is set. The failure message carries the process's output.
   */
  async waitFor(predicate: () => boolean | Promise<boolean>, what: string, opts: WaitOptions & { allowExit?: boolean } = {}): Promise<void> {
    await waitFor(predicate, what, {
      ...opts,
      context: () => this.describe(),
      // Let the output of a process that just exited arrive before the last check.
      abort: () => (opts.allowExit || this.alive || this.result === undefined ? undefined : `rxmgmt exited; ${this.describe()}`),
    });
  }

  /** Waits for a stderr line matching `pattern` (a substring or a RegExp); returns the line. */
  async waitForLog(pattern: string | RegExp, opts: WaitOptions & { allowExit?: boolean } = {}): Promise<string> {
    let found: string | undefined;
    const test = (line: string) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line));
    await this.waitFor(
      () => (found = this.stderr.split('\n').find(test)) !== undefined,
      `a stderr line matching ${String(pattern)}`,
      { allowExit: true, ...opts },
    );
    return found!;
  }

  /** SIGKILLs the process (by its pid) if still running, and waits for it. */
  async kill(): Promise<void> {
    if (this.alive) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.exited.catch(() => undefined);
  }
}

const indent = (s: string) => (s.trim() === '' ? '  (nothing)' : s.trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));

/** Spawns `rxmgmt ARGS...`. */
export function startCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliProcess {
  return new CliProcess(args, opts);
}

/** Runs `rxmgmt ARGS...` to completion (with a generous deadline). */
export async function runCli(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExitResult> {
  return startCli(args, opts).waitForExit(opts.timeoutMs);
}

/** Kills every process spawned by these helpers that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

// ---------------------------------------------------------------------------------------------
// Temp dirs and files

/** A fresh directory under the OS temp dir. */
export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rxmgmt-cli-'));
}

/**
 * Registers beforeEach/afterEach hooks for a test file: each test gets a fresh temp dir; after
 * each test every rxmgmt still running is killed by pid, then the dir is removed.
 */
export function useSandbox(): { readonly dir: string; path: (...parts: string[]) => string } {
  let current: string | undefined;
  beforeEach(async () => {
    current = await makeTempDir();
  });
  afterEach(async () => {
    await killAll();
    if (current) await rm(current, { recursive: true, force: true });
    current = undefined;
  });
  return {
    get dir() {
      if (!current) throw new Error('the sandbox dir exists only inside a test');
      return current;
    },
    path(...parts: string[]) {
      return join(this.dir, ...parts);
    },
  };
}

/** Writes `text` the way editors save: to a temporary file next to it, then renamed over it. */
export async function replaceAtomically(path: string, text: string): Promise<void> {
  const temp = join(dirname(path), `.${Math.random().toString(36).slice(2)}.tmp`);
  await writeFile(temp, text);
  await rename(temp, path);
}

/** The file's content, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The 1-based line of the first line of `text` that contains `marker`. */
export function lineOf(text: string, marker: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`"${marker}" is not in the text`);
  return i + 1;
}

/** Joins lines into a file's text (with a final newline). */
export const lines = (...ls: string[]): string => ls.join('\n') + '\n';
