// The real-time scheduler the CLI gives the engine: asyncScheduler, but zero-delay work runs on
// the event loop's next turn (setImmediate) instead of a 0 ms timer that Node clamps to 1 ms.
import { clearImmediate, clearInterval, setImmediate, setInterval } from 'node:timers';
import { type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';
import { longDelays } from '../../operators/long-delays.js';

/**
 * A SchedulerLike on real time (`now()` is `Date.now()`, as asyncScheduler's) whose delayed work
 * waits on setInterval exactly as asyncScheduler's actions do, and whose zero-delay work (a delay
 * of 0, negative or none) runs on setImmediate: after the current turn of the event loop has
 * polled for I/O, so signals, watch events and thread-pool results are still handled between two
 * tasks, but without the 1 ms that Node's clamp adds to a 0 ms timer. The engine's file checks
 * run in slices of a few ms, each the next slice's zero-delay task (sync-slices.ts): on
 * asyncScheduler a fifth of that time was spent idle. Never a microtask: a task that schedules
 * the next one must not starve I/O.
 *
 * ```text
 * asyncScheduler:      [slice]-1ms idle-[slice]-1ms idle-[slice]
 * immediateScheduler:  [slice][poll][slice][poll][slice]
 * ```
 *
 * Like asyncScheduler, a single delay is setTimeout's (at most 2^31-1 ms): the CLI wraps it in
 * longDelays, which chains longer waits (operators/long-delays.ts).
 *
 * @example
 * observeOn(immediateScheduler)  // each value on the next turn of the loop
 */
export class ImmediateScheduler implements SchedulerLike {
  now(): number {
    return Date.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new ImmediateAction<T>(work).schedule(state, delay);
  }
}

export const immediateScheduler = new ImmediateScheduler();

/**
 * What `rxmgmt run` gives the engine and the resources: immediateScheduler with delays of any
 * length. One object for both, so the engine's own longDelays wrap finds it wrapped already.
 */
export const runScheduler: SchedulerLike = longDelays(immediateScheduler);

/**
 * One piece of work, scheduled again as often as it asks (`this.schedule(state, delay)` from its
 * work, as `interval` and `debounceTime` do, or later from outside). What AsyncAction does, kept:
 * rescheduled from its own work with the same delay, its interval keeps running, so a periodic
 * task fires at every period without drift; otherwise the wait starts again. Unsubscribing
 * cancels whatever is waiting; a closed action never runs.
 */
class ImmediateAction<T> extends Subscription implements SchedulerAction<T> {
  private state?: T;
  /** The delay of the wait in progress (0: an immediate). */
  private delay = 0;
  /** Scheduled and not run yet (false while its work runs: see schedule). */
  private pending = false;
  private immediate?: NodeJS.Immediate;
  private interval?: NodeJS.Timeout;

  constructor(private readonly work: (this: SchedulerAction<T>, state?: T) => void) {
    super();
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    const wait = delay > 0 ? delay : 0;
    const keepInterval = this.interval !== undefined && !this.pending && wait === this.delay;
    if (!keepInterval) {
      this.cancel();
      if (wait > 0) this.interval = setInterval(fire, wait, this);
      else this.immediate = setImmediate(fire, this);
    }
    this.pending = true;
    this.delay = wait;
    return this;
  }

  /** Runs the work (from `fire`); a work that throws closes the action, and the error goes on up. */
  execute(): void {
    if (this.closed || !this.pending) return;
    this.immediate = undefined;
    this.pending = false;
    try {
      this.work.call(this, this.state);
    } catch (err) {
      this.unsubscribe();
      throw err;
    }
    // Not scheduled again: its interval must not fire once more.
    if (!this.pending) this.cancel();
  }

  override unsubscribe(): void {
    if (this.closed) return;
    this.cancel();
    this.pending = false;
    this.state = undefined;
    super.unsubscribe();
  }

  private cancel(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.interval !== undefined) clearInterval(this.interval);
    this.immediate = this.interval = undefined;
  }
}

/** The timers' callback: one function for every action (the action is its argument). */
function fire(action: { execute(): void }): void {
  action.execute();
}
