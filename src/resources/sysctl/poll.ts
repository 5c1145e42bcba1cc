// A watch for what inotify cannot see (procfs files never report a write): read the value at
// subscription and then every period on the engine's scheduler, and emit when a reading differs
// from the one before it.
//
//   read():   a-----a-----b-----b-----a      (one reading per period, the first at once)
//   result:   ------------x-----------x
//
// A steady value, even a wrong one, emits nothing: a resource that cannot be repaired (or runs in
// noop) does not wake the engine every period, so the graph can still converge.
import { type Observable, type SchedulerLike, distinctUntilChanged, exhaustMap, map, skip, timer } from 'rxjs';

export function pollChanges(read: () => Observable<string>, periodMs: number, scheduler: SchedulerLike): Observable<void> {
  return timer(0, periodMs, scheduler).pipe(
    // A reading still under way when the next tick comes is not doubled up: that tick is skipped.
    exhaustMap(() => read()),
    distinctUntilChanged(),
    skip(1), // the first reading is the baseline: the engine checks once at start anyway
    map(() => undefined),
  );
}
