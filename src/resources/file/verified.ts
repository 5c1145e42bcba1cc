// The file resource's verified cache: when a content read may be skipped, and why that is sound.
import type { BigIntStats } from 'node:fs';

/**
 * The verified cache: the identity of the file as lstat saw it when its content was last read
 * and found right, with the content it was compared to. A later check whose lstat shows exactly
 * this identity, wanting the same content, skips the read.
 *
 * Why that is sound: every change to a file's data or inode (write, truncate, chmod, chown,
 * link, rename onto or away) sets its ctime to the current time, and nothing but the clock sets
 * ctime (utimes can set mtime, not ctime); a file replaced by another has another inode, or a
 * new ctime if the inode number is reused. So the same (dev, ino, size, mtime, ctime) means no
 * change since the lstat, provided a change after it cannot get the same ctime. It can: file
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
   * The (dev, ino, size, mtime, ctime) of that lstat as one string (see identityOf): one small
   * string per resource instead of five BigInts, which cost twice as much.
   */
  identity: string;
  /** The content found: the desired content (a given `content` as the resource holds it, or the source's bytes then). */
  content: string | Buffer;
}

/**
 * An lstat's identity, exact (nanoseconds, 64-bit inode numbers), in the form Verified keeps.
 * Joined, not a template: join makes one flat string, a template a tree of its pieces.
 */
export const identityOf = (st: BigIntStats): string => [st.ctimeNs, st.mtimeNs, st.ino, st.size, st.dev].join(' ');

const FINE_MARGIN_NS = 100_000_000n;
const COARSE_MARGIN_NS = 3_000_000_000n;

/** True when `st`, seen by an lstat begun at `observedAt` (ms since the epoch), may be trusted later. */
export function settled(st: BigIntStats, observedAt: number): boolean {
  const margin = st.ctimeNs % 1_000_000_000n === 0n ? COARSE_MARGIN_NS : FINE_MARGIN_NS;
  return st.ctimeNs + margin < BigInt(observedAt) * 1_000_000n;
}

export const sameIdentity = (v: Verified, st: BigIntStats): boolean => v.identity === identityOf(st);
