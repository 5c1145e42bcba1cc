import {
  EMPTY,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
  asyncScheduler,
  concatWith,
  defer,
  distinctUntilChanged,
  filter,
  map,
  mergeMap,
  of,
  scan,
  startWith,
  switchMap,
  take,
  timer,
} from 'rxjs';

/**
 * Emits once, when every idle stream has been idle for `timeout` ms, then completes.
 *
 * The source is a stream of idle streams, one per thing that can hold the converger (a
 * vertex, the graph loader, the World connection...). Each idle stream emits `true` when
 * its owner is idle and `false` when it is busy; its completion removes it (a removed
 * vertex never holds the converger). Streams may join at any time.
 *
 * Only the count of busy streams is kept, so each state change costs O(1) whatever the size
 * of the graph: there is no scan over all vertices. A stream counts as busy until it first
 * speaks, so nothing converges before everyone has reported. When the count drops to zero a countdown
 * starts on `scheduler`; any stream turning busy cancels it. `take(1)` makes firing twice
 * impossible by construction.
 *
 * ```text
 * idle a:   t-f---t--------------
 * idle b:   t-----------f--t-----
 * converged(3):
 *           ------------------x|     (3 frames after the last turn to idle)
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
): OperatorFunction<Observable<boolean>, number> {
  return (idleStreams) =>
    idleStreams.pipe(
      mergeMap(busyDeltas),
      scan((busy, delta) => busy + delta, 0),
      startWith(0),
      map((busy) => busy === 0),
      distinctUntilChanged(),
      switchMap((allIdle) => (allIdle ? timer(timeout, scheduler) : EMPTY)),
      take(1),
    );
}

/**
 * One idle stream as changes to the busy count. A stream counts as busy from the moment it
 * joins until it first says idle (+1 at once), then -1 / +1 on each turn, and on completion
 * it gives back its count if it was busy.
 */
function busyDeltas(idle$: Observable<boolean>): Observable<number> {
  return defer(() => {
    let busy = true;
    return idle$.pipe(
      distinctUntilChanged(),
      map((idle) => {
        const delta = Number(!idle) - Number(busy);
        busy = !idle;
        return delta;
      }),
      filter((delta) => delta !== 0),
      startWith(1),
      concatWith(defer(() => (busy ? of(-1) : EMPTY))),
    );
  });
}
