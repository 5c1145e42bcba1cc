// The subjects of files-converge and puppet-files, and one cold + second run of a subject on N
// files in a fresh directory, timed by the same harness (bench/lib/common.mjs) for every subject.
//   engine     rxmgmt under test ($RXMGMT_CLI, else dist/)
//   base       the other build of a side-by-side run ($RXMGMT_CLI_BASE)
//   floor      bench/floor-files.mjs: every file in flight at once through the thread pool
//   floor16    the same with at most 16 in flight
//   floorSync  bench/floor-sync.mjs: one file after another, synchronous calls (issue 15's yardstick)
//   puppet     `puppet apply` of the same files (bench/lib/puppet.mjs)
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  BENCH, CLI, CLI_BASE, NODE, allFilesCorrect, cliNodeFlags, killChild, removeDir, runProcess, sleep, startNode, stopChild, tempDir,
  writeFileGraph,
} from './common.mjs';
import { puppetArgv, puppetAvailable, writeManifest } from './puppet.mjs';
import { CLI_BIN, binEnv, useBin } from './cli-bin.mjs';

const FLOOR = join(BENCH, 'floor-files.mjs');
const FLOOR_SYNC = join(BENCH, 'floor-sync.mjs');

/**
 * The parallel floor keeps every file in flight, but no more than this: 100 000 temp files open
 * at once exceed the open-file limit (EMFILE; 20 000 here), which the engine, bounding its
 * checks, never meets.
 */
export const FLOOR_MAX_IN_FLIGHT = 10_000;

/** Per-run time bound: generous for the slow subjects and the big sizes, never unbounded. */
export const runTimeoutMs = (who, n) => (who === 'puppet' ? 120_000 + 60 * n : n > 10_000 ? 600_000 : 180_000);

