// Path spelling shared by the file resource and the watcher.
import { posix } from 'node:path';

/** `path` normalized, without a trailing slash (except for "/" itself): one spelling per path. */
export function normalizePath(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
