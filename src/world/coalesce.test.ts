// The etcd World's coalescing of snapshots, in virtual time (src/world/coalesce.ts).
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { SnapshotCoalescer } from './coalesce.js';
import type { ExportedResource, WorldSnapshot } from './world.js';

// Snapshots named by their maps: exports e0..e9, converged c0..c9 (each a distinct map object).
const exportsMaps = Array.from({ length: 10 }, () => new Map<string, ExportedResource>());
const convergedMaps = Array.from({ length: 10 }, () => new Map<string, boolean>());
const snap = (e: number, c: number): WorldSnapshot => ({ exports: exportsMaps[e]!, converged: convergedMaps[c]! });
const name = (s: WorldSnapshot): string => `e${exportsMaps.indexOf(s.exports as Map<string, ExportedResource>)}c${convergedMaps.indexOf(s.converged as Map<string, boolean>)}`;

/** Pushes `marbles` (values: snapshots) into a coalescer of window 10 and expects `delivered`. */
function check(marbles: string, values: Record<string, WorldSnapshot>, delivered: string, names: Record<string, string>, completeAt?: number): void {
  const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
  ts.run(({ cold, expectObservable }) => {
    const c = new SnapshotCoalescer(snap(0, 0), 10, ts);
    cold(marbles, values).subscribe((s) => c.push(s));
    if (completeAt !== undefined) ts.schedule(() => c.complete(), completeAt);
    expectObservable(c.snapshots.pipe(map(name))).toBe(delivered, names);
  });
}

describe('SnapshotCoalescer', () => {
  it('delivers a quiet spell’s first change at once, the rest of a burst at the window’s end, and a lone change at once', () => {
    check(
      '--a-b-c' + '-'.repeat(23) + 'd',
      { a: snap(1, 0), b: snap(2, 0), c: snap(3, 0), d: snap(4, 0) },
      'i-a' + '-'.repeat(9) + 'c' + '-'.repeat(17) + 'd',
      { i: 'e0c0', a: 'e1c0', c: 'e3c0', d: 'e4c0' },
    );
  });

  it('delivers a converged-only change at once when no exports wait, even inside a window', () => {
    check('--a-b', { a: snap(1, 0), b: snap(1, 1) }, 'i-a-b', { i: 'e0c0', a: 'e1c0', b: 'e1c1' });
  });

  it('holds a converged change behind the exports written before it, and delivers the exports first', () => {
    // b: exports held (window of a); c: a converged state after it waits too. At the window's
    // end the exports go out with the converged map delivered before, then the new one.
    check(
      '--a-b-c',
      { a: snap(1, 0), b: snap(2, 0), c: snap(2, 1) },
      'i-a' + '-'.repeat(9) + '(bc)',
      { i: 'e0c0', a: 'e1c0', b: 'e2c0', c: 'e2c1' },
    );
  });

  it('delivers a full re-read (join, resync) at once, in place of what waits, and opens no window', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      const c = new SnapshotCoalescer(snap(0, 0), 10, ts);
      // a opens a window, b waits in it; r (a resync) replaces b at once; s, a change right after, is not held.
      cold('--a-b-r-s', { a: snap(1, 0), b: snap(2, 0), r: snap(3, 0), s: snap(4, 0) }).subscribe((x) => c.push(x, x.exports === exportsMaps[3]));
      expectObservable(c.snapshots.pipe(map(name))).toBe('i-a---r-s', { i: 'e0c0', a: 'e1c0', r: 'e3c0', s: 'e4c0' });
    });
  });

  it('delivers what waits when the World closes, then completes', () => {
    check('--a-b', { a: snap(1, 0), b: snap(2, 0) }, 'i-a--(b|)', { i: 'e0c0', a: 'e1c0', b: 'e2c0' }, 5);
  });

  it('with a window of 0 delivers everything as it comes', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      const c = new SnapshotCoalescer(snap(0, 0), 0, ts);
      cold('-a-b-c', { a: snap(1, 0), b: snap(2, 0), c: snap(3, 1) }).subscribe((s) => c.push(s));
      expectObservable(c.snapshots.pipe(map(name))).toBe('ia-b-(cd)', { i: 'e0c0', a: 'e1c0', b: 'e2c0', c: 'e3c0', d: 'e3c1' });
    });
  });
});
