// meta reverse in virtual time: a swap that removes a reversible resource applies its reversal
// once, after the run in flight, holding the converger while it runs.
import { startWith } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type GraphEvent, type RunReport, runGraphs } from '../src/engine/runner.js';
import type { EngineEvent } from '../src/model/events.js';
import type { Resource } from '../src/model/resource.js';
import { memoryLogger } from '../src/util/logger.js';
import { type FakeResource, fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };
const graph = (...rs: Resource[]): GraphEvent => ({ kind: 'graph', graph: graphOf(rs) });
const clean: RunReport = { reason: 'converged', failed: [], wouldChange: [] };

/** `name`, reversible by `undo` (meta reverse as given). */
const reversible = (r: FakeResource, undo: FakeResource): Resource => ({ ...r, reversed: () => undo });

describe('meta reverse', () => {
  it('a removed resource with reverse: true has its reversal applied once, after its run in flight, holding the converger', () => {
    const ts = fresh();
    const log = memoryLogger();
    const events: EngineEvent[] = [];
    ts.run(({ cold, expectObservable }) => {
      const undo = fake('undo-a', ts, { runs: [() => cold('---(f|)', ok)] });
      const a = fake('a', ts, { runs: [() => cold('----(f|)', ok)], meta: { reverse: true } });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)] });
      // a runs 0..4; the swap at 2 removes it: the reversal runs 4..7; -t 2 exits at 9.
      const graphs$ = cold('--g', { g: graph(b) }).pipe(startWith(graph(reversible(a, undo), b)));
      const report$ = runGraphs(graphs$, cold('-'), { scheduler: ts, log, noop: false, convergedTimeout: 0.002, maxRuntime: 0, events: (e) => events.push(e) });
      expectObservable(report$).toBe('---------(r|)', { r: clean });
      ts.flush();
      expect(undo.calls).toEqual([{ frame: 4, apply: true, refresh: false }]);
      expect(frames(a)).toEqual([0]);
    });
    expect(log.lines).toContain('info fake[a]: removed from the graph with meta reverse: undoing it');
    expect(log.lines).toContain('info fake[a]: reversal: undone');
    const reversal = events.find((e) => e.type === 'run' && e.key === 'fake[undo-a]');
    expect(reversal).toMatchObject({ result: 'changed', apply: true, startedAt: 4, durationMs: 3, cause: 'reverse fake[a]' });
  });

  it('under --noop the reversal is only checked', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const undo = fake('undo-a', ts, { runs: [() => cold('(f|)', ok)] });
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], meta: { reverse: true } });
      const graphs$ = cold('--g', { g: graph() }).pipe(startWith(graph(reversible(a, undo))));
      runGraphs(graphs$, cold('-'), { scheduler: ts, log: memoryLogger(), noop: true, convergedTimeout: 0.005, maxRuntime: 0 }).subscribe();
      ts.flush();
      expect(undo.calls).toEqual([{ frame: 2, apply: false, refresh: false }]);
    });
  });

  it('nothing is reversed without reverse: true, for a resource still in the graph, or when reversed() says there is nothing to undo', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const undoA = fake('undo-a', ts, { runs: [() => cold('(f|)', ok)] });
      const undoB = fake('undo-b', ts, { runs: [() => cold('(f|)', ok)] });
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)] });
      const b = fake('b', ts, { runs: [() => cold('(t|)', ok)], meta: { reverse: true }, fingerprint: 'b1' });
      const b2 = fake('b', ts, { runs: [() => cold('(t|)', ok)], meta: { reverse: true }, fingerprint: 'b2' });
      const c: Resource = { ...fake('c', ts, { runs: [() => cold('(t|)', ok)], meta: { reverse: true } }), reversed: () => undefined };
      const graphs$ = cold('--g', { g: graph(reversible(b2, undoB)) }).pipe(startWith(graph(reversible(a, undoA), reversible(b, undoB), c)));
      runGraphs(graphs$, cold('-'), { scheduler: ts, log: memoryLogger(), noop: false, convergedTimeout: 0.005, maxRuntime: 0 }).subscribe();
      ts.flush();
      expect([undoA.calls, undoB.calls]).toEqual([[], []]);
    });
  });

  it('a reversal that fails is logged and does not hold the exit', () => {
    const ts = fresh();
    const log = memoryLogger();
    ts.run(({ cold, expectObservable }) => {
      const undo = fake('undo-a', ts, { runs: [() => cold('-#', undefined, new Error('busy'))] });
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], meta: { reverse: true } });
      const graphs$ = cold('--g', { g: graph() }).pipe(startWith(graph(reversible(a, undo))));
      const report$ = runGraphs(graphs$, cold('-'), { scheduler: ts, log, noop: false, convergedTimeout: 0.002, maxRuntime: 0 });
      expectObservable(report$).toBe('-----(r|)', { r: clean });
    });
    expect(log.lines).toContain('error fake[a]: reversal failed: busy');
  });
});
