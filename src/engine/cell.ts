// A Subject and a BehaviorSubject for the many: every vertex holds a few, so each costs what it uses.
import { Observable, type Subscriber } from 'rxjs';
import type { Listenable, Listener } from '../../operators/follow.js';

/**
 * Subscribers told each value, then `complete`, as a Subject's are (one that comes after
 * `complete` gets only `complete`).
 *
 * What differs is the cost. A Subject pays per subscriber for a Subscription with its teardown,
 * the subscriber's list of finalizers (an array of 17 slots) and its own observer arrays,
 * ~0.5 KB; a vertex's feeds have one subscriber each (its converger, its gate, its pipeline),
 * for 100 000 vertices. A Feed keeps a lone subscriber in a field and registers no teardown: a
 * subscriber that unsubscribes is dropped at the next value, or when the list has doubled
 * since it was last swept, so the list stays within twice the live subscribers.
 *
 * The engine's own followers (the converger, a vertex's gate and pipeline) `listen` instead of
 * subscribing (see operators/follow.ts): a Listener is told the same, without a Subscriber.
 */
export class Feed<T> extends Observable<T> implements Listenable<T> {
  private watchers?: Listener<T> | Listener<T>[];
  /** Sweep the list of closed subscribers when it reaches this length. */
  private sweepAt = 4;
  private done = false;

  /**
   * What `subscribe` calls: RxJS's own hook, overridden as Subject does, so that a feed holds
   * no subscribe function of its own.
   */
  protected _subscribe(subscriber: Subscriber<T>): void {
    this.join(subscriber);
  }

  /** `complete` was called. */
  get isStopped(): boolean {
    return this.done;
  }

  /** Some subscriber still listens. */
  get observed(): boolean {
    const w = this.watchers;
    return w === undefined ? false : Array.isArray(w) ? w.some((s) => !s.closed) : !w.closed;
  }

  next(value: T): void {
    if (this.done) return;
    const w = this.watchers;
    if (w === undefined) return;
    if (!Array.isArray(w)) {
      if (w.closed) this.watchers = undefined;
      else w.next(value);
      return;
    }
    // A copy: subscribers that join or leave during the delivery do not disturb it.
    let gone = false;
    for (const s of w.slice()) {
      if (s.closed) gone = true;
      else s.next(value);
    }
    if (gone) this.sweep();
  }

  complete(): void {
    if (this.done) return;
    this.done = true;
    const w = this.watchers;
    this.watchers = undefined;
    if (w === undefined) return;
    for (const s of Array.isArray(w) ? w : [w]) s.complete();
  }

  /** Follows this feed as a subscriber would, without one (operators/follow.ts). */
  listen(listener: Listener<T>): void {
    this.join(listener);
  }

  /** Called by `subscribe` (through `_subscribe`) and by `listen`. */
  join(subscriber: Listener<T>): void {
    if (this.done) return subscriber.complete();
    const w = this.watchers;
    if (w === undefined || (!Array.isArray(w) && w.closed)) this.watchers = subscriber;
    else if (!Array.isArray(w)) this.watchers = [w, subscriber];
    else {
      w.push(subscriber);
      if (w.length >= this.sweepAt) this.sweep();
    }
    this.joined(subscriber);
  }

  /** What a new subscriber is told at once: nothing (a Cell tells its value). */
  protected joined(_subscriber: Listener<T>): void {}

  private sweep(): void {
    const w = this.watchers;
    if (!Array.isArray(w)) return;
    const live = w.filter((s) => !s.closed);
    this.watchers = live.length === 0 ? undefined : live.length === 1 ? live[0] : live;
    this.sweepAt = Math.max(4, live.length * 2);
  }
}

/**
 * A Feed with a current value, as a BehaviorSubject: a subscriber gets the current value at
 * once, then every `next`, then `complete`.
 */
export class Cell<T> extends Feed<T> {
  private current: T;

  constructor(value: T) {
    super();
    this.current = value;
  }

  get value(): T {
    return this.current;
  }

  /** After `complete` the value still follows (as a BehaviorSubject's does); nobody is told. */
  override next(value: T): void {
    this.current = value;
    super.next(value);
  }

  protected override joined(subscriber: Listener<T>): void {
    subscriber.next(this.current);
  }
}
