// The engine in virtual time: dependency gating, coalescing, parallelism, failure, refresh.
import { NEVER, defer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { memoryLogger } from '../src/util/logger.js';
import { fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const engineOn = (scheduler: TestScheduler, noop = false) => new Engine({ scheduler, log: memoryLogger(), noop });
const ok = { t: true, f: false };

describe('engine', () => {
  it('runs a child only after its parent succeeded, once for the start and the poke together', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('--(f|)', ok)] });
      const b = fake('b', ts, { runs: [() => cold('-(t|)', ok)] });
      const engine = engineOn(ts);
      engine.apply(graphOf([a, b], [['a', 'b']]));
      ts.flush();
      expect(frames(a)).toEqual([0]);
      expect(frames(b)).toEqual([2]);
      expect(engine.vertex('fake[b]')!.state).toBe('ok');
    });
  });

  it('runs vertices with no path between them in parallel', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('---(t|)', ok)] });
      const b = fake('b', ts, { runs: [() => cold('---(t|)', ok)] });
      const c = fake('c', ts, { runs: [() => cold('-(t|)', ok)] });
      engineOn(ts).apply(graphOf([a, b, c], [['a', 'c'], ['b', 'c']]));
      ts.flush();
      expect([frames(a), frames(b), frames(c)]).toEqual([[0], [0], [3]]);
    });
  });

  it('events during a run cause exactly one more run afterwards', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, { runs: [() => cold('----(t|)', ok)], watch: hot('-xxx') });
      engineOn(ts).apply(graphOf([a]));
      ts.flush();
      expect(frames(a)).toEqual([0, 4]);
    });
  });

  it('a child whose parent changed nothing is not re-run', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, { runs: [() => cold('-(t|)', ok)], watch: hot('-----x') });
      const b = fake('b', ts, { runs: [() => cold('-(t|)', ok)] });
      engineOn(ts).apply(graphOf([a, b], [['a', 'b']]));
      ts.flush();
      expect(frames(a)).toEqual([0, 5]);
      expect(frames(b)).toEqual([1]);
    });
  });

  it('a parent failure blocks its children until it recovers', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, {
        runs: [() => cold('-#', undefined, new Error('disk full')), () => cold('--(f|)', ok)],
        // After the failure backoff (100 ms from the failure at 1).
        watch: hot('150ms x'),
      });
      const b = fake('b', ts, { runs: [() => cold('-(t|)', ok)] });
      const engine = engineOn(ts);
      engine.apply(graphOf([a, b], [['a', 'b']]));
      ts.schedule(() => {
        expect(engine.vertex('fake[a]')!.state).toBe('failed');
        expect(engine.vertex('fake[a]')!.lastError).toBe('disk full');
        expect(frames(b)).toEqual([]);
      }, 5);
      ts.flush();
      expect(frames(a)).toEqual([0, 150]);
      expect(frames(b)).toEqual([152]);
    });
  });

  it('changed$ tells each change, and completes when the vertex is removed, also for a late subscriber', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, { runs: [() => cold('-(f|)', ok), () => cold('-(t|)', ok), () => cold('-(f|)', ok)], watch: hot('---x--x') });
      const engine = engineOn(ts);
      engine.apply(graphOf([a]));
      const v = engine.vertex('fake[a]')!;
      const seen: string[] = [];
      v.changed$.subscribe({ next: () => seen.push(`changed ${ts.now()}`), complete: () => seen.push(`done ${ts.now()}`) });
      ts.schedule(() => engine.apply(graphOf([])), 10);
      ts.schedule(() => v.changed$.subscribe({ complete: () => seen.push(`late done ${ts.now()}`) }), 11);
      ts.flush();
      expect(seen).toEqual(['changed 1', 'changed 7', 'done 10', 'late done 11']);
    });
  });

  it('a CheckApply that throws instead of erroring fails that run only, with or without retries', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const throwing = () => {
        throw new Error('bad state');
      };
      // a: no retry (the path without defer); b: one retry 5 ms later, then failed.
      const a = fake('a', ts, { runs: [throwing, () => cold('-(t|)', ok)], watch: hot('200ms x') });
      const b = fake('b', ts, { runs: [throwing], meta: { retry: 1, delay: 5 } });
      const engine = engineOn(ts);
      engine.apply(graphOf([a, b]));
      ts.schedule(() => {
        expect(engine.vertex('fake[a]')!.state).toBe('failed');
        expect(engine.vertex('fake[a]')!.lastError).toBe('bad state');
        expect(engine.vertex('fake[b]')!.state).toBe('failed');
      }, 100);
      ts.flush();
      // a's watch event at 200 (after its 100 ms backoff) runs it again, and it recovers.
      expect(frames(a)).toEqual([0, 200]);
      expect(engine.vertex('fake[a]')!.state).toBe('ok');
      expect(frames(b)).toEqual([0, 5]);
    });
  });

  it('retries a failing CheckApply per meta retry and delay, then reports it failed', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('-#', undefined, new Error('nope'))], meta: { retry: 2, delay: 3 } });
      const engine = engineOn(ts);
      engine.apply(graphOf([a]));
      ts.flush();
      // attempt at 0 fails at 1, waits 3, attempt at 4 fails at 5, waits 3, attempt at 8.
      expect(frames(a)).toEqual([0, 4, 8]);
      expect(engine.vertex('fake[a]')!.state).toBe('failed');
    });
  });

  it('delivers a refresh along a notify edge only when the parent changed something', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, {
        runs: [() => cold('-(t|)', ok), () => cold('-(f|)', ok)],
        watch: hot('-----x'),
      });
      const b = fake('b', ts, { runs: [() => cold('-(t|)', ok)] });
      engineOn(ts).apply(graphOf([a, b], [['a', 'b', true]]));
      ts.flush();
      expect(b.calls.map((c) => [c.frame, c.refresh])).toEqual([[1, false], [6, true]]);
    });
  });

  it('a refresh that arrives while the child is mid-run is delivered on its next run, once', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok), () => cold('(f|)', ok)], watch: hot('--x') });
      const b = fake('b', ts, { runs: [() => cold('----(t|)', ok)] });
      engineOn(ts).apply(graphOf([a, b], [['a', 'b', true]]));
      ts.flush();
      expect(b.calls.map((c) => [c.frame, c.refresh])).toEqual([[0, false], [4, true]]);
    });
  });

  it('a changed vertex waiting for its old version keeps a refresh that arrives meanwhile', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok), () => cold('-(f|)', ok)], watch: hot('---x') });
      const b1 = fake('b', ts, { runs: [() => cold('------(t|)', ok)], fingerprint: 'b1' });
      const b2 = fake('b', ts, { runs: [() => cold('(t|)', ok)], fingerprint: 'b2' });
      const engine = engineOn(ts);
      engine.apply(graphOf([a, b1]));
      // At 2 the new b (notified by a) replaces the old, which runs until 6; a changes at 4.
      ts.schedule(() => engine.apply(graphOf([a, b2], [['a', 'b', true]])), 2);
      ts.flush();
      expect(frames(b1)).toEqual([0]);
      expect(b2.calls.map((c) => [c.frame, c.refresh])).toEqual([[6, true]]);
    });
  });

  it('--noop checks but never applies, and does not poke children', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a = fake('a', ts, { runs: [() => cold('-(f|)', ok)] });
      const b = fake('b', ts, { runs: [() => cold('-(t|)', ok)] });
      const engine = engineOn(ts, true);
      engine.apply(graphOf([a, b], [['a', 'b']]));
      ts.flush();
      expect(a.calls).toEqual([{ frame: 0, apply: false, refresh: false }]);
      expect(b.calls).toEqual([{ frame: 1, apply: false, refresh: false }]);
      expect(engine.vertex('fake[a]')!.wouldChange).toBe(true);
    });
  });

  it('watches before the first check, so a change between the two cannot be missed', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      let watching = false;
      const watchedAtCheck: boolean[] = [];
      const a = fake('a', ts, {
        runs: [() => defer(() => (watchedAtCheck.push(watching), cold('-(t|)', ok)))],
        watch: defer(() => ((watching = true), NEVER)),
      });
      engineOn(ts).apply(graphOf([a]));
      ts.flush();
      expect(watchedAtCheck).toEqual([true]);
    });
  });

  it('meta poll replaces the watch with a timer on the scheduler', () => {
    const ts = fresh();
    ts.run(({ cold, hot }) => {
      const a = fake('a', ts, { runs: [() => cold('(t|)', ok)], watch: hot('-x'), meta: { poll: 0.01 } });
      const engine = engineOn(ts);
      engine.apply(graphOf([a]));
      ts.schedule(() => engine.dispose(), 35);
      ts.flush();
      expect(frames(a)).toEqual([0, 10, 20, 30]);
    });
  });
});
