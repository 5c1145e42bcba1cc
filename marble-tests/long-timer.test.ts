// longTimer in virtual time: durations past setTimeout's 2^31-1 ms limit are waited in full.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, longTimer } from '../operators/long-timer.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('longTimer', () => {
  it('behaves as timer for short durations', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      expectObservable(longTimer(5, ts)).toBe('-----(0|)', { 0: 0 });
    });
  });

  it('waits ten years, not one millisecond', () => {
    const ts = fresh();
    const tenYears = 10 * 365 * 24 * 3600 * 1000;
    ts.run(({ expectObservable }) => {
      expectObservable(longTimer(tenYears, ts)).toBe(`${tenYears}ms (0|)`, { 0: 0 });
    });
  });

  it('takes a zero or negative duration as zero, and unsubscribing stops the chain', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      expectObservable(longTimer(-3, ts)).toBe('(0|)', { 0: 0 });
      expectObservable(longTimer(MAX_TIMER_MS * 2, ts), `${MAX_TIMER_MS + 10}ms !`).toBe('');
    });
  });
});
