import { Observable, type ObservableInput, type OperatorFunction, from } from 'rxjs';

/**
 * Projects each value to an inner Observable, one at a time; values that arrive while an
 * inner is active are folded into ONE pending value, projected when the inner completes.
 *
 * This is how a vertex runs CheckApply: never two runs at once, and a burst of events during
 * a run causes exactly one more run afterwards — never a queue of stale runs (`concatMap`)
 * and never a lost event (`exhaustMap`).
 *
 * ```text
 * source:   -abcd-------e----|      each inner: ---v|
 * result:   ----a---x------e-|      x = fold(fold(b, c), d), run once after a
 * ```
 *
 * The result completes when the source has completed and no inner is active or pending.
 * Errors of the source and of an inner are passed on, and so is anything `project` or `fold`
 * throws: it goes to the error channel (never up the caller's stack), and everything is
 * unsubscribed.
 *
 * @example
 * events$.pipe(
 *   coalesce(
 *     (t) => defer(() => resource.checkApply(true, t.refresh)),
 *     (a, b) => ({ refresh: a.refresh || b.refresh }),
 *   ),
 * );
 */
export function coalesce<T, R>(
  project: (value: T) => ObservableInput<R>,
  fold: (pending: T, next: T) => T = (_pending, next) => next,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let running = false;
      let sourceDone = false;
      let pending: { value: T } | undefined;

      const runPending = (): void => {
        while (!running && pending && !subscriber.closed) {
          const { value } = pending;
          pending = undefined;
          running = true;
          let sync = true;
          let inner: Observable<R>;
          try {
            inner = from(project(value));
          } catch (err) {
            subscriber.error(err);
            return;
          }
          subscriber.add(
            inner.subscribe({
              next: (r) => subscriber.next(r),
              error: (e) => subscriber.error(e),
              complete: () => {
                running = false;
                // A synchronous inner is continued by the loop, not by recursion.
                if (!sync) runPending();
              },
            }),
          );
          sync = false;
        }
        if (!running && !pending && sourceDone) subscriber.complete();
      };

      subscriber.add(
        source.subscribe({
          next: (value) => {
            try {
              pending = pending ? { value: fold(pending.value, value) } : { value };
            } catch (err) {
              subscriber.error(err);
              return;
            }
            if (!running) runPending();
          },
          error: (e) => subscriber.error(e),
          complete: () => {
            sourceDone = true;
            if (!running && !pending) subscriber.complete();
          },
        }),
      );
    });
}
