// examples/operators/gate.ts: values wait while the gate is closed, and leave as one when it opens.
import { deepStrictEqual } from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { gate } from 'rxmgmt/operators';

new TestScheduler((actual, expected) => deepStrictEqual(actual, expected)).run(({ hot, expectObservable }) => {
  const open = hot('f-----t------f----t--', { t: true, f: false });
  const source = hot('-a-b-----c----d-e----|');
  const fold = (held: string, next: string) => held + next;
  expectObservable(source.pipe(gate(open, fold))).toBe('------x--c--------y--|', { x: 'ab', c: 'c', y: 'de' });
});
