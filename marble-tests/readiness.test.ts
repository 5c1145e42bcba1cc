// Watch readiness in virtual time (mgmt's rule: check only once the watch is in place).
import { NEVER, concat, defer, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { type RunReport, runGraphs } from '../src/engine/runner.js';
import { type Resource, WATCH_READY } from '../src/model/resource.js';
import { memoryLogger } from '../src/util/logger.js';
import { fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };
const announcing = (r: Resource): Resource => ({ ...r, watchAnnouncesReady: true });

describe('watch readiness', () => {
  it('the first check waits for the watch to say it is installed, and sees a change made meanwhile', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      // The world changes at 2, while the watch (ready at 4) is not yet installed: it never
      // reports that change. Checking at 0 would have seen the old state and missed it.
      let world = 'old';
      ts.schedule(() => (world = 'new'), 2);
      const seenAtCheck: string[] = [];
      const a = fake('a', ts, {
        runs: [() => defer(() => (seenAtCheck.push(world), cold('-(f|)', ok)))],
        watch: cold('----r', { r: WATCH_READY }),
      });
      const child = fake('child', ts, { runs: [() => cold('(t|)', ok)] });
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false }).apply(graphOf([announcing(a), child], [['a', 'child']]));
      ts.flush();
      expect(frames(a)).toEqual([4]);
      expect(seenAtCheck).toEqual(['new']);
      // Its child waits behind it as usual.
      expect(frames(child)).toEqual([5]);
    });
  });

  it('events the watch reports before it is ready fold into the first check, with their cause', () => {
    const ts = fresh();
    const log = memoryLogger();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: cold('-x-r---x', { x: undefined, r: WATCH_READY }) });
      new Engine({ scheduler: ts, log, noop: false }).apply(graphOf([announcing(a)]));
      ts.flush();
      expect(frames(a)).toEqual([3, 7]);
    });
    expect(log.lines).toContain('debug fake[a]: CheckApply: start, watch');
  });

  it('the resource is busy for the converger until its watch is ready', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: concat(cold('------r', { r: WATCH_READY }), NEVER) });
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([announcing(a)]) }), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 0,
        maxRuntime: 0,
      });
      const r: RunReport = { reason: 'converged', failed: [], wouldChange: [] };
      expectObservable(report$).toBe('------(r|)', { r });
    });
  });

  it('a watch that fails before it is ready, out of retries, fails the vertex instead of holding it forever', () => {
    const ts = fresh();
    ts.run(({ cold, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: cold('---#', undefined, new Error('AddMatch refused')) });
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([announcing(a)]) }), NEVER, {
        scheduler: ts,
        log: memoryLogger(),
        noop: false,
        convergedTimeout: 0,
        maxRuntime: 0,
      });
      // The check runs once the watch is gone (nothing holds it any more), then the vertex is failed.
      const r: RunReport = { reason: 'converged', failed: ['fake[a]: watch: AddMatch refused'], wouldChange: [] };
      expectObservable(report$).toBe('---(r|)', { r });
    });
  });

  it('a watch retried after a failure asks for one check when it says it is ready again', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      let subscriptions = 0;
      const watch = defer(() => (++subscriptions === 1 ? cold('-r-#', { r: WATCH_READY }) : cold('----r', { r: WATCH_READY })));
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch, meta: { retry: 1, delay: 2 } });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([announcing(a)]));
      ts.schedule(() => engine.dispose(), 20);
      ts.flush();
      // Ready at 1 (check); fails at 3, back at 5, ready again at 9: one check then.
      expect(frames(a)).toEqual([1, 9]);
    });
  });
});
