// Temporary files that a killed rxmgmt left behind (writeFileAtomic's `.<name>.rxmgmt-<pid>-<n>`):
// found once per directory, removed by the resource that manages the file they were written for.
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { tempNamePid, tempStem } from '../../util/atomic-write.js';

const readdir = promisify(fs.readdir);
const lstat = promisify(fs.lstat);
const unlink = promisify(fs.unlink);

/**
 * When this process started (ms since the epoch): only older temp files can be left-overs. Asked
 * each time, not kept from when the module loaded: the startup snapshot loads it at build time.
 */
const processStart = (): number => Date.now() - process.uptime() * 1000;

/** Per directory, looked at once per process: the stale temp names by the name they were for. */
const found = new Map<string, Promise<Map<string, string[]>>>();
/** The scans of `found` that have finished, for the synchronous question of staleTempsFor. */
const scanned = new Map<string, Map<string, string[]>>();

/** Forgets every scan (as forgetLocalDirs does, for the startup snapshot's warm-up run). */
export function forgetStaleTempScans(): void {
  found.clear();
  scanned.clear();
}

/** The scan of `dir`, started at its first use. */
function scanOnce(dir: string): Promise<Map<string, string[]>> {
  let scan = found.get(dir);
  if (!scan) {
    found.set(dir, (scan = scanDir(dir)));
    void scan.then((byStem) => scanned.set(dir, byStem));
  }
  return scan;
}

/**
 * Without waiting: whether a killed run left temp files for `path` that removeStaleTemps would
 * remove (true), or not (false); while its directory has not been scanned yet, the scan (it is
 * started at the first call). `dir`: the directory of `path`, when the caller has it.
 */
export function staleTempsFor(path: string, dir = dirname(path)): boolean | Promise<unknown> {
  const byStem = scanned.get(dir);
  if (!byStem) return scanOnce(dir);
  return byStem.size > 0 && byStem.has(tempStem(path)); // most directories have none
}

async function scanDir(dir: string): Promise<Map<string, string[]>> {
  const byStem = new Map<string, string[]>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return byStem; // missing or unreadable: nothing to clean, and the run says what is wrong
  }
  for (const name of names) {
    if (name.charCodeAt(0) !== 0x2e) continue; // not hidden, so not a temp name: most of a big directory
    const pid = tempNamePid(name);
    if (pid === undefined || pid === process.pid) continue;
    const s = name.slice(1, name.lastIndexOf('.rxmgmt-'));
    byStem.set(s, [...(byStem.get(s) ?? []), name]);
  }
  return byStem;
}

/**
 * Removes the temp files a killed run left for `path`: names of writeFileAtomic's pattern for
 * this very file, made by another process, a regular file or symlink owned by this user, last
 * changed before this process started (so no live writer can still own it). Never a directory,
 * never anything else. Returns the names removed, for the log.
 */
export async function removeStaleTemps(path: string): Promise<string[]> {
  const dir = dirname(path);
  const byStem = await scanOnce(dir);
  const key = tempStem(path);
  const names = byStem.get(key);
  if (!names) return [];
  byStem.delete(key);
  const removed: string[] = [];
  for (const name of names) {
    const temp = join(dir, name);
    try {
      const st = await lstat(temp);
      if (!(st.isFile() || st.isSymbolicLink()) || st.uid !== process.geteuid?.() || st.mtimeMs >= processStart()) continue;
      await unlink(temp);
      removed.push(name);
    } catch {
      // gone meanwhile, or not ours to remove: left alone
    }
  }
  return removed;
}
