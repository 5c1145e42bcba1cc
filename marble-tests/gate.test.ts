import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { gate } from '../operators/gate.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const b = { t: true, f: false };
const concatFold = (a: string, c: string) => a + c;

describe('gate', () => {
  it('holds values while closed, folds them, and releases them when it opens', () => {
    fresh().run(({ hot, expectObservable }) => {
      const open = hot('f-----t------f----t--', b);
      const src = hot(' -a-b-----c----d-e----|');
      expectObservable(src.pipe(gate(open, concatFold))).toBe('------x--c--------y--|', { x: 'ab', c: 'c', y: 'de' });
    });
  });

  it('holds until the gate has spoken at all', () => {
    fresh().run(({ hot, cold, expectObservable }) => {
      const open = cold('---t', b);
      expectObservable(hot('a-b|').pipe(gate(open))).toBe('---(b|)');
    });
  });

  it('completes only after releasing what it held', () => {
    fresh().run(({ hot, expectObservable }) => {
      const open = hot('f---t', b);
      expectObservable(hot('a|').pipe(gate(open))).toBe('----(a|)');
    });
  });

  it('a repeated "open" does not re-release', () => {
    fresh().run(({ hot, expectObservable }) => {
      const open = hot('t-t-t', b);
      expectObservable(hot('-a---').pipe(gate(open))).toBe('-a---');
    });
  });
});
