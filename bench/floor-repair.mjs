#!/usr/bin/env node
// The FLOOR for repair-latency: a plain Node process that keeps DIR/f0..f{N-1} holding
// "i am fI\n", with no engine. One fs.watch (inotify) on DIR; on an event for a managed name it
// runs the same check as rxmgmt's file resource (lstat; read and compare when the size matches;
// when wrong, write a hidden temp file and rename it into place), one run per file at a time and
// one more run if events arrived meanwhile. Runs until SIGTERM/SIGINT.
//   node bench/floor-repair.mjs DIR N
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';

// The callback API, promisified, as rxmgmt's file resource does (fs/promises' FileHandle-based
// readFile makes several thread-pool round trips per file and is several times slower).
const lstat = promisify(fs.lstat);
const readFile = promisify(fs.readFile);
const writeFile = promisify(fs.writeFile);
const rename = promisify(fs.rename);

const [dir, nArg] = process.argv.slice(2);
const n = Number(nArg);
if (!dir || !Number.isInteger(n) || n < 0) {
  process.stderr.write('usage: node bench/floor-repair.mjs DIR N\n');
  process.exit(2);
}

let temps = 0;
async function ensure(i) {
  const path = join(dir, `f${i}`);
  const want = Buffer.from(`i am f${i}\n`);
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  if (st?.isFile() && st.size === want.length && (await readFile(path)).equals(want)) return;
  const temp = join(dir, `.f${i}.floor-${process.pid}-${++temps}`);
  await writeFile(temp, want, { flag: 'wx' });
  await rename(temp, path);
}

const running = new Uint8Array(n);
const again = new Uint8Array(n);
function poke(i) {
  if (running[i]) {
    again[i] = 1;
    return;
  }
  running[i] = 1;
  ensure(i)
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
