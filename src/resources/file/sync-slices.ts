// Synchronous work in bounded slices, so that many quick file checks never starve the event loop.
import type { SchedulerLike, Unsubscribable } from 'rxjs';

/**
 * A slice ends after this long (ms, wall clock), or after SLICE_JOBS jobs, whichever comes
 * first. A job (one file check and what the engine does with its result) takes 10-50 µs on a
 * local file system, so time usually ends a slice; the count bounds it without a clock (tests).
 * The next slice is a zero-delay task of the scheduler: in the CLI a setImmediate
 * (src/cli/immediate-scheduler.ts), so I/O and signals are handled between two slices without
 * idle time, and an event (a repair, a SIGINT) waits at most about a slice behind the checks.
 * On asyncScheduler it would be a timer that Node clamps to 1 ms: idle after every slice.
 */
export const SLICE_MS = 4;
export const SLICE_JOBS = 512;

/** One job, waiting or done; unsubscribing before it ran drops it. */
class Entry implements Unsubscribable {
  gone = false;
  constructor(readonly job: () => void) {}
  unsubscribe(): void {
    this.gone = true;
  }
}

/**
 * Runs synchronous jobs in order, at most `budget` of them (and for at most `budgetMs`) in one
 * burst of synchronous JavaScript. A job that finds the burst's budget spent waits, in order,
 * for a task on `scheduler`, which runs the next slice; so between two slices the event loop
 * runs (I/O, signals, timers), and under a TestScheduler the slices are virtual-time tasks.
 *
 *   slices.run(a) ... (budget jobs run at once) ... slices.run(z)   z waits: a task runs it
 *
 * A burst ends when the synchronous code that ran it returns (a microtask sets the count back)
 * or at the next slice's task. Jobs started from inside a job are queued, not nested, so a chain
 * of dependent checks does not grow the stack. A job should not throw (it reports to its own
 * subscriber); one that does leaves the rest to the next slice.
 */
export class SyncSlices {
  private used = 0;
  private startedAt = 0;
  private running = false;
  private scheduled = false;
  // A FIFO with a moving head (shift() is O(n) with thousands waiting).
  private queue: Entry[] = [];
  private head = 0;

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly budget = SLICE_JOBS,
    private readonly budgetMs = SLICE_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Runs `job` now if this burst has room and nobody waits, otherwise in a later slice. */
  run(job: () => void): Unsubscribable {
    const entry = new Entry(job);
    this.queue.push(entry);
    if (!this.running && !this.scheduled) this.drain();
    return entry;
  }

  private drain(): void {
    this.running = true;
    try {
      while (this.head < this.queue.length) {
        if (!this.hasRoom()) return this.scheduleSlice();
        const entry = this.queue[this.head++];
        if (entry.gone) continue;
        if (this.used++ === 0) {
          this.startedAt = this.clock();
          queueMicrotask(this.endBurst);
        }
        entry.job();
      }
      this.queue = [];
      this.head = 0;
    } finally {
      this.running = false;
      // A job that threw (a bug) must not strand the ones behind it.
      if (this.head < this.queue.length) this.scheduleSlice();
    }
  }

  private hasRoom(): boolean {
    return this.used === 0 || (this.used < this.budget && this.clock() - this.startedAt < this.budgetMs);
  }

  private readonly endBurst = (): void => {
    this.used = 0;
  };

  private scheduleSlice(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.scheduler.schedule(() => {
      this.scheduled = false;
      this.used = 0;
      this.drain();
    });
  }
}

const perScheduler = new WeakMap<SchedulerLike, SyncSlices>();

/** The slices of all the file checks on one scheduler (one engine). */
export function slicesFor(scheduler: SchedulerLike): SyncSlices {
  let slices = perScheduler.get(scheduler);
  if (!slices) perScheduler.set(scheduler, (slices = new SyncSlices(scheduler)));
  return slices;
}
