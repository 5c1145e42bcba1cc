// One OS watch on one directory, shared by everyone who cares about entries in it.
//
// Built on Node's fs.watch (inotify on Linux), not chokidar: chokidar 6 does share one handle per
// directory, but it filters events through its own change model before emitting (chmod and chown
// never reach its listeners), holds an unlink 100 ms to detect editor saves, throttles changes
// for 50 ms and answers in 3-10 ms even with those off; raw fs.watch answers in well under 1 ms
// and reports metadata changes. docs/resources/file.md has the figures.
import { lstatSync, readdirSync, statSync, watch } from 'node:fs';
import { basename, join } from 'node:path';
import { type SchedulerAction, type SchedulerLike, asyncScheduler } from 'rxjs';
import { escapeControl } from '../util/paths.js';
import { stderrSink } from '../util/logger.js';

/**
 * How an entry changed, as inotify tells it: `rename` when it was created, deleted or moved
 * (away or in), `change` when its data or metadata were written in place, `unknown` when the
 * event named no entry (then anything in the directory may have changed). `tick`: a poll (the
 * fallback when inotify ran out) found the entry as it was at the poll before.
 */
export type EntryEvent = 'rename' | 'change' | 'unknown' | 'tick';

/** What a directory watch tells the owner of one entry name. */
export interface EntryListener {
  /** The entry may have changed: created, deleted, written, chmod/chown, moved away or in. */
  changed(event: EntryEvent): void;
  /** The directory itself was removed, moved or replaced: this watch is closed for good. */
  lost(): void;
  /** The OS watch failed; it is closed. */
  failed(error: Error): void;
}

/** What a directory watch tells someone who follows every entry of it (a tree watch). */
export interface DirectoryListener {
  /** `name` may have changed (null: anything in the directory may have). */
  changed(event: EntryEvent, name: string | null): void;
  lost(): void;
  failed(error: Error): void;
}

let openWatches = 0;

/**
 * When inotify runs out (ENOSPC: `fs.inotify.max_user_watches`; EMFILE: `max_user_instances`),
 * a directory is polled instead: every `intervalMs` on `scheduler`, each entry someone listens
 * to is lstat-ed and compared (inode, size, mode, owner, mtime, ctime), and the directory's own
 * identity checked. `warn` is told once per process, with the limit to raise.
 */
export const watchFallback: { intervalMs: number; scheduler: SchedulerLike; warn: (msg: string) => void } = {
  intervalMs: 1000,
  scheduler: asyncScheduler,
  warn: (msg) => stderrSink('warn', 'watch', msg),
};
let fallbackReported = false;
let pollingWatches = 0;

/** How many directories are polled because inotify ran out (for tests and diagnostics). */
export const pollingWatchCount = (): number => pollingWatches;

const limitOf = (err: unknown): string | undefined => {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' ? 'fs.inotify.max_user_watches' : code === 'EMFILE' ? 'fs.inotify.max_user_instances' : undefined;
};

/** Everything a change to an entry alters (ctime moves with any write, chmod, chown, rename onto). */
function signature(path: string): string {
  try {
    const st = lstatSync(path, { bigint: true, throwIfNoEntry: false });
    return st ? `${st.ino}:${st.size}:${st.mode}:${st.uid}:${st.gid}:${st.mtimeNs}:${st.ctimeNs}` : '-';
  } catch {
    return '?';
  }
}

/** How many OS directory watches this process holds open (for tests and diagnostics). */
export const openWatchCount = (): number => openWatches;

const missingCodes = new Set(['ENOENT', 'ENOTDIR']);
const isMissing = (err: unknown): boolean => missingCodes.has((err as NodeJS.ErrnoException)?.code ?? '');

/**
 * What tells one directory from another created at the same path later. ext4 hands a freed
 * inode number straight to the next mkdir, so the birth time is part of it.
 */
interface Identity {
  dev: number;
  ino: number;
  birth: number;
}

