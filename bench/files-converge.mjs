#!/usr/bin/env node
// files-converge: N independent file resources in one fresh directory, from process start to
// converged exit (`rxmgmt run -f graph.yaml --converged-timeout=0`), wall time of the whole
// process and its peak RSS; beside it the floors, timed the same way (subjects: bench/lib/converge.mjs).
// Each repetition measures a cold run (no file exists) and then a second, steady-state run (every
// file already correct) on the same directory, for every subject, in alternating order:
// the engine; the floor (bench/floor-files.mjs, every file in flight); the floor with at most 16
// in flight (reference); and the synchronous floor (bench/floor-sync.mjs: one file after another,
// sync fs calls, one directory watch held), the cheapest honest program: issue 15's yardstick.
//
//   node bench/files-converge.mjs [N ...] [--runs R] [--log-level warn|info] [--sema K] [--heap]
//   RXMGMT_CLI_BASE=/other/dist/src/cli/main.js node bench/files-converge.mjs ...   (side by side)
//
// Defaults: N = 100 1000 10000; 5 runs (3 from 100 000 files); --log-level warn; no --sema.
// --heap: also the engine's steady memory per file resource at each N (bench/lib/heap-probe.mjs).
// With $RXMGMT_CLI_BASE, that build ("before") is one more subject, alternating with the others,
// and a before/after table is printed.
// Results: printed, and written to bench/results/files-converge.json (files-converge-semaK.json
// with --sema K, which passes `--sema K` to the engine: at most K CheckApply at once).
import { dirname } from 'node:path';
import { CLI, CLI_BASE, commitOf, deadline, fmtMiB, fmtMs, machine, median, requireBuild, saveResult } from './lib/common.mjs';
import { FLOOR_MAX_IN_FLIGHT, memoryPerResource, pair, pairedRatios, summary } from './lib/converge.mjs';
import { useBin } from './lib/cli-bin.mjs';
import { beforeAfterTable } from './lib/before-after.mjs';

const args = process.argv.slice(2);
let runsOpt;
let logLevel = 'warn';
let sema;
let heap = false;
const sizes = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runsOpt = Number(args[++i]);
  else if (args[i] === '--log-level') logLevel = args[++i];
  else if (args[i] === '--sema') sema = args[++i];
  else if (args[i] === '--heap') heap = true;
  else sizes.push(Number(args[i]));
}
if (sizes.length === 0) sizes.push(100, 1000, 10000);
if (sizes.some((n) => !Number.isInteger(n) || n <= (heap ? 1 : 0)) || (runsOpt !== undefined && !(runsOpt >= 1))) {
  process.stderr.write('usage: node bench/files-converge.mjs [N ...] [--runs R] [--log-level warn|info] [--sema K] [--heap]   (N >= 2 with --heap)\n');
  process.exit(2);
}
requireBuild();
if (CLI_BASE) requireBuild(CLI_BASE);
deadline(45 * 60, 'files-converge');

const SUBJECTS = ['engine', ...(CLI_BASE ? ['base'] : []), 'floor', 'floor16', 'floorSync'];
const pairedMedian = (samples, a, b) => ({ cold: median(pairedRatios(samples, a, b, 'cold')), warm: median(pairedRatios(samples, a, b, 'warm')) });
const round2 = (xs) => xs.map((x) => Math.round(x * 100) / 100);

