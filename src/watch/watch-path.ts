// watchPath: an Observable that emits whenever a file or directory may have drifted, built on
// the shared directory watches so that many paths in one directory cost one OS watch.
import { Observable } from 'rxjs';
import { posix } from 'node:path';
import { normalizePath } from '../util/paths.js';
import { sharedWatch } from './directory-registry.js';
import type { DirectoryWatch, EntryEvent, EntryListener } from './directory-watch.js';
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
    const normal = normalizePath(path);
    // The caller's string when it is already normal: it is kept alive anyway.
    return followPath(normal === path ? path : normal, subscriber, own, path);
  });
}

/** Who hears about a followed path: a watchPath subscriber, or the fate of a directory. */
interface PathSink {
  next(): void;
  error(err: Error): void;
}

/**
 * Follows `path` (normalized): its entry in its parent, re-anchored when the parent changes.
 * The follower is the teardown itself (it has unsubscribe()): no closure per path.
 */
function followPath(path: string, sink: PathSink, own?: OwnRenames, shown?: string): EntryFollower | undefined {
  if (path === '/') return undefined; // the root is always there
  // Normalized and absolute: the last "/" splits it (what dirname and basename would do, cheaper).
  const slash = path.lastIndexOf('/');
  const dir = slash === 0 ? '/' : path.slice(0, slash);
  // The parent's watches first, so that the entry can anchor in it at once.
  const fate = dir === '/' ? undefined : DirectoryFate.of(dir);
  const entry = new EntryFollower(fate, path.slice(slash + 1), sink, own, shown);
  fate?.add(entry);
  entry.start();
  return entry;
}

/**
 * One directory's fate (created, removed, moved, replaced, or one of its ancestors), followed
 * once for every path below it while any is listening. Listeners are a Set, not a Subject:
 * 10 000 files leaving one by one must not cost a search of the rest each time.
 */
class DirectoryFate implements PathSink {
  private static readonly followed = new Map<string, DirectoryFate>();
  private readonly listeners = new Set<EntryFollower>();
  private following?: EntryFollower;
  private failed = false;

  static of(dir: string): DirectoryFate {
    let fate = DirectoryFate.followed.get(dir);
    if (!fate) DirectoryFate.followed.set(dir, (fate = new DirectoryFate(dir)));
    return fate;
  }

  /** The paths below share this string: one copy of the directory's path, not one each. */
  private constructor(readonly dir: string) {}

  add(listener: EntryFollower): void {
    this.listeners.add(listener);
    if (this.listeners.size > 1 || this.failed) return;
    const following = followPath(this.dir, this);
    if (this.failed) following?.unsubscribe(); // failed while starting
    else this.following = following;
  }

  remove(listener: EntryFollower): void {
    if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
    this.forget();
    this.stopFollowing();
  }

  /** The directory itself may have changed. */
  next(): void {
    for (const l of this.listeners.size === 1 ? this.listeners : [...this.listeners]) l.parentChanged();
  }

  /** A failure ends this fate for every listener; the next path below starts a new one. */
  error(err: Error): void {
    this.failed = true;
    this.forget();
    this.stopFollowing();
    const all = [...this.listeners];
    this.listeners.clear();
    for (const l of all) l.failWith(err);
  }

  private stopFollowing(): void {
    this.following?.unsubscribe();
    this.following = undefined;
  }

  private forget(): void {
    if (DirectoryFate.followed.get(this.dir) === this) DirectoryFate.followed.delete(this.dir);
  }
}

// EntryFollower's state, one number rather than a field each (there is one follower per path).
const STOPPED = 1;
/** Inside sync(): a nested sync only asks for another round. */
const SYNCING = 2;
const AGAIN = 4;

/**
 * One path's entry in its parent directory's shared watch, kept anchored in the current parent.
 * It is the entry's listener, its hold on the watch and the subscription's teardown at once:
 * one object per watched path (beside the watch's map entry and the fate's set entry).
 */
class EntryFollower implements EntryListener {
  /** The watch of the parent directory this entry is registered in, while it is. */
  private watch?: DirectoryWatch;
  private state = 0;

  constructor(
    /** The parent's fate; undefined when the parent is the root, which is always there. */
    private readonly fate: DirectoryFate | undefined,
    private readonly name: string,
    private readonly sink: PathSink,
    private readonly own?: OwnRenames,
    /** The path as the caller gave it, for errors; undefined for a directory's own fate. */
    private readonly shown?: string,
  ) {}

  start(): void {
    this.sync();
  }

  unsubscribe(): void {
    this.stop();
    this.fate?.remove(this);
  }

  /** The entry changed: the common case, a plain emit with no stat and no re-anchoring. */
  changed(event: EntryEvent): void {
    if (event === 'tick') {
      if (this.own?.takePending()) this.sink.next(); // polled: our write may have been undone since
      return;
    }
    if (event === 'rename' && this.own?.consume()) return; // the echo of our own write
    this.sink.next();
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
    if (this.state & STOPPED) return;
    this.stop();
    this.sink.error(this.shown === undefined ? err : new Error(`watch ${this.shown}: ${err.message}`));
  }

  private stop(): void {
    this.state |= STOPPED;
    this.release();
    this.own?.anchorAt(undefined);
  }

  private release(): void {
    this.watch?.remove(this.name, this);
    this.watch = undefined;
  }

  private reanchor(): void {
    const nested = (this.state & SYNCING) !== 0; // a watch retired by our own re-sync: that re-sync reports
    this.sync();
    if (!nested && !(this.state & STOPPED)) this.sink.next();
  }

  /** Holds the entry in the watch of the directory now at the parent's path, or nothing when there is none. */
  private sync(): void {
    if (this.state & SYNCING) {
      this.state |= AGAIN;
      return;
    }
    this.state |= SYNCING;
    try {
      do {
        this.state &= ~AGAIN;
        if (this.state & STOPPED || this.watch?.isCurrent()) continue;
        this.release();
        const watch = sharedWatch(this.fate?.dir ?? '/');
        watch?.add(this.name, this);
        this.watch = watch;
      } while (this.state & AGAIN);
    } catch (err) {
      this.state &= ~SYNCING;
      this.failWith(err as Error);
      return;
    }
    this.state &= ~SYNCING;
    // An own rename is echoed only through the directory watch that sees it.
    if (!(this.state & STOPPED)) this.own?.anchorAt(this.watch);
  }
}
