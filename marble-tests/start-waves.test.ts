// A swap's new vertices start in bounded waves: each one that settles lets the next start.
import { of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { Engine } from '../src/engine/engine.js';
import { type RunReport, runGraphs } from '../src/engine/runner.js';
import { StartWaves } from '../src/engine/start-waves.js';
import { memoryLogger } from '../src/util/logger.js';
import { type FakeResource, fake, frames, graphOf } from './fake.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const ok = { t: true, f: false };

/** Resources whose CheckApply takes `n` frames and changes something. */
const slow = (ts: TestScheduler, names: string[], n = 2): FakeResource[] =>
  names.map((name) => fake(name, ts, { runs: [() => ts.createColdObservable(`${'-'.repeat(n)}(f|)`, ok)] }));

const firstRuns = (rs: FakeResource[]): Record<string, number[]> => Object.fromEntries(rs.map((r) => [r.name, frames(r)]));

describe('start waves', () => {
  it('starts at most `startWave` vertices at once, the next as soon as one settles', () => {
    const ts = fresh();
    const rs = slow(ts, ['a', 'b', 'c', 'd', 'e']);
    let convergedAt = -1;
    ts.run(() => {
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false, startWave: 2 });
      engine.apply(graphOf(rs));
      engine.converged(0).subscribe(() => (convergedAt = ts.now()));
      ts.flush();
    });
    expect(firstRuns(rs)).toEqual({ a: [0], b: [0], c: [2], d: [2], e: [4] });
    // The vertices not started yet hold the converger: it waits for the last wave.
    expect(convergedAt).toBe(6);
  });

  it('a child held behind its parent settles at once: it takes no place in the wave', () => {
    const ts = fresh();
    const [p, c, x] = slow(ts, ['p', 'c', 'x'], 3);
    ts.run(() => {
      // Tallest first: p, then c and x; c waits for p, so x starts beside p.
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, startWave: 2 }).apply(graphOf([p, c, x], [['p', 'c']]));
      ts.flush();
    });
    expect(firstRuns([p, c, x])).toEqual({ p: [0], c: [3], x: [0] });
  });

  it('the drain never starts the vertices still waiting for their wave', () => {
    const ts = fresh();
    const rs = slow(ts, ['a', 'b', 'c']);
    const log = memoryLogger();
    let drainedAt = -1;
    let engine!: Engine;
    ts.run(() => {
      engine = new Engine({ scheduler: ts, log, noop: false, startWave: 1 });
      engine.apply(graphOf(rs));
      ts.schedule(() => engine.drain().subscribe(() => (drainedAt = ts.now())), 1);
      ts.flush();
    });
    // a's check, already started, finishes; b and c never run.
    expect(firstRuns(rs)).toEqual({ a: [0], b: [], c: [] });
    expect(drainedAt).toBe(2);
    expect(engine.list().map((v) => `${v.key} ${v.state} runs=${v.runs}`)).toEqual(['fake[a] ok runs=1', 'fake[b] pending runs=0', 'fake[c] pending runs=0']);
    expect(log.lines).toContain('info 2 resource(s) not started: the run ended before their turn');
  });

  it('a drain out of time names only what was busy, not the vertices it never started', () => {
    const ts = fresh();
    ts.run(({ cold, hot, expectObservable }) => {
      const a = fake('a', ts, { runs: [() => cold('-'.repeat(100) + '(t|)', ok)] });
      const [b, c] = slow(ts, ['b', 'c']);
      const report$ = runGraphs(of({ kind: 'graph', graph: graphOf([a, b, c]) }), hot('-----s'), {
        scheduler: ts, log: memoryLogger(), noop: false, convergedTimeout: -1, maxRuntime: 0, drainTimeout: 0.02, startWave: 1,
      });
      const r: RunReport = { reason: 'signal', failed: [], wouldChange: [], drainTimedOut: ['fake[a] (running)'] };
      expectObservable(report$).toBe('-------------------------(r|)', { r });
    });
  });

  it('a vertex removed by a swap before its wave came never runs, and frees its place', () => {
    const ts = fresh();
    const [a, b, c] = slow(ts, ['a', 'b', 'c']);
    ts.run(() => {
      const engine = new Engine({ scheduler: ts, log: memoryLogger(), noop: false, startWave: 1 });
      engine.apply(graphOf([a, b, c]));
      ts.schedule(() => engine.apply(graphOf([a, c])), 1);
      ts.flush();
    });
    expect(firstRuns([a, b, c])).toEqual({ a: [0], b: [], c: [2] });
  });

  it('synchronous first checks start in one flat loop, however many and however narrow the wave', () => {
    const ts = fresh();
    const n = 10_000;
    let checks = 0;
    const rs = Array.from({ length: n }, (_, i) => ({ ...fake(`r${i}`, ts, { runs: [] }), checkApply: () => (checks++, of(true)) }));
    ts.run(() => {
      new Engine({ scheduler: ts, log: memoryLogger(), noop: false, startWave: 1 }).apply(graphOf(rs));
    });
    expect(checks).toBe(n);
  });

  it('refuses a width below 1', () => {
    expect(() => new StartWaves(0)).toThrow('start wave width must be >= 1, got 0');
  });
});
