// examples/operators/all-true.ts: are all parents OK? One O(1) count, whatever their number.
import { deepStrictEqual } from 'node:assert/strict';
import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { allTrue } from 'rxmgmt/operators';

const b = { t: true, f: false };
new TestScheduler((actual, expected) => deepStrictEqual(actual, expected)).run(({ cold, expectObservable }) => {
  const a = cold('t---f-----t---', b);
  const c = cold('--t----f----t-', b);
  // false until c first speaks, false while either last said false; never a repeat.
  expectObservable(of(a, c).pipe(allTrue())).toBe('f-t-f-------t-', b);
});
