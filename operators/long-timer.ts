import { type Observable, type SchedulerLike, asyncScheduler, concatMap, timer } from 'rxjs';

/** The longest delay one scheduler action can take: setTimeout's limit (2^31-1 ms, ~24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `timer(ms)` for any duration: emits 0 after `ms` on `scheduler`, then completes. RxJS's own
 * timer overflows past 2^31-1 ms (Node fires it after 1 ms), so a longer wait is chained from
 * steps of at most that length; under a TestScheduler the chain runs in virtual time like any
 * other timer.
 *
 * ```text
 * longTimer(3 * MAX_TIMER_MS):  ---(MAX)---(MAX)---(MAX)-(0|)
 * ```
 *
 * @example
 * longTimer(30 * 24 * 3600 * 1000, scheduler).subscribe(() => runMonthlyJob());
 */
export function longTimer(ms: number, scheduler: SchedulerLike = asyncScheduler): Observable<0> {
  if (!(ms > MAX_TIMER_MS)) return timer(Math.max(0, ms), scheduler);
  return timer(MAX_TIMER_MS, scheduler).pipe(concatMap(() => longTimer(ms - MAX_TIMER_MS, scheduler)));
}
