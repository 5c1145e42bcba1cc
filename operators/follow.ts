import type { Observable, Observer, Unsubscribable } from 'rxjs';

/**
 * A follower of a stream that needs no Subscriber: told each value and the completion, never an
 * error, and dropped by the stream once `closed`. It must not throw (nothing catches for it).
 */
export interface Listener<T> {
  readonly closed: boolean;
  next(value: T): void;
  complete(): void;
}

/** A stream that takes Listeners besides subscribers (the engine's Feeds and Cells, which never error). */
export interface Listenable<T> {
  listen(listener: Listener<T>): void;
}

const isListenable = <T>(stream: Observable<T>): stream is Observable<T> & Listenable<T> =>
  typeof (stream as Partial<Listenable<T>>).listen === 'function';

/**
 * `stream.subscribe(observer)`, for the engine's own observers of the streams every vertex
 * holds: a Listenable is followed through one small object, where a subscription costs a
 * SafeSubscriber and a ConsumerObserver (~100 B per follower, several per vertex). Errors go
 * to `observer.error` as with `subscribe`; the observer must not throw.
 */
export function follow<T>(stream: Observable<T>, observer: Observer<T>): Unsubscribable {
  if (!isListenable(stream)) return stream.subscribe(observer);
  const following = new Following(observer);
  stream.listen(following);
  return following;
}

class Following<T> implements Listener<T>, Unsubscribable {
  closed = false;

  constructor(private readonly observer: Observer<T>) {}

  next(value: T): void {
    if (!this.closed) this.observer.next(value);
  }

  complete(): void {
    if (this.closed) return;
    this.closed = true;
    this.observer.complete();
  }

  unsubscribe(): void {
    this.closed = true;
  }
}
