#!/usr/bin/env node
// graph-swap: the cost of a graph-file swap in a big running graph. One `rxmgmt run` holds a
// graph of N files (default 10 000); then, K times each:
//   - change: one resource's content is changed in the graph file, saved atomically (temp file
//     + rename); measured from the save until that file on disk has the new content;
//   - no-op save: the same text saved again; measured from the save until the process logs the
//     graph it read (`graph "NAME": N resources`, logged when built, just before it is swapped in;
//     builds of every version log it), which then changes nothing.
// For both: the CPU time (user + system, /proc/PID/stat) the process spent from the save until
// 1 s after it was done, and the part of the latency that is not the settle time (the graph file
// must stay unchanged SETTLE_MS = 200 ms before it is read: src/loader/graph-file.ts).
//
//   node bench/graph-swap.mjs [--files N] [--swaps K]
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, allFilesCorrect, cliNodeFlags, deadline, fileContent, fileName, median, requireBuild, saveResult, sleep, startNode, stopChild, tempDir } from './lib/common.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const N = opt('--files', 10_000);
const K = opt('--swaps', 5);
const SETTLE_MS = 200;
requireBuild();
deadline(15 * 60, 'graph-swap');

const CLK_TCK = 100; // Linux USER_HZ
/** utime + stime of `pid` in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

const dir = tempDir('swap');
const files = join(dir, 'files');
const graphPath = join(dir, 'graph.yaml');
const logPath = join(dir, 'run.log');
/** The graph text with file `changed` at version `v` (version 0: every file as at the start). */
function graphText(changed = -1, v = 0) {
  const parts = [`graph: bench-swap-${N}\nresources:\n  file:\n`];
  for (let i = 0; i < N; i++) {
    const content = i === changed && v > 0 ? `version ${v} of f${i}\n` : fileContent(i);
    parts.push(`    - name: ${fileName(i)}\n      path: ${join(files, fileName(i))}\n      content: ${JSON.stringify(content)}\n      state: exists\n`);
  }
  return parts.join('');
}
const save = (text) => {
  writeFileSync(graphPath + '.tmp', text);
  renameSync(graphPath + '.tmp', graphPath);
};
const read = (p) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};
/** How many graphs the process has logged; reads only what was appended since the last call. */
let logOffset = 0;
let graphsSeen = 0;
function swapsLogged() {
  const fd = openSync(logPath, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > logOffset) {
      const buf = Buffer.alloc(size - logOffset);
      readSync(fd, buf, 0, buf.length, logOffset);
      const text = buf.toString('utf8');
      const end = text.lastIndexOf('\n') + 1; // whole lines only
      logOffset += Buffer.byteLength(text.slice(0, end));
      graphsSeen += text.slice(0, end).split('\n').filter((l) => l.includes(`graph "bench-swap-${N}":`)).length;
    }
  } finally {
    closeSync(fd);
  }
  return graphsSeen;
}

writeFileSync(graphPath, graphText());
mkdirSync(files);
const child = startNode([...cliNodeFlags(), CLI, 'run', '-f', graphPath, '--log-level', 'info'], { stderrFile: logPath });
const t0 = performance.now();
while (!allFilesCorrect(files, N)) {
  if (child.exitCode !== null) throw new Error(`rxmgmt exited early; see ${logPath}`);
  await sleep(50);
}
console.error(`graph-swap: ${N} files converged in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
await sleep(2000); // start-up work settles

const change = { latencyMs: [], cpuMs: [] };
const noop = { latencyMs: [], cpuMs: [] };
let text = graphText();
for (let k = 1; k <= K; k++) {
  // A change: one file's content, a different file each time.
  const target = (k * 7919) % N;
  const want = `version ${k} of f${target}\n`;
  const before = cpuMs(child.pid);
  text = graphText(target, k);
  const t = performance.now();
  save(text);
  while (read(join(files, fileName(target))) !== want) {
    if (performance.now() - t > 60_000) throw new Error(`f${target} was not repaired within 60 s; see ${logPath}`);
    await sleep(1);
  }
  change.latencyMs.push(performance.now() - t);
  await sleep(1000);
  change.cpuMs.push(cpuMs(child.pid) - before);

  // A no-op save: the same text again.
  const swaps = swapsLogged();
  const before2 = cpuMs(child.pid);
  const t2 = performance.now();
  save(text);
  while (swapsLogged() === swaps) {
    if (performance.now() - t2 > 60_000) throw new Error(`no graph logged within 60 s; see ${logPath}`);
    await sleep(1);
  }
  noop.latencyMs.push(performance.now() - t2);
  await sleep(1000);
  noop.cpuMs.push(cpuMs(child.pid) - before2);
}
await stopChild(child);
if (!existsSync(logPath)) throw new Error('no log');

const summary = (m) => ({ ...m, latencyMedianMs: median(m.latencyMs), beyondSettleMedianMs: median(m.latencyMs) - SETTLE_MS, cpuMedianMs: median(m.cpuMs) });
const result = { files: N, swaps: K, settleMs: SETTLE_MS, change: summary(change), noopSave: summary(noop), cli: CLI };
console.log(JSON.stringify(result, null, 2));
console.log(`saved ${saveResult(`graph-swap-${N}${process.env.BENCH_TAG ? `-${process.env.BENCH_TAG}` : ''}`, result)}`);
process.exit(0);
