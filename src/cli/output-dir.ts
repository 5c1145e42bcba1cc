// Output files named on the command line (--converged-status-file, --graphviz) are checked at
// start-up, so that a typo in a directory fails the run before anything is applied.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Rejects, naming `flag`, unless the directory `file` would be written in exists and is writable. */
export async function checkOutputDir(flag: string, file: string): Promise<void> {
  const dir = dirname(resolve(file));
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch {
    throw new Error(`${flag}: the directory ${dir} of ${file} does not exist`);
  }
  if (!isDir) throw new Error(`${flag}: ${dir} (where ${file} would go) is not a directory`);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new Error(`${flag}: the directory ${dir} of ${file} is not writable`);
  }
}
