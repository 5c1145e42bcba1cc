// Meta params in virtual time: sema, --sema, limit/burst, rewatch.
import { NEVER, defer, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { type RunReport, runGraphs } from '../src/engine/runner.js';
import { memoryLogger } from '../src/util/logger.js';
import { fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };

describe('meta params', () => {
  it('sema id:1 serialises the resources that share it, and only those', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const run = () => cold('---(t|)', ok);
      const a = fake('a', ts, { runs: [run], meta: { sema: ['lock:1'] } });
      const b = fake('b', ts, { runs: [run], meta: { sema: ['lock:1'] } });
      const c = fake('c', ts, { runs: [run], meta: { sema: ['lock:1'] } });
      const free = fake('free', ts, { runs: [run] });
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false }).apply(graphOf([a, b, c, free]));
      ts.flush();
      expect([frames(a), frames(b), frames(c), frames(free)]).toEqual([[0], [3], [6], [0]]);
    });
  });

  it('sema id:2 lets two run at once; several ids are all taken', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const run = () => cold('---(t|)', ok);
      const a = fake('a', ts, { runs: [run], meta: { sema: ['pool:2'] } });
      const b = fake('b', ts, { runs: [run], meta: { sema: ['pool:2', 'disk'] } });
      const c = fake('c', ts, { runs: [run], meta: { sema: ['disk', 'pool:2'] } });
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false }).apply(graphOf([a, b, c]));
      ts.flush();
      // a and b take the two pool permits; c waits for disk (held by b) and pool.
      expect([frames(a), frames(b), frames(c)]).toEqual([[0], [0], [3]]);
    });
  });

  it('--sema 1 runs the whole graph serially', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const run = () => cold('--(t|)', ok);
      const rs = ['a', 'b', 'c'].map((n) => fake(n, ts, { runs: [run] }));
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, sema: 1 }).apply(graphOf(rs));
      ts.flush();
      expect(rs.map(frames)).toEqual([[0], [2], [4]]);
    });
  });

  it('limit and burst space out the CheckApply of a busy resource', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      // 100 runs per second = one every 10 ms after a burst of 2; events keep coming.
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: hot('-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x'), meta: { limit: 100, burst: 2 } });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 45);
      ts.flush();
      expect(frames(a)).toEqual([0, 1, 10, 20, 30, 40]);
    });
  });

  it('rewatch restarts a watch that ended; without it the watch stays ended', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: cold('--x|'), meta: { rewatch: true } });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)], watch: cold('--x|') });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a, b]));
      ts.schedule(() => engine.dispose(), 10);
      ts.flush();
      expect(frames(a)).toEqual([0, 2, 5, 8]);
      expect(frames(b)).toEqual([0, 2]);
    });
  });

  it('a watch retried after a failure asks for a check once it is back: changes meanwhile were not seen', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      let subscriptions = 0;
      const watch = defer(() => (++subscriptions === 1 ? cold('--#') : cold('------x')));
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch, meta: { retry: 1, delay: 5 } });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 20);
      ts.flush();
      // Start at 0; the watch fails at 2 and is back at 7 (check), then reports x at 13.
      expect(frames(a)).toEqual([0, 7, 13]);
    });
  });

  it('a watch that fails out of retries makes its vertex failed, named in the exit report', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: cold('--#', undefined, new Error('watchcmd exited with code 3')), meta: { retry: 1, delay: 3 } });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([a, b], [['a', 'b']]) }), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 0.01,
        maxRuntime: 0,
      });
      // Both ok at 0; the watch fails at 2, is back at 5 (one check, cause "retry": the countdown
      // restarts) and fails for good at 7: a is failed, which is idle, when -t ends at 15.
      const r: RunReport = { reason: 'converged', failed: ['fake[a]: watch: watchcmd exited with code 3'], wouldChange: [] };
      expectObservable(report$).toBe('---------------(r|)', { r });
    });
  });
  it('a plain watch (no retry) that errors, or whose watch() throws, fails its vertex after the first check, never the engine', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: cold('--#', undefined, new Error('inotify gone')) });
      const thrower = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      const b = { ...thrower, watch: () => { throw new Error('no watch for you'); } };
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([a, b]) }), NEVER, { scheduler: ts, log: memoryLogger(), noop: false, convergedTimeout: 0.01, maxRuntime: 0 });
      // b's watch fails as it is subscribed: its first check still runs (the watch is gone, so nothing
      // waits for it) and b is failed. Both idle from 0 on (a's failure at 2 is idle too): -t ends at 10.
      const r: RunReport = { reason: 'converged', failed: ['fake[a]: watch: inotify gone', 'fake[b]: watch: no watch for you'], wouldChange: [] };
      expectObservable(report$).toBe('----------(r|)', { r });
      ts.flush();
      expect({ a: frames(a), b: frames(thrower) }).toEqual({ a: [0], b: [0] });
    });
  });
});
