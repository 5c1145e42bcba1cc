#!/usr/bin/env node
// The FLOOR for files-converge: the same file I/O as rxmgmt's file resource, with no engine.
//   node bench/floor-files.mjs DIR N
// Makes DIR/f0..f{N-1} hold "i am fI\n", all files in parallel (as the engine runs independent
// vertices): lstat; if a regular file of the right size, read it and compare; when wrong, write
// a hidden temporary file next to it (flag wx) and rename it into place. Then exits 0.
import { watch } from 'node:fs';
import { dirAndCount, ensure } from './lib/floor-check.mjs';

const { dir, n } = dirAndCount('floor-files.mjs');

// FLOOR_WATCH=1 (a diagnostic, not used by the benchmarks): hold one fs.watch on DIR while
// working, as the engine does, and ignore its events; shows what watching alone costs.
if (process.env.FLOOR_WATCH === '1') watch(dir, () => undefined);

// All N at once by default, like the engine. FLOOR_CONCURRENCY=K keeps at most K files in flight
// instead (for comparison only; the benchmarks use the default).
const limit = Number(process.env.FLOOR_CONCURRENCY) || n;
let next = 0;
const worker = async () => {
  while (next < n) await ensure(dir, next++);
};
await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
process.exit(0);
