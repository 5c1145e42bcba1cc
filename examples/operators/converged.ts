// examples/operators/converged.ts: the TestScheduler of your own rxjs drives the operators.
import { deepStrictEqual } from 'node:assert/strict';
import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { converged } from 'rxmgmt/operators';

const ts = new TestScheduler((actual, expected) => deepStrictEqual(actual, expected));
ts.run(({ cold, expectObservable }) => {
  const worker = cold('f--t', { t: true, f: false }); // busy, idle from frame 3
  // Idle for 5 frames from frame 3: `true` at frame 8, then complete. No scheduler passed:
  // inside run(), the default one runs in virtual time too.
  expectObservable(of(worker).pipe(converged(5))).toBe('--------(x|)', { x: true });
});
