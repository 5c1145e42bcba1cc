// The timer resource in virtual time: its ticks, its CheckApply, and a timer driving a child
// through the real engine.
import { describe, expect, it } from 'vitest';
import { type SchedulerLike, firstValueFrom, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { readFileSync } from 'node:fs';
import { Engine } from '../engine/engine.js';
import type { Graph } from '../model/graph.js';
import { defaultMeta } from '../model/spec.js';
import { memoryLogger } from '../util/logger.js';
import { parseGraph } from '../yaml/parse.js';
import { itWithMgmtExamples, mgmtExample } from '../../test/helpers/mgmt-examples.js';
import { defaultRegistry } from './registry.js';
import type { Resource } from '../model/resource.js';
import { timerKind } from './timer.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function timer(interval: unknown, scheduler: SchedulerLike, log = memoryLogger()): Resource {
  const spec = { kind: 'timer', name: 't', meta: { ...defaultMeta }, params: { interval }, pos: { file: 't.yaml', line: 1 } };
  return timerKind.create(spec, { hostname: 'test', log, scheduler });
}

/** CheckApply's answer, synchronously (timer's CheckApply never waits). */
function run(r: Resource, apply = true, refresh = false): boolean {
  let out: boolean | undefined;
  r.checkApply(apply, refresh).subscribe((v) => (out = v));
  if (out === undefined) throw new Error('checkApply did not answer at once');
  return out;
}

describe('timer: fields', () => {
  it('needs an integer interval of at least one second', () => {
    const v = (params: Record<string, unknown>) => timerKind.validate!(params);
    expect(v({ interval: 3 })).toBeUndefined();
    expect(v({ interval: 0 })).toMatch(/`interval` must be an integer >= 1 \(seconds\), got 0/);
    expect(v({ interval: 1.5 })).toMatch(/got 1.5/);
    expect(v({})).toMatch(/got undefined/);
    expect(() => timer(0, fresh())).toThrow(/timer\[t\]: `interval` must be/);
  });

  itWithMgmtExamples("reads mgmt's timer graphs", () => {
    for (const f of ['timer1.yaml', 'timer2.yaml', 'msg1.yaml']) {
      const g = parseGraph(readFileSync(mgmtExample(`latest/${f}`), 'utf8'), f, defaultRegistry());
      expect(g.resources.map((r) => r.kind), f).toContain('timer');
    }
  });

  it('has a fingerprint of its interval', () => {
    const ts = fresh();
    expect(timer(3, ts).fingerprint).toBe(timer(3, ts).fingerprint);
    expect(timer(3, ts).fingerprint).not.toBe(timer(4, ts).fingerprint);
  });
});

describe('timer: in virtual time', () => {
  it('ticks every interval after its watch starts', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      expectObservable(timer(3, ts).watch(), '^ 10s !').toBe('3s a 2999ms a 2999ms a', { a: undefined });
    });
  });

  it('reports OK at start and a change once per tick', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      const t = timer(2, ts);
      const answers: Array<[number, boolean]> = [];
      expectObservable(t.watch(), '^ 5s !').toBe('2s a 1999ms a', { a: undefined });
      ts.schedule(() => answers.push([ts.now(), run(t)]), 0);
      ts.schedule(() => answers.push([ts.now(), run(t)]), 1000);
      ts.schedule(() => answers.push([ts.now(), run(t)]), 2500);
      ts.schedule(() => answers.push([ts.now(), run(t)]), 3000);
      ts.schedule(() => answers.push([ts.now(), run(t, false)]), 4500); // noop sees the tick too
      ts.flush();
      expect(answers).toEqual([[0, true], [1000, true], [2500, false], [3000, true], [4500, false]]);
    });
  });

  it('a refresh restarts the period (mgmt) and reports a change', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      const t = timer(3, ts);
      ts.schedule(() => expect(run(t, true, true)).toBe(false), 2000);
      // Ticks at 3 s, then the refresh at 2 s moves them to 5 s, 8 s.
      expectObservable(t.watch(), '^ 9s !').toBe('5s a 2999ms a', { a: undefined });
    });
  });

  it('a refresh in noop reports a change but leaves the period alone', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      const t = timer(3, ts);
      ts.schedule(() => expect(run(t, false, true)).toBe(false), 2000);
      expectObservable(t.watch(), '^ 7s !').toBe('3s a 2999ms a', { a: undefined });
    });
  });

  it('through the engine, refreshes its child along a notify edge at every tick', () => {
    const ts = fresh();
    ts.run(() => {
      const t = timer(3, ts);
      const calls: Array<[number, boolean]> = [];
      const child: Resource = {
        kind: 'fake',
        name: 'child',
        meta: { ...defaultMeta },
        fingerprint: 'child',
        watch: () => of(),
        checkApply: (_apply, refresh) => {
          calls.push([ts.now(), refresh]);
          return of(true);
        },
      };
      const graph: Graph = {
        name: 'g',
        vertices: new Map<string, Resource>([['timer[t]', t], ['fake[child]', child]]),
        edges: [{ from: 'timer[t]', to: 'fake[child]', notify: true, auto: false }],
      };
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graph);
      ts.schedule(() => engine.dispose(), 10_000);
      ts.flush();
      expect(calls).toEqual([[0, false], [3000, true], [6000, true], [9000, true]]);
    });
  });
});

describe('timer: outside virtual time', () => {
  it('answers through an Observable', async () => {
    const t = timer(1, fresh());
    await expect(firstValueFrom(t.checkApply(true, false))).resolves.toBe(true);
  });
});
