// Exported and collected resources between hosts of one in-process World.
import { asyncScheduler, filter, firstValueFrom, of, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { buildGraph, type Graph } from '../graph/graph.js';
import type { GraphSpec } from '../graph/spec.js';
import { defaultRegistry } from '../resources/registry.js';
import { memoryLogger } from '../util/logger.js';
import { MemoryStore, memoryWorld } from '../world/memory.js';
import { parseGraph } from '../yaml/parse.js';
import { type SpecEvent, assembleGraphs, splitExports } from './assemble.js';
import type { GraphEvent } from './runner.js';

const registry = defaultRegistry();
const log = memoryLogger();
const build = (spec: GraphSpec) => buildGraph(spec, registry, { hostname: 'h', log, scheduler: asyncScheduler });

const hostGraph = (host: string, content = `from ${host}`) =>
  parseGraph(
    `graph: g
resources:
  file:
    - name: own-${host}
      path: /tmp/rx-assemble/${host}/own
      content: "mine"
    - name: "@@shared-${host}"
      path: /elsewhere/shared-${host}
      content: "${content}"
collect:
  - kind: file
    pattern: /tmp/rx-assemble/${host}/
`,
    `${host}.yaml`,
    registry,
  );

const graphs = (events: GraphEvent[]): Graph[] => events.flatMap((e) => (e.kind === 'graph' ? [e.graph] : []));
const paths = (g: Graph) =>
  [...g.vertices.values()].map((r) => `${r.name}:${JSON.parse(r.fingerprint).path ?? ''}`).sort();

describe('splitExports', () => {
  it('takes @@ resources out of the local graph and strips the mark', () => {
    const { local, exported } = splitExports(hostGraph('a'));
    expect(local.map((r) => r.name)).toEqual(['own-a']);
    expect(exported.map((r) => r.name)).toEqual(['shared-a']);
  });
});

describe('assembleGraphs', () => {
  it('without a World: the local graph only, exports go nowhere', async () => {
    const events = await firstValueFrom(
      assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: hostGraph('a') }), { registry, build, log }).pipe(toArray()),
    );
    expect(events[0]).toEqual({ kind: 'loading' });
    expect([...graphs(events)[0]!.vertices.keys()]).toEqual(['file[own-a]']);
  });

  it('every host collects every export (its own too) into its pattern directory', async () => {
    const store = new MemoryStore();
    const a = memoryWorld('a', store);
    const b = memoryWorld('b', store);
    const bGraphs$ = assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: hostGraph('b') }), { registry, build, log, world: b });
    const aSub = assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: hostGraph('a') }), { registry, build, log, world: a }).subscribe();
    const withBoth = await firstValueFrom(
      bGraphs$.pipe(
        filter((e): e is Extract<GraphEvent, { kind: 'graph' }> => e.kind === 'graph' && e.graph.vertices.size === 3),
        take(1),
      ),
    );
    expect(paths(withBoth.graph)).toEqual([
      'own-b:/tmp/rx-assemble/b/own',
      'shared-a:/tmp/rx-assemble/b/shared-a',
      'shared-b:/tmp/rx-assemble/b/shared-b',
    ]);
    aSub.unsubscribe();
    await Promise.all([a.close(), b.close()]);
  });

  it('a collected resource that is not valid here is skipped with a warning, not fatal', async () => {
    const store = new MemoryStore();
    const other = memoryWorld('other', store);
    await other.setExports([{ kind: 'file', name: 'bad', params: { path: '/x/y', mdoe: '0644' } }]);
    const me = memoryWorld('me', store);
    const warn = memoryLogger();
    const events = await firstValueFrom(
      assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: hostGraph('me') }), { registry, build, log: warn, world: me }).pipe(
        filter((e) => e.kind === 'graph'),
        take(1),
        toArray(),
      ),
    );
    expect([...graphs(events)[0]!.vertices.keys()].sort()).toEqual(['file[own-me]', 'file[shared-me]']);
    expect(warn.lines.some((l) => l.includes('skipping file[bad] from host other') && l.includes('"mdoe"'))).toBe(true);
    await Promise.all([other.close(), me.close()]);
  });
});
