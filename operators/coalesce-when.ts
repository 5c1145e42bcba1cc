import { Observable, type ObservableInput, type OperatorFunction, type Subscription, from } from 'rxjs';

/**
 * `gate` and `coalesce` in one: values are folded into ONE pending value, which is projected
 * to an inner Observable only when `open$` last said `true` AND no inner is active. A value
 * that arrives while the gate is closed or an inner runs waits, folded with the others.
 *
 * This is a vertex's whole run discipline, applied once: its triggers wait for its parents,
 * its watch and its failure backoff (`open$`), never two CheckApply run at once, and a burst
 * of triggers while it waits or runs becomes exactly one more run, carrying all their causes.
 *
 * ```text
 * open$:    t----f------t------
 * source:   -a-b---c-d---------|     each inner: --v|
 * result:   ---a-------------y-|     (b arrives while a runs; the gate is shut when it ends;
 *                                     y = fold(fold(b, c), d), projected once it opens)
 * ```
 *
 * The result completes when the source has completed and nothing is active or pending. Errors
 * of the source, of `open$`, of an inner, and exceptions thrown by `project` or `fold` go to
 * the error channel. `open$` completing leaves the gate as it last was.
 *
 * @example
 * triggers$.pipe(coalesceWhen(parentsOk$, (t) => defer(() => resource.checkApply(true, t.refresh)), foldTriggers));
 */
export function coalesceWhen<T, R>(
  open$: Observable<boolean>,
  project: (value: T) => ObservableInput<R>,
  fold: (pending: T, next: T) => T = (_pending, next) => next,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let open = false;
      let running = false;
      let sourceDone = false;
      let pending: { value: T } | undefined;

      const done = (): boolean => !running && !pending && sourceDone;
      const runPending = (): void => {
        while (open && !running && pending && !subscriber.closed) {
          const { value } = pending;
          pending = undefined;
          running = true;
          let sync = true;
          let inner: Subscription;
          try {
            inner = from(project(value)).subscribe({
              next: (r) => subscriber.next(r),
              error: (e) => subscriber.error(e),
              complete: () => {
                running = false;
                // A synchronous inner is continued by the loop, not by recursion.
                if (!sync) runPending();
              },
            });
          } catch (e) {
            subscriber.error(e);
            return;
          }
          subscriber.add(inner);
          sync = false;
        }
        if (done()) subscriber.complete();
      };

      subscriber.add(
        open$.subscribe({
          next: (isOpen) => {
            open = isOpen;
            if (open && !running) runPending();
          },
          error: (e) => subscriber.error(e),
        }),
      );
      subscriber.add(
        source.subscribe({
          next: (value) => {
            try {
              pending = pending ? { value: fold(pending.value, value) } : { value };
            } catch (e) {
              subscriber.error(e);
              return;
            }
            if (!running) runPending();
          },
          error: (e) => subscriber.error(e),
          complete: () => {
            sourceDone = true;
            if (done()) subscriber.complete();
          },
        }),
      );
    });
}
