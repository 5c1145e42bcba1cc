// The process-wide registry of directory watches: one OS watch per directory, shared by
// reference count and closed when the last interest in it is released.
import { type DirectoryListener, DirectoryWatch, type EntryListener } from './directory-watch.js';

/** One listener's hold on one entry of a watched directory. */
export interface EntryInterest {
  /** True while the watch still covers the directory at this path (see DirectoryWatch.isCurrent). */
  isCurrent(): boolean;
  /** Drops the interest; idempotent. The last release closes the OS watch. */
  release(): void;
}

const watches = new Map<string, DirectoryWatch>();

const forget = (w: DirectoryWatch): void => {
  if (watches.get(w.dir) === w) watches.delete(w.dir);
};

/**
 * Registers `listener` for the entry `name` of directory `dir` (absolute, normalized).
 * Returns undefined when `dir` does not exist or is not a directory; throws when it cannot be
 * watched for another reason.
 */
export function watchEntry(dir: string, name: string, listener: EntryListener): EntryInterest | undefined {
  const w = sharedWatch(dir);
  if (!w) return undefined;
  w.add(name, listener);
  return new Interest(w, name, listener);
}

/**
 * The shared watch of directory `dir` (absolute, normalized), opened when there is none. The
 * caller adds itself to it (add, addWhole) at once: a watch nobody listens to is never closed.
 * Undefined when `dir` is not a directory; throws when it cannot be watched for another reason.
 */
export function sharedWatch(dir: string): DirectoryWatch | undefined {
  let w = watches.get(dir);
  if (!w || w.closed) {
    w = DirectoryWatch.open(dir, forget);
    if (!w) return undefined;
    watches.set(dir, w);
  }
  return w;
}

/**
 * Registers `listener` for every entry of directory `dir` (absolute, normalized), sharing the
 * OS watch with the per-entry listeners. Undefined when `dir` is not a directory; throws when
 * it cannot be watched for another reason.
 */
export function watchDirectory(dir: string, listener: DirectoryListener): EntryInterest | undefined {
  const w = sharedWatch(dir);
  if (!w) return undefined;
  w.addWhole(listener);
  const watch = w;
  let held = true;
  return {
    isCurrent: () => held && watch.isCurrent(),
    release: () => {
      if (!held) return;
      held = false;
      watch.removeWhole(listener);
    },
  };
}

/** A class rather than closures: there is one per watched path. */
class Interest implements EntryInterest {
  private held = true;

  constructor(
    private readonly watch: DirectoryWatch,
    private readonly name: string,
    private readonly listener: EntryListener,
  ) {}

  isCurrent(): boolean {
    return this.held && this.watch.isCurrent();
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.watch.remove(this.name, this.listener);
  }
}
