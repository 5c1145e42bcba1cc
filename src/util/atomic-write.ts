// Whole-file writes that readers never see half done: write a hidden temporary file beside the
// target, give it its owner and mode, then rename it over the target in one step.
//
//   writeFileAtomic('/etc/motd', 'hello\n', { mode: 0o644, uid: 0, gid: 0 });
//   symlinkAtomic('../shared/app.conf', '/etc/app.conf');
//
// Readers see the old file or the new one, never a part of either; a crash leaves at worst a
// stray `.<name>.rxmgmt-<pid>-<n>` file, never a truncated target. The rename gives the target
// a new inode (a program holding the old file open keeps reading the old content). No fsync.
//
// Safe in a directory another user can write: the temporary file is created with
// O_CREAT|O_EXCL|O_NOFOLLOW (a name planted there, link or not, fails the write), its owner and
// mode are set through its descriptor (fchown, fchmod: what is changed is the inode we created,
// whatever the name points to meanwhile), and just before the rename the name is checked to be
// still that inode. Nothing is ever written or chmod-ed through a symlink; a swap after the
// check at worst moves the other user's entry into place, which the next check sees.
import * as fs from 'node:fs';
import { basename, dirname } from 'node:path';
import { promisify } from 'node:util';

// The callback API, promisified: on 10 000 small files fs/promises (FileHandle based, several
// thread-pool round trips per file) took 3 to 5 times as long.
const open = promisify(fs.open);
const write = promisify(fs.write);
const fchmod = promisify(fs.fchmod);
const fchown = promisify(fs.fchown);
const fstat = promisify(fs.fstat);
const close = promisify(fs.close);
const lstat = promisify(fs.lstat);
const rename = promisify(fs.rename);
const lchown = promisify(fs.lchown);
const symlink = promisify(fs.symlink);
const rm = promisify(fs.rm);

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
/** A new file only: fails on any name already there, a symlink included (never followed). */
const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;

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
  const dir = dirname(path);
  // Joined by hand: path.join would normalise the whole path again, for every write.
  return `${dir === '/' ? '' : dir}/.${tempStem(path)}.rxmgmt-${process.pid}-${++counter}`;
}

/** The part of `path`'s temp names that names the file they are for: its name, cut to fit. */
export const tempStem = (path: string): string => basename(path).slice(0, 200);

/** The pid in a name made by tempPathFor, or undefined when the name is not one of ours. */
export function tempNamePid(name: string): number | undefined {
  const m = /^\..*\.rxmgmt-(\d+)-\d+$/s.exec(name);
  return m ? Number(m[1]) : undefined;
}

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code;

/**
 * Writes `data` to `path` atomically. Owner and then mode are set on the temporary file before
 * the rename makes it visible (chown first: it clears the setuid and setgid bits). The parent
 * directory must exist; errors are the file system's (ENOENT, EACCES, ...), and the temporary
 * file is removed on any failure.
 *
 * The calls, in order: open (O_EXCL|O_NOFOLLOW, with the mode), write, fchown when an owner is
 * given, fstat, fchmod only when the fstat shows another mode, close, lstat of the temporary
 * name, rename. fstat comes after fchown, so that it shows the mode as it now is: open gave
 * the mode narrowed by the umask (or a default ACL), and chown may have cleared setuid and
 * setgid; when neither happened, the fchmod would change nothing and is left out. The fstat
 * is needed all the same: the inode it names is what the lstat before the rename must find.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const temp = tempPathFor(path);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let fd: number | undefined;
  let created: fs.Stats | undefined;
  try {
    fd = await open(temp, CREATE_NEW, opts.mode ?? 0o666);
    for (let done = 0; done < bytes.length; ) done += (await write(fd, bytes, done, bytes.length - done)).bytesWritten;
    if (opts.uid !== undefined || opts.gid !== undefined) {
      await ownerStep(() => fchown(fd!, opts.uid ?? -1, opts.gid ?? -1), opts);
    }
    created = await fstat(fd);
    if (modeDiffers(created, opts)) await fchmod(fd, opts.mode!);
    await close(fd);
    fd = undefined;
    await ensureStillOurs(temp, created);
    await renameAnnounced(temp, path, opts);
  } catch (err) {
    if (fd !== undefined) {
      created ??= await fstat(fd).catch(() => undefined);
      await close(fd).catch(() => undefined);
    }
    // Only our own inode is removed: a name someone swapped in is theirs to keep.
    if (created) await removeIfOurs(temp, created);
    throw err;
  }
}

/**
 * writeFileAtomic with synchronous calls, the same ones in the same order: for a small file on
 * a local file system, where each call takes microseconds and a trip through the thread pool
 * would cost more than the call itself.
 */
