import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { convergedState } from '../operators/converged-state.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const b = { t: true, f: false };

describe('convergedState', () => {
  it('goes true after the timeout of idleness and false at the first busy turn', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('t-f---t--------------', b);
      const c = cold('t-----------f--t-----', b);
      expectObservable(of(a, c).pipe(convergedState(3))).toBe('f--------t--f-----t--', b);
    });
  });

  it('never repeats a state', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('t-t-t-t', b);
      expectObservable(of(a).pipe(convergedState(2))).toBe('f-t----', b);
    });
  });

  it('counts a stream that never reports as busy', () => {
    fresh().run(({ cold, expectObservable }) => {
      expectObservable(of(cold('-----', b)).pipe(convergedState(1))).toBe('f----', b);
    });
  });
});
