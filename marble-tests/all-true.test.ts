import { BehaviorSubject, EMPTY, NEVER, type Observable, concat, from, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { allTrue } from '../operators/all-true.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const b = { t: true, f: false };

describe('allTrue', () => {
  it('says whether every stream last said true', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('t---f-----t---', b);
      const c = cold('--t----f----t-', b);
      expectObservable(of(a, c).pipe(allTrue())).toBe('f-t-f-------t-', b);
    });
  });

  it('gives its first answer only after the streams already there have spoken: no glitch', () => {
    const seen: boolean[] = [];
    of(new BehaviorSubject(true), new BehaviorSubject(false)).pipe(allTrue()).subscribe((v) => seen.push(v));
    expect(seen).toEqual([false]);
  });

  it('is true with no streams, and for streams that are true at once', () => {
    const seen: boolean[] = [];
    concat(EMPTY, NEVER).pipe(allTrue()).subscribe((v) => seen.push(v));
    from([new BehaviorSubject(true), new BehaviorSubject(true)]).pipe(allTrue()).subscribe((v) => seen.push(v));
    expect(seen).toEqual([true, true]);
  });

  it('a completed stream no longer counts', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('t------', b);
      const c = cold('f--|', b);
      expectObservable(of(a, c).pipe(allTrue())).toBe('f--t---', b);
    });
  });

  it('a stream joining later counts as false until it speaks', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('t------', b);
      // No stream at subscription: true; a joins (false) and speaks (true) in frame 0.
      const late = cold('--t', b);
      expectObservable(cold('a-----l', { a, l: late }).pipe(allTrue())).toBe('(tft)-f-t', b);
    });
  });

  // `of(...)` hands the streams over synchronously at subscription, so no join glitch shows.
  it('completes once the outer stream and every inner have completed', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('t---|', b);
      const c = cold('-t|', b);
      expectObservable(of(a, c).pipe(allTrue())).toBe('ft--|', b);
      expectSubscriptions(a.subscriptions).toBe('^---!');
      expectSubscriptions(c.subscriptions).toBe('^-!');
    });
  });

  it('passes on an inner error, unsubscribing the other streams', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-t-----', b);
      const c = cold('-t-#', b);
      expectObservable(of(a, c).pipe(allTrue())).toBe('ft-#', b);
      expectSubscriptions(a.subscriptions).toBe('^--!');
    });
  });

  it('passes on an outer error, unsubscribing every stream', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-t-----', b);
      const outer = cold<Observable<boolean>>('---#');
      expectObservable(concat(of(a), outer).pipe(allTrue())).toBe('ft-#', b);
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(outer.subscriptions).toBe('^--!');
    });
  });

  it('unsubscribes the outer stream and every inner when unsubscribed', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('-t-----', b);
      const c = cold('f-t---', b);
      const later = cold('--c---', { c });
      expectObservable(concat(of(a), later).pipe(allTrue()), '^----!').toBe('ftf-t', b);
      expectSubscriptions(later.subscriptions).toBe('^----!');
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(c.subscriptions).toBe('--^--!');
    });
  });
});
