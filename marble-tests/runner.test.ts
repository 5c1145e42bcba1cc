// Convergence races and exit, pinned in virtual time: the whole main job under TestScheduler.
import { EMPTY, NEVER, type Observable, combineLatest, interval, map, of, shareReplay, startWith } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type GraphEvent, type RunReport, describeSwap, runGraphs } from '../src/engine/runner.js';
import type { Graph } from '../src/model/graph.js';
import { memoryLogger } from '../src/util/logger.js';
import { fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };
const graph = (g: Graph): GraphEvent => ({ kind: 'graph', graph: g });
const loading: GraphEvent = { kind: 'loading' };

/** Runs with a converged timeout of `frames` virtual milliseconds. */
function run(ts: TestScheduler, graphs$: Observable<GraphEvent>, timeoutFrames: number, stop$: Observable<unknown> = NEVER, noop = false) {
  const log = memoryLogger();
  const report$ = runGraphs(graphs$, stop$, {
    scheduler: ts,
    log,
    noop,
    convergedTimeout: timeoutFrames / 1000,
    maxRuntime: 0,
  });
  return { report$, log };
}

const clean = (reason: RunReport['reason']): RunReport => ({ reason, failed: [], wouldChange: [] });

describe('converged exit', () => {
  it('--converged-timeout=0 exits in the frame the last run ends', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('--(t|)', ok)] });
      expectObservable(run(ts, of(graph(graphOf([a]))), 0).report$).toBe('--(r|)', { r: clean('converged') });
    });
  });

  it('an event in the very frame the countdown ends wins, and the countdown starts again', () => {
    // The watch's event was scheduled when the test was set up, before the countdown's timer,
    // and a virtual frame runs actions in the order they were scheduled: the event runs first,
    // makes the vertex busy, and cancels the countdown; 5 + 1 (the run) + 5 = 11.
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok), () => cold('-(t|)', ok)], watch: hot('-----x') });
      expectObservable(run(ts, of(graph(graphOf([a]))), 5).report$).toBe('-----------(r|)', { r: clean('converged') });
    });
  });

  it('a resource flapping faster than the timeout never converges', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('-(t|)', ok)], watch: interval(2, ts) });
      const stop$ = hot('100ms x');
      expectObservable(run(ts, of(graph(graphOf([a]))), 5, stop$).report$).toBe('100ms (r|)', { r: clean('signal') });
    });
  });

  it('a graph swap during the countdown restarts it, leaving unchanged vertices untouched', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      const c = fake('c', ts, { runs: [() => cold('--(t|)', ok)] });
      const graphs$ = cold('---lg', { l: loading, g: graph(graphOf([a, c])) }).pipe(startWith(graph(graphOf([a]))));
      // idle at 0, swap starts at 3 (loading holds the converger), c runs 4..6, +10 = 16.
      expectObservable(run(ts, graphs$, 10).report$).toBe('----------------(r|)', { r: clean('converged') });
      ts.flush();
      expect(frames(a)).toEqual([0]);
      expect(frames(c)).toEqual([4]);
    });
  });

  it('fires exactly once although everything stays idle for ten timeouts', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      expectObservable(run(ts, of(graph(graphOf([a]))), 3).report$, '^ 40ms !').toBe('---(r|)', { r: clean('converged') });
    });
  });

  it('a resource out of retries is reported and does not hang the exit', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('-#', undefined, new Error('boom'))], meta: { retry: 1, delay: 2 } });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      const report: RunReport = { reason: 'converged', failed: ['fake[a]: boom'], wouldChange: [] };
      // attempts at 0 and 3, failed at 4, + 5.
      expectObservable(run(ts, of(graph(graphOf([a, b], [['a', 'b']]))), 5).report$).toBe('---------(r|)', { r: report });
      ts.flush();
      expect(frames(b)).toEqual([]);
    });
  });

  it('with no graph at all, converges after the timeout', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      expectObservable(run(ts, EMPTY, 2).report$).toBe('--(r|)', { r: clean('converged') });
    });
  });

  it('--noop reports what would change', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(f|)', ok)] });
      const r: RunReport = { reason: 'converged', failed: [], wouldChange: ['fake[a]'] };
      expectObservable(run(ts, of(graph(graphOf([a]))), 0, NEVER, true).report$).toBe('(r|)', { r });
    });
  });
});

