// The sysctl resource's poll watch in virtual time: it emits on a change between readings, never
// for a steady value, skips ticks while a slow reading is under way, and takes its time only
// from the scheduler.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { Observable } from 'rxjs';
import { pollChanges } from '../src/resources/sysctl/poll.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('sysctl pollChanges', () => {
  it('emits when a reading differs from the one before, never for a steady value', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      // Readings at 0, 10, 20, ... ms; each answers at once.
      const values = ['0', '0', '1', '1', '1', '0', '0'];
      let n = 0;
      const read = (): Observable<string> => cold('(a|)', { a: values[Math.min(n++, values.length - 1)]! });
      expectObservable(pollChanges(read, 10, ts), '^ 65ms !').toBe('20ms x 29ms x', { x: undefined });
    });
  });

  it('a wrong but steady value wakes nothing (noop, or a value the kernel refuses)', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(pollChanges(() => cold('(a|)', { a: 'wrong' }), 10, ts), '^ 1000ms !').toBe('');
    });
  });

  it('does not pile up readings: a tick during a slow reading is skipped', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const started: number[] = [];
      const values = ['0', '1', '2'];
      let n = 0;
      const read = (): Observable<string> => {
        started.push(ts.now());
        return cold('15ms (a|)', { a: values[Math.min(n++, values.length - 1)]! });
      };
      // Readings start at 0 (done at 15), then 20 (ticks at 10 skipped; done at 35), then 40 (done at 55).
      expectObservable(pollChanges(read, 10, ts), '^ 56ms !').toBe('35ms x 19ms x', { x: undefined });
      ts.flush();
      expect(started).toEqual([0, 20, 40]);
    });
  });

  it('polls on for periods of any length (hours) in virtual time', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const hour = 3_600_000;
      let n = 0;
      const read = (): Observable<string> => cold('(a|)', { a: n++ < 2 ? 'x' : 'y' });
      expectObservable(pollChanges(read, hour, ts), `^ ${3 * hour}ms !`).toBe(`${2 * hour}ms x`, { x: undefined });
    });
  });
});
