// Incremental collect on a real etcd: every graph a collector builds from a delta (an export
// added, changed, withdrawn; a host's whole list) equals the graph built from scratch, and only
// the changed exports are made again.
import { NEVER, asyncScheduler, concat, of } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { GraphEvent } from '../../src/engine/runner.js';
import { buildGraph } from '../../src/graph/graph.js';
import { GraphBuilder } from '../../src/graph/incremental.js';
import type { Graph } from '../../src/model/graph.js';
import { Registry } from '../../src/model/registry.js';
import type { ResourceKind } from '../../src/model/resource.js';
import type { GraphSpec } from '../../src/model/spec.js';
import { type SpecEvent, assembleGraphs } from '../../src/loader/assemble.js';
import { fileKind } from '../../src/resources/file.js';
import { memoryLogger } from '../../src/util/logger.js';
import { type EtcdWorld, connectEtcdWorld } from '../../src/world/etcd.js';
import type { ExportInput } from '../../src/world/world.js';
import { parseGraph } from '../../src/yaml/parse.js';
import { type EtcdCluster, describeEtcd, waitFor, startEtcd } from '../helpers/etcd.js';

/** A graph as comparable data: vertices with fingerprints, edges as text, sorted. */
const shape = (g: Graph) => ({
  vertices: [...g.vertices].map(([k, r]) => `${k} ${r.fingerprint}`).sort(),
  edges: g.edges.map((e) => `${e.from} -> ${e.to}${e.auto ? ' auto' : ''}`).sort(),
});

describeEtcd('incremental collect on etcd', () => {
  let etcd: EtcdCluster;
  const worlds: EtcdWorld[] = [];
  beforeAll(async () => {
    etcd = await startEtcd(1);
  });
  afterAll(async () => {
    await Promise.all(worlds.map((w) => w.close()));
    await etcd?.stop();
  });

  it('each collected graph equals a from-scratch build; one changed export of 60 is the only one made again', async () => {
    const namespace = `/rxmgmt-incr-${process.pid}`;
    const open = async (host: string) => {
      const w = await connectEtcdWorld({ host, seeds: etcd.clientUrls, log: memoryLogger(), namespace, startupTimeoutMs: 10_000, probeIntervalMs: 200 });
      worlds.push(w);
      return w;
    };
    const [a, b, c] = await Promise.all([open('a'), open('b'), open('c')]);
    let made = 0;
    const counted: ResourceKind = { ...fileKind, create: (spec, env) => (made++, fileKind.create(spec, env)) };
    const registry = new Registry([counted]);
    const env = { hostname: 'a', log: memoryLogger(), scheduler: asyncScheduler };
    const builder = new GraphBuilder(registry, env);
    const mismatches: string[] = [];
    const build = (spec: GraphSpec): Graph => {
      const g = builder.build(spec);
      const expected = shape(buildGraph(spec, new Registry([fileKind]), env));
      if (JSON.stringify(shape(g)) !== JSON.stringify(expected)) mismatches.push(`${spec.resources.length} resources`);
      return g;
    };
    // Host a collects into /srv/collected/ and manages that directory itself: every collected
    // file gets an automatic edge from it.
    const spec = parseGraph(
      `graph: a
resources:
  file:
    - name: dir
      path: /srv/collected/
      state: exists
collect:
  - kind: file
    pattern: /srv/collected/
`,
      'a.yaml',
      registry,
    );
    const latest: Graph[] = [];
    const live = assembleGraphs(concat(of<SpecEvent>({ kind: 'spec', spec }), NEVER), { registry, build, log: env.log, env, world: a }).subscribe((ev: GraphEvent) => {
      if (ev.kind === 'graph') latest.push(ev.graph);
    });
    const files = (host: string, n: number, version = (_i: number) => 0): ExportInput[] =>
      Array.from({ length: n }, (_, i) => ({ kind: 'file', name: `${host}-${i}`, params: { path: `/x/${host}-${i}`, content: `${host} ${i} v${version(i)}\n` } }));
    const collected = (n: number) => waitFor(() => latest.at(-1)?.vertices.size === n + 1, `${n} collected files`);

    await b.setExports(files('b', 30));
    await c.setExports(files('c', 30));
    await collected(60);
    const before = made;
    const first = latest.at(-1)!;

    // One export changed.
    await b.setExports(files('b', 30, (i) => (i === 7 ? 1 : 0)));
    await waitFor(() => latest.at(-1)?.vertices.get('file[b-7]')?.fingerprint.includes('v1'), 'the change collected');
    // Made twice: once by the Collector (what it manages, for its clash checks), once by the build.
    expect(made - before).toBe(2);
    const changed = latest.at(-1)!;
    expect([...changed.vertices].filter(([k, r]) => first.vertices.get(k) === r).length).toBe(60); // dir and 59 exports kept

    // Added and withdrawn.
    await c.setExports([...files('c', 30).slice(1), ...files('c', 32).slice(30)]);
    await waitFor(() => latest.at(-1)?.vertices.has('file[c-31]') && !latest.at(-1)?.vertices.has('file[c-0]'), 'c-0 withdrawn, c-30 and c-31 added');
    // A whole host withdrawn.
    await b.setExports([]);
    await collected(31);
    expect(latest.at(-1)!.edges.filter((e) => e.from === 'file[dir]').length).toBe(31);
    expect(mismatches).toEqual([]);
    expect(builder.builds.delta).toBeGreaterThanOrEqual(3);
    live.unsubscribe();
  });
});
