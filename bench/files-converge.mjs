#!/usr/bin/env node
// files-converge: N independent file resources in one fresh directory, from process start to
// converged exit (`rxmgmt run -f graph.yaml --converged-timeout=0`), wall time of the whole
// process and its peak RSS; beside it the floor (bench/floor-files.mjs), timed the same way.
// Each repetition measures a cold run (no file exists) and then a second, steady-state run (every
// file already correct) on the same directory, for the engine and for the floor. A third subject,
// the floor with at most 16 files in flight (FLOOR_CONCURRENCY=16), is measured for reference, and
// a fourth, the synchronous floor (bench/floor-sync.mjs: one file after another, sync fs calls,
// one directory watch held), is the cheapest honest program: issue 15's yardstick.
//
//   node bench/files-converge.mjs [N ...] [--runs R] [--log-level warn|info] [--sema K]
//
// Defaults: N = 100 1000 10000; 5 runs; --log-level warn; no --sema.
// Results: printed, and written to bench/results/files-converge.json (files-converge-semaK.json
// with --sema K, which passes `--sema K` to the engine: at most K CheckApply at once).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BENCH, CLI, allFilesCorrect, cliNodeFlags, deadline, fmtMiB, fmtMs, median, removeDir, requireBuild, runNode, saveResult,
  tempDir, writeFileGraph,
} from './lib/common.mjs';

const args = process.argv.slice(2);
let runsOpt;
let logLevel = 'warn';
let sema;
const sizes = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runsOpt = Number(args[++i]);
  else if (args[i] === '--log-level') logLevel = args[++i];
  else if (args[i] === '--sema') sema = args[++i];
  else sizes.push(Number(args[i]));
}
if (sizes.length === 0) sizes.push(100, 1000, 10000);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
  process.stderr.write('usage: node bench/files-converge.mjs [N ...] [--runs R] [--log-level warn|info] [--sema K]\n');
  process.exit(2);
}
requireBuild();
deadline(45 * 60, 'files-converge');

const PER_RUN_TIMEOUT_MS = 180_000;
const FLOOR = join(BENCH, 'floor-files.mjs');
const FLOOR_SYNC = join(BENCH, 'floor-sync.mjs');

const SUBJECTS = ['engine', 'floor', 'floor16', 'floorSync'];

/** One cold + one warm run of `who` (one of SUBJECTS) in a fresh directory (see BENCH_TMP). */
async function pair(who, n) {
  const dir = tempDir(`converge-${who}-${n}`);
  try {
    const files = join(dir, 'files');
    mkdirSync(files);
    const graph = join(dir, 'graph.yaml');
    if (who === 'engine') writeFileGraph(graph, files, n);
    const argv =
      who === 'engine'
        ? [...cliNodeFlags(), CLI, 'run', '-f', graph, '--converged-timeout=0', '--log-level', logLevel, ...(sema ? ['--sema', sema] : [])]
        : [who === 'floorSync' ? FLOOR_SYNC : FLOOR, files, String(n)];
    const out = {};
    for (const phase of ['cold', 'warm']) {
      const env = who === 'floor16' ? { FLOOR_CONCURRENCY: '16' } : {};
      const r = await runNode(argv, { timeoutMs: PER_RUN_TIMEOUT_MS, env });
      if (r.timedOut) throw new Error(`${who} N=${n} ${phase}: no exit within ${PER_RUN_TIMEOUT_MS / 1000} s (killed)`);
      if (r.code !== 0) throw new Error(`${who} N=${n} ${phase}: exit code ${r.code ?? r.signal}`);
      if (!allFilesCorrect(files, n)) throw new Error(`${who} N=${n} ${phase}: files are not all correct after exit`);
      out[phase] = r;
    }
    return out;
  } finally {
    removeDir(dir);
  }
}

