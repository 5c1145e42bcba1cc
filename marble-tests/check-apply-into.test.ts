// A resource with `checkApplyInto` (no Observable per check) in virtual time: the engine takes
// it when a run has no retries and no guards, and the run keeps every rule of an Observable
// one: the events, the coalescing, the failure backoff, the cancellation.
import { NEVER, Observable, type SchedulerLike, type Subscriber } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { BACKOFF_START_MS } from '../src/engine/vertex.js';
import type { ChangeSink, EngineEvent } from '../src/model/events.js';
import type { Resource } from '../src/model/resource.js';
import { type MetaParams, defaultMeta } from '../src/model/spec.js';
import { memoryLogger } from '../src/util/logger.js';
import { graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** How the n-th check ends: at once with a result or a throw, or `after` frames later. */
type Outcome = { ok: boolean; after?: number } | { throws: string };

interface IntoResource extends Resource {
  /** Frames of the checkApplyInto calls. */
  into: number[];
  /** The `refresh` of each checkApplyInto call. */
  refreshes: boolean[];
  /** Frames of the checkApply calls (the Observable path). */
  observed: number[];
  /** Frames at which a run still in flight was torn down. */
  tornDown: number[];
}

function intoResource(name: string, ts: SchedulerLike, outcomes: Outcome[], opts: { meta?: Partial<MetaParams>; watch?: Observable<unknown> } = {}): IntoResource {
  const r: IntoResource = {
    kind: 'fake',
    name,
    meta: { ...defaultMeta, ...opts.meta },
    fingerprint: name,
    into: [],
    refreshes: [],
    observed: [],
    tornDown: [],
    watch: () => (opts.watch ?? NEVER) as Observable<void>,
    checkApply(apply, refresh, changes) {
      r.observed.push(ts.now());
      return new Observable<boolean>((s) => end(outcomes[Math.min(r.observed.length, outcomes.length) - 1]!, s, changes));
    },
    checkApplyInto(_apply: boolean, refresh: boolean, changes: ChangeSink | undefined, run: Subscriber<boolean>) {
      r.into.push(ts.now());
      r.refreshes.push(refresh);
      end(outcomes[Math.min(r.into.length, outcomes.length) - 1]!, run, changes);
    },
  };
  const end = (o: Outcome, run: Subscriber<boolean>, changes?: ChangeSink): void => {
    if ('throws' in o) throw new Error(o.throws);
    if (!o.ok) changes?.({ field: 'content', from: 'old', to: 'new' });
    let finished = false;
    const finish = (): void => {
      finished = true;
      run.next(o.ok);
      run.complete();
    };
    if (o.after === undefined) return finish();
    const pending = ts.schedule(finish, o.after);
    run.add(() => {
      if (!finished) r.tornDown.push(ts.now());
      pending.unsubscribe();
    });
  };
  return r;
}

const runsOf = (events: EngineEvent[]) =>
  events.flatMap((e) => (e.type === 'run' ? [`${e.startedAt}+${e.durationMs} ${e.key} ${e.result}${e.error ? `: ${e.error}` : ''} [${e.changes.map((c) => c.field).join(',')}]`] : []));
const statesOf = (events: EngineEvent[]) => events.flatMap((e) => (e.type === 'state' ? [`${e.at} ${e.key} ${e.state}`] : []));

describe('checkApplyInto', () => {
  it('a check that ends at once runs through it, never through checkApply, and its child follows in the same frame', () => {
    const ts = fresh();
    ts.run(() => {
      const a = intoResource('a', ts, [{ ok: false }]);
      const b = intoResource('b', ts, [{ ok: true }]);
      const events: EngineEvent[] = [];
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false, events: (e) => events.push(e) });
      engine.apply(graphOf([a, b], [['a', 'b']]));
      ts.flush();
      expect(runsOf(events)).toEqual(['0+0 fake[a] changed [content]', '0+0 fake[b] ok []']);
      expect(statesOf(events)).toEqual(['0 fake[a] running', '0 fake[a] ok', '0 fake[b] running', '0 fake[b] ok']);
      expect({ a: a.into, b: b.into, observed: [...a.observed, ...b.observed] }).toEqual({ a: [0], b: [0], observed: [] });
      expect(engine.list().map((v) => `${v.key} runs=${v.runs} changes=${v.changes}`)).toEqual(['fake[a] runs=1 changes=1', 'fake[b] runs=1 changes=0']);
    });
  });

  it('with retries the run takes checkApply (each attempt an Observable), as it does with a semaphore', () => {
    const ts = fresh();
    ts.run(() => {
      const a = intoResource('a', ts, [{ throws: 'boom' }, { ok: true }], { meta: { retry: 1, delay: 3 } });
      const b = intoResource('b', ts, [{ ok: true }], { meta: { sema: ['one:1'] } });
      const events: EngineEvent[] = [];
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, events: (e) => events.push(e) }).apply(graphOf([a, b]));
      ts.flush();
      expect({ aInto: a.into, aObserved: a.observed, bInto: b.into, bObserved: b.observed }).toEqual({ aInto: [], aObserved: [0, 3], bInto: [], bObserved: [0] });
      expect(runsOf(events)).toEqual(['0+0 fake[b] ok []', '0+3 fake[a] ok []']);
    });
  });

  it('a throw fails the run with its message, and the next run waits the failure backoff', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = intoResource('a', ts, [{ throws: 'boom' }, { ok: true }], { watch: cold('----------x') });
      const events: EngineEvent[] = [];
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, events: (e) => events.push(e) }).apply(graphOf([a]));
      ts.flush();
      expect(a.into).toEqual([0, BACKOFF_START_MS]);
      expect(runsOf(events)).toEqual(['0+0 fake[a] failed: boom []', `${BACKOFF_START_MS}+0 fake[a] ok []`]);
    });
  });

  it('triggers while a run is in flight make exactly one more run; a dispose tears the run in flight down', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = intoResource('a', ts, [{ ok: true, after: 5 }, { ok: true, after: 10 }], { watch: cold('-xx') });
      const events: EngineEvent[] = [];
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false, events: (e) => events.push(e) });
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 8);
      ts.flush();
      expect(a.into).toEqual([0, 5]);
      expect(runsOf(events)).toEqual(['0+5 fake[a] ok []']);
      expect(a.tornDown).toEqual([8]);
    });
  });

  it('a refresh along a notify edge reaches it once, with its cause', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = intoResource('a', ts, [{ ok: true }, { ok: false, after: 2 }], { watch: cold('-----x') });
      const b = intoResource('b', ts, [{ ok: true }]);
      const log = memoryLogger();
      new Engine({ scheduler: ts, log, noop: false }).apply(graphOf([a, b], [['a', 'b', true]]));
      ts.flush();
      expect({ a: a.into, b: b.into, bRefresh: b.refreshes }).toEqual({ a: [0, 5], b: [0, 7], bRefresh: [false, true] });
      expect(log.lines).toContain('debug fake[b]: CheckApply: refresh from fake[a] (refresh)');
    });
  });

  it('under noop a wrong state is would-change and counts no change', () => {
    const ts = fresh();
    ts.run(() => {
      const a = intoResource('a', ts, [{ ok: false }]);
      const events: EngineEvent[] = [];
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: true, events: (e) => events.push(e) });
      engine.apply(graphOf([a]));
      ts.flush();
      expect(runsOf(events)).toEqual(['0+0 fake[a] would-change [content]']);
      expect(engine.list().map((v) => `${v.state} wouldChange=${v.wouldChange} changes=${v.changes}`)).toEqual(['ok wouldChange=true changes=0']);
    });
  });
});
