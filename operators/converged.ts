import { type Observable, type OperatorFunction, type SchedulerLike, asyncScheduler, filter, take } from 'rxjs';
import { convergedState } from './converged-state.js';

/**
 * Emits once, when every idle stream has been idle for `timeout` ms, then completes.
 *
 * The source is a stream of idle streams, one per thing that can hold the converger (a
 * vertex, the graph loader, the World connection...). Each idle stream emits `true` when
 * its owner is idle and `false` when it is busy; its completion removes it (a removed
 * vertex never holds the converger). Streams may join at any time.
 *
 * It is `convergedState` (see there: O(1) per state change, a stream is busy until it first
 * reports, the countdown is a `longTimer` on `scheduler`, so any timeout works) cut at its
 * first `true`: firing twice is impossible by construction.
 *
 * ```text
 * idle a:   t-f---t--------------
 * idle b:   t-----------f--t-----
 * converged(3):
 *           ------------------t|     (3 frames after the last turn to idle)
 * ```
 *
 * Ties: actions due in the same frame run in the order they were scheduled. An event that
 * was already scheduled when the countdown started (any source set up earlier) runs first in
 * the frame the countdown ends, so it wins: the countdown is cancelled and restarts.
 *
 * @example
 * const idle$ = from(vertices).pipe(map((v) => v.idle$));
 * idle$.pipe(converged(5000)).subscribe(() => shutdown());
 */
export function converged(
  timeout: number,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<Observable<boolean>, true> {
  const state = convergedState(timeout, scheduler); // checks `timeout` now, not at subscription
  return (idleStreams) =>
    idleStreams.pipe(
      state,
      filter((c): c is true => c),
      take(1),
    );
}
