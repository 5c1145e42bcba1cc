#!/usr/bin/env node
// cold-start: `rxmgmt --version`, whole process from spawn to exit, as the package's bin runs it
// (dist/src/cli/rxmgmt: Node from the startup snapshot), beside the plain bundle it falls back to
// (`node FLAGS dist/src/cli/main.js --version`), `node -e 0` (the floor: Node's own start-up) and
// `node bench/lib/empty.mjs` (Node start-up plus its ES module loader on one empty module, for
// the breakdown). Runs alternate; median of R runs each.
//   node bench/cold-start.mjs [--runs R]        (default 20)
import { join } from 'node:path';
import { BENCH, CLI, NODE, cliNodeFlags, deadline, median, percentile, requireBuild, runProcess, saveResult } from './lib/common.mjs';
import { CLI_BIN, binEnv } from './lib/cli-bin.mjs';

const i = process.argv.indexOf('--runs');
const RUNS = i >= 0 ? Number(process.argv[i + 1]) : 20;
requireBuild();
deadline(5 * 60, 'cold-start');

const subjects = {
  version: [CLI_BIN, ['--version']],
  plain: [NODE, [...cliNodeFlags(), CLI, '--version']],
  nodeE0: [NODE, ['-e', '0']],
  emptyEsm: [NODE, [join(BENCH, 'lib/empty.mjs')]],
};
const samples = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]));
const once = ([cmd, args]) => runProcess(cmd, args, { timeoutMs: 30_000, env: binEnv });
// One untimed warm-up of each, so the first timed run does not pay for a cold page cache.
for (const subject of Object.values(subjects)) await once(subject);
for (let r = 0; r < RUNS; r++) {
  for (const [name, subject] of r % 2 ? Object.entries(subjects).reverse() : Object.entries(subjects)) {
    const res = await once(subject);
    if (res.code !== 0) throw new Error(`${[subject[0], ...subject[1]].join(' ')}: exit code ${res.code ?? res.signal}`);
    samples[name].push(res.wallMs);
  }
}
const results = {};
for (const name of Object.keys(subjects)) {
  results[name] = { median: median(samples[name]), p90: percentile(samples[name], 90), min: Math.min(...samples[name]), runs: RUNS };
}
results.ratio = results.version.median / results.nodeE0.median;
results.overheadMs = results.version.median - results.nodeE0.median;
console.log(
  `cold-start (median of ${RUNS}): rxmgmt --version ${results.version.median.toFixed(1)} ms (plain bundle ${results.plain.median.toFixed(1)} ms); ` +
    `node -e 0 ${results.nodeE0.median.toFixed(1)} ms; ratio ${results.ratio.toFixed(2)} (+${results.overheadMs.toFixed(1)} ms); node empty.mjs ${results.emptyEsm.median.toFixed(1)} ms`,
);
const path = saveResult('cold-start', { benchmark: 'cold-start', results });
console.log(`wrote ${path}`);
