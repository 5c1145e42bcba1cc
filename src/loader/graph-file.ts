// A graph file as a stream of specs: read and validated now, and again on every change.
import { realpath } from 'node:fs/promises';
import {
  EMPTY,
  type Observable,
  type SchedulerLike,
  asyncScheduler,
  catchError,
  concat,
  defer,
  distinctUntilChanged,
  map,
  merge,
  of,
  share,
  startWith,
  switchMap,
  timer,
} from 'rxjs';
import type { GraphSpec } from '../model/spec.js';
import type { Registry } from '../model/registry.js';
import { watchPath } from '../watch/index.js';
import { loadGraphFile } from '../yaml/parse.js';
import type { SpecEvent } from './assemble.js';

/**
 * How long a graph file must stay unchanged before it is read: an editor or a script that
 * writes it in several pieces is never caught half-way (a truncated file can be valid YAML
 * that drops resources).
 */
export const SETTLE_MS = 200;

export interface GraphFileOptions {
  /** Where the settle time is measured; the engine's scheduler. */
  scheduler?: SchedulerLike;
  settleMs?: number;
}

/**
 * Emits `loading` then the spec (or the error) each time `path` may have changed and has then
 * stayed unchanged for the settle time. A change during the settle time, or while the previous
 * version is still being read, supersedes it. A graph file that is a symlink is reloaded when
 * the link is repointed and when the file it points to changes.
 */
export function graphFileChanges(path: string, registry: Registry, opts: GraphFileOptions = {}): Observable<SpecEvent> {
  const load = (): Observable<SpecEvent> =>
    defer(() => loadGraphFile(path, registry)).pipe(
      map((spec: GraphSpec): SpecEvent => ({ kind: 'spec', spec })),
      catchError((error: Error) => of<SpecEvent>({ kind: 'error', error })),
    );
  return settledLoads(fileDrift(path), load, opts.settleMs ?? SETTLE_MS, opts.scheduler ?? asyncScheduler);
}

/**
 * For each change of `changes$`: `loading` at once (it holds the converger), then `load()` once
 * no further change came for `settleMs`. Each change restarts the wait, and cancels a load
 * under way.
 *
 * ```
 * changes$  a--b---------c------
 * settle 5  ------|           (b restarted the wait)
 * result    L--L-----(S)--L-----(S)
 * ```
 */
export function settledLoads(changes$: Observable<unknown>, load: () => Observable<SpecEvent>, settleMs: number, scheduler: SchedulerLike): Observable<SpecEvent> {
  return changes$.pipe(
    switchMap(() => concat(of<SpecEvent>({ kind: 'loading' }), timer(settleMs, scheduler).pipe(switchMap(load)))),
  );
}

/**
 * Emits whenever the file at `path` may have changed: its own directory entry (written, replaced,
 * a symlink there repointed), and, when the path resolves elsewhere (a symlink, or a symlinked
 * directory on the way), the file it resolves to, re-resolved after each change of the entry.
 */
function fileDrift(path: string): Observable<void> {
  const entry$ = watchPath(path).pipe(share());
  const resolved$ = entry$.pipe(
    startWith(undefined),
    switchMap(() => defer(() => realpath(path)).pipe(catchError(() => of(path)))),
    distinctUntilChanged(),
  );
  // A new target is a change in itself (the link was repointed), so is every change to it.
  const target$ = resolved$.pipe(switchMap((target) => (target === path ? EMPTY : watchPath(target))));
  return merge(entry$, target$);
}
