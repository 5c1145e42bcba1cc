// A collected resource that manages what a local one does is refused with a warning naming its
// host; the local one is kept and the graph builds. Through the real assemble and World.
import { asyncScheduler, filter, firstValueFrom, of, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../graph/graph.js';
import type { GraphEvent } from '../engine/runner.js';
import type { GraphSpec } from '../model/spec.js';
import { defaultRegistry } from '../resources/registry.js';
import { memoryLogger } from '../util/logger.js';
import { MemoryStore, memoryWorld } from '../world/memory.js';
import { parseGraph } from '../yaml/parse.js';
import { type SpecEvent, assembleGraphs } from './assemble.js';

describe('collected resources that collide with local ones', () => {
  it('are refused with a warning naming host and resource; the local one is kept', async () => {
    const registry = defaultRegistry();
    const log = memoryLogger();
    const env = { hostname: 'me', log, scheduler: asyncScheduler };
    const build = (spec: GraphSpec) => buildGraph(spec, registry, env);
    const store = new MemoryStore();
    const other = memoryWorld('other', store);
    await other.setExports([
      { kind: 'svc', name: 'web.service', params: { state: 'stopped' } },
      { kind: 'svc', name: 'cache', params: { state: 'running' } },
    ]);
    const me = memoryWorld('me', store);
    const spec = parseGraph('graph: g\nresources:\n  svc:\n    - name: web\n      state: running\ncollect:\n  - kind: svc\n', 'me.yaml', registry);
    const built = await firstValueFrom(
      assembleGraphs(of<SpecEvent>({ kind: 'spec', spec }), { registry, build, log, env, world: me }).pipe(
        filter((e): e is Extract<GraphEvent, { kind: 'graph' }> => e.kind === 'graph' && e.graph.vertices.size >= 2),
        take(1),
      ),
    );
    expect([...built.graph.vertices.keys()].sort()).toEqual(['svc[cache]', 'svc[web]']);
    expect(log.lines).toContain('warn collect: refusing svc[web.service] from host other: it manages svc:web.service, as does svc[web] of the graph file (me.yaml:4)');
    await Promise.all([other.close(), me.close()]);
  });
});