describe('exit drains', () => {
  it('waits for the CheckApply in flight and for the children it pokes, and takes no new events', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, {
        runs: [() => cold('(t|)', ok), () => cold('-----(f|)', ok)],
        watch: hot('----------x--x'),
      });
      const b = fake('b', ts, { runs: [() => cold('--(t|)', ok)] });
      const stop$ = hot('------------s');
      // a runs 10..15 and changes; b (poked) runs 15..17; a's event at 13 is refused.
      expectObservable(run(ts, of(graph(graphOf([a, b], [['a', 'b']]))), -1000, stop$).report$).toBe(
        '-----------------(r|)',
        { r: clean('signal') },
      );
      ts.flush();
      expect(frames(a)).toEqual([0, 10]);
      expect(frames(b)).toEqual([0, 15]);
    });
  });

  it("waits for the pokes down a whole chain: a grandchild idle when the drain began still runs", () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok), () => cold('-----(f|)', ok)], watch: hot('----------x') });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok), () => cold('--(f|)', ok)] });
      const c = fake('c', ts, { runs: [() => cold('---(t|)', ok)] });
      const d = fake('d', ts, { runs: [() => cold('(t|)', ok)] });
      // a runs 10..15 and changes; b (poked) 15..17 and changes; c (poked) 17..20; d is never busy.
      expectObservable(run(ts, of(graph(graphOf([a, b, c, d], [['a', 'b'], ['b', 'c']]))), -1000, hot('------------s')).report$).toBe(
        '--------------------(r|)',
        { r: clean('signal') },
      );
      ts.flush();
      expect([frames(a), frames(b), frames(c), frames(d)]).toEqual([[0, 10], [0, 15], [0, 17], [0]]);
    });
  });

  it('does not wait for a retry delay that has not elapsed', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('-#', undefined, new Error('boom'))], meta: { retry: -1, delay: 50 } });
      const r: RunReport = { reason: 'signal', failed: ['fake[a]: boom'], wouldChange: [] };
      expectObservable(run(ts, of(graph(graphOf([a]))), -1000, hot('---s')).report$).toBe('---(r|)', { r });
    });
  });
});

describe('bounded drain', () => {
  it('waits at most drainTimeout, then reports what was still running and unsubscribes its CheckApply', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const slow = cold('100ms (t|)', ok);
      const a = fake('a', ts, { runs: [() => slow] });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      const report$ = runGraphs(of(graph(graphOf([a, b]))), hot('-----s'), {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: -1,
        maxRuntime: 0,
        drainTimeout: 0.02,
      });
      const r: RunReport = { reason: 'signal', failed: [], wouldChange: [], drainTimedOut: ['fake[a] (running)'] };
      // Stop at 5, drain until 25: a's run (0..100) is cut off there.
      expectObservable(report$).toBe('-------------------------(r|)', { r });
      expectSubscriptions(slow.subscriptions).toBe('^------------------------!');
    });
  });

  it('a drain that finishes in time reports no timeout', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('----(t|)', ok)] });
      const report$ = runGraphs(of(graph(graphOf([a]))), hot('-s'), { scheduler: ts, log: memoryLogger(), noop: false, convergedTimeout: -1, maxRuntime: 0, drainTimeout: 0.02 });
      expectObservable(report$).toBe('----(r|)', { r: clean('signal') });
    });
  });

  it('a hold that does not replay its state keeps the drain waiting until the timeout (the documented contract)', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      // Says true once, at 1; a new subscriber (the drain's) hears nothing.
      const hold = hot('-t', ok);
      const report$ = runGraphs(of(graph(graphOf([a]))), hot('---s'), { scheduler: ts, log: memoryLogger(), noop: false, convergedTimeout: -1, maxRuntime: 0, holds: [hold], drainTimeout: 0.01 });
      const r: RunReport = { reason: 'signal', failed: [], wouldChange: [], drainTimedOut: [] };
      expectObservable(report$).toBe('-------------(r|)', { r });
    });
  });
});

