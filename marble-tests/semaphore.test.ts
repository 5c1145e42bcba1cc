import { EMPTY, catchError, merge, takeUntil } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { semaphore } from '../operators/semaphore.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('semaphore', () => {
  it('with one permit runs one at a time, first come first served', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const lock = semaphore<string>(1);
      const a = cold('--a|');
      const b = cold('--b|');
      const c = cold('--c|');
      expectObservable(merge(a.pipe(lock), b.pipe(lock), c.pipe(lock))).toBe('--a--b--c|');
      expectSubscriptions(a.subscriptions).toBe('^--!');
      expectSubscriptions(b.subscriptions).toBe('---^--!');
      expectSubscriptions(c.subscriptions).toBe('------^--!');
    });
  });

  it('with two permits runs two at a time', () => {
    fresh().run(({ cold, expectObservable }) => {
      const two = semaphore<string>(2);
      const job = (v: string) => cold('----v|', { v }).pipe(two);
      expectObservable(merge(job('a'), job('b'), job('c'))).toBe('----(ab)-c|');
    });
  });

  it('gives the permit back on error and on unsubscribe', () => {
    fresh().run(({ cold, hot, expectObservable }) => {
      const lock = semaphore<string>(1);
      const failing = cold<string>('-#').pipe(lock, catchError(() => EMPTY));
      const leaver = cold('-----x|').pipe(lock, takeUntil(hot('---s')));
      const after = cold('-y|').pipe(lock);
      // failing holds 0..1; leaver holds 1..3 and is unsubscribed; after runs 3..5.
      expectObservable(merge(failing, leaver, after)).toBe('----y|');
    });
  });

  it('forgets a waiter that leaves before its turn', () => {
    fresh().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const lock = semaphore<string>(1);
      const holder = cold('----a|');
      const quitter = cold('-q|');
      const next = cold('-n|');
      const out = merge(holder.pipe(lock), quitter.pipe(lock, takeUntil(hot('--s'))), next.pipe(lock));
      expectObservable(out).toBe('----a-n|');
      expectSubscriptions(quitter.subscriptions).toBe([]);
    });
  });

  it('refuses a non-positive number of permits', () => {
    expect(() => semaphore(0)).toThrow(/positive integer/);
  });

  it('passes on errors and completion, and unsubscribes the source when unsubscribed', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const lock = semaphore<string>(1);
      const failing = cold('-a#');
      const held = cold('---b---');
      expectObservable(failing.pipe(lock)).toBe('-a#');
      expectObservable(held.pipe(lock), '^-------!').toBe('-----b--');
      expectSubscriptions(failing.subscriptions).toBe('^-!');
      expectSubscriptions(held.subscriptions).toBe('--^-----!');
    });
  });
});