const results = [];
for (const n of sizes) {
  const runs = runsOpt ?? (n >= 100_000 ? 3 : 5);
  const samples = Object.fromEntries(SUBJECTS.map((who) => [who, { cold: [], warm: [] }]));
  for (let r = 0; r < runs; r++) {
    // Alternate who goes first, so a slow spell of this noisy machine hits all alike.
    const order = r % 2 === 0 ? SUBJECTS : [...SUBJECTS].reverse();
    for (const who of order) {
      const p = await pair(who, n, { logLevel, sema });
      samples[who].cold.push(p.cold);
      samples[who].warm.push(p.warm);
      process.stderr.write(
        `  N=${n} run ${r + 1}/${runs} ${who.padEnd(9)} cold ${fmtMs(p.cold.wallMs).padStart(8)} ${fmtMiB(p.cold.maxRssKiB).padStart(6)}` +
          `   second ${fmtMs(p.warm.wallMs).padStart(8)} ${fmtMiB(p.warm.maxRssKiB).padStart(6)}\n`,
      );
    }
  }
  const row = { n, runs, logLevel, sema, floorInFlight: Math.min(n, FLOOR_MAX_IN_FLIGHT) };
  for (const who of SUBJECTS) row[who] = { cold: summary(samples[who].cold, median), warm: summary(samples[who].warm, median) };
  row.ratio = { cold: row.engine.cold.wallMs / row.floor.cold.wallMs, warm: row.engine.warm.wallMs / row.floor.warm.wallMs };
  row.ratioSync = { cold: row.engine.cold.wallMs / row.floorSync.cold.wallMs, warm: row.engine.warm.wallMs / row.floorSync.warm.wallMs };
  // Each repetition ran every subject back to back: the median of their ratios cancels the
  // slow drifts of this machine that a ratio of medians does not.
  row.pairedRatio = pairedMedian(samples, 'engine', 'floor');
  row.pairedRatioSync = pairedMedian(samples, 'engine', 'floorSync');
  row.pairedRatioAll = { cold: round2(pairedRatios(samples, 'engine', 'floor', 'cold')), warm: round2(pairedRatios(samples, 'engine', 'floor', 'warm')) };
  row.pairedRatioSyncAll = { cold: round2(pairedRatios(samples, 'engine', 'floorSync', 'cold')), warm: round2(pairedRatios(samples, 'engine', 'floorSync', 'warm')) };
  if (CLI_BASE) {
    row.basePairedRatio = pairedMedian(samples, 'base', 'floor');
    row.basePairedRatioSync = pairedMedian(samples, 'base', 'floorSync');
    row.pairedAfterOverBefore = pairedMedian(samples, 'engine', 'base');
  }
  if (heap) {
    row.memory = await memoryPerResource(n, { logLevel });
    process.stderr.write(
      `  N=${n} steady memory after GC: heap ${fmtMiB(row.memory.atN.heapUsed / 1024)}, RSS ${fmtMiB(row.memory.atN.rss / 1024)}; ` +
        `per resource ${(row.memory.heapBytesPerResource / 1024).toFixed(2)} KB heap, ${(row.memory.rssBytesPerResource / 1024).toFixed(2)} KB RSS\n`,
    );
  }
  results.push(row);
  console.log(
    `files-converge N=${n} (median of ${runs}; floor16: ${fmtMs(row.floor16.cold.wallMs)} ${fmtMiB(row.floor16.cold.maxRssKiB)} cold, ${fmtMs(row.floor16.warm.wallMs)} second): ` +
      `cold engine ${fmtMs(row.engine.cold.wallMs)} ${fmtMiB(row.engine.cold.maxRssKiB)} / floor ${fmtMs(row.floor.cold.wallMs)} ${fmtMiB(row.floor.cold.maxRssKiB)} = ${row.ratio.cold.toFixed(2)}x ` +
      `(paired ${row.pairedRatio.cold.toFixed(2)}x: ${row.pairedRatioAll.cold.join(' ')}); ` +
      `second engine ${fmtMs(row.engine.warm.wallMs)} ${fmtMiB(row.engine.warm.maxRssKiB)} / floor ${fmtMs(row.floor.warm.wallMs)} ${fmtMiB(row.floor.warm.maxRssKiB)} = ${row.ratio.warm.toFixed(2)}x ` +
      `(paired ${row.pairedRatio.warm.toFixed(2)}x: ${row.pairedRatioAll.warm.join(' ')}); ` +
      `synchronous floor ${fmtMs(row.floorSync.cold.wallMs)} ${fmtMiB(row.floorSync.cold.maxRssKiB)} cold = ${row.pairedRatioSync.cold.toFixed(2)}x paired, ` +
      `${fmtMs(row.floorSync.warm.wallMs)} second = ${row.pairedRatioSync.warm.toFixed(2)}x paired` +
      (CLI_BASE ? `; before (${CLI_BASE}): cold ${fmtMs(row.base.cold.wallMs)}, second ${fmtMs(row.base.warm.wallMs)}, after/before paired ${row.pairedAfterOverBefore.cold.toFixed(2)}x / ${row.pairedAfterOverBefore.warm.toFixed(2)}x` : ''),
  );
}
const data = { benchmark: 'files-converge', cli: CLI, engineVia: useBin() ? 'bin (startup snapshot)' : 'bundle', cliBase: CLI_BASE, cliBaseCommit: CLI_BASE && commitOf(dirname(CLI_BASE)), results };
const path = saveResult(sema ? `files-converge-sema${sema}` : 'files-converge', data);
console.log(`wrote ${path}`);
if (CLI_BASE) console.log(`\n${beforeAfterTable({ ...data, machine: machine() }).join('\n')}`);
