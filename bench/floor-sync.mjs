#!/usr/bin/env node
// The SYNCHRONOUS floor for files-converge (issue 15): the cheapest honest program for the same
// work. One process that, for each file in turn, lstats it, reads and compares it when the size
// matches, and when wrong writes a hidden temp file (flag wx) and renames it into place, with
// synchronous fs calls, while holding one watch on the directory (as any watcher must), and no
// engine.
//   node bench/floor-sync.mjs DIR N
import { watch } from 'node:fs';
import { dirAndCount, ensureSync } from './lib/floor-check.mjs';

const { dir, n } = dirAndCount('floor-sync.mjs');
const watcher = watch(dir, () => undefined);
for (let i = 0; i < n; i++) ensureSync(dir, i);
watcher.close();
process.exit(0);
