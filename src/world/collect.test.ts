// collectFrom's coalescing, in virtual time: a burst of World states reaches a collector as
// its first state at once and its last at the end of the window; a lone change is not delayed.
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { defaultMeta } from '../model/spec.js';
import { type ExportedResource, type WorldSnapshot, collectFrom } from './world.js';

const file = (name: string, content: string): ExportedResource => ({ host: 'a', kind: 'file', name, params: { content }, meta: defaultMeta });
const state = (...exports: ExportedResource[]): WorldSnapshot => ({
  exports: new Map(exports.map((r) => [`${r.host}/${r.kind}/${r.name}`, r])),
  converged: new Map(),
});

describe('collectFrom with coalescing', () => {
  const s0 = state();
  const s1 = state(file('f', '1'));
  const s2 = state(file('f', '2'));
  const s3 = state(file('f', '3'), file('g', '1'));
  const s4 = state(file('f', '4'));
  const names = (l: ExportedResource[]) => l.map((r) => `${r.name}=${String(r.params.content)}`).join(',');

  it('emits the first state of a burst at once and only the last of the rest at the end of the window', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      // The state on subscribe, a burst (its first at once, then a 10-frame window), then a lone change long after.
      const snapshots = cold('a-b-c-d' + '-'.repeat(23) + 'e', { a: s0, b: s1, c: s2, d: s3, e: s4 });
      const out = collectFrom(snapshots, ['file'], { windowMs: 10, scheduler: ts }).pipe(map(names));
      expectObservable(out).toBe('a-b' + '-'.repeat(9) + 'd' + '-'.repeat(17) + 'e', { a: '', b: 'f=1', d: 'f=3,g=1', e: 'f=4' });
    });
  });

  it('does not hold back the first change after subscribing: the state on subscribe opens no window', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      const snapshots = cold('a-b-c', { a: s0, b: s1, c: s2 });
      const out = collectFrom(snapshots, ['file'], { windowMs: 10, scheduler: ts }).pipe(map(names));
      expectObservable(out).toBe('a-b---------c', { a: '', b: 'f=1', c: 'f=2' });
    });
  });

  it('without coalescing emits every state', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ cold, expectObservable }) => {
      const snapshots = cold('a-b-c', { a: s0, b: s1, c: s2 });
      expectObservable(collectFrom(snapshots, ['file'])).toBe('a-b-c', { a: [], b: [s1.exports.get('a/file/f')], c: [s2.exports.get('a/file/f')] });
    });
  });
});
