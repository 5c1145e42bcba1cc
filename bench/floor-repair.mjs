#!/usr/bin/env node
// The FLOOR for repair-latency: a plain Node process that keeps DIR/f0..f{N-1} holding
// "i am fI\n", with no engine. One fs.watch (inotify) on DIR; on an event for a managed name it
// runs the same check as rxmgmt's file resource (lstat; read and compare when the size matches;
// when wrong, write a hidden temp file and rename it into place), one run per file at a time and
// one more run if events arrived meanwhile. Runs until SIGTERM/SIGINT.
//   node bench/floor-repair.mjs DIR N
import * as fs from 'node:fs';
import { dirAndCount, ensure } from './lib/floor-check.mjs';

const { dir, n } = dirAndCount('floor-repair.mjs');

const running = new Uint8Array(n);
const again = new Uint8Array(n);
function poke(i) {
  if (running[i]) {
    again[i] = 1;
    return;
  }
  running[i] = 1;
  ensure(dir, i)
    .catch((err) => process.stderr.write(`floor: f${i}: ${err.message}\n`))
    .finally(() => {
      running[i] = 0;
      if (again[i]) {
        again[i] = 0;
        poke(i);
      }
    });
}

fs.watch(dir, (_event, name) => {
  const m = name && /^f(\d+)$/.exec(name);
  if (m && Number(m[1]) < n) poke(Number(m[1]));
});
for (let i = 0; i < n; i++) poke(i);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
