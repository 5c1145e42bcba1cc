// The floors' one file check, the same I/O as rxmgmt's file resource with no engine: lstat;
// read and compare when the size matches; when wrong, write a hidden temp file (flag wx) and
// rename it into place. Resolves true when it wrote.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The callback API, promisified, as rxmgmt's file resource does (fs/promises' FileHandle-based
// readFile makes several thread-pool round trips per file and is several times slower).
const lstat = promisify(fs.lstat);
const readFile = promisify(fs.readFile);
const writeFile = promisify(fs.writeFile);
const rename = promisify(fs.rename);

let temps = 0;

/** Makes DIR/fI hold "i am fI\n". */
export async function ensure(dir, i) {
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

/** `DIR N` from the command line, or a usage message and exit 2. */
export function dirAndCount(script) {
  const [dir, nArg] = process.argv.slice(2);
  const n = Number(nArg);
  if (!dir || !Number.isInteger(n) || n < 0) {
    process.stderr.write(`usage: node bench/${script} DIR N\n`);
    process.exit(2);
  }
  return { dir, n };
}

/** `ensure` with synchronous calls: the cheapest honest program, one file after another. */
export function ensureSync(dir, i) {
  const path = join(dir, `f${i}`);
  const want = Buffer.from(`i am f${i}\n`);
  let st;
  try {
    st = fs.lstatSync(path);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  if (st?.isFile() && st.size === want.length && fs.readFileSync(path).equals(want)) return false;
  const temp = join(dir, `.f${i}.floor-${process.pid}-${++temps}`);
  fs.writeFileSync(temp, want, { flag: 'wx' });
  fs.renameSync(temp, path);
  return true;
}
