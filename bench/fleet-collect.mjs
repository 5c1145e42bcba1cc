#!/usr/bin/env node
// fleet-collect: H rxmgmt hosts on one real etcd, each exporting E files and collecting every
// host's exports into its own directory (H x E collected files per host). Measures:
//   - fleet start: from spawning all H hosts to every host holding all H x E files, right;
//   - one change's latency: host 0's graph file gets one export with new content; the time
//     until every host's copy has it (median of --changes changes);
//   - CPU per collector for one change: user+system ticks of each host process over the
//     change (from /proc/PID/stat), averaged over hosts and changes;
//   - the same CPU when nothing changes (per second, health probes and keepalives), and a
//     change's CPU above it;
//   - a late joiner (after the changes): one more host starts; from its spawn to "joined" in its
//     log, and to its E exports being on every other host (start -> collected);
//   - per host of the fleet start: spawn -> its exports on every other host.
//
//   node bench/fleet-collect.mjs [--hosts H] [--exports E] [--changes K] [--cpu-prof-dir D] [--fleet-log-level L]
//
// With --cpu-prof-dir, the last host of the fleet and the late joiner run under `node --cpu-prof`
// (from the bin's etcd snapshot, as the bin starts them) and write their profiles into D
// (summarise with bench/lib/profile-summary.mjs). With
// --fleet-log-level info (default warn), the fleet logs each graph it runs, and the result says
// how many graphs each host built during the fleet start (graph swaps; info logging costs CPU).
//
// Defaults 10 x 200 (2 000 collected files per host, 20 000 in all), 5 changes. etcd is
// Debian's /usr/bin/etcd (or $RXMGMT_ETCD) on free loopback ports, in a temp data dir.
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cliNodeFlags, deadline, killChild, median, requireBuild, saveResult, sleep, startNode, startProcess, stopChild, tempDir } from './lib/common.mjs';
import { CLI_BIN, binEnv, snapshotArgs, useBin } from './lib/cli-bin.mjs';
import { startBenchEtcd } from './lib/etcd.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const H = opt('--hosts', 10);
const E = opt('--exports', 200);
const K = opt('--changes', 5);
const strOpt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const profDir = strOpt('--cpu-prof-dir', undefined);
const fleetLevel = strOpt('--fleet-log-level', 'warn');
requireBuild();
deadline(20 * 60, 'fleet-collect');

const CLK_TCK = 100; // Linux USER_HZ
/** utime + stime of `pid` in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

const dir = tempDir('fleet');
const { url, proc: etcd } = await startBenchEtcd(dir, 'fleet-collect');

const content = (h, e, v) => `export ${e} of host ${h}, version ${v}\n`;
function graph(h, version0 = 0) {
  const lines = [`graph: fleet-${h}`, 'resources:', '  file:'];
  for (let e = 0; e < E; e++) {
    lines.push(`    - name: "@@h${h}-e${e}"`, `      path: /anywhere/h${h}-e${e}`, `      content: ${JSON.stringify(content(h, e, e === 0 ? version0 : 0))}`);
  }
  lines.push('collect:', '  - kind: file', `    pattern: ${join(dir, `host${h}`)}/`, '');
  return lines.join('\n');
}
const graphPath = (h) => join(dir, `host${h}.yaml`);
for (let h = 0; h < H; h++) {
  mkdirSync(join(dir, `host${h}`));
  writeFileSync(graphPath(h), graph(h));
}

const read = (p) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};
/** Has every host other than `x` (of the first `upTo`) collected all of host x's exports at version 0? */
const collectedEverywhere = (x, upTo = H) => {
  for (let h = 0; h < upTo; h++) {
    if (h === x) continue;
    for (let e = 0; e < E; e++) if (read(join(dir, `host${h}`, `h${x}-e${e}`)) !== content(x, e, 0)) return false;
  }
  return true;
};
const allCollected = () => {
  for (let h = 0; h < H; h++) for (let x = 0; x < H; x++) for (let e = 0; e < E; e++) {
    if (read(join(dir, `host${h}`, `h${x}-e${e}`)) !== content(x, e, 0)) return false;
  }
  return true;
};

