import { type Unsubscribable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Coalescer, coalesceWhen } from '../operators/coalesce-when.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const concatFold = (a: string, b: string) => a + b;
const bool = { t: true, f: false };

describe('coalesceWhen', () => {
  it('holds values while closed, folds them, and projects one when it opens', () => {
    fresh().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const open = hot('f----t-----', bool);
      const source = cold('-a-b-------|');
      expectObservable(source.pipe(coalesceWhen(open, (v) => cold('-v|', { v }), concatFold))).toBe('------x----|', { x: 'ab' });
      expectSubscriptions(source.subscriptions).toBe('^----------!');
      expectSubscriptions(open.subscriptions).toBe('^----------!');
    });
  });

  it('one inner at a time; what arrives meanwhile waits for the gate too', () => {
    fresh().run(({ cold, hot, expectObservable }) => {
      // a runs 1..3; b arrives meanwhile; the gate shuts at 2 and opens at 6: y = bcd at 6.
      const open = hot('t-f---t-----', bool);
      const source = cold('-abc-d------|');
      expectObservable(source.pipe(coalesceWhen(open, (v) => cold('--v|', { v }), concatFold))).toBe('---a----y---|', { a: 'a', y: 'bcd' });
    });
  });

  it('a gate that never opens holds its value: no completion while something is pending', () => {
    fresh().run(({ cold, hot, expectObservable }) => {
      const open = hot('f', bool);
      expectObservable(cold('a|').pipe(coalesceWhen(open, (v) => of(v)))).toBe('');
    });
  });

  it('handles synchronous inners and a synchronous open gate without recursion', () => {
    fresh().run(({ cold, expectObservable }) => {
      expectObservable(cold('abc|').pipe(coalesceWhen(of(true), (v) => of(v.toUpperCase())))).toBe('ABC|');
    });
  });

  it('passes on errors of the source, the gate and the inner', () => {
    fresh().run(({ cold, expectObservable }) => {
      const open = cold('t', bool);
      expectObservable(cold('-#').pipe(coalesceWhen(open, (v) => of(v)))).toBe('-#');
      expectObservable(cold('a').pipe(coalesceWhen(cold('--#'), (v) => of(v)))).toBe('--#');
      expectObservable(cold('a').pipe(coalesceWhen(open, () => cold('-#')))).toBe('-#');
    });
  });

  it('a throwing project or fold goes to the error channel', () => {
    fresh().run(({ cold, expectObservable }) => {
      const open = cold('t', bool);
      const boom = new Error('boom');
      const throwing = (): never => {
        throw boom;
      };
      expectObservable(cold('a').pipe(coalesceWhen(open, throwing))).toBe('#', undefined, boom);
      // a runs; b waits; c is folded with b: the fold throws.
      expectObservable(cold('abc').pipe(coalesceWhen(open, () => cold('---x'), throwing))).toBe('--#', undefined, boom);
    });
  });

  it('unsubscribing ends the inner, the source and the gate', () => {
    fresh().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const open = hot('t', bool);
      const inner = cold('-----x|');
      const source = cold('a----');
      expectObservable(source.pipe(coalesceWhen(open, () => inner)), '--!').toBe('');
      expectSubscriptions(inner.subscriptions).toBe('^-!');
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(open.subscriptions).toBe('^-!');
    });
  });
});

describe('Coalescer (the discipline without streams, as a vertex drives it)', () => {
  /** Runs that end at once, except `slow`; the run of `a` pushes `slow` from inside itself. */
  class Probe extends Coalescer<string> {
    log: string[] = [];
    constructor() {
      super((a, b) => a + b);
    }
    protected begin(v: string): Unsubscribable {
      this.log.push(`begin ${v}`);
      if (v === 'slow') return { unsubscribe: () => this.log.push('slow unsubscribed') };
      if (v === 'a') this.push('slow');
      this.finished();
      return { unsubscribe: () => this.log.push(`${v} unsubscribed (already ended)`) };
    }
    protected broke(e: unknown): void {
      this.log.push(`broke ${String(e)}`);
    }
  }

  it('a run pushed from inside a synchronous run keeps its own handle: unsubscribing stops it', () => {
    const c = new Probe();
    c.setOpen(true);
    c.push('a');
    expect(c.running).toBe(true);
    c.unsubscribe();
    expect(c.log).toEqual(['begin a', 'begin slow', 'slow unsubscribed']);
  });

  it('holds values while the gate is shut, folds them, and runs one when it opens', () => {
    const c = new Probe();
    c.push('x');
    c.push('y');
    expect(c.log).toEqual([]);
    c.setOpen(true);
    expect(c.log).toEqual(['begin xy']);
  });
});
