import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it, vi } from 'vitest';
import { convergedState } from '../operators/converged-state.js';
import { MAX_TIMER_MS } from '../operators/long-timer.js';

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

  it('turns true after a timeout longer than one timer can (past 2^31-1 ms)', () => {
    const ts = fresh();
    const schedule = vi.spyOn(ts, 'schedule');
    ts.run(({ cold, expectObservable }) => {
      const ms = 2 * MAX_TIMER_MS + 7;
      expectObservable(of(cold('t', b)).pipe(convergedState(ms, ts))).toBe(`f ${ms - 1}ms t`, b);
    });
    // Virtual time would not overflow: what matters is that no single wait asks for more.
    expect(Math.max(...schedule.mock.calls.map((c) => c[1] ?? 0))).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it('completes when the streams are done and passes on their errors', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      // Once every stream has completed nothing holds the converger: the countdown still runs out.
      const a = cold('f-t--|', b);
      expectObservable(of(a).pipe(convergedState(10))).toBe('f 11ms (t|)', b);
      expectSubscriptions(a.subscriptions).toBe('^----!');
    });
    fresh().run(({ cold, expectObservable }) => {
      expectObservable(of(cold('t-#', b)).pipe(convergedState(1))).toBe('ft#', b);
    });
  });

  it('unsubscribes the idle streams and the countdown when unsubscribed', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('t----', b);
      expectObservable(of(a).pipe(convergedState(3)), '^-!').toBe('f--', b);
      expectSubscriptions(a.subscriptions).toBe('^-!');
    });
  });
});
