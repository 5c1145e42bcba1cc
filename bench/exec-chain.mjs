#!/usr/bin/env node
// exec-chain: mgmt's exec1 graph with `sleep 1` for its `sleep 10s`: exec1 -> exec2 -> exec3 in
// a chain and exec4 beside them, run as `rxmgmt run -f g.yaml -t 1` through the package's bin
// (dist/src/cli/rxmgmt: Node from the startup snapshot), beside the plain bundle it falls back to
// (`node FLAGS dist/src/cli/main.js run ...`). The ideal run is the
// critical path (3 x 1 s) plus the converged timeout (1 s): 4 s. The figure is the overhead
// over those 4 s (whole process, spawn to exit), beside `node -e 0` (Node's own start-up, part
// of that overhead and out of rxmgmt's reach). Runs alternate; median of R runs each.
//
// Where the overhead goes comes from extra runs with bench/lib/exec-phases-probe.mjs preloaded
// (timed apart, so the probe's own cost stays out of the headline; on the plain bundle, since a
// start from a snapshot runs no --import): start-up (process start ->
// first command spawned, which holds most of Node's own start-up too), spawn() (how long each
// call blocks: fork + exec), each command's life beyond its 1 s, the latency from a command's
// exit to its child's spawn (edge propagation), and the last exit -> process exit beyond the
// 1 s converged timeout (timer, drain, exit).
//
// Beside them runs the floor, bench/floor-exec-chain.mjs: plain Node spawning the same four
// `sleep 1` in the same order and waiting the same 1 s, no engine. Its overhead over 4 s is what
// any Node program pays for this graph on this machine; the engine's overhead is given over it
// too (ratio and difference, paired per repetition and of the medians).
//   node bench/exec-chain.mjs [--runs R]        (default 5)
import { join } from 'node:path';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { BENCH, CLI, NODE, cliNodeFlags, deadline, fmtMs, median, requireBuild, runProcess, saveResult, tempDir } from './lib/common.mjs';
import { CLI_BIN, binEnv } from './lib/cli-bin.mjs';

const i = process.argv.indexOf('--runs');
const RUNS = i >= 0 ? Number(process.argv[i + 1]) : 5;
/** Each command's `sleep`, and the converged timeout (`-t 1`). */
const SLEEP_MS = 1000;
/** The critical path (three `sleep 1` in a row) plus `-t 1`. */
const IDEAL_MS = 4 * SLEEP_MS;
requireBuild();
deadline(RUNS * 45 + 60, 'exec-chain');

const dir = tempDir('exec-chain');
const graph = join(dir, 'exec-chain.yaml');
const exec = (n) => `    - name: exec${n}\n      cmd: sleep 1\n      shell: ''\n      timeout: 0\n      state: present\n`;
const edge = (a, b) => `  - name: e${a}\n    from: {kind: exec, name: exec${a}}\n    to: {kind: exec, name: exec${b}}\n`;
writeFileSync(graph, `graph: exec-chain\nresources:\n  exec:\n${[1, 2, 3, 4].map(exec).join('')}edges:\n${edge(1, 2)}${edge(2, 3)}`);

const args = ['run', '-f', graph, '-t', '1'];
const run = [...cliNodeFlags(), CLI, ...args];
const PROBE = join(BENCH, 'lib/exec-phases-probe.mjs');
const phasesFile = join(dir, 'phases.json');
const subjects = {
  chain: { cmd: CLI_BIN, argv: args },
  plain: { argv: run },
  nodeE0: { argv: ['-e', '0'] },
  probed: { argv: ['--import', PROBE, ...run], env: { BENCH_EXEC_PHASES_OUT: phasesFile } },
  floor: { argv: [join(BENCH, 'floor-exec-chain.mjs')] },
};
const samples = { chain: [], plain: [], nodeE0: [], probed: [], floor: [] };
const phases = [];

async function once(name) {
  const { cmd = NODE, argv, env } = subjects[name];
  rmSync(phasesFile, { force: true });
  const res = await runProcess(cmd, argv, { timeoutMs: 60_000, env: { ...binEnv, ...env } });
  if (res.code !== 0) throw new Error(`${argv.join(' ')}: exit code ${res.code ?? res.signal}`);
  if (name === 'probed') phases.push(breakdown(JSON.parse(readFileSync(phasesFile, 'utf8'))));
  return res.wallMs;
}

