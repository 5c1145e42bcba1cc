// The order of the first CheckApply starts in virtual time: the longest chains first.
import { defer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { tallestFirst } from '../src/engine/start-order.js';
import { memoryLogger } from '../src/util/logger.js';
import { type FakeResource, fake, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };

/** Resources named `names`, each of whose CheckApply takes `frames` and changes something; `starts` logs `name@frame`. */
function resources(ts: TestScheduler, names: string[], starts: string[], frames = 1): FakeResource[] {
  return names.map((name) => {
    const r = fake(name, ts, { runs: [() => ts.createColdObservable(`${'-'.repeat(frames)}(f|)`, ok)] });
    const checkApply = r.checkApply.bind(r);
    return { ...r, checkApply: (apply, refresh) => defer(() => (starts.push(`${name}@${ts.now()}`), checkApply(apply, refresh))) };
  });
}

describe('start order', () => {
  it("a chain's head starts before an independent leaf listed (or sorted) before it", () => {
    const ts = fresh();
    const starts: string[] = [];
    ts.run(() => {
      // mgmt's exec1 graph: exec1 -> exec2 -> exec3 and exec4 alone, exec4 first in the order.
      const graph = graphOf(resources(ts, ['exec4', 'exec1', 'exec2', 'exec3'], starts), [['exec1', 'exec2'], ['exec2', 'exec3']]);
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false }).apply(graph);
      ts.flush();
    });
    expect(starts).toEqual(['exec1@0', 'exec4@0', 'exec2@1', 'exec3@2']);
  });

  it('under --sema 1 the head takes the one slot first and the chain ends a step sooner', () => {
    const ts = fresh();
    const starts: string[] = [];
    ts.run(() => {
      const graph = graphOf(resources(ts, ['leaf', 'a', 'b', 'c'], starts, 2), [['a', 'b'], ['b', 'c']]);
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, sema: 1 }).apply(graph);
      ts.flush();
    });
    // One CheckApply at a time, two frames each: the leaf waits for the head, not the other way round.
    expect(starts).toEqual(['a@0', 'leaf@2', 'b@4', 'c@6']);
  });

  it('ties keep the graph order; a vertex without edges has height 1', () => {
    const ts = fresh();
    // d -> e and f -> g -> h, i alone; heights: d 2, e 1, f 3, g 2, h 1, i 1.
    const graph = graphOf(resources(ts, ['i', 'd', 'e', 'f', 'g', 'h'], []), [['d', 'e'], ['f', 'g'], ['g', 'h']]);
    const keys = [...graph.vertices.keys()];
    expect(tallestFirst(graph, keys, (k) => k)).toEqual(['fake[f]', 'fake[d]', 'fake[g]', 'fake[i]', 'fake[e]', 'fake[h]']);
    expect(tallestFirst({ ...graph, edges: [] }, keys, (k) => k)).toBe(keys);
  });
});
