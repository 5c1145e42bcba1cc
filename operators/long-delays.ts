import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';
import { MAX_TIMER_MS } from './long-timer.js';

const LONG = Symbol('longDelays');

/**
 * `scheduler`, but every delay of any length is honoured: one longer than setTimeout's limit
 * (2^31-1 ms, ~24.8 days; Node fires such a timer after 1 ms) is waited in steps of at most
 * that length. Rescheduling from inside the work (`this.schedule(state, period)`, as
 * `interval` and `timer(due, period)` do) goes through the same chain.
 *
 * `longTimer` is the explicit form for one wait; this is the guard for every operator that
 * takes a scheduler (`timeout`, `converged`, `rateLimit`, `interval`...): the engine wraps the
 * scheduler it is given once, so a `-t` of a month or a timer resource ticking monthly waits a
 * month. Under a TestScheduler the steps run in virtual time like any other action.
 *
 * ```text
 * longDelays(s).schedule(work, 3 * MAX):  ---(MAX)---(MAX)---(MAX)-work
 * ```
 *
 * @example
 * interval(40 * 24 * 3600 * 1000, longDelays(asyncScheduler)).subscribe(() => monthlyJob());
 */
export function longDelays(scheduler: SchedulerLike): SchedulerLike {
  if ((scheduler as { [LONG]?: true })[LONG]) return scheduler;
  return {
    [LONG]: true,
    now: () => scheduler.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      return new ChainedAction<T>(scheduler, work).schedule(state, delay);
    },
  } as SchedulerLike;
}

/** One scheduled piece of work, waited in steps; unsubscribing cancels the step in progress. */
class ChainedAction<T> extends Subscription implements SchedulerAction<T> {
  private step?: Subscription;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
    this.add(() => this.step?.unsubscribe());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.step?.unsubscribe();
    const now = Math.min(Math.max(0, delay), MAX_TIMER_MS);
    const rest = delay - now;
    this.step = this.scheduler.schedule(() => {
      if (this.closed) return;
      if (rest > 0) this.schedule(state, rest);
      else this.work.call(this, state);
    }, now);
    return this;
  }
}
