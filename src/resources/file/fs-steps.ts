// File-system helpers shared by the file resource's parts: promisified calls, failures that
// name the resource's path and what was being done, and lstat that tells "nothing there".
import * as fs from 'node:fs';
import type { BigIntStats, Stats } from 'node:fs';
import { promisify } from 'node:util';

// The callback API, promisified: on 10 000 small files fs/promises' readFile (FileHandle based,
// several thread-pool round trips per file) took 3 to 5 times as long as fs.readFile.
export const lstat = promisify(fs.lstat);
export const stat = promisify(fs.stat);
export const readFile = promisify(fs.readFile);
export const readdir = promisify(fs.readdir);
export const readlink = promisify(fs.readlink);
export const chmod = promisify(fs.chmod);
export const chown = promisify(fs.chown);
export const mkdir = promisify(fs.mkdir);
export const rmdir = promisify(fs.rmdir);
export const rm = promisify(fs.rm);
export const unlink = promisify(fs.unlink);

/** Runs `op`; a failure names the resource (`shown`, its display path) and what failed. */
export async function step<T>(shown: string, what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new Error(`file ${shown}: cannot ${what}: ${(err as Error).message}`, { cause: err });
  }
}

export const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code;

/** lstat, or undefined when nothing is there (including "a parent is not a directory"). */
export async function lstatOrMissing(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** lstatOrMissing with bigint fields: the times to the nanosecond (`mtimeNs`, `ctimeNs`). */
export function lstatBigOrMissing(path: string): Promise<BigIntStats | undefined> {
  return new Promise((resolve, reject) =>
    fs.lstat(path, { bigint: true }, (err, st) => {
      if (!err) resolve(st);
      else if (err.code === 'ENOENT' || err.code === 'ENOTDIR') resolve(undefined);
      else reject(err);
    }),
  );
}

/** What kindOf needs: Stats and BigIntStats both have it. */
type Typed = Pick<Stats, 'isDirectory' | 'isSymbolicLink' | 'isFile'>;

export const kindOf = (st: Typed): string =>
  st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symlink' : st.isFile() ? 'a regular file' : 'a special file';

export const octal = (mode: number): string => '0' + mode.toString(8).padStart(3, '0');

/** The permission bits a copy gets from its source: rwx for all, never setuid, setgid or sticky. */
export const copiedMode = (source: Stats): number => source.mode & 0o777;