describe('graph swap', () => {
  it('stops removed vertices, restarts changed ones after their run, and rewires edges', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectSubscriptions }) => {
      const watchA = hot('-');
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: watchA });
      const b = fake('b', ts, { runs: [() => cold('---(t|)', ok)], fingerprint: 'b1' });
      const b2 = fake('b', ts, { runs: [() => cold('(t|)', ok)], fingerprint: 'b2' });
      const c = fake('c', ts, { runs: [() => cold('(f|)', ok)] });
      // v1: a, b. v2 at frame 1 (b mid-run): a removed, b changed, c new and b's parent.
      const graphs$ = cold('-g', { g: graph(graphOf([b2, c], [['c', 'b']])) }).pipe(startWith(graph(graphOf([a, b]))));
      run(ts, graphs$, -1000).report$.subscribe();
      ts.flush();
      expectSubscriptions(watchA.subscriptions).toBe('^!');
      expect(frames(b)).toEqual([0]);
      // b2 starts when b's run ends (3), and runs once c is OK (c ran at 1).
      expect(frames(c)).toEqual([1]);
      expect(frames(b2)).toEqual([3]);
    });
  });

  it('logs what a swap changed: +added -removed ~changed', () => {
    const ts = fresh();
    let log: ReturnType<typeof memoryLogger> | undefined;
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      const b1 = fake('b', ts, { runs: [() => cold('(t|)', ok)], fingerprint: 'b1' });
      const b2 = fake('b', ts, { runs: [() => cold('(t|)', ok)], fingerprint: 'b2' });
      const c = fake('c', ts, { runs: [() => cold('(t|)', ok)] });
      const d = fake('d', ts, { runs: [() => cold('(t|)', ok)] });
      const graphs$ = cold('-g-h', { g: graph(graphOf([b2, c, d])), h: graph(graphOf([b2, c, d])) }).pipe(startWith(graph(graphOf([a, b1, d]))));
      const r = run(ts, graphs$, 10);
      log = r.log;
      r.report$.subscribe();
    });
    expect(log!.lines.filter((l) => l.includes('graph swap'))).toEqual(['info graph swap: +fake[c] -fake[a] ~fake[b]', 'info graph swap: nothing changed']);
  });

  it('a swap log names at most 20 vertices of each sign', () => {
    const keys = Array.from({ length: 23 }, (_, i) => `file[f${i}]`);
    const text = describeSwap({ added: keys, removed: ['svc[x]'], changed: [] });
    expect(text).toContain('+file[f19] (and 3 more +) -svc[x]');
    expect(text).not.toContain('file[f20]');
  });

  it('a graph that fails to load is reported and the running graph keeps running', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: hot('------x') });
      const bad: GraphEvent = { kind: 'error', error: new Error('g.yaml:3: bad') };
      const graphs$ = cold('--lb', { l: loading, b: bad }).pipe(startWith(graph(graphOf([a]))));
      const { report$, log } = run(ts, graphs$, 10);
      expectObservable(report$).toBe('----------------(r|)', { r: clean('converged') });
      ts.flush();
      expect(frames(a)).toEqual([0, 6]);
      expect(log.lines).toContainEqual(expect.stringMatching(/g\.yaml:3: bad.*keeping the running graph/s));
    });
  });
});

describe('fleet and status', () => {
  it('with a fleet, exits when the fleet says every host is converged, not before', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      const others = hot('f----------t', ok); // the other hosts converge at frame 11
      const report$ = runGraphs(of(graph(graphOf([a]))), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 0.003,
        maxRuntime: 0,
        fleet: (local$) => combineLatest([local$, others]).pipe(map(([l, o]) => l && o)),
      });
      expectObservable(report$).toBe('-----------(r|)', { r: clean('converged') });
    });
  });

  it('--converged-timeout-no-exit reports each change of state and never exits by itself', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok), () => cold('--(t|)', ok)], watch: hot('--------x') });
      const states: Array<[number, boolean]> = [];
      const report$ = runGraphs(of(graph(graphOf([a]))), hot('--------------------s'), {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 0.003,
        maxRuntime: 0,
        noExit: true,
        onConvergedState: (c) => states.push([ts.now(), c]),
      });
      expectObservable(report$).toBe('--------------------(r|)', { r: clean('signal') });
      ts.flush();
      // converged at 3, busy at 8 (event), idle at 10, converged again at 13.
      expect(states).toEqual([[0, false], [3, true], [8, false], [13, true]]);
    });
  });

  it('a hold (the World connecting) keeps the converger busy until it says idle', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      const report$ = runGraphs(of(graph(graphOf([a]))), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 0.002,
        maxRuntime: 0,
        // A hold replays its current state, as the World's status does (the drain re-reads it).
        holds: [cold('f----t', ok).pipe(shareReplay(1))],
      });
      expectObservable(report$).toBe('-------(r|)', { r: clean('converged') });
    });
  });

  it('--max-runtime stops the run even while busy, after draining', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('-(t|)', ok)], watch: interval(3, ts) });
      const report$ = runGraphs(of(graph(graphOf([a]))), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 0.005,
        maxRuntime: 0.01,
        holds: [],
      });
      // runs at 0, 3, 6, 9 (1 frame each); max runtime at 10, nothing in flight.
      expectObservable(report$).toBe('----------(r|)', { r: clean('max-runtime') });
    });
  });
});
