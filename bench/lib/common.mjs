// Shared harness helpers: spawning and timing a whole process, peak RSS, temp dirs that are
// always removed, child processes that are always killed (by PID), statistics, graph files.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, openSync, closeSync, statfsSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH = join(ROOT, 'bench');
export const RESULTS = join(BENCH, 'results');
/** The CLI under test: $RXMGMT_CLI (run-all.sh points it at a snapshot of dist/), else dist/. */
export const CLI = process.env.RXMGMT_CLI || join(ROOT, 'dist/src/cli/main.js');
/** The other build of a side-by-side run ("before"), when $RXMGMT_CLI_BASE names one. */
export const CLI_BASE = process.env.RXMGMT_CLI_BASE || undefined;

/**
 * The Node flags of the CLI's launcher line (`#!/usr/bin/env -S node FLAGS`): the harness runs
 * `node FLAGS CLI ...`, which is what executing the installed `rxmgmt` does (npx, PATH).
 */
export function cliNodeFlags(cli = CLI) {
  let first = '';
  try {
    first = readFileSync(cli, 'utf8').split('\n', 1)[0];
  } catch {
    return []; // requireBuild() reports the missing build
  }
  const m = /^#!\S*env\s+(?:-S\s+)?node((?:\s+-\S+)*)\s*$/.exec(first);
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}
export const NODE = process.execPath;
const PROBE = pathToFileURL(join(BENCH, 'lib/rss-probe.mjs')).href;

// ---------------------------------------------------------------------------------------------
// Cleanup: every temp dir and live child is registered, and removed / killed on any way out.

const tempDirs = new Set();
const children = new Set();

/**
 * Where the benchmarks' files live: $BENCH_TMP, else /dev/shm when it is a writable tmpfs, else
 * the OS temp dir. On ext4 the same work takes from 1x to 3x as long from one run to the next,
 * depending on how many files were deleted in the last minutes (ext4 avoids reusing recently
 * deleted inodes, and searching past them costs kernel time): a tmpfs leaves that out, for the
 * engine and the floor alike.
 */
export const BENCH_TMP = process.env.BENCH_TMP || (isWritableTmpfs('/dev/shm') ? '/dev/shm' : tmpdir());

function isWritableTmpfs(dir) {
  try {
    accessSync(dir, constants.W_OK);
    return statfsSync(dir).type === 0x01021994; // TMPFS_MAGIC
  } catch {
    return false;
  }
}

