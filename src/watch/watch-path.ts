// watchPath: an Observable that emits whenever a file or directory may have drifted, built on
// the shared directory watches so that many paths in one directory cost one OS watch.
import { Observable } from 'rxjs';
import { posix } from 'node:path';
import { watchEntry, type EntryInterest } from './directory-registry.js';
import type { EntryEvent, EntryListener } from './directory-watch.js';
import type { OwnRenames } from './own-renames.js';

/**
 * Emits whenever `path` may have changed: created, deleted, written, chmod/chown, moved away or
 * in, or any of its ancestor directories created, deleted, moved or replaced, including
 * ancestors that do not exist yet at subscription. For a directory (trailing `/` or not) it
 * reports the directory's own creation, deletion and metadata, not changes to its contents.
 *
 * It does not emit on subscription and never debounces: several events may arrive for one
 * change (coalescing is the caller's job). Failing to watch errors, naming the path.
 * With `own`, the echo of the path's own atomic writes is not reported (see OwnRenames).
 *
 * How: every directory from `/` down to the path's parent is watched for the one entry that
 * leads to the path. A directory that does not exist is not watched; its creation is seen one
 * level up, and the chain then extends downwards. Every watch is shared through the registry.
 *
 * ```ts
 * watchPath('/etc/motd').subscribe(() => console.log('check /etc/motd again'));
 * ```
 */
export function watchPath(path: string, own?: OwnRenames): Observable<void> {
  return new Observable<void>((subscriber) => {
    if (!posix.isAbsolute(path)) {
      subscriber.error(new Error(`watch ${path}: the path must be absolute`));
      return;
    }
    const chain = new AncestorChain(
      path,
      () => subscriber.next(),
      (err) => subscriber.error(err),
      own,
    );
    chain.start();
    return () => chain.stop();
  });
}

/** The watches on every ancestor of one path, kept in step with the file system. */
class AncestorChain {
  /** `dirs[i]` is watched for its entry `names[i]`; `dirs[i + 1]` is that entry. */
  private readonly dirs: string[] = [];
  private readonly names: string[] = [];
  private readonly interests: (EntryInterest | undefined)[] = [];
  private readonly listeners: EntryListener[];
  private syncing = false;
  /** Lowest level to re-check; Infinity when nothing is pending. */
  private pendingFrom = Infinity;
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly emit: () => void,
    private readonly fail: (err: Error) => void,
    private readonly own?: OwnRenames,
  ) {
    const parts = posix.normalize(path).split('/').filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      this.dirs.push('/' + parts.slice(0, i).join('/'));
      this.names.push(parts[i]!);
    }
    this.listeners = this.dirs.map((_, level) => this.listenerAt(level));
  }

  start(): void {
    this.resync(0);
  }

  stop(): void {
    this.stopped = true;
    this.releaseFrom(0);
    this.own?.anchorAt(undefined);
  }

  private listenerAt(level: number): EntryListener {
    const last = this.dirs.length - 1;
    return {
      // The common case (the path itself changed) is a plain emit: no stat, no re-sync.
      changed: (event) => (level === last ? this.pathChanged(event) : this.ancestorMoved(level + 1)),
      lost: () => this.ancestorMoved(level),
      failed: (err) => this.failWith(err),
    };
  }

  private pathChanged(event: EntryEvent): void {
    if (event === 'rename' && this.own?.consume()) return; // the echo of our own write
    this.emit();
  }

  /** Something changed at `level` or above it: re-anchor the chain, then report. */
  private ancestorMoved(level: number): void {
    const nested = this.syncing; // a watch retired by our own re-sync: that re-sync reports
    this.resync(level);
    if (!nested && !this.stopped) this.emit();
  }

  /** Re-checks levels from `from` down; re-entrant calls just widen the pending range. */
  private resync(from: number): void {
    this.pendingFrom = Math.min(this.pendingFrom, from);
    if (this.syncing) return;
    this.syncing = true;
    try {
      while (this.pendingFrom !== Infinity && !this.stopped) {
        const level = this.pendingFrom;
        this.pendingFrom = Infinity;
        this.syncFrom(level);
      }
    } catch (err) {
      this.failWith(err as Error);
    } finally {
      this.syncing = false;
    }
    // The path's own directory watch: an own rename is echoed only while there is one.
    if (!this.stopped) this.own?.anchorAt(this.interests[this.dirs.length - 1]);
  }

  private syncFrom(from: number): void {
    for (let level = from; level < this.dirs.length; level++) {
      const held = this.interests[level];
      if (held?.isCurrent()) continue;
      held?.release();
      const next = watchEntry(this.dirs[level]!, this.names[level]!, this.listeners[level]!);
      this.interests[level] = next;
      if (!next) {
        // Missing: nothing below it can be watched; its creation shows up one level up.
        this.releaseFrom(level + 1);
        return;
      }
    }
  }

  private releaseFrom(level: number): void {
    for (let i = level; i < this.interests.length; i++) {
      this.interests[i]?.release();
      this.interests[i] = undefined;
    }
  }

  private failWith(err: Error): void {
    if (this.stopped) return;
    this.stop();
    this.fail(new Error(`watch ${this.path}: ${err.message}`));
  }
}
