// watchPath: an Observable that emits whenever a file or directory may have drifted, built on
// the shared directory watches so that many paths in one directory cost one OS watch.
import { Observable } from 'rxjs';
import { posix } from 'node:path';
import { normalizePath } from '../util/paths.js';
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
 * How: a path is its entry in its parent directory, watched through the parent's shared
 * directory watch, plus the parent's own fate, which is the same thing one level up. Each
 * directory's fate is followed once and shared by every path below it, so 10 000 files in one
 * directory cost 10 000 entries in one watch and one chain of ancestors. A directory that does
 * not exist is not watched; its creation is seen one level up, and the paths below it then
 * anchor themselves in the new directory.
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
    return followPath(
      normalizePath(path),
      () => subscriber.next(),
      (err) => subscriber.error(new Error(`watch ${path}: ${err.message}`)),
      own,
    );
  });
}

/** Follows `path` (normalized): its entry in its parent, re-anchored when the parent changes. */
function followPath(path: string, emit: () => void, fail: (err: Error) => void, own?: OwnRenames): () => void {
  if (path === '/') return () => undefined; // the root is always there
  const dir = posix.dirname(path);
  const entry = new EntryFollower(dir, posix.basename(path), emit, fail, own);
  // The parent's watches first, so that the entry can anchor in it at once.
  const parent = dir === '/' ? undefined : DirectoryFate.of(dir);
  parent?.add(entry);
  entry.start();
  return () => {
    entry.stop();
    parent?.remove(entry);
  };
}

/** What a directory's fate tells the paths below it. */
interface FateListener {
  parentChanged(): void;
  failWith(err: Error): void;
}

/**
 * One directory's fate (created, removed, moved, replaced, or one of its ancestors), followed
 * once for every path below it while any is listening. Listeners are a Set, not a Subject:
 * 10 000 files leaving one by one must not cost a search of the rest each time.
 */
class DirectoryFate {
  private static readonly followed = new Map<string, DirectoryFate>();
  private readonly listeners = new Set<FateListener>();
  private stopFollowing?: () => void;
  private failed = false;

  static of(dir: string): DirectoryFate {
    let fate = DirectoryFate.followed.get(dir);
    if (!fate) DirectoryFate.followed.set(dir, (fate = new DirectoryFate(dir)));
    return fate;
  }

  private constructor(private readonly dir: string) {}

  add(listener: FateListener): void {
    this.listeners.add(listener);
    if (this.listeners.size > 1 || this.failed) return;
    const stop = followPath(
      this.dir,
      () => this.changed(),
      (err) => this.fail(err),
    );
    if (this.failed) stop(); // failed while starting
    else this.stopFollowing = stop;
  }

  remove(listener: FateListener): void {
    if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
    this.forget();
    this.stopFollowing?.();
    this.stopFollowing = undefined;
  }

  private changed(): void {
    for (const l of this.listeners.size === 1 ? this.listeners : [...this.listeners]) l.parentChanged();
  }

  /** A failure ends this fate for every listener; the next path below starts a new one. */
  private fail(err: Error): void {
    this.failed = true;
    this.forget();
    this.stopFollowing?.();
    this.stopFollowing = undefined;
    const all = [...this.listeners];
    this.listeners.clear();
    for (const l of all) l.failWith(err);
  }

  private forget(): void {
    if (DirectoryFate.followed.get(this.dir) === this) DirectoryFate.followed.delete(this.dir);
  }
}

/** One path's entry in its parent directory's shared watch, kept anchored in the current parent. */
class EntryFollower implements EntryListener, FateListener {
  private interest?: EntryInterest;
  private syncing = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly dir: string,
    private readonly name: string,
    private readonly emit: () => void,
    private readonly fail: (err: Error) => void,
    private readonly own?: OwnRenames,
  ) {}

  start(): void {
    this.sync();
  }

  stop(): void {
    this.stopped = true;
    this.interest?.release();
    this.interest = undefined;
    this.own?.anchorAt(undefined);
  }

  /** The entry changed: the common case, a plain emit with no stat and no re-anchoring. */
  changed(event: EntryEvent): void {
    if (event === 'tick') {
      if (this.own?.takePending()) this.emit(); // polled: our write may have been undone since
      return;
    }
    if (event === 'rename' && this.own?.consume()) return; // the echo of our own write
    this.emit();
  }

  /** The parent directory's watch closed (it was removed, moved or replaced). */
  lost(): void {
    this.reanchor();
  }

  failed(err: Error): void {
    this.failWith(err);
  }

  /** The parent directory, or one of its ancestors, was created, removed, moved or replaced. */
  parentChanged(): void {
    this.reanchor();
  }

  failWith(err: Error): void {
    if (this.stopped) return;
    this.stop();
    this.fail(err);
  }

  private reanchor(): void {
    const nested = this.syncing; // a watch retired by our own re-sync: that re-sync reports
    this.sync();
    if (!nested && !this.stopped) this.emit();
  }

  /** Holds the entry in the watch of the directory now at `dir`, or nothing when there is none. */
  private sync(): void {
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    try {
      do {
        this.again = false;
        if (this.stopped || this.interest?.isCurrent()) continue;
        this.interest?.release();
        this.interest = watchEntry(this.dir, this.name, this);
      } while (this.again);
    } catch (err) {
      this.syncing = false;
      this.failWith(err as Error);
      return;
    }
    this.syncing = false;
    // An own rename is echoed only through the directory watch that sees it.
    if (!this.stopped) this.own?.anchorAt(this.interest);
  }
}
