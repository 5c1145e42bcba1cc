#!/usr/bin/env node
// The FLOOR for files-converge: the same file I/O as rxmgmt's file resource, with no engine.
//   node bench/floor-files.mjs DIR N
// Makes DIR/f0..f{N-1} hold "i am fI\n", all files in parallel (as the engine runs independent
// vertices): lstat; if a regular file of the right size, read it and compare; when wrong, write
// a hidden temporary file next to it (flag wx) and rename it into place. Then exits 0.
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
  process.stderr.write('usage: node bench/floor-files.mjs DIR N\n');
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
  if (st?.isFile() && st.size === want.length && (await readFile(path)).equals(want)) return false;
  const temp = join(dir, `.f${i}.floor-${process.pid}-${++temps}`);
  await writeFile(temp, want, { flag: 'wx' });
  await rename(temp, path);
  return true;
}

// All N at once by default, like the engine. FLOOR_CONCURRENCY=K keeps at most K files in flight
// instead (for comparison only; the benchmarks use the default).
const limit = Number(process.env.FLOOR_CONCURRENCY) || n;
let next = 0;
const worker = async () => {
  while (next < n) await ensure(next++);
};
await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
process.exit(0);
