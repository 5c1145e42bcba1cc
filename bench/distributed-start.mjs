#!/usr/bin/env node
// distributed-start (issue 15: "from a host's start to its exports collected on the others",
// goal < 200 ms on loopback): one real etcd on loopback; host A, `rxmgmt run` collecting every
// file export into its own directory, started once and left running; then, R times, host B
// (`rxmgmt run` exporting E files, collecting nothing, a new --hostname each time, so its
// export names are new and an old copy can never count) is spawned, and the harness times
//   - spawn -> all E files in A's directory with the right content ("start to collected"),
//   - spawn -> "joined etcd" in B's log (B logs at info, as fleet-collect's late joiner);
// then B is stopped by PID. Beside it, alternating, the floor (bench/floor-etcd-join.mjs, plain
// Node + etcd3, no engine): a watcher A' started once, and per sample a process B' that puts its
// E exports in one transaction and exits, timed the same way (spawn of B' -> E files in A''s
// directory). And `node -e 0` and `node -e "require('etcd3')"` (load only), whole process, so
// the floor can be split into Node's start-up, etcd3's load and the rest. One untimed warm-up
// of each; subjects alternate order each repetition; medians and the paired ratio are reported.
// Both collectors' directories are polled every 2 ms (the same resolution for both).
//   node bench/distributed-start.mjs [--runs R] [--exports E]      (defaults 7 and 10)
// etcd is Debian's /usr/bin/etcd (or $RXMGMT_ETCD) on free loopback ports, in a temp data dir.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH, CLI, NODE, cliNodeFlags, deadline, fmtMs, median, requireBuild, runProcess, saveResult, sleep, startNode, startProcess, stopChild, tempDir } from './lib/common.mjs';
import { CLI_BIN, binEnv, useBin } from './lib/cli-bin.mjs';
import { startBenchEtcd } from './lib/etcd.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const RUNS = opt('--runs', 7);
const E = opt('--exports', 10);
/**
 * A pause after each engine and floor sample, so that what follows a host's stop (its lease
 * revoked, A's reaction if any) does not overlap the next sample. A keeps a stopped host's
 * collected files (seconds later they are still there), which is why each B's names are new.
 */
const SETTLE_MS = 300;
/** A sample that has not collected by then is a failure, not a figure. */
const SAMPLE_BOUND_MS = 30_000;
requireBuild();
deadline(60 + (RUNS + 1) * 45, 'distributed-start');

const FLOOR = join(BENCH, 'floor-etcd-join.mjs');
/** The floor's keys live apart from the engine's. */
const FLOOR_PREFIX = '/bench-floor-etcd-join/';

const dir = tempDir('dist-start');
const { url, proc: etcd } = await startBenchEtcd(dir, 'distributed-start');

/** Export `e` of host `host`: the same content as floor-etcd-join.mjs's. */
const exportContent = (host, e) => `export ${e} of host ${host}\n`;
const read = (p) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};
const allCollected = (into, host) => {
  for (let e = 0; e < E; e++) if (read(join(into, `${host}-e${e}`)) !== exportContent(host, e)) return false;
  return true;
};

// An engine host, as fleet-collect.mjs starts one: through the bin unless BENCH_ENGINE_BUNDLE=1.
const startHost = (graphPath, host, level, logPath) => {
  const args = ['run', '-f', graphPath, '--hostname', host, '--seeds', url, '--log-level', level];
  if (useBin()) return startProcess(CLI_BIN, args, { stderrFile: logPath, env: binEnv });
  return startNode([...cliNodeFlags(), CLI, ...args], { stderrFile: logPath });
};

// Host A: collects every file export into collectedA/, nothing else; at warn (no per-file lines).
const collectedA = join(dir, 'collected-a');
mkdirSync(collectedA);
writeFileSync(join(dir, 'a.yaml'), `graph: dist-a\ncollect:\n  - kind: file\n    pattern: ${collectedA}/\n`);
const hostA = startHost(join(dir, 'a.yaml'), 'dist-a', 'warn', join(dir, 'a.log'));

// A': the floor's collector, into collectedF/; it says when its watch is established.
const collectedF = join(dir, 'collected-f');
const readyF = join(dir, 'floor-ready');
mkdirSync(collectedF);
const hostF = startNode([FLOOR, 'watch', url, FLOOR_PREFIX, collectedF, readyF], { stderrFile: join(dir, 'floor-watch.log') });
while (!existsSync(readyF)) {
  if (hostF.exitCode !== null) throw new Error(`the floor's watcher exited; see ${join(dir, 'floor-watch.log')}`);
  await sleep(20);
}