/** One probed run's phases, in ms (see the header). */
function breakdown(p) {
  const spawns = [...p.spawns].sort((a, b) => a.at - b.at);
  // A spawn that follows an exit is the next link of the chain: exit -> spawn is the edge's latency.
  const links = spawns.flatMap((s) => {
    const before = spawns.filter((e) => e.exitAt !== undefined && e.exitAt <= s.at).map((e) => e.exitAt);
    return before.length ? [s.at - Math.max(...before)] : [];
  });
  const lastExit = Math.max(...spawns.map((s) => s.exitAt ?? NaN));
  return {
    startToFirstSpawn: spawns[0]?.at ?? NaN,
    spawnCall: median(spawns.map((s) => s.callMs)),
    commandOver: median(spawns.map((s) => s.exitAt - s.at - SLEEP_MS)),
    link: median(links),
    tailOver: p.exitAt - lastExit - SLEEP_MS,
  };
}

// One untimed warm-up of each, so the first timed run does not pay for a cold page cache.
for (const name of Object.keys(subjects)) await once(name);
phases.length = 0;
for (let r = 0; r < RUNS; r++) {
  const order = r % 2 ? Object.keys(subjects).reverse() : Object.keys(subjects);
  for (const name of order) samples[name].push(await once(name));
}

const overheads = samples.chain.map((ms) => ms - IDEAL_MS);
const phaseMedians = Object.fromEntries(Object.keys(phases[0]).map((k) => [k, median(phases.map((p) => p[k]))]));
const results = {
  wallMs: { median: median(samples.chain), samples: samples.chain },
  overheadMs: { median: median(overheads), min: Math.min(...overheads), samples: overheads },
  plainOverheadMs: median(samples.plain.map((ms) => ms - IDEAL_MS)),
  nodeE0: { median: median(samples.nodeE0), samples: samples.nodeE0 },
  probedOverheadMs: median(samples.probed.map((ms) => ms - IDEAL_MS)),
  phasesMs: { medians: phaseMedians, runs: phases },
  runs: RUNS,
};
results.overheadOverNodeStartMs = results.overheadMs.median - results.nodeE0.median;
// The floor, and the engine's overhead over the floor's: per repetition (the two ran back to
// back in it, so a slow spell of the shared machine hits both) and of the medians.
const floorOverheads = samples.floor.map((ms) => ms - IDEAL_MS);
results.floor = {
  wallMs: { median: median(samples.floor), samples: samples.floor },
  overheadMs: { median: median(floorOverheads), min: Math.min(...floorOverheads), samples: floorOverheads },
};
results.overFloor = {
  ratio: { paired: median(overheads.map((o, r) => o / floorOverheads[r])), ofMedians: results.overheadMs.median / results.floor.overheadMs.median },
  beyondMs: { paired: median(overheads.map((o, r) => o - floorOverheads[r])), ofMedians: results.overheadMs.median - results.floor.overheadMs.median },
};
const f = (k) => fmtMs(phaseMedians[k]);
const of = results.overFloor;
console.log(
  `exec-chain (median of ${RUNS}): 3 x sleep 1 + 1, -t 1: ${fmtMs(results.wallMs.median)}, overhead over 4 s ${fmtMs(results.overheadMs.median)} ` +
    `(min ${fmtMs(results.overheadMs.min)}; plain bundle ${fmtMs(results.plainOverheadMs)}); node -e 0 ${fmtMs(results.nodeE0.median)}, so ${fmtMs(results.overheadOverNodeStartMs)} beyond Node's start-up`,
);
console.log(
  `  floor (plain Node, same four sleeps and 1 s): overhead over 4 s ${fmtMs(results.floor.overheadMs.median)} (min ${fmtMs(results.floor.overheadMs.min)}); ` +
    `rxmgmt's overhead over the floor's ${of.ratio.paired.toFixed(2)}x paired, ${of.ratio.ofMedians.toFixed(2)}x of medians ` +
    `(+${fmtMs(of.beyondMs.paired)} paired, +${fmtMs(of.beyondMs.ofMedians)} of medians)`,
);
console.log(
  `  phases (probed runs, overhead ${fmtMs(results.probedOverheadMs)}): start -> first spawn ${f('startToFirstSpawn')} (Node's own start-up included), ` +
    `spawn() ${f('spawnCall')} each, command beyond its 1 s ${f('commandOver')}, exit -> child's spawn ${f('link')}, last exit -> exit beyond -t 1 ${f('tailOver')}`,
);
const path = saveResult('exec-chain', { benchmark: 'exec-chain', idealMs: IDEAL_MS, results });
console.log(`wrote ${path}`);
