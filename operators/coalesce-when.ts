import { Observable, type ObservableInput, type Observer, type OperatorFunction, type Subscriber, from } from 'rxjs';
import { follow } from './follow.js';

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
      const state = new Coalescing(subscriber, project, fold);
      // `follow`: a vertex's gate and triggers are a Cell and a Feed, held for its whole life.
      subscriber.add(follow(open$, new GateObserver(state)));
      subscriber.add(follow(source, state));
    });
}

/**
 * The state of one subscription, and the observer of its source. A class rather than closures
 * over `let`s: a vertex holds one for its whole life, and its inners take one small observer
 * per run (`InnerObserver`), where closures would cost several functions and a context each.
 */
class Coalescing<T, R> implements Observer<T> {
  open = false;
  running = false;
  private sourceDone = false;
  private hasPending = false;
  private pending?: T;

  constructor(
    readonly subscriber: Subscriber<R>,
    private readonly project: (value: T) => ObservableInput<R>,
    private readonly fold: (pending: T, next: T) => T,
  ) {}

  /** Done with the source once the result is (`follow`). */
  get closed(): boolean {
    return this.subscriber.closed;
  }

  next(value: T): void {
    try {
      this.pending = this.hasPending ? this.fold(this.pending as T, value) : value;
    } catch (e) {
      this.subscriber.error(e);
      return;
    }
    this.hasPending = true;
    if (!this.running) this.runPending();
  }

  error(e: unknown): void {
    this.subscriber.error(e);
  }

  complete(): void {
    this.sourceDone = true;
    if (this.done()) this.subscriber.complete();
  }

  /** Projects the pending value while the gate is open and nothing runs. */
  runPending(): void {
    const { subscriber } = this;
    while (this.open && !this.running && this.hasPending && !subscriber.closed) {
      const value = this.pending as T;
      this.pending = undefined;
      this.hasPending = false;
      this.running = true;
      const inner = new InnerObserver(this);
      try {
        subscriber.add(from(this.project(value)).subscribe(inner));
      } catch (e) {
        subscriber.error(e);
        return;
      }
      inner.sync = false;
    }
    if (this.done()) subscriber.complete();
  }

  private done(): boolean {
    return !this.running && !this.hasPending && this.sourceDone;
  }
}

class GateObserver<T, R> implements Observer<boolean> {
  constructor(private readonly state: Coalescing<T, R>) {}

  /** Done with the gate once the result is (`follow`). */
  get closed(): boolean {
    return this.state.subscriber.closed;
  }

  next(open: boolean): void {
    this.state.open = open;
    if (open && !this.state.running) this.state.runPending();
  }

  error(e: unknown): void {
    this.state.subscriber.error(e);
  }

  /** The gate stays as it last was. */
  complete(): void {}
}

class InnerObserver<T, R> implements Observer<R> {
  /** Still inside `subscribe`: a synchronous inner is continued by the loop, not by recursion. */
  sync = true;

  constructor(private readonly state: Coalescing<T, R>) {}

  next(value: R): void {
    this.state.subscriber.next(value);
  }

  error(e: unknown): void {
    this.state.subscriber.error(e);
  }

  complete(): void {
    this.state.running = false;
    if (!this.sync) this.state.runPending();
  }
}
