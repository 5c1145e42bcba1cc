import { type MonoTypeOperatorFunction, Observable, type Subscriber } from 'rxjs';

/**
 * A counting semaphore as an operator factory: every Observable piped through the returned
 * operator waits for one of `permits` permits before it is subscribed, and gives the permit
 * back when it completes, errors or is unsubscribed. Waiters are served first come, first
 * served. All applications of one returned operator share its permits.
 *
 * This is the `sema` meta param (`sema: ['disk:2']` lets two CheckApply of any resources
 * naming `disk` run at once) and the global `--sema N`.
 *
 * ```text
 * const lock = semaphore(1);
 * a$.pipe(lock):   a---|               (runs at once)
 * b$.pipe(lock):   ....b---|           (waits for a's permit)
 * ```
 *
 * To take several semaphores without deadlock, always apply them in one global order.
 *
 * @example
 * const disk = semaphore(2);
 * const runs$ = merge(...jobs.map((job$) => job$.pipe(disk))); // at most two at a time
 */
export function semaphore<T = unknown>(permits: number): MonoTypeOperatorFunction<T> {
  if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`semaphore: permits must be a positive integer, got ${permits}`);
  let free = permits;
  // A FIFO with a moving head: O(1) to hand a permit on, even with 10 000 waiting (shift() is
  // O(n)). A waiter that leaves is only marked, and skipped when its turn comes.
  let waiting: Waiter<T>[] = [];
  let head = 0;

  const release = (): void => {
    while (head < waiting.length) {
      const next = waiting[head++];
      if (!next.gone) return next.start();
    }
    waiting = [];
    head = 0;
    free++;
  };

  return (source) =>
    new Observable<T>((subscriber) => {
      const waiter = new Waiter(source, subscriber);
      if (free > 0) {
        free--;
        waiter.start();
      } else {
        waiting.push(waiter);
      }
      return () => {
        if (waiter.holding) release();
        else waiter.gone = true;
      };
    });
}

/**
 * One subscription waiting for (or holding) a permit. A class, not closures: with every file
 * check of a 100 000-file graph queued at once, each waiter is one small object.
 */
class Waiter<T> {
  holding = false;
  /** Unsubscribed before its turn: skipped. */
  gone = false;

  constructor(
    private readonly source: Observable<T>,
    private readonly subscriber: Subscriber<T>,
  ) {}

  start(): void {
    this.holding = true;
    this.subscriber.add(this.source.subscribe(this.subscriber));
  }
}