export function tempDir(tag) {
  const dir = mkdtempSync(join(BENCH_TMP, `rxmgmt-bench-${tag}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Kills one child by its PID (a negative PID: its whole process group). */
export function killChild(pid, signal = 'SIGKILL') {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function cleanupAll() {
  for (const pid of children) killChild(pid);
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('exit', cleanupAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
    process.exit(130);
  });
}

/** Ends the whole benchmark (cleaning up) if it runs longer than `seconds`. */
export function deadline(seconds, what) {
  setTimeout(() => {
    process.stderr.write(`bench: ${what} exceeded its ${seconds} s bound, giving up\n`);
    process.exit(3);
  }, seconds * 1000).unref();
}

// ---------------------------------------------------------------------------------------------
// Processes.

/**
 * Runs `node [--import rss-probe] ...args` to completion. Wall time is measured here, from just
 * before spawn() to the child's exit, with process.hrtime.bigint(); so it covers the whole
 * process: Node start-up, module loading, the work, and exit. Peak RSS comes from the probe.
 */
export function runNode(args, { rss = true, ...opts } = {}) {
  return runProcess(NODE, args, { ...opts, rss: rss ? 'probe' : false });
}

/** GNU time, for the peak RSS of a program that is not Node (puppet). */
export const GNU_TIME = '/usr/bin/time';

/**
 * Runs `cmd ...args` to completion, timed as runNode does. Peak RSS (KiB): with rss 'probe' (a
 * Node child) from bench/lib/rss-probe.mjs; with rss 'gnu-time' from GNU time's "%M" (the same
 * ru_maxrss, taken by wait4), which then runs `cmd` as its own child; false: none.
 * `wrap` (e.g. ['unshare', '--net']) goes in front of everything.
 */
export function runProcess(cmd, args, { timeoutMs = 300_000, rss = false, stderrFile, cwd = ROOT, env: extraEnv, wrap = [] } = {}) {
  return new Promise((resolve, reject) => {
    const rssFile = rss ? join(tmpdir(), `rxmgmt-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`) : undefined;
    const env = { ...process.env, ...extraEnv };
    let argv = [cmd, ...args];
    if (rss === 'probe') {
      env.BENCH_RSS_OUT = rssFile;
      argv = [cmd, '--import', PROBE, ...args];
    } else if (rss === 'gnu-time') {
      argv = [GNU_TIME, '-f', '%M', '-o', rssFile, cmd, ...args];
    }
    argv = [...wrap, ...argv];
    const errFd = stderrFile ? openSync(stderrFile, 'a') : 'ignore';
    const t0 = process.hrtime.bigint();
    // A wrapped command runs in a process group of its own: killing it by the group's id also
    // ends the program that GNU time or unshare runs, which killing the wrapper alone would not.
    const group = argv[0] !== cmd;
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'ignore', errFd], detached: group });
    if (typeof errFd === 'number') closeSync(errFd);
    const id = group ? -child.pid : child.pid;
    children.add(id);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killChild(id);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      children.delete(id);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      const t1 = process.hrtime.bigint();
      clearTimeout(timer);
      children.delete(id);
      let maxRssKiB;
      if (rssFile) {
        try {
          // GNU time writes "Command exited with non-zero status N" before the figure.
          maxRssKiB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        } catch {
          maxRssKiB = undefined;
        }
        rmSync(rssFile, { force: true });
      }
      resolve({ wallMs: Number(t1 - t0) / 1e6, maxRssKiB, code, signal, timedOut });
    });
  });
}

/** Starts a long-running node process; returns the child (registered for cleanup). */
export function startNode(args, opts = {}) {
  return startProcess(NODE, args, opts);
}

/** startNode for any program (the package's bin). */
export function startProcess(cmd, args, { stderrFile, cwd = ROOT, env } = {}) {
  const errFd = stderrFile ? openSync(stderrFile, 'a') : 'ignore';
  const child = spawn(cmd, args, { cwd, env: env && { ...process.env, ...env }, stdio: ['ignore', 'ignore', errFd] });
  if (typeof errFd === 'number') closeSync(errFd);
  children.add(child.pid);
  child.exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child.pid);
      resolve({ code, signal });
    }),
  );
  return child;
}

/** SIGTERM by PID, then SIGKILL if it has not exited within `graceMs`. */
export async function stopChild(child, graceMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited;
  killChild(child.pid, 'SIGTERM');
  const t = setTimeout(() => killChild(child.pid, 'SIGKILL'), graceMs);
  const r = await child.exited;
  clearTimeout(t);
  return r;
}

/** Peak RSS so far (VmHWM) of a running process, in KiB. Not racy: the process is alive. */
export function vmHwmKiB(pid) {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The file graph: N independent files f0..f{N-1} in one directory.

export const fileName = (i) => `f${i}`;
export const fileContent = (i) => `i am f${i}\n`;

/** Writes an mgmt-compatible graph of `n` independent file resources in `filesDir`. */
export function writeFileGraph(graphPath, filesDir, n) {
  const parts = [`graph: bench-files-${n}\nresources:\n  file:\n`];
  for (let i = 0; i < n; i++) {
    parts.push(
      `    - name: ${fileName(i)}\n      path: ${join(filesDir, fileName(i))}\n` +
        `      content: ${JSON.stringify(fileContent(i))}\n      state: exists\n`,
    );
  }
  writeFileSync(graphPath, parts.join(''));
}

/** True when all `n` files exist with the right content. */
export function allFilesCorrect(filesDir, n) {
  for (let i = 0; i < n; i++) {
    try {
      if (readFileSync(join(filesDir, fileName(i)), 'utf8') !== fileContent(i)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Statistics and output.

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The short commit (and whether src/ is dirty) of the git work tree holding `path`. */
export function commitOf(path) {
  try {
    const opts = { cwd: path, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] };
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], opts).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'operators'], opts).trim();
    return dirty ? `${head} + uncommitted changes in src/ or operators/` : head;
  } catch {
    return undefined;
  }
}

export function machine() {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpus: c.length,
    cpuModel: c[0]?.model,
    cli: CLI,
    cliNodeFlags: cliNodeFlags(),
    filesIn: BENCH_TMP,
    commit: commitOf(ROOT),
    loadavg: (() => {
      try {
        return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      } catch {
        return undefined;
      }
    })(),
  };
}

export function saveResult(name, data) {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.json`);
  writeFileSync(path, JSON.stringify({ ...data, machine: machine() }, null, 2) + '\n');
  return path;
}

export const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
export const fmtMiB = (kib) => (kib === undefined || Number.isNaN(kib) ? '?' : `${(kib / 1024).toFixed(0)} MB`);

export function requireBuild(cli = CLI) {
  try {
    readFileSync(cli);
  } catch {
    process.stderr.write(`bench: ${cli} is missing; run \`npm run build\` first\n`);
    process.exit(2);
  }
}
