import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { coalesce } from '../operators/coalesce.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const concatFold = (a: string, b: string) => a + b;

describe('coalesce', () => {
  it('runs one inner at a time and folds everything that arrives meanwhile into one trailing run', () => {
    fresh().run(({ cold, expectObservable }) => {
      const source = cold('-abcd-------e----|');
      const out = source.pipe(coalesce((v) => cold('---v|', { v }), concatFold));
      expectObservable(out).toBe('----a---x------e-|', { a: 'a', x: 'bcd', e: 'e' });
    });
  });

  it('without a fold keeps only the latest pending value', () => {
    fresh().run(({ cold, expectObservable }) => {
      const source = cold('abc---|');
      const out = source.pipe(coalesce((v) => cold('--v|', { v })));
      expectObservable(out).toBe('--a--c|');
    });
  });

  it('never overlaps two inners', () => {
    fresh().run(({ cold, expectSubscriptions, expectObservable }) => {
      // The third "a" lands in the frame the first run ends: it folds into the pending one.
      const inner = cold('--x|');
      const source = cold('aa-a|');
      expectObservable(source.pipe(coalesce(() => inner))).toBe('--x--x|');
      expectSubscriptions(inner.subscriptions).toBe(['^--!', '---^--!']);
    });
  });

  it('handles synchronous inners without recursion', () => {
    fresh().run(({ cold, expectObservable }) => {
      const source = cold('abc|');
      expectObservable(source.pipe(coalesce((v) => of(v.toUpperCase())))).toBe('ABC|');
    });
  });

  it('waits for the pending run before completing', () => {
    fresh().run(({ cold, expectObservable }) => {
      const source = cold('ab|');
      expectObservable(source.pipe(coalesce((v) => cold('---v|', { v })))).toBe('---a---b|');
    });
  });

  it('passes on an inner error', () => {
    fresh().run(({ cold, expectObservable }) => {
      expectObservable(cold('a--').pipe(coalesce(() => cold('--#', undefined, new Error('boom'))))).toBe(
        '--#',
        undefined,
        new Error('boom'),
      );
    });
  });

  it('passes on a source error, unsubscribing the running inner', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('----x|');
      const source = cold('a-#');
      expectObservable(source.pipe(coalesce(() => inner))).toBe('--#');
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(inner.subscriptions).toBe('^-!');
    });
  });

  it('sends what project throws to the error channel and unsubscribes the source', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-|');
      const out = source.pipe(
        coalesce((v: string) => {
          if (v === 'b') throw new Error('bad project');
          return cold('v|', { v });
        }),
      );
      expectObservable(out).toBe('-a-#', undefined, new Error('bad project'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('sends what fold throws to the error channel and unsubscribes everything', () => {
    fresh().run(({ cold, expectObservable, expectSubscriptions }) => {
      const inner = cold('---x|');
      const source = cold('abc|');
      const fold = () => {
        throw new Error('bad fold');
      };
      expectObservable(source.pipe(coalesce(() => inner, fold))).toBe('--#', undefined, new Error('bad fold'));
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(inner.subscriptions).toBe('^-!');
    });
  });

  it('unsubscribes the source and the running inner when unsubscribed', () => {
    fresh().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const inner = cold('------x|');
      const source = hot('-a-b-----');
      expectObservable(source.pipe(coalesce(() => inner)), '^---!').toBe('-----');
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(inner.subscriptions).toBe('-^--!');
    });
  });
});
