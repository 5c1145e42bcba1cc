import { type Observable, type OperatorFunction, type SchedulerLike, asyncScheduler, distinctUntilChanged, map, of, startWith, switchMap } from 'rxjs';
import { allTrue } from './all-true.js';
import { longTimer } from './long-timer.js';

/**
 * The converged state as a stream: `false` while anything is busy or has been idle for less
 * than `timeout` ms, `true` once every idle stream has been idle for `timeout`, and `false`
 * again as soon as one turns busy. Repeats are never emitted.
 *
 * The source is a stream of idle streams, one per thing that can hold the converger (a
 * vertex, the graph loader, the World connection...): `true` idle, `false` busy, completion
 * removes it. Streams may join at any time. A stream counts as busy from the moment it joins
 * until it first reports, so nothing converges before everyone has reported.
 *
 * Only the NUMBER of busy streams is kept (`allTrue`), so each state change costs O(1)
 * whatever the size of the graph: nothing scans all vertices. When the count reaches zero a
 * countdown starts on `scheduler`; a stream turning busy cancels it. The countdown is a
 * `longTimer`, so a timeout of any length works (RxJS's timer overflows past 2^31-1 ms).
 * An error of any idle stream is passed on.
 *
 * ```text
 * idle a:   t-f---t--------------
 * idle b:   t-----------f--t-----
 * convergedState(3):
 *           f--------t--f-----t--
 * ```
 *
 * A host publishes this to the World so that a fleet exits only when every host has been
 * converged; `converged` is its first `true`.
 *
 * @example
 * idleStreams$.pipe(convergedState(5000)).subscribe((c) => statusFile.write(c ? 'converged' : 'busy'));
 */
export function convergedState(timeout: number, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<Observable<boolean>, boolean> {
  if (!(timeout >= 0)) throw new RangeError(`convergedState: timeout must be >= 0 ms, got ${timeout}`);
  return (idleStreams) =>
    idleStreams.pipe(
      allTrue(),
      switchMap((allIdle) => (allIdle ? longTimer(timeout, scheduler).pipe(map(() => true), startWith(false)) : of(false))),
      distinctUntilChanged(),
    );
}