/** B's graph: E exported files, nothing collected. */
function graphB(host) {
  const lines = [`graph: dist-${host}`, 'resources:', '  file:'];
  for (let e = 0; e < E; e++) {
    lines.push(`    - name: "@@${host}-e${e}"`, `      path: /anywhere/${host}-e${e}`, `      content: ${JSON.stringify(exportContent(host, e))}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Polls (every 2 ms) until `host`'s E exports are all in `into`, right; and, with `log`, until
 * "joined etcd" is in it. Returns the times from `t0`. `child` exiting early fails the sample,
 * unless `exitOk` (B' exits by itself once its transaction is committed).
 */
async function waitFor({ t0, child, into, host, log, exitOk = false }) {
  let collectedMs;
  let joinedMs;
  while (collectedMs === undefined || (log && joinedMs === undefined)) {
    const now = performance.now() - t0;
    if (now > SAMPLE_BOUND_MS) throw new Error(`${host}: not collected within ${SAMPLE_BOUND_MS} ms; see ${dir}`);
    const gone = child.exitCode !== null || child.signalCode !== null;
    if (gone && !(exitOk && child.exitCode === 0)) throw new Error(`${host} exited early (${child.exitCode ?? child.signalCode}); see ${log ?? dir}`);
    if (collectedMs === undefined && allCollected(into, host)) collectedMs = performance.now() - t0;
    if (log && joinedMs === undefined && (read(log) ?? '').includes('joined etcd')) joinedMs = performance.now() - t0;
    // A B that has collected but does not log "joined" (another build) is not waited for.
    if (collectedMs !== undefined && joinedMs === undefined && now > collectedMs + 1000) break;
    if (collectedMs === undefined || (log && joinedMs === undefined)) await sleep(2);
  }
  return { collectedMs, joinedMs };
}

let sampleNo = 0;
const subjects = {
  async engine() {
    const host = `b${sampleNo++}`;
    const graphPath = join(dir, `${host}.yaml`);
    const log = join(dir, `${host}.log`);
    writeFileSync(graphPath, graphB(host));
    const t0 = performance.now();
    const child = startHost(graphPath, host, 'info', log);
    const r = await waitFor({ t0, child, into: collectedA, host, log });
    await stopChild(child);
    await sleep(SETTLE_MS);
    return r;
  },
  async floor() {
    const host = `f${sampleNo++}`;
    const t0 = performance.now();
    const child = startNode([FLOOR, 'put', url, FLOOR_PREFIX, host, String(E)], { stderrFile: join(dir, `${host}.log`) });
    let exitMs;
    child.exited.then(() => (exitMs = performance.now() - t0));
    const r = await waitFor({ t0, child, into: collectedF, host, exitOk: true });
    const { code } = await child.exited;
    if (code !== 0) throw new Error(`the floor's ${host} exited with ${code}; see ${join(dir, `${host}.log`)}`);
    await sleep(SETTLE_MS);
    return { ...r, exitMs };
  },
  nodeE0: () => wholeProcess(['-e', '0']),
  etcd3Load: () => wholeProcess(['-e', "require('etcd3')"]),
};
/** One whole `node ARGS` process, spawn to exit (from the repository, so require finds etcd3). */
async function wholeProcess(args) {
  const res = await runProcess(NODE, args, { timeoutMs: 30_000 });
  if (res.code !== 0) throw new Error(`node ${args.join(' ')}: exit code ${res.code ?? res.signal}`);
  return { wallMs: res.wallMs };
}

const samples = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
// One untimed warm-up of each: page cache, etcd's first writes, A's and A''s first collect.
for (const name of Object.keys(subjects)) await subjects[name]();
for (let r = 0; r < RUNS; r++) {
  const order = r % 2 ? Object.keys(subjects).reverse() : Object.keys(subjects);
  for (const name of order) samples[name].push(await subjects[name]());
}
for (const c of [hostA, hostF]) if (c.exitCode !== null) throw new Error(`a collector exited during the run; see ${dir}`);
await Promise.all([hostA, hostF].map((c) => stopChild(c)));
await stopChild(etcd);

const stat = (xs) => ({ median: median(xs), samples: xs });
const collected = samples.engine.map((s) => s.collectedMs);
const floorCollected = samples.floor.map((s) => s.collectedMs);
const joined = samples.engine.map((s) => s.joinedMs).filter((x) => x !== undefined);
const results = {
  // bench/lib/table.mjs reads results.startToCollectedMs (the issue's figure).
  startToCollectedMs: stat(collected),
  startToJoinedMs: joined.length ? stat(joined) : undefined,
  floor: {
    startToCollectedMs: stat(floorCollected),
    // B' itself, spawn to exit (after its transaction is committed and the client closed).
    putProcessExitMs: stat(samples.floor.map((s) => s.exitMs)),
  },
  ratio: { paired: median(collected.map((ms, r) => ms / floorCollected[r])), ofMedians: median(collected) / median(floorCollected) },
  nodeE0: stat(samples.nodeE0.map((s) => s.wallMs)),
  etcd3Load: stat(samples.etcd3Load.map((s) => s.wallMs)),
};
const m = (x) => fmtMs(x.median);
console.log(
  `distributed-start (median of ${RUNS}, ${E} exports): rxmgmt start -> collected ${m(results.startToCollectedMs)}` +
    `${results.startToJoinedMs ? ` (-> joined ${m(results.startToJoinedMs)})` : ''}, floor ${m(results.floor.startToCollectedMs)}, ` +
    `ratio ${results.ratio.paired.toFixed(2)}x paired, ${results.ratio.ofMedians.toFixed(2)}x of medians; ` +
    `node -e 0 ${m(results.nodeE0)}, node -e "require('etcd3')" ${m(results.etcd3Load)}`,
);
const path = saveResult('distributed-start', {
  benchmark: 'distributed-start',
  hostsVia: useBin() ? 'bin (startup snapshot)' : 'bundle',
  exports: E,
  runs: RUNS,
  results,
});
console.log(`wrote ${path}`);
process.exit(0);
