// The engine's events in virtual time: what a recap, a report or a metrics page is built on.
import { type Observable, defer, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import type { EngineEvent, RunEvent } from '../src/model/events.js';
import type { Resource } from '../src/model/resource.js';
import { memoryLogger } from '../src/util/logger.js';
import { fake, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };
const runs = (events: EngineEvent[]): Omit<RunEvent, 'type' | 'kind' | 'name'>[] =>
  events.flatMap((e) => (e.type === 'run' ? [{ key: e.key, apply: e.apply, result: e.result, startedAt: e.startedAt, durationMs: e.durationMs, changes: e.changes, error: e.error }] : []));

describe('engine events', () => {
  it('tells each run with its result, timing and the changes the resource reported', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('--(f|)', ok)] });
      const reporting: Resource = {
        ...a,
        checkApply(apply, refresh, changes) {
          changes?.({ field: 'mode', from: '0644', to: '0600' });
          return a.checkApply(apply, refresh);
        },
      };
      const events: EngineEvent[] = [];
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, events: (e) => events.push(e) }).apply(graphOf([reporting]));
      ts.flush();
      expect(runs(events)).toEqual([
        { key: 'fake[a]', apply: true, result: 'changed', startedAt: 0, durationMs: 2, changes: [{ field: 'mode', from: '0644', to: '0600' }], error: undefined },
      ]);
      expect(events.filter((e) => e.type === 'state').map((e) => (e.type === 'state' ? `${e.at}:${e.state}` : ''))).toEqual(['0:running', '2:ok']);
    });
  });

  it('a retried run reports once, with the changes of its last attempt only', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      let attempt = 0;
      const a = fake('a', ts, { runs: [() => cold('-#'), () => cold('-(f|)', ok)], meta: { retry: 1, delay: 3 } });
      const reporting: Resource = {
        ...a,
        checkApply(apply, refresh, changes) {
          changes?.({ field: 'content', diff: `attempt ${++attempt}` });
          return a.checkApply(apply, refresh) as Observable<boolean>;
        },
      };
      const events: EngineEvent[] = [];
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, events: (e) => events.push(e) }).apply(graphOf([reporting]));
      ts.flush();
      expect(runs(events)).toEqual([
        { key: 'fake[a]', apply: true, result: 'changed', startedAt: 0, durationMs: 5, changes: [{ field: 'content', diff: 'attempt 2' }], error: undefined },
      ]);
    });
  });

  it('under noop a wrong state is would-change, and a failure carries its error', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('(f|)', ok)] });
      const b = fake('b', ts, { runs: [() => cold('-#', undefined, new Error('boom'))] });
      const events: EngineEvent[] = [];
      new Engine({ scheduler: ts, log: memoryLogger(), noop: true, events: (e) => events.push(e) }).apply(graphOf([a, b]));
      ts.flush();
      expect(runs(events)).toEqual([
        { key: 'fake[a]', apply: false, result: 'would-change', startedAt: 0, durationMs: 0, changes: [], error: undefined },
        { key: 'fake[b]', apply: false, result: 'failed', startedAt: 0, durationMs: 1, changes: [], error: 'boom' },
      ]);
    });
  });

  it('without a listener the resource gets no sink', () => {
    const ts = fresh();
    let sink: unknown = 'unset';
    const r: Resource = { ...fake('a', ts, { runs: [() => of(true)] }), checkApply: (_a, _r, changes) => ((sink = changes), of(true)) };
    ts.run(() => {
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false }).apply(graphOf([r]));
      ts.flush();
    });
    expect(sink).toBeUndefined();
  });

  it('says why each CheckApply ran: start, watch, a parent, a refresh, a retried watch', () => {
    const ts = fresh();
    const log = memoryLogger();
    const events: EngineEvent[] = [];
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok), () => cold('(f|)', ok)], watch: hot('-----x') });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      const c = fake('c', ts, { runs: [() => cold('(t|)', ok)] });
      let watches = 0;
      const d = fake('d', ts, { runs: [() => cold('(t|)', ok)], watch: defer(() => (++watches === 1 ? cold('--#') : cold('-'))), meta: { retry: 1, delay: 5 } });
      new Engine({ scheduler: ts, log, noop: false, events: (e) => events.push(e) }).apply(graphOf([a, b, c, d], [['a', 'b'], ['a', 'c', true]]));
      ts.flush();
    });
    const causes = events.flatMap((e) => (e.type === 'run' ? [`${e.startedAt} ${e.key}: ${e.cause}`] : []));
    expect(causes.sort()).toEqual([
      '0 fake[a]: start',
      '0 fake[b]: start',
      '0 fake[c]: start',
      '0 fake[d]: start',
      '5 fake[a]: watch',
      '5 fake[b]: parent fake[a] changed',
      '5 fake[c]: refresh from fake[a]',
      '7 fake[d]: retry',
    ]);
    expect(log.lines).toContain('debug fake[c]: CheckApply: refresh from fake[a] (refresh)');
    expect(log.lines).toContain('debug fake[a]: CheckApply: watch');
  });

  it('triggers that meet while a run waits are one run listing each cause once', () => {
    const ts = fresh();
    const events: EngineEvent[] = [];
    ts.run(({ cold, hot }) => {
      const p = fake('p', ts, { runs: [() => cold('(t|)', ok), () => cold('(f|)', ok)], watch: hot('--x') });
      const q = fake('q', ts, { runs: [() => cold('----(t|)', ok)], watch: hot('-x-x') });
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, events: (e) => events.push(e) }).apply(graphOf([p, q], [['p', 'q', true]]));
      ts.flush();
    });
    const qRuns = events.flatMap((e) => (e.type === 'run' && e.key === 'fake[q]' ? [`${e.startedAt}: ${e.cause}`] : []));
    // q's start waits for p (ok at 0) and runs 0..4; meanwhile its watch (1, 3) and p's change (2).
    expect(qRuns).toEqual(['0: start', '4: watch, refresh from fake[p]']);
  });
});

describe('a throwing events listener', () => {
  it('never throws at the watch that reported a change: the vertex logs it and keeps watching', () => {
    const ts = fresh();
    const log = memoryLogger();
    const seen: string[] = [];
    ts.run(({ cold, hot }) => {
      const watch = hot('----w---w');
      const a = fake('a', ts, { runs: [() => cold('-(t|)', ok)], watch });
      const events = (e: EngineEvent): void => {
        if (e.type === 'state' && e.state === 'pending' && e.at === 4) throw new Error('listener broke');
        if (e.type === 'run') seen.push(`${e.result}@${e.startedAt}`);
      };
      new Engine({ scheduler: ts, log, noop: false, events }).apply(graphOf([a]));
      ts.flush();
    });
    expect(log.lines).toContain('error fake[a]: engine: listener broke');
    // The run of the first watch event still happened (the throw came before it), as did the next.
    expect(seen).toEqual(['ok@0', 'ok@4', 'ok@8']);
  });
});
