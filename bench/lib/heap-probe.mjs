// Heap probe, preloaded into a long-running Node process with `node --import <this file> ...`.
// On SIGUSR2 it runs a full garbage collection and writes the memory left in use as JSON to the
// file named by $BENCH_HEAP_OUT: V8's used heap, the resident set size, and what lives outside
// the heap (external, array buffers). The harness signals once the process has converged, so the
// figures are what the process holds in its steady state, not its peak.
import { renameSync, writeFileSync } from 'node:fs';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const out = process.env.BENCH_HEAP_OUT;
if (out) {
  delete process.env.BENCH_HEAP_OUT; // not inherited by anything the measured process spawns
  // gc() without starting the process with --expose-gc (which would change what is measured).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  setFlagsFromString('--no-expose-gc');
  process.on('SIGUSR2', () => {
    gc();
    gc(); // a second pass frees what the first one's finalizers released
    const m = process.memoryUsage();
    const h = getHeapStatistics();
    const figures = { heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, totalHeapSize: h.total_heap_size };
    // Renamed into place, so the harness, which waits for the name, never reads half of it.
    writeFileSync(`${out}.part`, JSON.stringify(figures));
    renameSync(`${out}.part`, out);
  });
}
