// The parent directories of a file as autoedge identities, nearest first: for /a/b/c, `file:/a/b/`,
// `file:/a/` and `file:/`. The files of one directory come one after the other in a graph and
// want the same list: the last one made is handed out again, frozen so that no one changes it
// under another file. A graph of 100 000 files in one directory then makes one list, not 100 000.
import { posix } from 'node:path';

let lastDir: string | undefined;
let lastIds: string[] = [];
const NONE: string[] = Object.freeze([]) as unknown as string[];

/** The identities of the directories above `path` (absolute, normalised); none for `/`. */
export function parentIds(path: string): string[] {
  if (path === '/') return NONE;
  const dir = posix.dirname(path);
  if (dir === lastDir) return lastIds;
  const ids: string[] = [];
  for (let d = dir; ; ) {
    ids.push(d === '/' ? 'file:/' : `file:${d}/`);
    const up = posix.dirname(d);
    if (up === d) break;
    d = up;
  }
  Object.freeze(ids);
  lastDir = dir;
  lastIds = ids;
  return ids;
}
