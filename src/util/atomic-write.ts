// Whole-file writes that readers never see half done: write a hidden temporary file beside the
// target, give it its owner and mode, then rename it over the target in one step.
//
//   writeFileAtomic('/etc/motd', 'hello\n', { mode: 0o644, uid: 0, gid: 0 });
//   symlinkAtomic('../shared/app.conf', '/etc/app.conf');
//
// Readers see the old file or the new one, never a part of either; a crash leaves at worst a
// stray `.<name>.rxmgmt-<pid>-<n>` file, never a truncated target. The rename gives the target
// a new inode (a program holding the old file open keeps reading the old content). No fsync.
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

// The callback API, promisified: on 10 000 small files fs/promises (FileHandle based, several
// thread-pool round trips per file) took 3 to 5 times as long.
const writeFile = promisify(fs.writeFile);
const rename = promisify(fs.rename);
const chmod = promisify(fs.chmod);
const lchown = promisify(fs.lchown);
const symlink = promisify(fs.symlink);
const rm = promisify(fs.rm);

export interface AtomicWriteOptions {
  /**
   * Permission bits (up to 0o7777) the file gets exactly, whatever the umask. Absent: a new
   * file's default, 0o666 narrowed by the umask. Ignored by symlinkAtomic (links have none).
   */
  mode?: number;
  /** Owner to give the file; absent leaves it to the writing process. */
  uid?: number;
  /** Group to give the file; absent leaves it to the writing process. */
  gid?: number;
  /**
   * Ignore a refused chown (EPERM) instead of failing: for ownership merely carried over from an
   * old file, which only root may give away.
   */
  ownerBestEffort?: boolean;
  /**
   * Told just before the rename that makes the file visible, and again if that rename fails:
   * how a watch of the path learns to ignore the echo of this write (src/watch/own-renames.ts).
   */
  announce?: { expect(): void; cancel(): void };
}

let counter = 0;

/**
 * A hidden name, unique in this process, in the same directory as `path` (so the final rename
 * stays on one file system): `.<name>.rxmgmt-<pid>-<n>`, the name cut to fit NAME_MAX.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path).slice(0, 200)}.rxmgmt-${process.pid}-${++counter}`);
}

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code;

/**
 * Writes `data` to `path` atomically. Owner and then mode are set on the temporary file before
 * the rename makes it visible (chown first: it clears the setuid and setgid bits). The parent
 * directory must exist; errors are the file system's (ENOENT, EACCES, ...), and the temporary
 * file is removed on any failure.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, data, { flag: 'wx', mode: opts.mode ?? 0o666 });
    await setOwner(temp, opts);
    if (opts.mode !== undefined) await chmod(temp, opts.mode); // the umask narrowed writeFile's mode
    await renameAnnounced(temp, path, opts);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

/**
 * Makes `path` a symbolic link to `target`, atomically: a link that already exists there (or a
 * file) is replaced in one step. A directory at `path` is not replaced (EISDIR or ENOTDIR...
 * from rename). `uid`/`gid` set the link's own owner; `mode` is ignored.
 */
export async function symlinkAtomic(target: string, path: string, opts: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await symlink(target, temp);
    await setOwner(temp, opts);
    await renameAnnounced(temp, path, opts);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

async function renameAnnounced(temp: string, path: string, opts: AtomicWriteOptions): Promise<void> {
  opts.announce?.expect();
  try {
    await rename(temp, path);
  } catch (err) {
    opts.announce?.cancel();
    throw err;
  }
}

async function setOwner(temp: string, opts: AtomicWriteOptions): Promise<void> {
  if (opts.uid === undefined && opts.gid === undefined) return;
  try {
    await lchown(temp, opts.uid ?? -1, opts.gid ?? -1);
  } catch (err) {
    if (!(opts.ownerBestEffort && errCode(err) === 'EPERM')) throw err;
  }
}
