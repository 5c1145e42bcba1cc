// A BehaviorSubject for the many: every vertex holds a few, so each costs what it uses.
import { Observable, type Subscriber } from 'rxjs';

/**
 * A current value and the subscribers told each new one, as a BehaviorSubject: a subscriber
 * gets the current value at once, then every `next`, then `complete` (a subscriber that comes
 * after `complete` gets only `complete`).
 *
 * What differs is the cost. A BehaviorSubject pays per subscriber for a Subscription with its
 * teardown, the subscriber's list of finalizers (an array of 17 slots) and its own observer
 * arrays, ~0.5 KB; a vertex's cells have one subscriber each (its converger, its gate), for
 * 100 000 vertices. A Cell keeps a lone subscriber in a field and registers no teardown: a
 * subscriber that unsubscribes is dropped at the next value, or when the list has doubled
 * since it was last swept, so the list stays within twice the live subscribers.
 */
export class Cell<T> extends Observable<T> {
  private current: T;
  private watchers?: Subscriber<T> | Subscriber<T>[];
  /** Sweep the list of closed subscribers when it reaches this length. */
  private sweepAt = 4;
  private done = false;

  constructor(value: T) {
    super(joinCell);
    this.current = value;
  }

  get value(): T {
    return this.current;
  }

  /** `complete` was called. */
  get isStopped(): boolean {
    return this.done;
  }

  /** After `complete` the value still follows (as a BehaviorSubject's does); nobody is told. */
  next(value: T): void {
    this.current = value;
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

  /** Called by `subscribe` (through `joinCell`). */
  join(subscriber: Subscriber<T>): void {
    if (this.done) return subscriber.complete();
    const w = this.watchers;
    if (w === undefined || (!Array.isArray(w) && w.closed)) this.watchers = subscriber;
    else if (!Array.isArray(w)) this.watchers = [w, subscriber];
    else {
      w.push(subscriber);
      if (w.length >= this.sweepAt) this.sweep();
    }
    subscriber.next(this.current);
  }

  private sweep(): void {
    const w = this.watchers;
    if (!Array.isArray(w)) return;
    const live = w.filter((s) => !s.closed);
    this.watchers = live.length === 0 ? undefined : live.length === 1 ? live[0] : live;
    this.sweepAt = Math.max(4, live.length * 2);
  }
}

/** The subscribe function of every Cell: one shared function, no closure per cell. */
function joinCell<T>(this: Observable<T>, subscriber: Subscriber<T>): void {
  (this as Cell<T>).join(subscriber);
}
