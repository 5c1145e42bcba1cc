import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Passes values through while `open$` last said `true`; while it says `false` (or has not
 * spoken yet) values are held, folded into one, and released the moment it opens.
 *
 * This is the dependency gate: a vertex's trigger waits until every parent has succeeded
 * since the parent's latest event (`open$` = all parents OK). Many events held behind a
 * closed gate become one run, not many.
 *
 * ```text
 * open$:    f-----t------f----t--
 * source:   -a-b-----c----d-e----|
 * gate:     ------x--c--------y--|     (x = fold(a,b), y = fold(d,e))
 * ```
 *
 * The result completes when the source has completed and nothing is held.
 *
 * When `open$` completes, its last word stands for good: open, values keep passing; closed (or
 * it never spoke), nothing can ever be released, so what is held (and whatever comes later) is
 * dropped and the result completes as soon as the source does, instead of never. Errors of
 * either stream, and anything `fold` throws, go to the error channel.
 *
 * @example
 * const parentsOk$ = combineLatest(parents.map((p) => p.ok$)).pipe(map((oks) => oks.every(Boolean)));
 * triggers$.pipe(gate(parentsOk$, (a, b) => ({ refresh: a.refresh || b.refresh })));
 */
export function gate<T>(
  open$: Observable<boolean>,
  fold: (held: T, next: T) => T = (_held, next) => next,
): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let open = false;
      let openDone = false; // open$ completed: `open` is final
      let sourceDone = false;
      let held: { value: T } | undefined;

      const release = (): void => {
        if (held) {
          const { value } = held;
          held = undefined;
          subscriber.next(value);
        }
        if (sourceDone) subscriber.complete();
      };

      subscriber.add(
        open$.subscribe({
          next: (isOpen) => {
            if (isOpen === open) return; // a repeat changes nothing
            open = isOpen;
            if (open) release();
          },
          error: (e) => subscriber.error(e),
          complete: () => {
            openDone = true;
            if (open) return;
            held = undefined; // can never be released
            if (sourceDone) subscriber.complete();
          },
        }),
      );
      subscriber.add(
        source.subscribe({
          next: (value) => {
            if (open) return subscriber.next(value);
            if (openDone) return; // closed for good
            try {
              held = held ? { value: fold(held.value, value) } : { value };
            } catch (err) {
              subscriber.error(err);
            }
          },
          error: (e) => subscriber.error(e),
          complete: () => {
            sourceDone = true;
            if (!held) subscriber.complete();
          },
        }),
      );
    });
}
