// Durations past setTimeout's 2^31-1 ms, in virtual time. The scheduler here refuses any
// single action longer than that (as Node would fire it after 1 ms), so a wait that is not
// chained fails the test instead of passing in virtual time (the tests' own long waits are
// chained with longDelays too).
import { NEVER, type SchedulerAction, type Subscription, interval, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { longDelays } from '../operators/long-delays.js';
import { MAX_TIMER_MS } from '../operators/long-timer.js';
import { type RunReport, runGraphs } from '../src/engine/runner.js';
import { Engine } from '../src/engine/engine.js';
import { defaultMeta } from '../src/model/spec.js';
import { timerKind } from '../src/resources/timer.js';
import { memoryLogger } from '../src/util/logger.js';
import { fake, frames, graphOf } from './fake.js';

const DAY = 24 * 3600 * 1000;
const ok = { t: true, f: false };

/** A TestScheduler on which one action may wait at most MAX_TIMER_MS, as on Node. */
class NodeLikeScheduler extends TestScheduler {
  longest = 0;
  override schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    this.longest = Math.max(this.longest, delay);
    if (delay > MAX_TIMER_MS) throw new Error(`an action of ${delay} ms: Node would fire it after 1 ms`);
    return super.schedule(work, delay, state);
  }
}
const fresh = () => new NodeLikeScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('long durations', () => {
  it('longDelays chains a long interval, and its reschedules', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      const s = longDelays(ts);
      expectObservable(interval(40 * DAY, s).pipe(take(2))).toBe(`${40 * DAY}ms a ${40 * DAY - 1}ms (b|)`, { a: 0, b: 1 });
    });
    expect(ts.longest).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  it('a 40-day timer resource ticks once at 40 days, then at 80, not every millisecond', () => {
    const ts = fresh();
    const ticks: number[] = [];
    ts.run(() => {
      const spec = { kind: 'timer', name: 'monthly', meta: defaultMeta, params: { interval: 40 * 24 * 3600 }, pos: { file: 't.yaml', line: 1 } };
      const timer = timerKind.create(spec, { hostname: 'h', log: memoryLogger(), scheduler: ts });
      const sub = timer.watch().subscribe(() => ticks.push(ts.now()));
      longDelays(ts).schedule(() => sub.unsubscribe(), 100 * DAY);
      ts.flush();
    });
    expect(ticks).toEqual([40 * DAY, 80 * DAY]);
  });

  it('refuses a timer interval longer than 10 years, naming it', () => {
    expect(timerKind.validate!({ interval: 11 * 366 * 24 * 3600 })).toMatch(/`interval` is 347 ?\d* s, longer than the longest duration rxmgmt waits, 315576000 s \(10 years\)/);
    expect(timerKind.validate!({ interval: 3650 * 24 * 3600 })).toBeUndefined();
  });

  it('-t 2147484 (past 2^31-1 ms) waits 2147484 s, it does not exit at once', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([a]) }), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 2147484,
        maxRuntime: 0,
      });
      const r: RunReport = { reason: 'converged', failed: [], wouldChange: [] };
      expectObservable(report$).toBe('2147484000ms (r|)', { r });
    });
  });

  it('--max-runtime of 30 days stops after 30 days', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([a]) }), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: -1,
        maxRuntime: 30 * 24 * 3600,
      });
      expectObservable(report$).toBe(`${30 * DAY}ms (r|)`, { r: { reason: 'max-runtime', failed: [], wouldChange: [] } });
    });
  });

  it('meta delay, poll and the failure backoff of 30 days wait 30 days', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const month = 30 * DAY;
      const retried = fake('retried', ts, { runs: [() => cold('#', undefined, new Error('x')), () => cold('(t|)', ok)], meta: { retry: 1, delay: month } });
      const polled = fake('polled', ts, { runs: [() => cold('(t|)', ok)], meta: { poll: month / 1000 } });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([retried, polled]));
      longDelays(ts).schedule(() => engine.dispose(), 2 * month + 1);
      ts.flush();
      expect(frames(retried)).toEqual([0, month]);
      expect(frames(polled)).toEqual([0, month, 2 * month]);
    });
    expect(ts.longest).toBeLessThanOrEqual(MAX_TIMER_MS);
  });
});
