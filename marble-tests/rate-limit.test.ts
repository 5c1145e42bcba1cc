import { concat, defer, merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../operators/rate-limit.js';

// Made at module level on the default scheduler, long before any TestScheduler runs: its
// clock must be read at first use, or its bucket would date from the wall clock's now.
const moduleLevel = rateLimit<string>(100, 1);

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('rateLimit', () => {
  it('lets `burst` through at once, then `limit` per second', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      // 100 per second = one token every 10 virtual ms; bucket of 2.
      const limited = rateLimit<string>(100, 2, ts);
      const job = (v: string) => cold('v|', { v }).pipe(limited);
      expectObservable(merge(job('a'), job('b'), job('c'), job('d'))).toBe('(ab)------c---------d|');
    });
  });

  it('refills while idle, up to the burst', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const limited = rateLimit<string>(100, 1, ts);
      const job = (v: string) => defer(() => cold('v|', { v }).pipe(limited));
      // a at 0; b must wait for the refill at 10; c (asked at 40 after 30 idle) goes at once.
      const later = cold('----------------------------------------x|');
      expectObservable(merge(concat(job('a'), job('b')), concat(later, job('c')))).toBe(
        'a---------b-----------------------------xc|',
      );
    });
  });

  it('burst 0 behaves as a bucket of one', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const limited = rateLimit<string>(50, 0, ts);
      const job = (v: string) => cold('v|', { v }).pipe(limited);
      expectObservable(merge(job('a'), job('b'))).toBe('a-------------------b|');
    });
  });

  it('refuses a limit that is not positive', () => {
    expect(() => rateLimit(0, 1)).toThrow(/limit must be > 0/);
  });

  it('reads the clock at first use: a limiter made at module level works under a TestScheduler', () => {
    fresh().run(({ cold, expectObservable }) => {
      const job = (v: string) => cold('v|', { v }).pipe(moduleLevel);
      expectObservable(merge(job('a'), job('b'))).toBe('a---------b|');
    });
  });

  it('subscribes the source only once it has a token, and never when unsubscribed first', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limited = rateLimit<string>(100, 1, ts);
      const a = cold('a|');
      const b = cold('b|');
      const c = cold('c|');
      expectObservable(merge(a.pipe(limited), b.pipe(limited))).toBe('a---------b|');
      expectSubscriptions(a.subscriptions).toBe('^!');
      expectSubscriptions(b.subscriptions).toBe('----------^!');
      expectObservable(c.pipe(limited), '^--!').toBe('---');
      expectSubscriptions(c.subscriptions).toBe([]);
    });
  });

  it('passes on an error of the source', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const limited = rateLimit<string>(100, 1, ts);
      expectObservable(cold('-#').pipe(limited)).toBe('-#');
    });
  });

  it('refuses a negative or missing burst', () => {
    expect(() => rateLimit(1, -1)).toThrow(/burst must be >= 0, got -1/);
    expect(() => rateLimit(1, Number.NaN)).toThrow(/burst must be >= 0, got NaN/);
  });
});
