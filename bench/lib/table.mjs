#!/usr/bin/env node
// Prints the results in bench/results/*.json as the Markdown table of bench/README.md.
//   node bench/lib/table.mjs
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS, fmtMiB, fmtMs } from './common.mjs';

const load = (name) => {
  const p = join(RESULTS, `${name}.json`);
  return existsSync(p) ? JSON.parse(readFileSync(p, 'utf8')) : undefined;
};
const cold = load('cold-start');
const conv = load('files-converge');
const rep = load('repair-latency');
const anyRun = cold ?? conv ?? rep;
if (!anyRun) {
  console.log('no results in bench/results/ yet');
  process.exit(0);
}
const m = anyRun.machine;
console.log(`Measured ${m.date.slice(0, 10)}, ${m.cpus} cores (${m.cpuModel}), Node ${m.node}, files in ${m.filesIn ?? '?'}, engine flags ${(m.cliNodeFlags ?? []).join(' ') || 'none'}, load average at the end ${m.loadavg}.\n`);
console.log('| benchmark | rxmgmt | floor | rxmgmt / floor | mgmt (Go) | target | met |');
console.log('|---|---|---|---|---|---|---|');
const yes = (b) => (b ? 'yes' : '**no**');
const ms2 = (x) => `${x.toFixed(2)} ms`;

if (cold) {
  const r = cold.results;
  console.log(
    `| \`--version\` cold start (median of ${r.version.runs}) | ${fmtMs(r.version.median)} | \`node -e 0\`: ${fmtMs(r.nodeE0.median)}` +
      ` (\`node empty.mjs\`: ${fmtMs(r.emptyEsm.median)}) | ${r.ratio.toFixed(2)}x (+${r.overheadMs.toFixed(0)} ms) | 4 ms | beat mgmt | ${yes(r.version.median < 4)} |`,
  );
}
const mgmtFiles = { 100: '0.11 s, 25 MB', 1000: 'fails (too many open files)', 10000: 'fails (too many open files)' };
for (const row of conv?.results ?? []) {
  for (const phase of ['cold', 'warm']) {
    const e = row.engine[phase];
    const f = row.floor[phase];
    const f16 = row.floor16?.[phase];
    const fs = row.floorSync?.[phase];
    const syncText = fs ? `; synchronous floor ${fmtMs(fs.wallMs)}, ${fmtMiB(fs.maxRssKiB)}: ${row.pairedRatioSync[phase].toFixed(2)}x paired` : '';
    const ratioOfMedians = e.wallMs / f.wallMs;
    const paired = row.pairedRatio?.[phase];
    // The verdict takes the worse of the two ratios (see "What is measured").
    const ratio = Math.max(ratioOfMedians, paired ?? 0);
    const ratioText = `${ratioOfMedians.toFixed(2)}x time${paired === undefined ? '' : ` (paired ${paired.toFixed(2)}x)`}`;
    let target;
    let met;
    if (phase === 'cold' && row.n === 100) {
      target = 'beat mgmt (0.11 s, 25 MB); within 2x floor';
      met = yes(e.wallMs <= 110 && e.maxRssKiB <= 25 * 1024) + ' / ' + yes(ratio <= 2);
    } else if (phase === 'cold' && row.n >= 10000) {
      target = 'within 2x floor, < 400 MB';
      met = yes(ratio <= 2) + ' / ' + yes(e.maxRssKiB < 400 * 1024);
    } else {
      target = 'within 2x floor';
      met = yes(ratio <= 2);
    }
    console.log(
      `| ${row.n.toLocaleString('en')} files, ${phase === 'cold' ? 'cold (none exist)' : 'second run (all correct)'}, start to converged exit (median of ${row.runs}) ` +
        `| ${fmtMs(e.wallMs)}, ${fmtMiB(e.maxRssKiB)} | ${fmtMs(f.wallMs)}, ${fmtMiB(f.maxRssKiB)}${f16 ? ` (16 in flight: ${fmtMs(f16.wallMs)}, ${fmtMiB(f16.maxRssKiB)})` : ''} | ${ratioText}, ${(e.maxRssKiB / f.maxRssKiB).toFixed(1)}x RSS${syncText} ` +
        `| ${phase === 'cold' ? mgmtFiles[row.n] ?? '-' : '-'} | ${target} | ${met} |`,
    );
  }
}
if (rep) {
  const mgmt = { deleted: '0.7 / 1.0 / - ms (100 files)', overwritten: '1.1 / 1.6 / - ms (100 files)' };
  for (const kind of ['deleted', 'overwritten']) {
    const e = rep.results.engine[kind];
    const f = rep.results.floor[kind];
    const r = rep.results.ratio[kind];
    console.log(
      `| repair ${kind === 'deleted' ? 'a deleted' : 'an overwritten'} file, ${rep.files.toLocaleString('en')}-file graph, p50 / p95 / p99 (${e.n} repairs) ` +
        `| ${ms2(e.p50)} / ${ms2(e.p95)} / ${ms2(e.p99)} | ${ms2(f.p50)} / ${ms2(f.p95)} / ${ms2(f.p99)} | ${r.p50.toFixed(2)}x / ${r.p95.toFixed(2)}x / ${r.p99.toFixed(2)}x ` +
        `| ${mgmt[kind]} | p50 < 5 ms, p99 < 25 ms, within 2x floor | ${yes(e.p50 < 5)} / ${yes(e.p99 < 25)} / ${yes(r.p50 <= 2 && r.p99 <= 2)} |`,
    );
  }
  console.log(
    `| repair benchmark process, peak RSS (${rep.files.toLocaleString('en')} files, after all repairs) | ${fmtMiB(rep.results.engine.peakRssKiB)} | ${fmtMiB(rep.results.floor.peakRssKiB)} ` +
      `| ${(rep.results.engine.peakRssKiB / rep.results.floor.peakRssKiB).toFixed(1)}x | - | - | - |`,
  );
}