const results = [];
for (const n of sizes) {
  const runs = runsOpt ?? 5;
  const samples = Object.fromEntries(SUBJECTS.map((who) => [who, { cold: [], warm: [] }]));
  for (let r = 0; r < runs; r++) {
    // Alternate who goes first, so a slow spell of this noisy machine hits both alike.
    const order = r % 2 === 0 ? SUBJECTS : [...SUBJECTS].reverse();
    for (const who of order) {
      const p = await pair(who, n);
      samples[who].cold.push(p.cold);
      samples[who].warm.push(p.warm);
      process.stderr.write(
        `  N=${n} run ${r + 1}/${runs} ${who.padEnd(7)} cold ${fmtMs(p.cold.wallMs).padStart(8)} ${fmtMiB(p.cold.maxRssKiB).padStart(6)}` +
          `   warm ${fmtMs(p.warm.wallMs).padStart(8)} ${fmtMiB(p.warm.maxRssKiB).padStart(6)}\n`,
      );
    }
  }
  const summary = (xs) => ({
    wallMs: median(xs.map((x) => x.wallMs)),
    maxRssKiB: median(xs.map((x) => x.maxRssKiB)),
    wallMsAll: xs.map((x) => Math.round(x.wallMs * 10) / 10),
    maxRssKiBAll: xs.map((x) => x.maxRssKiB),
  });
  const row = { n, runs, logLevel, sema };
  for (const who of SUBJECTS) row[who] = { cold: summary(samples[who].cold), warm: summary(samples[who].warm) };
  row.ratio = {
    cold: row.engine.cold.wallMs / row.floor.cold.wallMs,
    warm: row.engine.warm.wallMs / row.floor.warm.wallMs,
  };
  row.ratioSync = {
    cold: row.engine.cold.wallMs / row.floorSync.cold.wallMs,
    warm: row.engine.warm.wallMs / row.floorSync.warm.wallMs,
  };
  // Each repetition ran the engine and the floor back to back: the median of their ratios
  // cancels the slow drifts of this machine that a ratio of medians does not.
  const paired = (phase, floor = 'floor') => samples.engine[phase].map((e, i) => e.wallMs / samples[floor][phase][i].wallMs);
  row.pairedRatio = { cold: median(paired('cold')), warm: median(paired('warm')) };
  row.pairedRatioSync = { cold: median(paired('cold', 'floorSync')), warm: median(paired('warm', 'floorSync')) };
  row.pairedRatioAll = { cold: paired('cold').map((x) => Math.round(x * 100) / 100), warm: paired('warm').map((x) => Math.round(x * 100) / 100) };
  results.push(row);
  console.log(
    `files-converge N=${n} (median of ${runs}; floor16: ${fmtMs(row.floor16.cold.wallMs)} ${fmtMiB(row.floor16.cold.maxRssKiB)} cold, ${fmtMs(row.floor16.warm.wallMs)} warm): ` +
      `cold engine ${fmtMs(row.engine.cold.wallMs)} ${fmtMiB(row.engine.cold.maxRssKiB)} / floor ${fmtMs(row.floor.cold.wallMs)} ${fmtMiB(row.floor.cold.maxRssKiB)} = ${row.ratio.cold.toFixed(2)}x ` +
      `(paired ${row.pairedRatio.cold.toFixed(2)}x: ${row.pairedRatioAll.cold.join(' ')}); ` +
      `warm engine ${fmtMs(row.engine.warm.wallMs)} ${fmtMiB(row.engine.warm.maxRssKiB)} / floor ${fmtMs(row.floor.warm.wallMs)} ${fmtMiB(row.floor.warm.maxRssKiB)} = ${row.ratio.warm.toFixed(2)}x ` +
      `(paired ${row.pairedRatio.warm.toFixed(2)}x: ${row.pairedRatioAll.warm.join(' ')}); ` +
      `synchronous floor ${fmtMs(row.floorSync.cold.wallMs)} ${fmtMiB(row.floorSync.cold.maxRssKiB)} cold = ${row.pairedRatioSync.cold.toFixed(2)}x paired, ` +
      `${fmtMs(row.floorSync.warm.wallMs)} warm = ${row.pairedRatioSync.warm.toFixed(2)}x paired`,
  );
}
const path = saveResult(sema ? `files-converge-sema${sema}` : 'files-converge', { benchmark: 'files-converge', results });
console.log(`wrote ${path}`);
