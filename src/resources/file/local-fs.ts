// Which directories are on a local file system: only there may the file resource check and
// write synchronously (its quick path, see QUICK_MAX_BYTES in file.ts). A synchronous call on
// a network or FUSE file system can hang the whole process while its server does not answer;
// on a local one it takes microseconds, less than the trip through the thread pool it saves.
import { statfs } from 'node:fs';

/**
 * statfs(2) `f_type` of the local, kernel-backed file systems (linux/magic.h). Anything else,
 * NFS, CIFS, 9p, FUSE (sshfs, ...), Ceph, an unknown type, takes the asynchronous path.
 */
const LOCAL_TYPES = new Set([
  0xef53, // ext2, ext3, ext4
  0x01021994, // tmpfs
  0x858458f6, // ramfs
  0x58465342, // xfs
  0x9123683e, // btrfs
  0x794c7630, // overlayfs
  0xf2f52010, // f2fs
  0x2fc12fc1, // zfs
  0xca451a4e, // bcachefs
  0x52654973, // reiserfs
  0x3153464a, // jfs
  0x4d44, // vfat, msdos
  0x2011bab0, // exfat
]);

/** Per directory, asked once per process: whether it is local; or the question under way. */
const known = new Map<string, boolean>();
const asking = new Map<string, Promise<boolean>>();

/**
 * Whether `dir` is on a local file system; while that is not known yet, a promise of the
 * answer (one statfs, asked at the first call). A directory that cannot be asked about (it
 * does not exist yet) is not local for this promise, and is asked again at the next call. A
 * file system mounted over `dir` later in the process is not noticed.
 */
export function isLocalDir(dir: string): boolean | Promise<boolean> {
  const local = known.get(dir) ?? asking.get(dir);
  if (local !== undefined) return local;
  const answer = new Promise<boolean>((resolve) =>
    statfs(dir, (err, stats) => {
      asking.delete(dir);
      if (!err) known.set(dir, LOCAL_TYPES.has(stats.type));
      resolve(!err && LOCAL_TYPES.has(stats.type));
    }),
  );
  asking.set(dir, answer);
  return answer;
}

/**
 * Forgets every answer: what a process learnt of its machine's file systems must not outlive it.
 * The startup snapshot's warm-up run (src/cli/snapshot-warm-up.ts) calls it before the heap is saved.
 */
export function forgetLocalDirs(): void {
  known.clear();
}
