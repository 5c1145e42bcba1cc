// examples/operators/coalesce.ts: one run at a time; a burst during a run makes ONE more run.
import { deepStrictEqual } from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { coalesce } from 'rxmgmt/operators';

new TestScheduler((actual, expected) => deepStrictEqual(actual, expected)).run(({ cold, expectObservable }) => {
  const events = cold('-abcd-------e----|');
  const runs = events.pipe(
    coalesce(
      (v) => cold('---v|', { v }), // a run that takes 3 frames and reports what it ran for
      (pending, next) => pending + next, // b, c and d arrive during a's run: folded into "bcd"
    ),
  );
  expectObservable(runs).toBe('----a---x------e-|', { a: 'a', x: 'bcd', e: 'e' });
});