function identityOf(dir: string): Identity | undefined {
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    return st?.isDirectory() ? { dev: st.dev, ino: st.ino, birth: st.birthtimeMs } : undefined;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

const sameIdentity = (a: Identity, b: Identity): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.birth === b.birth;

function entryExists(path: string): boolean {
  try {
    return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

export class DirectoryWatch {
  /**
   * Listeners by entry name, so an event costs one map lookup however big the directory. An
   * entry almost always has one listener, kept as is; a Set only when there are more.
   */
  private readonly listeners = new Map<string, EntryListener | Set<EntryListener>>();
  private listenerCount = 0;
  /** Listeners to every entry (tree watches), beside the per-name ones. */
  private readonly wholeListeners = new Set<DirectoryListener>();
  /** While polling for whole listeners: the last signature of every entry. */
  private polledAll?: Map<string, string>;
  private readonly ownName: string;
  private watcher!: { close(): void };
  /** While polling (inotify ran out): the last signature of each entry listened to. */
  private polled?: Map<string, string>;
  private identity!: Identity;
  private closedFlag = false;

  /**
   * Opens a watch on `dir`, or returns undefined when `dir` is not (or no longer) a directory.
   * Any other failure (EACCES, ENOSPC when out of inotify watches) throws, naming the directory.
   */
  static open(dir: string, onClose: (w: DirectoryWatch) => void): DirectoryWatch | undefined {
    const w = new DirectoryWatch(dir, onClose);
    try {
      // Identity first, then the watch: if the directory is swapped in between, the recorded
      // identity is the old one and the first check retires the watch: a spare reopen, never a
      // watch on the wrong directory that passes as current.
      const identity = identityOf(dir);
      if (!identity) return undefined;
      w.identity = identity;
      const watcher = watch(dir, { persistent: true }, (event, name) => w.onEvent(event, name));
      watcher.on('error', (err) => w.end(new Error(`watch of directory ${escapeControl(dir)} failed: ${escapeControl(err.message)}`)));
      w.watcher = watcher;
    } catch (err) {
      if (isMissing(err)) return undefined;
      const limit = limitOf(err);
      if (!limit) throw new Error(`cannot watch directory ${escapeControl(dir)}: ${escapeControl((err as Error).message)}`, { cause: err });
      w.watcher = w.poll(limit, err as Error);
    }
    openWatches++;
    return w;
  }

  /** The fallback when inotify ran out: poll the entries listened to (see watchFallback). */
  private poll(limit: string, err: Error): { close(): void } {
    if (!fallbackReported) {
      fallbackReported = true;
      const every = watchFallback.intervalMs >= 1000 ? `${watchFallback.intervalMs / 1000} s` : `${watchFallback.intervalMs} ms`;
      watchFallback.warn(
        `cannot watch directory ${escapeControl(this.dir)} (${err.message.split(',')[0]}): polling it every ${every} instead, ` +
          `and any other directory that cannot be watched (said once); raise ${limit} (sysctl) for instant repairs`,
      );
    }
    pollingWatches++;
    this.polled = new Map();
    // Each poll schedules the next on the same action (the scheduler passes it as `this`).
    const tick = (again: SchedulerAction<undefined>): void => {
      if (this.closedFlag) return;
      this.pollOnce();
      if (!this.closedFlag) again.schedule(undefined, watchFallback.intervalMs);
    };
    const action = watchFallback.scheduler.schedule(function (this: SchedulerAction<undefined>) {
      tick(this);
    }, watchFallback.intervalMs);
    return {
      close: () => {
        pollingWatches--;
        action.unsubscribe();
      },
    };
  }

  /** One poll: the directory itself (replaced or gone: lost), then each entry listened to. */
  private pollOnce(): void {
    if (!this.isCurrent()) return;
    if (this.polledAll) {
      const before = this.polledAll;
      const now = this.listing();
      this.polledAll = now;
      for (const name of new Set([...before.keys(), ...now.keys()])) {
        if (before.get(name) !== now.get(name)) for (const l of [...this.wholeListeners]) l.changed('change', name);
      }
    }
    for (const name of [...this.listeners.keys()]) {
      const now = signature(join(this.dir, name));
      const before = this.polled!.get(name);
      this.polled!.set(name, now);
      // 'change', never 'rename': a rename seen by polling may be ours and someone else's at
      // once, so it must not be taken for the echo of our own write (OwnRenames). 'tick' when
      // it looks the same: our own write and someone's undoing it between two polls look the
      // same too, and the listener knows whether it wrote (see EntryFollower.changed).
      this.onEvent(before !== undefined && before !== now ? 'change' : 'tick', name);
    }
  }

  private constructor(
    readonly dir: string,
    private readonly onClose: (w: DirectoryWatch) => void,
  ) {
    this.ownName = basename(dir);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  add(name: string, listener: EntryListener): void {
    if (this.polled && !this.polled.has(name)) this.polled.set(name, signature(join(this.dir, name)));
    const held = this.listeners.get(name);
    if (held === undefined) this.listeners.set(name, listener);
    else if (held instanceof Set) {
      if (held.has(listener)) return;
      held.add(listener);
    } else {
      if (held === listener) return;
      this.listeners.set(name, new Set([held, listener]));
    }
    this.listenerCount++;
  }

  /** Follows every entry of the directory (see DirectoryListener). */
  addWhole(listener: DirectoryListener): void {
    if (this.wholeListeners.has(listener)) return;
    if (this.polled && !this.polledAll) this.polledAll = this.listing();
    this.wholeListeners.add(listener);
    this.listenerCount++;
  }

  removeWhole(listener: DirectoryListener): void {
    if (!this.wholeListeners.delete(listener)) return;
    if (this.wholeListeners.size === 0) this.polledAll = undefined;
    this.listenerCount--;
    if (this.listenerCount === 0) this.end(undefined);
  }

  /** Every entry's signature, for polling whole listeners. */
  private listing(): Map<string, string> {
    const out = new Map<string, string>();
    let names: string[] = [];
    try {
      names = readdirSync(this.dir);
    } catch {
      // gone or unreadable: isCurrent() retires the watch at the next poll
    }
    for (const name of names) out.set(name, signature(join(this.dir, name)));
    return out;
  }

  /** Removes a listener; the OS watch closes with the last one. */
  remove(name: string, listener: EntryListener): void {
    const held = this.listeners.get(name);
    if (held === listener) {
      this.listeners.delete(name);
      this.polled?.delete(name);
    } else if (held instanceof Set && held.delete(listener)) {
      if (held.size === 1) this.listeners.set(name, held.values().next().value!);
    } else return;
    this.listenerCount--;
    if (this.listenerCount === 0) this.end(undefined);
  }

  /**
   * True when the path still names the directory this watch was opened on. When it does not
   * (removed, moved away, replaced), the watch is closed and every listener hears `lost`.
   */
  isCurrent(): boolean {
    if (this.closedFlag) return false;
    let now: Identity | undefined;
    try {
      now = identityOf(this.dir);
    } catch {
      now = undefined; // unreadable now: retire; reopening reports the real error
    }
    if (now && sameIdentity(now, this.identity)) return true;
    this.end('lost');
    return false;
  }

  private onEvent(event: 'rename' | 'change' | 'tick', name: string | null): void {
    if (this.closedFlag) return;
    if (name === null) {
      // No name given: anything in here may have changed.
      if (!this.isCurrent()) return;
      for (const l of this.allListeners()) l.changed('unknown');
      for (const l of [...this.wholeListeners]) l.changed('unknown', null);
      return;
    }
    // inotify reports the directory's own deletion or move (then the watch is dead) under the
    // directory's basename, which a child may share. Unless such a child exists in the very
    // directory we watch, retire the watch: at worst a spare reopen. The path's identity alone
    // cannot tell, as a directory recreated at once may look the same.
    if (name === this.ownName && !(entryExists(join(this.dir, name)) && this.isCurrent())) {
      this.end('lost');
      return;
    }
    const held = this.listeners.get(name);
    if (held instanceof Set) for (const l of [...held]) l.changed(event);
    else held?.changed(event);
    // A poll's "as before" is news only to a listener that knows it wrote (see 'tick').
    if (event !== 'tick') for (const l of this.wholeListeners.size ? [...this.wholeListeners] : []) l.changed(event, name);
  }

  private allListeners(): EntryListener[] {
    return [...this.listeners.values()].flatMap((held) => (held instanceof Set ? [...held] : [held]));
  }

  /** Closes the OS watch; `lost` or an error is passed on to every listener still registered. */
  private end(reason: 'lost' | Error | undefined): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.watcher.close();
    openWatches--;
    this.onClose(this);
    const all: Array<EntryListener | DirectoryListener> = [...this.allListeners(), ...this.wholeListeners];
    this.listeners.clear();
    this.wholeListeners.clear();
    this.listenerCount = 0;
    for (const l of all) {
      if (reason === 'lost') l.lost();
      else if (reason) l.failed(reason);
    }
  }
}
