// The file resource's verified cache: when a content read may be skipped, and why that is sound.
import type { BigIntStats, Stats } from 'node:fs';

/**
 * The verified cache: the identity of the file as lstat saw it when its content was last read
 * and found right, with the content it was compared to. A later check whose lstat shows exactly
 * this identity, wanting the same content, skips the read.
 *
 * Why that is sound: every change to a file's data or inode (write, truncate, chmod, chown,
 * link, rename onto or away) sets its ctime to the current time, and nothing but the clock sets
 * ctime (utimes can set mtime, not ctime); a file replaced by another has another inode, or a
 * new ctime if the inode number is reused. So the same (dev, ino, size, mtime, ctime) means no
 * change since the lstat (and so does the same (dev, ino, size, ctime): see Verified), provided a change after it cannot get the same ctime. It can: file
 * times come from a coarse clock (one tick, 1 to 10 ms; a whole second on file systems that
 * store seconds), so a same-size write in place in the same tick as the last change keeps every
 * field equal. Measured here (Linux 6.18, ext4 and tmpfs): a write right after a rename gets the
 * rename's ctime in 1996 of 2000 tries. Hence the racy-clean rule of git's index: an identity is
 * trusted only when its ctime was already older than a margin when the lstat began, the margin
 * covering the clock's tick and the file system's granularity. Then any change after that
 * moment gets a later ctime and so a different identity; and the read after the lstat saw the
 * content of that identity (a change between the two would have changed the identity too).
 * A file changed within the margin is read at every check until it has been left alone for
 * longer than the margin. For the same reason the identity right after our own write (a rename
 * whose ctime is "now") is never trusted: someone writing the file in place in the same tick
 * would leave the identity as we would have seen it, so the check after a write reads again.
 * Margins: 100 ms when ctime has sub-second digits; 3 s when it does not (the file system keeps
 * seconds, or two like FAT). A network file system stamps times with the server's clock: a
 * skew larger than the margin would defeat the rule (as it defeats git's), and so would a
 * clock stepped back by more than the margin between a change and a check.
 * Mode and owner are still checked against the fresh lstat at every check.
 */
export interface Verified {
  /**
   * The (dev, ino, size, ctime) of that lstat, as plain numbers (see verifiedOf): no string or
   * BigInt to make at each check. The ctime is in milliseconds as Node's number Stats give it
   * (a double: exact to a quarter of a microsecond today), which is exact enough: a change
   * after a trusted lstat gets a ctime later by more than the margin less one clock tick. The
   * mtime adds nothing: whatever sets it (a write, truncate, utimes) sets the ctime to now.
   */
  ctimeMs: number;
  ino: number;
  size: number;
  dev: number;
  /** The content found: the desired content (a given `content` as the resource holds it, or the source's bytes then). */
  content: string | Buffer;
}

/** An lstat as the quick path (numbers) or the asynchronous path (BigInts) makes it. */
type AnyStats = Stats | BigIntStats;

/** Milliseconds of a nanosecond time, computed as Node computes a number Stats' `ctimeMs`. */
const msOfNs = (ns: bigint): number => Number(ns / 1_000_000_000n) * 1e3 + Number(ns % 1_000_000_000n) / 1e6;

const ctimeMsOf = (st: AnyStats): number => (typeof st.ctimeMs === 'bigint' ? msOfNs((st as BigIntStats).ctimeNs) : st.ctimeMs);

/**
 * `v` as a number when that is exact, else NaN (equal to nothing): a 64-bit inode or device
 * number beyond 2^53 (which a number Stats has rounded already) is never trusted.
 */
const exact = (v: number | bigint): number => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : NaN;
};

/** What `st` says, and the content found with it, as Verified keeps them. */
export function verifiedOf(st: AnyStats, content: string | Buffer): Verified {
  return { ctimeMs: ctimeMsOf(st), ino: exact(st.ino), size: Number(st.size), dev: exact(st.dev), content };
}

const FINE_MARGIN_MS = 100;
const COARSE_MARGIN_MS = 3000;

/**
 * True when `st`, seen by an lstat begun at `observedAt` (ms since the epoch), may be trusted
 * later. A ctime of whole seconds means a coarse file system; a fine ctime that a double
 * rounds to whole seconds only gets the larger margin.
 */
export function settled(st: AnyStats, observedAt: number): boolean {
  const ctime = ctimeMsOf(st);
  return ctime + (ctime % 1000 === 0 ? COARSE_MARGIN_MS : FINE_MARGIN_MS) < observedAt;
}

/** Whether `st` shows exactly the identity `v` was made from (NaN fields match nothing). */
export const sameIdentity = (v: Verified, st: AnyStats): boolean =>
  v.ctimeMs === ctimeMsOf(st) && v.size === Number(st.size) && v.ino === exact(st.ino) && v.dev === exact(st.dev);
