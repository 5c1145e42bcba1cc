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

  it('subscribes open$ and the source once, and unsubscribes both when unsubscribed', () => {
    fresh().run(({ hot, expectObservable, expectSubscriptions }) => {
      const open = hot('t-------', b);
      const src = hot('-a-b-c--');
      expectObservable(src.pipe(gate(open)), '^---!').toBe('-a-b-');
      expectSubscriptions(open.subscriptions).toBe('^---!');
      expectSubscriptions(src.subscriptions).toBe('^---!');
    });
  });

  it('passes on an error of open$ or of the source, unsubscribing the other', () => {
    fresh().run(({ hot, expectObservable, expectSubscriptions }) => {
      const open = hot('t--#', b);
      const src = hot('-a----');
      expectObservable(src.pipe(gate(open))).toBe('-a-#');
      expectSubscriptions(src.subscriptions).toBe('^--!');
    });
    fresh().run(({ hot, expectObservable, expectSubscriptions }) => {
      const open = hot('f-----', b);
      const src = hot('-a-#');
      expectObservable(src.pipe(gate(open))).toBe('---#');
      expectSubscriptions(open.subscriptions).toBe('^--!');
    });
  });

  it('sends what fold throws to the error channel', () => {
    fresh().run(({ hot, expectObservable, expectSubscriptions }) => {
      const open = hot('f-------', b);
      const src = hot('-a-b-c--');
      const fold = () => {
        throw new Error('bad fold');
      };
      expectObservable(src.pipe(gate(open, fold))).toBe('---#', undefined, new Error('bad fold'));
      expectSubscriptions(src.subscriptions).toBe('^--!');
      expectSubscriptions(open.subscriptions).toBe('^--!');
    });
  });

  it('stays open for good when open$ completes open', () => {
    fresh().run(({ hot, expectObservable }) => {
      const open = hot('t-|', b);
      expectObservable(hot('-a--b--|').pipe(gate(open))).toBe('-a--b--|');
    });
  });

  it('drops what it holds when open$ completes closed, and completes with the source', () => {
    fresh().run(({ hot, expectObservable }) => {
      const open = hot('f--|', b);
      expectObservable(hot('-a--b--|').pipe(gate(open))).toBe('-------|');
    });
    fresh().run(({ hot, cold, expectObservable }) => {
      // open$ that never spoke counts as closed; the source had already completed.
      expectObservable(hot('a|').pipe(gate(cold<boolean>('---|')))).toBe('---|');
    });
  });
});
