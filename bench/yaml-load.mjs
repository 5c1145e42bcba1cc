#!/usr/bin/env node
// The cost of reading a graph file (loadGraphFile: YAML tree and validation) of N file
// resources, as the CLI pays it: the first call in a fresh process. Builds are measured in
// alternating runs, so a busy machine slows them alike; the figure is the main thread's CPU,
// which other processes on the machine inflate far less than wall time or sampled profiles.
//   node bench/yaml-load.mjs [N=10000] [RUNS=7] [DIST ...]     (default DIST: this dist/)
// A DIST other than this one needs node_modules beside it (a snapshot of an older build).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BENCH, fmtMiB, fmtMs, median, NODE, ROOT, tempDir, writeFileGraph } from './lib/common.mjs';

const [n = '10000', runs = '7', ...given] = process.argv.slice(2);
const dists = given.length ? given : [join(ROOT, 'dist')];
const dir = tempDir('yaml-load');
const graph = join(dir, 'g.yaml');
writeFileGraph(graph, join(dir, 'files'), Number(n));

const seen = new Map(dists.map((d) => [d, []]));
for (let i = 0; i < Number(runs); i++) {
  for (const d of dists) {
    const out = execFileSync(NODE, ['--max-semi-space-size=16', join(BENCH, 'lib/yaml-load-probe.mjs'), d, graph], { encoding: 'utf8' });
    seen.get(d).push(JSON.parse(out.trim().split('\n').pop()));
  }
}
for (const [d, rs] of seen) {
  const cpu = rs.map((r) => r.cpuMs);
  console.log(
    `${d}: loadGraphFile of ${n} resources, main-thread CPU median ${fmtMs(median(cpu))} (${cpu.map((c) => c.toFixed(0)).join(' ')}), ` +
      `peak RSS median ${fmtMiB(median(rs.map((r) => r.maxRssKiB)))}`,
  );
}
