import { type MonoTypeOperatorFunction, type SchedulerLike, asyncScheduler, defer, timer, switchMap } from 'rxjs';

/**
 * A token bucket as an operator factory: each Observable piped through the returned operator
 * takes one token before it is subscribed, waiting (on `scheduler`) for the bucket to refill
 * when it is empty. The bucket holds `burst` tokens (at least 1) and refills at `limit`
 * tokens per second. All applications of one returned operator share its bucket.
 *
 * This is the `limit` / `burst` meta params: at most `burst` CheckApply back to back, then
 * `limit` per second.
 *
 * ```text
 * rateLimit(1 per 10 frames, burst 2), four runs asked for at frame 0:
 *   runs:  (ab)------c---------d
 * ```
 *
 * The bucket starts full when the first Observable is subscribed: the clock is read then, not
 * when `rateLimit` is called, so a limiter made ahead of time (at module level, before a
 * TestScheduler runs) starts from the time it is first used.
 *
 * Callers are expected to use one application at a time (a vertex never runs two
 * CheckApply at once); concurrent ones each wait for their own token.
 *
 * @example
 * const limited = rateLimit(0.5, 1); // at most one run every two seconds
 * events$.pipe(coalesce(() => defer(() => doWork()).pipe(limited)));
 */
export function rateLimit<T = unknown>(limit: number, burst: number, scheduler: SchedulerLike = asyncScheduler): MonoTypeOperatorFunction<T> {
  if (!(limit > 0)) throw new RangeError(`rateLimit: limit must be > 0 per second, got ${limit}`);
  if (!(burst >= 0)) throw new RangeError(`rateLimit: burst must be >= 0, got ${burst}`);
  const capacity = Math.max(1, burst);
  let tokens = capacity;
  let last: number | undefined; // the clock's reading at the last take; none before the first

  /** Milliseconds until a token is free, after taking it (tokens may go negative: a debt). */
  const take = (): number => {
    const now = scheduler.now();
    tokens = Math.min(capacity, tokens + ((now - (last ?? now)) * limit) / 1000);
    last = now;
    tokens -= 1;
    return tokens >= 0 ? 0 : (-tokens * 1000) / limit;
  };

  return (source) =>
    defer(() => {
      const wait = take();
      return wait === 0 ? source : timer(wait, scheduler).pipe(switchMap(() => source));
    });
}
