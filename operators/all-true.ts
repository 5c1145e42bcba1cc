import { Observable, type Observer, type OperatorFunction, type Unsubscribable } from 'rxjs';
import { follow } from './follow.js';

/**
 * Given a stream of boolean streams, says whether every one of them last said `true`. A
 * stream counts as `false` from the moment it joins until it first speaks (a stream that
 * reports synchronously on subscribe, like a BehaviorSubject, never counts as `false`), and
 * its completion removes it. With no streams at all it is `true`. Repeats are never emitted.
 *
 * Only the number of streams that last said `false` is kept, so each change costs O(1)
 * however many streams there are: nothing scans them all.
 *
 * ```text
 * a:        t---f-----t---      (subscribed at frame 0, values scheduled)
 * b:        --t----f----t-
 * allTrue:  f-t-f-------t-
 * ```
 *
 * It completes when the stream of streams and every stream in it have completed. An error of
 * any of them is passed on, and everything is unsubscribed.
 *
 * It is both the engine's dependency gate (are all parents OK?) and the heart of the
 * converger (is everything idle?).
 *
 * @example
 * // Streams handed over synchronously (from, of) are all there for the first answer.
 * const parentsOk$ = from(parents.map((p) => p.ok$)).pipe(allTrue());
 * parentsOk$.subscribe((ok) => log.debug(ok ? 'every parent is OK' : 'waiting for a parent'));
 */
export function allTrue(): OperatorFunction<Observable<boolean>, boolean> {
  return (streams) =>
    new Observable<boolean>((subscriber) => {
      let falses = 0;
      let live = false; // past the synchronous part of the subscription
      let said: boolean | undefined;
      let outerDone = false;
      // The streams still running. A Set, so that one completing among 10 000 costs O(1)
      // (mergeMap keeps its inner subscriptions in an array and removes them by search).
      const inners = new Set<FalseCounter>();
      const say = (): void => {
        const now = falses === 0;
        if (live && now !== said) subscriber.next((said = now));
      };
      const countChange = (delta: number): void => {
        falses += delta;
        say();
      };
      const fail = (e: unknown): void => subscriber.error(e);
      const ended = (inner: FalseCounter): void => {
        inners.delete(inner);
        if (outerDone && inners.size === 0) subscriber.complete();
      };
      const outer = streams.subscribe({
        next: (stream) => {
          const counter = countFalses(stream, countChange, fail, ended);
          if (!counter.closed) inners.add(counter);
        },
        error: fail,
        complete: () => {
          outerDone = true;
          if (inners.size === 0) subscriber.complete();
        },
      });
      // The first answer waits for every stream that is already there: no glitch at start.
      live = true;
      say();
      return () => {
        outer.unsubscribe();
        for (const inner of inners) inner.unsubscribe();
        inners.clear();
      };
    });
}

/**
 * Follows one stream, reporting +1 when it starts to count as `false` and -1 when it stops
 * (it says `true`, or completes). Calls `ended` with its subscription once it completes.
 * A vertex's `idle$` is a Cell: it is followed without a Subscriber (`follow`).
 */
function countFalses(
  stream: Observable<boolean>,
  change: (delta: number) => void,
  fail: (e: unknown) => void,
  ended: (inner: FalseCounter) => void,
): FalseCounter {
  const counter = new FalseCounter(change, fail, ended);
  counter.subscription = follow(stream, counter);
  counter.live = true;
  if (!counter.done && counter.last !== true) {
    counter.counted = true;
    change(1);
  }
  return counter;
}

/**
 * The observer of one stream: a class, not closures, since the converger holds one per vertex
 * for the whole run (three closures and their context cost ~0.3 KB more each).
 */
class FalseCounter implements Observer<boolean> {
  /** What the count holds for this stream: true = one `false`. */
  counted = false;
  /** Past the synchronous part of the subscription. */
  live = false;
  done = false;
  last?: boolean;
  /** Unsubscribed by the operator's teardown: the stream drops it. */
  private dropped = false;
  /** The subscription to a stream that is not a Listenable (`follow`). */
  subscription?: Unsubscribable;

  constructor(
    private readonly change: (delta: number) => void,
    readonly error: (e: unknown) => void,
    private readonly ended: (inner: FalseCounter) => void,
  ) {}

  get closed(): boolean {
    return this.done || this.dropped;
  }

  unsubscribe(): void {
    this.dropped = true;
    this.subscription?.unsubscribe();
  }

  next(value: boolean): void {
    this.last = value;
    if (!this.live || this.counted === !value) return;
    this.counted = !value;
    this.change(this.counted ? 1 : -1);
  }

  complete(): void {
    this.done = true;
    if (this.counted) this.change(-1);
    this.counted = false;
    if (this.live) this.ended(this);
  }
}
