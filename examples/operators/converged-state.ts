// examples/operators/converged-state.ts: converged as a state, busy again at the first busy turn.
import { deepStrictEqual } from 'node:assert/strict';
import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { convergedState } from 'rxmgmt/operators';

const b = { t: true, f: false };
new TestScheduler((actual, expected) => deepStrictEqual(actual, expected)).run(({ cold, expectObservable }) => {
  const a = cold('t-f---t--------------', b);
  const c = cold('t-----------f--t-----', b);
  expectObservable(of(a, c).pipe(convergedState(3))).toBe('f--------t--f-----t--', b);
});
