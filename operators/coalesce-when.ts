import { Observable, type ObservableInput, type Observer, type OperatorFunction, type Subscriber, type Unsubscribable, from } from 'rxjs';
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
      subscriber.add(follow(source, new SourceObserver(state)));
      return state;
    });
}

/**
 * The discipline of `coalesceWhen` without the streams around it: a caller that already knows
 * each value and each turn of the gate calls `push` and `setOpen`, and says in `begin` how a
 * value starts its run, reporting the run's end with `finished`. The engine's vertices are
 * such callers: a vertex holds one Coalescer for its whole life, where the operator costs it a
 * Subscriber, its observer, its list of finalizers, a Feed, a Cell and two observers more.
 *
 * At most one run at a time, by construction: `begin` is called only while none is active, and
 * the next one only after `finished`. A run that finishes during its own `begin` (synchronous)
 * is followed by the loop in `runPending`, not by recursion.
 */
export abstract class Coalescer<T> implements Unsubscribable {
  private isOpen = false;
  private active = false;
  /** Inside `begin`: a run finishing now is continued by the loop. */
  private starting = false;
  private hasPending = false;
  private pending?: T;
  /** The run in flight, until it finishes. */
  private run?: Unsubscribable;
  /** Runs begun: a `begin` that returns after a run begun inside it (a push from a synchronous run) must not take its place. */
  private begun = 0;
  private stopped = false;
  private sourceDone = false;

  constructor(private readonly fold: (pending: T, next: T) => T) {}

  /** Starts the run of `value`; it must call `finished` once it has ended (at once, or later). */
  protected abstract begin(value: T): Unsubscribable;

  /** Called once the source has ended (`end`) and nothing is active or pending. */
  protected drained(): void {}

  /** A `fold` or `begin` threw: the coalescer has stopped. */
  protected abstract broke(e: unknown): void;

  /** A run is in flight. */
  get running(): boolean {
    return this.active;
  }

  /** Ended by `unsubscribe` (or by a throwing `fold` or `begin`). */
  get closed(): boolean {
    return this.stopped;
  }

  /** A value: folded into the pending one, which runs as soon as the gate is open and nothing runs. */
  push(value: T): void {
    if (this.stopped) return;
    try {
      this.pending = this.hasPending ? this.fold(this.pending as T, value) : value;
    } catch (e) {
      return this.fail(e);
    }
    this.hasPending = true;
    if (!this.active) this.runPending();
  }

  /** The gate: pending values run only while it is open. */
  setOpen(open: boolean): void {
    this.isOpen = open;
    if (open && !this.active) this.runPending();
  }

  /** No more values: `drained` follows once nothing is active or pending. */
  end(): void {
    this.sourceDone = true;
    if (this.isDrained()) this.drained();
  }

  /** The run begun last has ended. */
  protected finished(): void {
    this.active = false;
    this.run = undefined;
    if (!this.starting) this.runPending();
  }

  /** Stops: the run in flight is unsubscribed, nothing pending runs. */
  unsubscribe(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.pending = undefined;
    this.hasPending = false;
    const run = this.run;
    this.run = undefined;
    run?.unsubscribe();
  }

  private runPending(): void {
    while (this.isOpen && !this.active && this.hasPending && !this.stopped) {
      const value = this.pending as T;
      this.pending = undefined;
      this.hasPending = false;
      this.active = true;
      this.starting = true;
      const seq = ++this.begun;
      let run: Unsubscribable;
      try {
        run = this.begin(value);
      } catch (e) {
        this.starting = false;
        return this.fail(e);
      } finally {
        this.starting = false;
      }
      if (this.stopped) run.unsubscribe();
      else if (this.active && seq === this.begun) this.run = run;
    }
    if (this.isDrained()) this.drained();
  }

  private isDrained(): boolean {
    return this.sourceDone && !this.active && !this.hasPending && !this.stopped;
  }

  private fail(e: unknown): void {
    this.unsubscribe();
    this.broke(e);
  }
}

/** The operator's Coalescer: runs are the projections, their values and errors the result's. */
class Coalescing<T, R> extends Coalescer<T> implements Observer<R> {
  constructor(
    readonly subscriber: Subscriber<R>,
    private readonly project: (value: T) => ObservableInput<R>,
    fold: (pending: T, next: T) => T,
  ) {
    super(fold);
  }

  protected begin(value: T): Unsubscribable {
    return from(this.project(value)).subscribe(this);
  }

  protected override drained(): void {
    this.subscriber.complete();
  }

  protected broke(e: unknown): void {
    this.subscriber.error(e);
  }

  // The observer of each run (one at a time).
  next(value: R): void {
    this.subscriber.next(value);
  }

  error(e: unknown): void {
    this.subscriber.error(e);
  }

  complete(): void {
    this.finished();
  }
}

/** The source's observer; done with it once the result is (`follow`). */
class SourceObserver<T, R> implements Observer<T> {
  constructor(private readonly state: Coalescing<T, R>) {}

  get closed(): boolean {
    return this.state.subscriber.closed;
  }

  next(value: T): void {
    this.state.push(value);
  }

  error(e: unknown): void {
    this.state.subscriber.error(e);
  }

  complete(): void {
    this.state.end();
  }
}

class GateObserver<T, R> implements Observer<boolean> {
  constructor(private readonly state: Coalescing<T, R>) {}

  /** Done with the gate once the result is (`follow`). */
  get closed(): boolean {
    return this.state.subscriber.closed;
  }

  next(open: boolean): void {
    this.state.setOpen(open);
  }

  error(e: unknown): void {
    this.state.subscriber.error(e);
  }

  /** The gate stays as it last was. */
  complete(): void {}
}
