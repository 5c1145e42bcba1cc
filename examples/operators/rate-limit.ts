// examples/operators/rate-limit.ts: `burst` runs back to back, then `limit` per second.
import { deepStrictEqual } from 'node:assert/strict';
import { merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { rateLimit } from 'rxmgmt/operators';

// Made before any scheduler runs (say, at module level): its clock is read at first use.
const limited = rateLimit<string>(100, 2); // 100 per second = one every 10 ms; 2 back to back

new TestScheduler((actual, expected) => deepStrictEqual(actual, expected)).run(({ cold, expectObservable }) => {
  const job = (v: string) => cold('v|', { v }).pipe(limited);
  expectObservable(merge(job('a'), job('b'), job('c'), job('d'))).toBe('(ab)------c---------d|');
});
