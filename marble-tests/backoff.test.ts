// The failure backoff in virtual time: a resource that fails on each of its own events runs at
// the backoff times, not on every event; a success that holds resets it; limit/burst apply on top; and a
// failed resource that is backing off is idle for the converger, so `-t N` exits.
import { NEVER, interval, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { type RunReport, runGraphs } from '../src/engine/runner.js';
import { memoryLogger } from '../src/util/logger.js';
import { fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };
const boom = new Error('boom');

describe('failure backoff', () => {
  it('a resource failing on every event runs at 100, 200, 400... ms after each failure, not on every event', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      // An event every millisecond (its own failure's echo, say); each run fails after 1 ms.
      const a = fake('a', ts, { runs: [() => cold('-#', undefined, boom)], watch: interval(1, ts) });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 1600);
      ts.flush();
      // fails at 1, +100 -> 101; fails at 102, +200 -> 302; 303 + 400 -> 703; 704 + 800 -> 1504.
      expect(frames(a)).toEqual([0, 101, 302, 703, 1504]);
    });
  });

  it('starts at meta.delay and is capped by the engine maximum (--backoff-max)', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('-#', undefined, boom)], watch: interval(1, ts), meta: { delay: 10 } });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false, backoffMaxMs: 30 });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 120);
      ts.flush();
      // 10, 20, then 30 each time: 1+10, 12+20, 33+30, 64+30, 95+30 (past the end).
      expect(frames(a)).toEqual([0, 11, 32, 63, 94]);
    });
  });

  it('a success resets the backoff only once it has held: a failure soon after a pass keeps doubling', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const fail = () => cold('-#', undefined, boom);
      const a = fake('a', ts, { runs: [fail, fail, () => cold('-(t|)', ok), fail], watch: interval(1, ts) });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 800);
      ts.flush();
      // 0 fails, 101 fails, 302 succeeds at 303: the failures are forgotten only if none comes
      // for 800 ms (four times the last wait). The event that came meanwhile runs at once (303)
      // and fails at 304: the third failure in a row, so 400: 704.
      expect(frames(a)).toEqual([0, 101, 302, 303, 704]);
    });
  });

  it('a success that holds for four times the last wait resets the backoff to its start', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const fail = () => cold('-#', undefined, boom);
      // Events at 50 (during the first wait), then 600 and 602.
      const watch = cold('50ms a 549ms a 1ms a', { a: undefined });
      const a = fake('a', ts, { runs: [fail, () => cold('-(t|)', ok), fail], watch });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 800);
      ts.flush();
      // Fails at 1 (wait 100); the event at 50 runs at 101, a pass at 102 that holds for 400 ms:
      // at 502 the failure is forgotten. The event at 600 fails at 601 and waits 100 again, so
      // the event at 602 runs at 701 (without the reset: 200, at 801).
      expect(frames(a)).toEqual([0, 101, 600, 701]);
    });
  });

  it('the hold is at most --backoff-max', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const fail = () => cold('-#', undefined, boom);
      // Capped at 150: fails at 1 (100), passes at 102, forgotten at 252 (not 502). Events at
      // 50, then 300 and 302: fails at 301, waits 100 again: 401.
      const watch = cold('50ms a 249ms a 1ms a', { a: undefined });
      const a = fake('a', ts, { runs: [fail, () => cold('-(t|)', ok), fail], watch });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false, backoffMaxMs: 150 });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 800);
      ts.flush();
      expect(frames(a)).toEqual([0, 101, 300, 401]);
    });
  });

  it('meta limit still spaces the runs out on top of the backoff', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      // limit 2/s, burst 1: a token every 500 ms.
      // (Events every 5 ms: a TestScheduler nests each reschedule of an interval in the previous.)
      const a = fake('a', ts, { runs: [() => cold('-#', undefined, boom)], watch: interval(5, ts), meta: { limit: 2, burst: 1 } });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 2400);
      ts.flush();
      // Backoff ends at 101, 701, 1401, 2301; tokens at 500, 1000, 1500: the later one wins.
      expect(frames(a)).toEqual([0, 500, 1000, 1500, 2301]);
    });
  });

  it('a failed resource backing off is idle: -t 5 exits, reporting it failed', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('-#', undefined, boom)], watch: interval(2, ts) });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([a, b]) }), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 0.005,
        maxRuntime: 0,
      });
      const r: RunReport = { reason: 'converged', failed: ['fake[a]: boom'], wouldChange: [] };
      // Failed at 1; its events at 2 and 4 wait for the backoff (101) and do not hold the exit.
      expectObservable(report$).toBe('------(r|)', { r });
      ts.flush();
      expect(frames(a)).toEqual([0]);
    });
  });

  it('--noop -t 0 exits in the frame of the failure, naming it', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('--#', undefined, boom)], watch: interval(1, ts) });
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([a]) }), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: true,
        convergedTimeout: 0,
        maxRuntime: 0,
      });
      const r: RunReport = { reason: 'converged', failed: ['fake[a]: boom'], wouldChange: [] };
      expectObservable(report$).toBe('--(r|)', { r });
    });
  });
});
