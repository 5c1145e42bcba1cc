// File-system helpers shared by the file resource's parts: promisified calls, failures that
// name the resource's path and what was being done, and lstat that tells "nothing there".
import * as fs from 'node:fs';
import type { BigIntStats, Stats } from 'node:fs';
import { promisify } from 'node:util';
import { escapeControl } from '../../util/paths.js';

// The callback API, promisified: on 10 000 small files fs/promises' readFile (FileHandle based,
// several thread-pool round trips per file) took 3 to 5 times as long as fs.readFile.
export const lstat = promisify(fs.lstat);
export const stat = promisify(fs.stat);
export const readFile = promisify(fs.readFile);
export const readdir = promisify(fs.readdir);
export const readlink = promisify(fs.readlink);
export const chmod = promisify(fs.chmod);
export const chown = promisify(fs.chown);
export const lchown = promisify(fs.lchown);
export const mkdir = promisify(fs.mkdir);
export const rmdir = promisify(fs.rmdir);
export const rm = promisify(fs.rm);
export const unlink = promisify(fs.unlink);

/** Runs `op`; a failure names the resource (`shown`, its display path) and what failed. */
export async function step<T>(shown: string, what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw stepError(shown, what, err);
  }
}

/** step for a synchronous `op`: the same message. */
export function stepSync<T>(shown: string, what: string, op: () => T): T {
  try {
    return op();
  } catch (err) {
    throw stepError(shown, what, err);
  }
}

/** The error step and stepSync throw: for a hot caller that catches inline (no closure per call). */
export const stepError = (shown: string, what: string, err: unknown): Error =>
  new Error(`file ${shown}: cannot ${escapeControl(what)}: ${escapeControl((err as Error).message)}`, { cause: err });

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

/** The quick path's lstat: number fields (no BigInts to make), nothing there is undefined. */
const MISSING_IS_UNDEFINED = { throwIfNoEntry: false } as const;

/** lstatOrMissing, synchronous: for the quick path on a local file system only. */
export function lstatOrMissingSync(path: string): Stats | undefined {
  try {
    return fs.lstatSync(path, MISSING_IS_UNDEFINED);
  } catch (err) {
    if (errCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** What kindOf needs: Stats and BigIntStats both have it. */
type Typed = Pick<Stats, 'isDirectory' | 'isSymbolicLink' | 'isFile'>;

export const kindOf = (st: Typed): string =>
  st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symlink' : st.isFile() ? 'a regular file' : 'a special file';

export const octal = (mode: number): string => '0' + mode.toString(8).padStart(3, '0');

/** The permission bits a copy gets from its source: rwx for all, never setuid, setgid or sticky. */
export const copiedMode = (source: Stats): number => source.mode & 0o777;

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fs.constants;
/**
 * Flags to read a managed path without following a symlink there (ELOOP instead). O_NONBLOCK:
 * a fifo swapped in does not block the open.
 */
export const READ_NOFOLLOW = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
/** readFile's option for that: Node takes numeric flags, though its types say string. */
const NOFOLLOW = { flag: READ_NOFOLLOW as unknown as string };

/** The content of a managed path, never through a symlink (one there fails, saying so). */
export async function readFileNoFollow(path: string): Promise<Buffer> {
  try {
    return await readFile(path, NOFOLLOW);
  } catch (err) {
    throw noFollowError(err);
  }
}

/**
 * The content of a managed path, synchronously, never through a symlink; undefined when what the
 * descriptor shows is not a regular file of at most `max` bytes (a fifo or device swapped in
 * since the lstat is opened without blocking, never read; a big file is left to the async path).
 */
export function readSmallNoFollowSync(path: string, max: number): Buffer | undefined {
  let fd: number;
  try {
    fd = fs.openSync(path, READ_NOFOLLOW);
  } catch (err) {
    throw noFollowError(err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > max) return undefined;
    // The size fstat gave, as readFile reads: a file changed meanwhile has a new identity, so
    // the verified cache will not trust what this read saw (see verified.ts).
    const buf = Buffer.allocUnsafe(st.size);
    let got = 0;
    for (let n; got < buf.length && (n = fs.readSync(fd, buf, got, buf.length - got, null)) > 0; ) got += n;
    return got === buf.length ? buf : buf.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

const open = promisify(fs.open);
const fstat = promisify(fs.fstat);
const fchmod = promisify(fs.fchmod);
const fchown = promisify(fs.fchown);
const close = promisify(fs.close);

/** ELOOP from an O_NOFOLLOW open said plainly: a symlink was swapped in since the lstat. */
export function noFollowError(err: unknown): unknown {
  if (errCode(err) !== 'ELOOP') return err;
  return new Error('it is a symlink now, which is never followed; set force: true to replace it', { cause: err });
}

/** What is to be changed through a descriptor: owner (either id may be absent) and mode. */
export interface Metadata {
  uid?: number;
  gid?: number;
  mode?: number;
}

/**
 * Sets owner, then mode (chown may clear setuid/setgid) of `path` through a descriptor opened
 * without following a symlink: what changes is the inode at `path` itself, never what a link
 * planted there (or swapped in since the caller's lstat) points to. `dir`: it must be a
 * directory, otherwise a regular file. `expected`: the inode the caller inspected; another one
 * there now fails (the caller looks again at its next check).
 */
export async function setMetadataNoFollow(
  path: string,
  dir: boolean,
  want: Metadata,
  expected?: { dev: number | bigint; ino: number | bigint },
): Promise<void> {
  if (want.uid === undefined && want.gid === undefined && want.mode === undefined) return;
  let fd: number;
  try {
    fd = await open(path, READ_NOFOLLOW | (dir ? O_DIRECTORY : 0));
  } catch (err) {
    if (errCode(err) === 'ENOTDIR') throw new Error('it is not a directory any more', { cause: err });
    throw noFollowError(err);
  }
  try {
    const st = await fstat(fd);
    if (dir ? !st.isDirectory() : !st.isFile()) throw new Error(`it is ${kindOf(st)} now`);
    if (expected && (BigInt(st.dev) !== BigInt(expected.dev) || BigInt(st.ino) !== BigInt(expected.ino))) {
      throw new Error('it was replaced by another file meanwhile');
    }
    if (want.uid !== undefined || want.gid !== undefined) await fchown(fd, want.uid ?? -1, want.gid ?? -1);
    if (want.mode !== undefined) await fchmod(fd, want.mode);
  } finally {
    await close(fd).catch(() => undefined);
  }
}
