#!/usr/bin/env node
// puppet-files: Debian's `puppet apply` of a manifest with the same N file resources as
// files-converge (same paths, same content), cold (none exists) and second run (all correct),
// timed by the same harness in the same repetitions as rxmgmt and the synchronous floor, in
// alternating order. Puppet runs as the current user with all its state in the repetition's temp
// dir and no network (bench/lib/puppet.mjs). Skipped, saying why, when puppet is missing.
//
//   node bench/puppet-files.mjs [N ...] [--runs R]
//
// Defaults: N = 100 1000; 3 runs (puppet takes seconds per run). 10 000 works too (about a
// minute per puppet run here; each run is bounded, see runTimeoutMs in bench/lib/converge.mjs).
// Results: printed, and written to bench/results/puppet-files.json.
import { deadline, fmtMiB, fmtMs, median, requireBuild, saveResult } from './lib/common.mjs';
import { pair, pairedRatios, summary } from './lib/converge.mjs';
import { puppetAvailable } from './lib/puppet.mjs';

const args = process.argv.slice(2);
let runs = 3;
const sizes = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else sizes.push(Number(args[i]));
}
if (sizes.length === 0) sizes.push(100, 1000);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0) || !(runs >= 1)) {
  process.stderr.write('usage: node bench/puppet-files.mjs [N ...] [--runs R]\n');
  process.exit(2);
}
const puppet = puppetAvailable();
if (puppet.missing) {
  console.log(`puppet-files: skipped: ${puppet.missing}`);
  saveResult('puppet-files', { benchmark: 'puppet-files', skipped: puppet.missing, results: [] }); // the table says why
  process.exit(0);
}
requireBuild();
deadline(30 * 60, 'puppet-files');

const SUBJECTS = ['puppet', 'engine', 'floorSync'];
const results = [];
for (const n of sizes) {
  const samples = Object.fromEntries(SUBJECTS.map((who) => [who, { cold: [], warm: [] }]));
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? SUBJECTS : [...SUBJECTS].reverse();
    for (const who of order) {
      const p = await pair(who, n);
      samples[who].cold.push(p.cold);
      samples[who].warm.push(p.warm);
      process.stderr.write(
        `  N=${n} run ${r + 1}/${runs} ${who.padEnd(9)} cold ${fmtMs(p.cold.wallMs).padStart(8)} ${fmtMiB(p.cold.maxRssKiB).padStart(6)}` +
          `   second ${fmtMs(p.warm.wallMs).padStart(8)} ${fmtMiB(p.warm.maxRssKiB).padStart(6)}\n`,
      );
    }
  }
  const row = { n, runs };
  for (const who of SUBJECTS) row[who] = { cold: summary(samples[who].cold, median), warm: summary(samples[who].warm, median) };
  const paired = (a, b) => ({ cold: median(pairedRatios(samples, a, b, 'cold')), warm: median(pairedRatios(samples, a, b, 'warm')) });
  row.pairedPuppetOverEngine = paired('puppet', 'engine');
  row.pairedPuppetOverFloorSync = paired('puppet', 'floorSync');
  results.push(row);
  console.log(
    `puppet-files N=${n} (median of ${runs}): cold puppet ${fmtMs(row.puppet.cold.wallMs)} ${fmtMiB(row.puppet.cold.maxRssKiB)}, ` +
      `rxmgmt ${fmtMs(row.engine.cold.wallMs)} ${fmtMiB(row.engine.cold.maxRssKiB)} (puppet / rxmgmt paired ${row.pairedPuppetOverEngine.cold.toFixed(2)}x); ` +
      `second puppet ${fmtMs(row.puppet.warm.wallMs)} ${fmtMiB(row.puppet.warm.maxRssKiB)}, rxmgmt ${fmtMs(row.engine.warm.wallMs)} ${fmtMiB(row.engine.warm.maxRssKiB)} ` +
      `(paired ${row.pairedPuppetOverEngine.warm.toFixed(2)}x); synchronous floor ${fmtMs(row.floorSync.cold.wallMs)} cold, ${fmtMs(row.floorSync.warm.wallMs)} second`,
  );
}
const path = saveResult('puppet-files', { benchmark: 'puppet-files', puppet: { path: puppet.path, version: puppet.version, isolation: puppet.wrap.join(' ') }, results });
console.log(`wrote ${path}`);
