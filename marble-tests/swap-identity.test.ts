// Graph swaps of incrementally built graphs (src/graph/incremental.ts): a vertex whose resource
// object is the one already running is kept by identity, whatever its fingerprint says.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { memoryLogger } from '../src/util/logger.js';
import { fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };

describe('engine swap by identity', () => {
  it('keeps the running vertex of the same resource object untouched, even when its fingerprint is not stable', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      let reads = 0;
      const a = fake('a', ts, { runs: [() => cold('-(t|)', ok)] });
      // A fingerprint that would never compare equal: only identity can keep it.
      Object.defineProperty(a, 'fingerprint', { get: () => `a${reads++}` });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a]));
      const before = engine.vertex('fake[a]');
      let summary;
      ts.schedule(() => (summary = engine.apply(graphOf([a]))), 3);
      ts.flush();
      expect(summary).toEqual({ added: [], removed: [], changed: [] });
      expect(engine.vertex('fake[a]')).toBe(before);
      expect(frames(a)).toEqual([0]);
    });
  });

  it('a changed parent in an otherwise identical graph restarts alone, and its child is rewired to it and re-run on its change', () => {
    const ts = fresh();
    ts.run(({ cold }) => {
      const a1 = fake('a', ts, { runs: [() => cold('-(t|)', ok)], fingerprint: 'a1' });
      const a2 = fake('a', ts, { runs: [() => cold('-(f|)', ok)], fingerprint: 'a2' });
      const b = fake('b', ts, { runs: [() => cold('-(t|)', ok)] });
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false });
      engine.apply(graphOf([a1, b], [['a', 'b']]));
      const child = engine.vertex('fake[b]');
      let summary;
      ts.schedule(() => (summary = engine.apply(graphOf([a2, b], [['a', 'b']]))), 5);
      ts.flush();
      expect(summary).toEqual({ added: [], removed: [], changed: ['fake[a]'] });
      expect(engine.vertex('fake[b]')).toBe(child);
      expect(frames(a1)).toEqual([0]);
      expect(frames(a2)).toEqual([5]);
      // b ran after a1 (at 1), then again when the new a changed something (its run ends at 6).
      expect(frames(b)).toEqual([1, 6]);
    });
  });
});
