// watchTree: "something under this directory may have changed", for trees whose entries nobody
// names in advance (a mirrored source, a purged directory, a fragment directory).
import { lstatSync, readdirSync } from 'node:fs';
import { posix } from 'node:path';
import { Observable } from 'rxjs';
import { normalizePath } from '../util/paths.js';
import { type EntryInterest, watchDirectory } from './directory-registry.js';
import type { DirectoryListener, EntryEvent } from './directory-watch.js';
import { watchPath } from './watch-path.js';

const missing = (err: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException)?.code ?? '');

/**
 * Emits whenever anything under `root` may have changed: an entry created, deleted, written,
 * chmod/chown'd or moved, at any depth, or `root` itself created, deleted or replaced. Does not
 * emit on subscription; never debounces. Symlinks inside are not followed (the root may be one).
 *
 * Each directory of the tree is followed through the shared directory watches (one OS watch per
 * directory, shared with the watches of single paths, and polled when inotify runs out), told
 * apart from a directory created later at the same path by the watch's identity (device, inode,
 * birth time: ext4 reuses inode numbers at once). The root's own fate comes from watchPath.
 */
export function watchTree(root: string): Observable<void> {
  return new Observable<void>((subscriber) => {
    const top = normalizePath(root);
    const followed = new Map<string, EntryInterest>();
    let stopped = false;

    const emit = (): void => {
      if (!stopped) subscriber.next();
    };
    const stop = (): void => {
      stopped = true;
      for (const i of followed.values()) i.release();
      followed.clear();
    };
    const fail = (err: Error): void => {
      if (stopped) return;
      stop();
      subscriber.error(new Error(`watch ${root}: ${err.message}`));
    };
    const drop = (dir: string): void => {
      for (const [p, i] of followed) {
        if (p === dir || p.startsWith(dir === '/' ? '/' : dir + '/')) {
          i.release();
          followed.delete(p);
        }
      }
    };

    /** Follows `dir` and the directories below it, unless it already follows this very directory. */
    const follow = (dir: string): void => {
      if (stopped) return;
      const held = followed.get(dir);
      if (held?.isCurrent()) return;
      if (held) drop(dir);
      if (dir !== top) {
        let st;
        try {
          st = lstatSync(dir, { throwIfNoEntry: false });
        } catch {
          st = undefined;
        }
        if (!st?.isDirectory()) return; // gone, or a link: not followed
      }
      let interest: EntryInterest | undefined;
      try {
        interest = watchDirectory(dir, listenerFor(dir));
      } catch (err) {
        return fail(err as Error);
      }
      if (!interest) return; // not a directory (now): its parent (or watchPath) says when it is
      followed.set(dir, interest);
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (err) {
        if (missing(err)) return drop(dir);
        return fail(err as Error);
      }
      // d_type can be unknown on some file systems: then follow()'s lstat decides.
      for (const e of entries) if (e.isDirectory() || !(e.isFile() || e.isSymbolicLink())) follow(posix.join(dir, e.name));
    };

    const listenerFor = (dir: string): DirectoryListener => ({
      changed: (_event: EntryEvent, name: string | null) => {
        if (stopped) return;
        if (name === null) follow(dir);
        else {
          const path = posix.join(dir, name);
          let st;
          try {
            st = lstatSync(path, { throwIfNoEntry: false });
          } catch {
            st = undefined;
          }
          if (st?.isDirectory()) follow(path);
          else if (followed.has(path)) drop(path);
        }
        emit();
      },
      lost: () => {
        // Removed, moved or replaced: its parent's event (or the root's watchPath) follows anew.
        if (followed.has(dir)) drop(dir);
        if (dir === top) follow(top);
        emit();
      },
      failed: (err: Error) => fail(err),
    });

    const rootFate = watchPath(top).subscribe({
      next: () => {
        follow(top);
        emit();
      },
      error: (err: Error) => fail(err),
    });
    follow(top);
    return () => {
      rootFate.unsubscribe();
      stop();
    };
  });
}