/** The last lines of a log, for an error message. */
function tail(path, lines = 5) {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * One run of `who` on `files` (N files). Engine options: `logLevel`, `sema`. Resolves to
 * runProcess's `{ wallMs, maxRssKiB, code, ... }`; throws on a time-out or a failure.
 */
function runOnce(who, n, dir, files, phase, { logLevel = 'warn', sema } = {}) {
  const timeoutMs = runTimeoutMs(who, n);
  const graph = join(dir, 'graph.yaml');
  switch (who) {
    case 'engine':
    case 'base': {
      const cli = who === 'engine' ? CLI : CLI_BASE;
      const args = ['run', '-f', graph, '--converged-timeout=0', '--log-level', logLevel, ...(sema ? ['--sema', String(sema)] : [])];
      const stderrFile = join(dir, 'stderr.log');
      // As a user runs it: the package's bin (the startup snapshot) when the build has one (an
      // older base may have only its bundle). RSS from GNU time for every subject, so none pays
      // a preloaded probe the others do not.
      const bin = who === 'engine' ? CLI_BIN : join(dirname(CLI_BASE), 'rxmgmt');
      if (useBin() && existsSync(bin)) return runProcess(bin, args, { timeoutMs, rss: 'gnu-time', env: binEnv, stderrFile });
      return runProcess(NODE, [...cliNodeFlags(cli), cli, ...args], { timeoutMs, rss: 'gnu-time', stderrFile });
    }
    case 'floor':
    case 'floor16': {
      const limit = who === 'floor16' ? 16 : n > FLOOR_MAX_IN_FLIGHT ? FLOOR_MAX_IN_FLIGHT : undefined;
      return runProcess(NODE, [FLOOR, files, String(n)], { timeoutMs, rss: 'gnu-time', env: limit ? { FLOOR_CONCURRENCY: String(limit) } : {}, stderrFile: join(dir, 'stderr.log') });
    }
    case 'floorSync':
      return runProcess(NODE, [FLOOR_SYNC, files, String(n)], { timeoutMs, rss: 'gnu-time', stderrFile: join(dir, 'stderr.log') });
    case 'puppet': {
      const { wrap } = puppetAvailable();
      const { cmd, args, env } = puppetArgv(join(dir, 'puppet'), join(dir, 'manifest.pp'));
      return runProcess(cmd, args, { timeoutMs, rss: 'gnu-time', wrap, env, stderrFile: join(dir, 'stderr.log') });
    }
    default:
      throw new Error(`unknown subject ${who}`);
  }
}

/** Exit codes that mean success: puppet's --detailed-exitcodes says 2 for "changed something". */
const okCodes = (who, phase) => (who === 'puppet' ? (phase === 'cold' ? [2] : [0]) : [0]);

/** One cold run (no file exists) and one second run (all correct) of `who` in a fresh directory. */
export async function pair(who, n, opts = {}) {
  const dir = tempDir(`converge-${who}-${n}`);
  try {
    const files = join(dir, 'files');
    mkdirSync(files);
    if (who === 'engine' || who === 'base') writeFileGraph(join(dir, 'graph.yaml'), files, n);
    if (who === 'puppet') writeManifest(join(dir, 'manifest.pp'), files, n);
    const out = {};
    for (const phase of ['cold', 'warm']) {
      const r = await runOnce(who, n, dir, files, phase, opts);
      const what = `${who} N=${n} ${phase === 'cold' ? 'cold' : 'second'} run`;
      if (r.timedOut) throw new Error(`${what}: no exit within ${runTimeoutMs(who, n) / 1000} s (killed)`);
      if (!okCodes(who, phase).includes(r.code)) {
        throw new Error(`${what}: exit code ${r.code ?? r.signal}, expected ${okCodes(who, phase).join(' or ')}\n${tail(join(dir, 'stderr.log'))}`);
      }
      if (!allFilesCorrect(files, n)) throw new Error(`${what}: files are not all correct after exit`);
      out[phase] = r;
    }
    return out;
  } finally {
    removeDir(dir);
  }
}

/** Median wall time and peak RSS of a list of runs, with every sample. */
export function summary(runs, median) {
  return {
    wallMs: median(runs.map((x) => x.wallMs)),
    maxRssKiB: median(runs.map((x) => x.maxRssKiB)),
    wallMsAll: runs.map((x) => Math.round(x.wallMs * 10) / 10),
    maxRssKiBAll: runs.map((x) => x.maxRssKiB),
  };
}

/** Per-repetition ratios of subject `a` to subject `b` (they ran back to back). */
export const pairedRatios = (samples, a, b, phase) => samples[a][phase].map((x, i) => x.wallMs / samples[b][phase][i].wallMs);

const HEAP_PROBE = pathToFileURL(join(BENCH, 'lib/heap-probe.mjs')).href;

/**
 * What the engine holds once N files have converged, after a full GC (bench/lib/heap-probe.mjs):
 * it runs without a converged timeout, the harness waits until every file is right plus a second,
 * then signals the probe and stops the engine.
 */
export async function steadyMemory(n, { logLevel = 'warn', readyTimeoutMs = runTimeoutMs('engine', n) } = {}) {
  const dir = tempDir(`heap-${n}`);
  try {
    const files = join(dir, 'files');
    mkdirSync(files);
    const graph = join(dir, 'graph.yaml');
    writeFileGraph(graph, files, n);
    const outFile = join(dir, 'heap.json');
    const child = startNode(['--import', HEAP_PROBE, ...cliNodeFlags(), CLI, 'run', '-f', graph, '--log-level', logLevel], {
      stderrFile: join(dir, 'stderr.log'),
      env: { BENCH_HEAP_OUT: outFile },
    });
    try {
      const gone = () => child.exitCode !== null || child.signalCode !== null;
      const until = Date.now() + readyTimeoutMs;
      while (!allFilesCorrect(files, n)) {
        if (gone()) throw new Error(`heap N=${n}: the engine exited early (${child.exitCode ?? child.signalCode})\n${tail(join(dir, 'stderr.log'))}`);
        if (Date.now() > until) throw new Error(`heap N=${n}: files not all correct within ${readyTimeoutMs / 1000} s`);
        await sleep(n > 10_000 ? 500 : 100);
      }
      await sleep(1000); // the start-up's trailing events settle
      killChild(child.pid, 'SIGUSR2');
      const answerBy = Date.now() + 60_000;
      while (!existsSync(outFile)) {
        if (gone() || Date.now() > answerBy) throw new Error(`heap N=${n}: the heap probe did not answer SIGUSR2 (does the CLI run in this process?)`);
        await sleep(100);
      }
      return JSON.parse(readFileSync(outFile, 'utf8'));
    } finally {
      await stopChild(child);
    }
  } finally {
    removeDir(dir);
  }
}

/** Heap and RSS per file resource: the steady memory at N files less that at 1, over N - 1. */
export async function memoryPerResource(n, opts) {
  const one = await steadyMemory(1, opts);
  const big = await steadyMemory(n, opts);
  const per = (k) => (big[k] - one[k]) / (n - 1);
  return { n, at1: one, atN: big, heapBytesPerResource: per('heapUsed'), rssBytesPerResource: per('rss') };
}
