// The graph file source: read once the file has settled, never half-written, and followed
// through symlinks. Real files and real inotify; the settle time on a virtual clock the test
// moves, so "the writer paused" is exact and nothing sleeps.
import { mkdtemp, open, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Subscription, VirtualTimeScheduler, asyncScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../model/registry.js';
import { noopKind } from '../resources/noop.js';
import type { SpecEvent } from './assemble.js';
import { graphFileChanges, settledLoads } from './graph-file.js';

const registry = new Registry([noopKind]);
const DEADLINE_MS = 10_000;
let tmp: string;
const subs: Subscription[] = [];

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-graph-file-'));
});
afterEach(async () => {
  subs.splice(0).forEach((s) => s.unsubscribe());
  await rm(tmp, { recursive: true, force: true });
});

/** A virtual clock moved by hand: `advance(ms)` runs what is due and sets the time. */
class ManualClock extends VirtualTimeScheduler {
  advance(ms: number): void {
    this.maxFrames = this.frame + ms;
    this.flush();
    this.frame = this.maxFrames;
  }
}

/** Records what the source emits; `until` polls a condition with a deadline. */
function record(events$: ReturnType<typeof graphFileChanges>) {
  const events: SpecEvent[] = [];
  subs.push(events$.subscribe((e) => events.push(e)));
  const until = async (what: string, cond: () => boolean, step?: () => void): Promise<void> => {
    const deadline = Date.now() + DEADLINE_MS;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(summary())}`);
      step?.();
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const summary = () => events.map((e) => (e.kind === 'spec' ? `spec ${e.spec.graph}: ${e.spec.resources.map((r) => r.name).join(',')}` : e.kind));
  const count = (kind: SpecEvent['kind']) => events.filter((e) => e.kind === kind).length;
  return { events, until, summary, count };
}

const graph = (name: string, ...noops: string[]) => `graph: ${name}\nresources:\n  noop:\n${noops.map((n) => `  - name: ${n}\n`).join('')}`;

describe('settledLoads', () => {
  it('loads once no change came for the settle time; each change restarts the wait', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const changes$ = cold('a 99ms b 299ms c|');
      const load = () => cold<SpecEvent>('10ms (s|)', { s: { kind: 'error', error: new Error('x') } });
      const L = { kind: 'loading' };
      const S = { kind: 'error', error: new Error('x') };
      // a at 0, b at 100 (a's wait cancelled), load at 100+200+10; c at 400, load at 610.
      expectObservable(settledLoads(changes$, load, 200, asyncScheduler)).toBe('L 99ms L 209ms S 89ms L 209ms (S|)', { L, S });
    });
  });
});

describe('graphFileChanges: a graph file written in several pieces', () => {
  it('is read only once it has settled, never half-written', async () => {
    const path = join(tmp, 'graph.yaml');
    await writeFile(path, graph('first', 'a'));
    const clock = new ManualClock();
    const rec = record(graphFileChanges(path, registry, { scheduler: clock, settleMs: 200 }));

    // Each piece is valid YAML on its own: applied half-written, it would drop resources.
    const full = graph('second', 'a', 'b', 'c');
    const pieces = [full.slice(0, full.indexOf('  - name: b')), full.slice(full.indexOf('  - name: b'), full.indexOf('  - name: c')), full.slice(full.indexOf('  - name: c'))];
    const fd = await open(path, 'w'); // truncates: a change in itself
    for (const piece of pieces) {
      const loadings = rec.count('loading');
      await fd.write(piece);
      await rec.until('the write to be seen', () => rec.count('loading') > loadings);
      clock.advance(150); // the writer pauses, for less than the settle time
      expect(rec.count('spec'), rec.summary().join('; ')).toBe(0);
    }
    await fd.close();
    await rec.until('the settled file to be read', () => rec.count('spec') > 0, () => clock.advance(200));
    expect(rec.events.filter((e) => e.kind === 'spec').map((e) => e.kind === 'spec' && e.spec.resources.map((r) => r.name))).toEqual([['a', 'b', 'c']]);
    expect(rec.count('error')).toBe(0);
  });
});

describe('graphFileChanges: a graph file that is a symlink', () => {
  it('reloads when the file it points to changes, and when the link is repointed', async () => {
    const confDir = join(tmp, 'conf');
    await rm(confDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(confDir));
    const a = join(confDir, 'a.yaml');
    const b = join(confDir, 'b.yaml');
    const link = join(tmp, 'graph.yaml');
    await writeFile(a, graph('a1', 'x'));
    await writeFile(b, graph('b1', 'y'));
    await symlink(a, link);
    const rec = record(graphFileChanges(link, registry, { scheduler: asyncScheduler, settleMs: 50 }));
    const lastGraph = () => {
      const specs = rec.events.filter((e) => e.kind === 'spec');
      const last = specs[specs.length - 1];
      return last?.kind === 'spec' ? last.spec.graph : undefined;
    };

    // The target is written in place, in another directory than the link: seen through the link.
    // Until the target's watch is set up a write may be missed, so write (every 100 polls,
    // leaving the file time to settle) until one is seen.
    let polls = 0;
    await rec.until('a change of the target to be read', () => lastGraph() === 'a2', () => {
      if (polls++ % 100 === 0) void writeFile(a, graph('a2', 'x'));
    });

    // Repointed atomically (a new link renamed over the old one): the new target is read.
    await symlink(b, join(tmp, 'graph.yaml.new'));
    await rename(join(tmp, 'graph.yaml.new'), link);
    await rec.until('the new target to be read', () => lastGraph() === 'b1');

    // Now the new target's changes are followed.
    await writeFile(b, graph('b2', 'y'));
    await rec.until('a change of the new target to be read', () => lastGraph() === 'b2');
  });
});
