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
 * of the graph: there is no scan over all vertices. When the count drops to zero a countdown
 * starts on `scheduler`; any stream turning busy cancels it. `take(1)` makes firing twice
 * impossible by construction.
 *
 * ```text
 * idle a:   --f---t-------------------
 * idle b:   t-----------f--t----------
 * converged(3):
 *           ---------------------x|     (x = 3 frames after the last turn to idle)
 * ```
 *
 * Ties: an event scheduled in the very frame the countdown ends runs in scheduling order. In
 * virtual time, values of a hot source that was set up before the countdown started run
 * first, so they cancel the countdown and the converger waits a full timeout again.
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
 * One idle stream as changes to the busy count: +1 when it turns busy, -1 when it turns
 * idle, and -1 on completion if it was busy. A stream starts out counted as idle.
 */
function busyDeltas(idle$: Observable<boolean>): Observable<number> {
  return defer(() => {
    let busy = false;
    return idle$.pipe(
      distinctUntilChanged(),
      map((idle) => {
        const delta = Number(!idle) - Number(busy);
        busy = !idle;
        return delta;
      }),
      filter((delta) => delta !== 0),
      concatWith(defer(() => (busy ? of(-1) : EMPTY))),
    );
  });
}
