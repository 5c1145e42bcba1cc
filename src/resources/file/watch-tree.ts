// watchTree: "something under this directory may have changed", for `source` + `recurse`.
//
// The shared watcher (src/watch) answers for named entries; a mirrored tree needs every entry,
// including names nobody knows yet. So this holds one plain fs.watch per directory of the tree
// (inotify reports every entry of a watched directory: one watch per directory, not per file),
// adds a watch when a subdirectory appears and drops it when it goes. The root's own fate
// (created, deleted, replaced, an ancestor moved) comes from watchPath, which re-opens the tree.
import { type FSWatcher, lstatSync, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { map, merge, Observable, of, startWith, switchMap } from 'rxjs';
import { watchPath } from '../../watch/index.js';

/**
 * Emits whenever anything under `root` may have changed: an entry created, deleted, written,
 * chmod/chown'd or moved, at any depth, or `root` itself created, deleted or replaced. Does not
 * emit on subscription; never debounces. Symlinks are not followed. Failing to watch (out of
 * inotify watches, say) errors, naming the directory.
 */
export function watchTree(root: string): Observable<void> {
  return watchPath(root).pipe(
    map(() => true),
    startWith(false),
    // Each change of the root itself opens the tree again (the old watches may be on a
    // directory that is gone), and is reported.
    switchMap((rootChanged) => (rootChanged ? merge(of(undefined), directoryWatches(root)) : directoryWatches(root))),
  );
}

const isMissing = (err: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException)?.code ?? '');

/** One fs.watch per directory under `root` (root included), kept in step with the tree. */
function directoryWatches(root: string): Observable<void> {
  return new Observable<void>((subscriber) => {
    /** Watched directories by path, with the inode watched (a directory replaced is re-watched). */
    const watched = new Map<string, { ino: number; watcher: FSWatcher }>();
    let stopped = false;

    const unwatch = (dir: string): void => {
      for (const [path, w] of watched) {
        if (path === dir || path.startsWith(dir + '/')) {
          w.watcher.close();
          watched.delete(path);
        }
      }
    };

    const fail = (dir: string, err: Error): void => {
      if (stopped) return;
      subscriber.error(new Error(`watch ${root}: cannot watch directory ${dir}: ${err.message}`));
    };

    /**
     * Watches `dir` and every directory below it; a missing one is skipped. Symlinks are not
     * followed, except the root itself (a source given as a link to a directory).
     */
    const add = (dir: string): void => {
      if (stopped) return;
      let ino: number;
      try {
        const st = dir === root ? statSync(dir) : lstatSync(dir);
        if (!st.isDirectory()) return;
        ino = st.ino;
        const held = watched.get(dir);
        if (held?.ino === ino) return;
        if (held) unwatch(dir);
        const watcher = watch(dir, { persistent: true }, (_event, name) => onEvent(dir, name));
        watcher.on('error', (err) => {
          unwatch(dir); // the directory went away (or the watch broke): its parent reports it
          if (!isMissing(err)) fail(dir, err);
          else if (!stopped) subscriber.next();
        });
        watched.set(dir, { ino, watcher });
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          // d_type can be unknown on some file systems: then lstat decides, in add().
          if (entry.isDirectory() || !(entry.isFile() || entry.isSymbolicLink())) add(join(dir, entry.name));
        }
      } catch (err) {
        if (isMissing(err)) return unwatch(dir);
        fail(dir, err as Error);
      }
    };

    const onEvent = (dir: string, name: string | Buffer | null): void => {
      if (stopped) return;
      if (name !== null) {
        // A subdirectory created, moved in, replaced or removed: follow it.
        const path = join(dir, String(name));
        const held = watched.get(path);
        const st = (() => {
          try {
            return lstatSync(path);
          } catch {
            return undefined;
          }
        })();
        if (st?.isDirectory()) {
          if (held?.ino !== st.ino) add(path);
        } else if (held) unwatch(path);
      }
      if (!stopped) subscriber.next();
    };

    add(root);
    return () => {
      stopped = true;
      for (const w of watched.values()) w.watcher.close();
      watched.clear();
    };
  });
}