const logPath = (h) => join(dir, `host${h}.log`);
// The late joiner logs at info (its "joined" line is timed); the fleet at warn, as before.
const profiled = (h) => (profDir && (h === H - 1 || h === H) ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=host${h}.cpuprofile`] : []);
// Hosts start as a user starts them, through the bin (the startup snapshot), unless
// BENCH_ENGINE_BUNDLE=1. A profiled host starts from the snapshot the bin would pick, with Node's
// flags given here (the bin passes none through).
const profiledFromSnapshot = snapshotArgs('rxmgmt-etcd.blob');
const startHost = (h, level = fleetLevel) => {
  const args = ['run', '-f', graphPath(h), '--hostname', `host${h}`, '--seeds', url, '--log-level', level];
  if (!useBin()) return startNode([...cliNodeFlags(), ...profiled(h), CLI, ...args], { stderrFile: logPath(h) });
  if (profiled(h).length === 0) return startProcess(CLI_BIN, args, { stderrFile: logPath(h), env: binEnv });
  return startNode([...cliNodeFlags(), ...profiled(h), ...(profiledFromSnapshot ?? [CLI]), ...args], { stderrFile: logPath(h) });
};
const t0 = performance.now();
const hosts = [];
const spawnedAt = [];
for (let h = 0; h < H; h++) {
  spawnedAt.push(performance.now());
  hosts.push(startHost(h));
}
const hostCollectedMs = new Array(H).fill(undefined);
for (;;) {
  for (const c of hosts) if (c.exitCode !== null) throw new Error(`a host exited early; see ${dir}`);
  for (let x = 0; x < H; x++) if (hostCollectedMs[x] === undefined && collectedEverywhere(x)) hostCollectedMs[x] = performance.now() - spawnedAt[x];
  if (hostCollectedMs.every((v) => v !== undefined) && allCollected()) break;
  await sleep(20);
}
const startMs = performance.now() - t0;
const startCpu = hosts.map((c) => cpuMs(c.pid));
const graphsAtStart = hosts.map((_, h) => (read(logPath(h)) ?? '').split('\n').filter((l) => l.includes(`graph "fleet-${h}":`)).length);
await sleep(2000); // trailing start-up work settles before the changes

// Idle: what a host spends with nothing changing (health probes, lease keepalives), per second,
// so that a change's own CPU can be told from the background.
const idleBefore = hosts.map((c) => cpuMs(c.pid));
const tIdle = performance.now();
await sleep(3000);
const idleCpuMsPerHostPerS = (hosts.map((c) => cpuMs(c.pid)).reduce((s, a, i) => s + (a - idleBefore[i]), 0) / H) / ((performance.now() - tIdle) / 1000);
const changeCpuAboveIdle = [];

const latencies = [];
const cpuPerChange = [];
for (let v = 1; v <= K; v++) {
  const before = hosts.map((c) => cpuMs(c.pid));
  const t = performance.now();
  writeFileSync(graphPath(0) + '.tmp', graph(0, v));
  renameSync(graphPath(0) + '.tmp', graphPath(0));
  const want = content(0, 0, v);
  for (;;) {
    let done = true;
    for (let h = 0; h < H && done; h++) done = read(join(dir, `host${h}`, 'h0-e0')) === want;
    if (done) break;
    await sleep(5);
  }
  latencies.push(performance.now() - t);
  await sleep(1500); // let every host finish its swap before measuring its CPU
  const after = hosts.map((c) => cpuMs(c.pid));
  cpuPerChange.push(after.reduce((s, a, i) => s + (a - before[i]), 0) / H);
  changeCpuAboveIdle.push(cpuPerChange.at(-1) - idleCpuMsPerHostPerS * ((performance.now() - t) / 1000));
}

// A late joiner: host H starts into the running fleet (its own directory collects everything too).
mkdirSync(join(dir, `host${H}`));
writeFileSync(graphPath(H), graph(H));
const tj = performance.now();
const late = startHost(H, 'info');
let lateJoinedMs;
let lateCollectedMs;
while (lateCollectedMs === undefined) {
  if (late.exitCode !== null) throw new Error(`the late host exited early; see ${logPath(H)}`);
  if (lateJoinedMs === undefined && (read(logPath(H)) ?? '').includes('joined etcd')) lateJoinedMs = performance.now() - tj;
  if (collectedEverywhere(H)) lateCollectedMs = performance.now() - tj;
  await sleep(5);
}
lateJoinedMs ??= lateCollectedMs;
await Promise.all([...hosts, late].map((c) => stopChild(c)));

const result = {
  hostsVia: !useBin() ? 'bundle' : !profDir || profiledFromSnapshot ? 'bin (startup snapshot)' : 'bin, profiled hosts from the bundle',
  hosts: H,
  exports: E,
  collectedPerHost: H * E,
  fleetStartMs: startMs,
  fleetStartCpuMsPerHost: startCpu.reduce((a, b) => a + b, 0) / H,
  hostStartToCollectedMs: hostCollectedMs,
  hostStartToCollectedMedianMs: median(hostCollectedMs),
  ...(fleetLevel === 'info' || fleetLevel === 'debug' ? { graphsPerHostAtStart: graphsAtStart.reduce((a, b) => a + b, 0) / H, graphsAtStart } : {}),
  lateJoinerStartToJoinedMs: lateJoinedMs,
  lateJoinerStartToCollectedMs: lateCollectedMs,
  changeLatencyMs: latencies,
  changeLatencyMedianMs: median(latencies),
  cpuMsPerCollectorPerChange: cpuPerChange,
  cpuMsPerCollectorPerChangeMedian: median(cpuPerChange),
  idleCpuMsPerHostPerS,
  cpuMsPerCollectorPerChangeAboveIdleMedian: median(changeCpuAboveIdle),
};
console.log(JSON.stringify(result, null, 2));
console.log(`saved ${saveResult(`fleet-collect-${H}x${E}${process.env.BENCH_TAG ? `-${process.env.BENCH_TAG}` : ''}`, result)}`);
killChild(etcd.pid, 'SIGTERM');
process.exit(0); // the etcd child would keep the event loop alive
