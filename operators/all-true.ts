import { Observable, type OperatorFunction, mergeMap } from 'rxjs';

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
 * It is both the engine's dependency gate (are all parents OK?) and the heart of the
 * converger (is everything idle?).
 *
 * @example
 * const parentsOk$ = from(parents.map((p) => p.ok$)).pipe(allTrue());
 */
export function allTrue(): OperatorFunction<Observable<boolean>, boolean> {
  return (streams) =>
    new Observable<boolean>((subscriber) => {
      let falses = 0;
      let live = false; // past the synchronous part of the subscription
      let said: boolean | undefined;
      const say = (): void => {
        const now = falses === 0;
        if (live && now !== said) subscriber.next((said = now));
      };
      const inner = streams.pipe(mergeMap(falseCountDeltas)).subscribe({
        next: (delta) => {
          falses += delta;
          say();
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      // The first answer waits for every stream that is already there: no glitch at start.
      live = true;
      say();
      return inner;
    });
}

/**
 * One stream as changes to the count of `false`s: +1 once subscribed unless it already said
 * `true` synchronously, then -1 / +1 on each turn, and on completion it gives back its count.
 */
function falseCountDeltas(stream: Observable<boolean>): Observable<number> {
  return new Observable<number>((subscriber) => {
    let counted = false; // what the count holds for this stream: true = one `false`
    let live = false; // past the synchronous part of the subscription
    let last: boolean | undefined;
    const inner = stream.subscribe({
      next: (value) => {
        last = value;
        if (!live || counted === !value) return;
        counted = !value;
        subscriber.next(counted ? 1 : -1);
      },
      error: (e) => subscriber.error(e),
      complete: () => {
        if (counted) subscriber.next(-1);
        counted = false;
        subscriber.complete();
      },
    });
    live = true;
    if (last !== true && !subscriber.closed) {
      counted = true;
      subscriber.next(1);
    }
    return inner;
  });
}
