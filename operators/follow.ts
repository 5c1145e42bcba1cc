import type { Observable, Observer, Unsubscribable } from 'rxjs';

/**
 * A follower of a stream that needs no Subscriber: told each value and the completion, never an
 * error, and dropped by the stream once it says it is `closed`. It must not throw (nothing
 * catches for it).
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
 * `stream.subscribe(follower)`, for the engine's own observers of the streams every vertex
 * holds: a Listenable takes the follower itself, where a subscription costs a SafeSubscriber
 * and a ConsumerObserver (~100 B per follower, several per vertex). The follower leaves by
 * turning `closed`; the Unsubscribable returned (none for a Listenable) must be unsubscribed
 * too, for any other stream, whose errors reach `follower.error` as with `subscribe`.
 */
export function follow<T>(stream: Observable<T>, follower: Observer<T> & Listener<T>): Unsubscribable | undefined {
  if (!isListenable(stream)) return stream.subscribe(follower);
  stream.listen(follower);
  return undefined;
}
