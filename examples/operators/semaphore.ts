// examples/operators/semaphore.ts: at most one job at a time, first come first served.
import { deepStrictEqual } from 'node:assert/strict';
import { merge } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { semaphore } from 'rxmgmt/operators';

new TestScheduler((actual, expected) => deepStrictEqual(actual, expected)).run(({ cold, expectObservable }) => {
  const lock = semaphore<string>(1);
  const job = (v: string) => cold('--v|', { v }).pipe(lock); // each job takes 3 frames
  expectObservable(merge(job('a'), job('b'), job('c'))).toBe('--a--b--c|');
});