export function writeFileAtomicSync(path: string, data: Uint8Array, opts: AtomicWriteOptions = {}): void {
  const temp = tempPathFor(path);
  let fd: number | undefined;
  let created: fs.Stats | undefined;
  try {
    fd = fs.openSync(temp, CREATE_NEW, opts.mode ?? 0o666);
    for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done, data.length - done);
    if (opts.uid !== undefined || opts.gid !== undefined) {
      ownerStepSync(() => fs.fchownSync(fd!, opts.uid ?? -1, opts.gid ?? -1), opts);
    }
    created = fs.fstatSync(fd);
    if (modeDiffers(created, opts)) fs.fchmodSync(fd, opts.mode!);
    fs.closeSync(fd);
    fd = undefined;
    checkStillOurs(temp, created, fs.lstatSync(temp));
    renameAnnouncedSync(temp, path, opts);
  } catch (err) {
    if (fd !== undefined) {
      try {
        created ??= fs.fstatSync(fd);
        fs.closeSync(fd);
      } catch {
        // closed or unreadable: the name is then left alone
      }
    }
    if (created) removeIfOursSync(temp, created);
    throw err;
  }
}

/** A wanted mode that open (umask, default ACL) or chown (setuid, setgid) did not leave as is. */
const modeDiffers = (created: fs.Stats, opts: AtomicWriteOptions): boolean =>
  opts.mode !== undefined && (created.mode & 0o7777) !== opts.mode;

const sameInode = (a: fs.Stats, b: fs.Stats): boolean => a.dev === b.dev && a.ino === b.ino;

/** The temporary name is still the regular file we created (nobody renamed it away or swapped it). */
async function ensureStillOurs(temp: string, created: fs.Stats): Promise<void> {
  checkStillOurs(temp, created, await lstat(temp));
}

function checkStillOurs(temp: string, created: fs.Stats, now: fs.Stats): void {
  if (!now.isFile() || !sameInode(now, created)) {
    throw new Error(`temporary file ${temp} was replaced by someone else before it was renamed into place; nothing written`);
  }
}

async function removeIfOurs(temp: string, created: fs.Stats): Promise<void> {
  try {
    if (sameInode(await lstat(temp), created)) await rm(temp, { force: true });
  } catch {
    // gone already
  }
}

function removeIfOursSync(temp: string, created: fs.Stats): void {
  try {
    if (sameInode(fs.lstatSync(temp), created)) fs.rmSync(temp, { force: true });
  } catch {
    // gone already
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

function renameAnnouncedSync(temp: string, path: string, opts: AtomicWriteOptions): void {
  opts.announce?.expect();
  try {
    fs.renameSync(temp, path);
  } catch (err) {
    opts.announce?.cancel();
    throw err;
  }
}

async function setOwner(temp: string, opts: AtomicWriteOptions): Promise<void> {
  if (opts.uid === undefined && opts.gid === undefined) return;
  await ownerStep(() => lchown(temp, opts.uid ?? -1, opts.gid ?? -1), opts);
}

/** With `ownerBestEffort`, an owner the process may not give (EPERM) is left as it is. */
const ownerRefusalTolerated = (err: unknown, opts: AtomicWriteOptions): boolean => opts.ownerBestEffort === true && errCode(err) === 'EPERM';

async function ownerStep(op: () => Promise<void>, opts: AtomicWriteOptions): Promise<void> {
  try {
    await op();
  } catch (err) {
    if (!ownerRefusalTolerated(err, opts)) throw err;
  }
}

function ownerStepSync(op: () => void, opts: AtomicWriteOptions): void {
  try {
    op();
  } catch (err) {
    if (!ownerRefusalTolerated(err, opts)) throw err;
  }
}
