import { concat, defer, merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { rateLimit } from '../operators/rate-limit.js';

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
});
