import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it, vi } from 'vitest';
import { converged } from '../operators/converged.js';
import { MAX_TIMER_MS } from '../operators/long-timer.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const b = { t: true, f: false };

describe('converged', () => {
  it('emits once, the timeout after the last stream turns idle, then completes', () => {
    fresh().run(({ hot, cold, expectObservable }) => {
      const a = hot('  --f---t--------', b);
      const c = hot('  t------f--t----', b);
      const streams = cold('(ac)', { a, c });
      expectObservable(streams.pipe(converged(3))).toBe('-------------(0|)', { 0: true });
    });
  });

  it('with timeout 0 emits in the frame everything turns idle', () => {
    fresh().run(({ cold, expectObservable }) => {
      // The stream is there at subscription (of), so the empty start never counts as idle.
      const a = cold('f--t', b);
      expectObservable(of(a).pipe(converged(0))).toBe('---(0|)', { 0: true });
    });
  });

  it('with no streams at all converges after the timeout', () => {
    fresh().run(({ cold, expectObservable }) => {
      expectObservable(cold<never>('-').pipe(converged(2))).toBe('--(0|)', { 0: true });
    });
  });

  it('never converges while a stream flaps faster than the timeout', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('f-t-f-t-f-t-f-t-f-t-f-t-f-t-f', b);
      expectObservable(cold('a', { a }).pipe(converged(3))).toBe('-');
    });
  });

  it('a stream joining busy during the countdown restarts it', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('t', b);
      // joins at frame 2 and says busy at once, idle at frame 4: the countdown runs 4 + 3.
      const late = cold('f-t', b);
      expectObservable(cold('a-l', { a, l: late }).pipe(converged(3))).toBe('-------(0|)', { 0: true });
    });
  });

  it('a busy stream that completes releases its hold', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('f---|', b);
      expectObservable(cold('a', { a }).pipe(converged(2))).toBe('------(0|)', { 0: true });
    });
  });

  it('fires exactly once although everything stays idle for ten timeouts', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('t', b);
      const out = cold('a', { a }).pipe(converged(2));
      expectObservable(out, '^ 20ms !').toBe('--(0|)', { 0: true });
    });
  });

  it('costs O(1) per change: a repeat of the same state is ignored', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('f-f-f-t-t-t', b);
      expectObservable(cold('a', { a }).pipe(converged(2))).toBe('--------(0|)', { 0: true });
    });
  });

  it('an event in the very frame the countdown ends wins: the countdown restarts', () => {
    // The idle stream's messages are scheduled when it is subscribed (frame 0), before the
    // countdown timer is scheduled (frame 2); a virtual-time frame runs its actions in the
    // order they were scheduled, so in the shared frame 4 the event runs first and cancels it.
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('f-t-f-t', b);
      expectObservable(cold('a', { a }).pipe(converged(2))).toBe('--------(0|)', { 0: true });
    });
  });

  it('unsubscribes every idle stream once it has fired', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('f-t------', b);
      const streams = cold('a--------', { a });
      expectObservable(streams.pipe(converged(2))).toBe('----(0|)', { 0: true });
      expectSubscriptions(streams.subscriptions).toBe('^---!');
      expectSubscriptions(a.subscriptions).toBe('^---!');
    });
  });

  it('passes on an error of an idle stream or of the stream of streams', () => {
    fresh().run(({ cold, expectObservable }) => {
      const a = cold('t-#', b);
      expectObservable(cold('a', { a }).pipe(converged(5))).toBe('--#');
    });
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('t------', b);
      expectObservable(cold('a-#', { a }).pipe(converged(5))).toBe('--#');
      expectSubscriptions(a.subscriptions).toBe('^-!');
    });
  });

  it('unsubscribes the idle streams when unsubscribed before it fires', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const a = cold('t------', b);
      expectObservable(cold('a', { a }).pipe(converged(5)), '^--!').toBe('---');
      expectSubscriptions(a.subscriptions).toBe('^--!');
    });
  });

  it('waits out a timeout longer than one timer can (past 2^31-1 ms)', () => {
    const ts = fresh();
    const schedule = vi.spyOn(ts, 'schedule');
    ts.run(({ cold, expectObservable }) => {
      const a = cold('t', b);
      const ms = 3 * MAX_TIMER_MS + 5;
      expectObservable(cold('a', { a }).pipe(converged(ms, ts))).toBe(`${ms}ms (0|)`, { 0: true });
    });
    // Virtual time would not overflow: what matters is that no single wait asks for more.
    expect(Math.max(...schedule.mock.calls.map((c) => c[1] ?? 0))).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it('refuses a negative or missing timeout at once', () => {
    expect(() => converged(-1)).toThrow(/timeout must be >= 0 ms, got -1/);
    expect(() => converged(Number.NaN)).toThrow(/got NaN/);
  });
});
