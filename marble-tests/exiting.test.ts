// RunOptions.exiting (the CLI): the engine leaves idle vertices for the exit to free, but still
// stops everything that could act after the run has ended.
import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type RunReport, runGraphs } from '../src/engine/runner.js';
import { memoryLogger } from '../src/util/logger.js';
import { type FakeResource, fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };
const base = { log: memoryLogger(), noop: false, convergedTimeout: -1, maxRuntime: 0, exiting: true } as const;

describe('exiting', () => {
  it('a drain out of time still unsubscribes the CheckApply in flight', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const slow = cold('100ms (t|)', ok);
      const a = fake('a', ts, { runs: [() => slow] });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([a, b]) }), hot('-----s'), { ...base, scheduler: ts, drainTimeout: 0.02 });
      const r: RunReport = { reason: 'signal', failed: [], wouldChange: [], drainTimedOut: ['fake[a] (running)'] };
      expectObservable(report$).toBe('-------------------------(r|)', { r });
      expectSubscriptions(slow.subscriptions).toBe('^------------------------!');
    });
  });

  it('a failed vertex holding an event until its backoff ends never runs once the run has ended', () => {
    const ts = fresh();
    let a!: FakeResource;
    ts.run(({ cold, hot, expectObservable }) => {
      a = fake('a', ts, { runs: [() => cold('-#', undefined, new Error('boom')), () => cold('(t|)', ok)], watch: cold('---x'), meta: { delay: 20 } });
      // Fails at 1, backs off until 21; the watch event at 3 waits for that; stop at 5.
      const r: RunReport = { reason: 'signal', failed: ['fake[a]: boom'], wouldChange: [] };
      expectObservable(runGraphs(of({ kind: 'graph', graph: graphOf([a]) }), hot('-----s'), { ...base, scheduler: ts })).toBe('-----(r|)', { r });
    });
    ts.flush();
    // The first run only: the one the event asked for, due at 21, was stopped with the vertex.
    expect(frames(a)).toEqual([0]);
  });

  it('an ok vertex is left running nothing: its watch was stopped by the drain', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const watch = cold<void>('-----------x');
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      const r: RunReport = { reason: 'signal', failed: [], wouldChange: [] };
      expectObservable(runGraphs(of({ kind: 'graph', graph: graphOf([a, b], [['a', 'b']]) }), hot('---s'), { ...base, scheduler: ts })).toBe('---(r|)', { r });
      expectSubscriptions(watch.subscriptions).toBe('^--!');
      ts.flush();
      expect([frames(a), frames(b)]).toEqual([[0], [0]]);
    });
  });
});
