// Exported and collected resources between hosts of one in-process World.
import { NEVER, Subject, asyncScheduler, filter, firstValueFrom, of, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { buildGraph } from '../graph/graph.js';
import type { Graph } from '../model/graph.js';
import { type GraphSpec, type ResourceSpec, defaultMeta } from '../model/spec.js';
import { Registry } from '../model/registry.js';
import { defaultRegistry } from '../resources/registry.js';
import type { AutoEdges, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';
import { memoryLogger } from '../util/logger.js';
import { MemoryStore, memoryWorld } from '../world/memory.js';
import { parseGraph } from '../yaml/parse.js';
import { type SpecEvent, assembleGraphs, splitExports } from './assemble.js';
import type { GraphEvent } from '../engine/runner.js';

const registry = defaultRegistry();
const log = memoryLogger();
const env = { hostname: 'h', log, scheduler: asyncScheduler };
const build = (spec: GraphSpec) => buildGraph(spec, registry, env);

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
      assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: hostGraph('a') }), { registry, build, log, env }).pipe(toArray()),
    );
    expect(events[0]).toEqual({ kind: 'loading' });
    expect([...graphs(events)[0]!.vertices.keys()]).toEqual(['file[own-a]']);
  });

  it('every host collects every export (its own too) into its pattern directory', async () => {
    const store = new MemoryStore();
    const a = memoryWorld('a', store);
    const b = memoryWorld('b', store);
    const bGraphs$ = assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: hostGraph('b') }), { registry, build, log, env, world: b });
    const aSub = assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: hostGraph('a') }), { registry, build, log, env, world: a }).subscribe();
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
      assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: hostGraph('me') }), { registry, build, log: warn, env, world: me }).pipe(
        filter((e) => e.kind === 'graph'),
        take(1),
        toArray(),
      ),
    );
    expect([...graphs(events)[0]!.vertices.keys()].sort()).toEqual(['file[own-me]', 'file[shared-me]']);
    expect(warn.lines.filter((l) => l.includes('refusing file[bad] from host other'))).toEqual([
      expect.stringContaining('field "mdoe" is not a file field (did you mean "mode"?)'),
    ]);
    await Promise.all([other.close(), me.close()]);
  });
});

describe('assembleGraphs: kinds that prepare before the build', () => {
  // Like pkg: an "installer" provides what its kind's prepare() looked up asynchronously; a
  // "thing" wants `thing:<name>`, so the edge installer -> thing exists only if prepare ran first.
  const fake = (kind: string, spec: ResourceSpec, edges: () => AutoEdges): Resource => ({
    kind,
    name: spec.name,
    meta: spec.meta,
    fingerprint: spec.name,
    watch: () => NEVER,
    checkApply: () => of(true),
    autoEdges: edges,
  });
  const thingKind: ResourceKind = {
    kind: 'thing',
    doc: 'test kind',
    fields: {},
    create: (spec) => fake('thing', spec, () => ({ provides: [], wants: [[`thing:${spec.name}`]] })),
  };
  function installerKind(prepare: (specs: ResourceSpec[], env: ResourceEnv, looked: Map<string, string[]>) => Promise<void>) {
    const looked = new Map<string, string[]>();
    const calls: string[][] = [];
    const kind: ResourceKind = {
      kind: 'installer',
      doc: 'test kind',
      fields: {},
      create: (spec) => fake('installer', spec, () => ({ provides: looked.get(spec.name) ?? [], wants: [] })),
      prepare: (specs, env) => {
        calls.push(specs.map((r) => r.name));
        return prepare(specs, env, looked);
      },
    };
    return { kind, calls };
  }
  const r = (kind: string, name: string): ResourceSpec => ({ kind, name, params: {}, meta: { ...defaultMeta }, pos: { file: 'g.yaml', line: 1 } });
  const graphOf = (...resources: ResourceSpec[]): GraphSpec => ({ graph: 'g', comment: '', source: 'g.yaml', collect: [], edges: [], resources });
  const env: ResourceEnv = { hostname: 'h', log, scheduler: asyncScheduler };
  const assemble = (kind: ResourceKind, specs$: Parameters<typeof assembleGraphs>[0], logger = memoryLogger()) => {
    const registry = new Registry([thingKind, kind]);
    return assembleGraphs(specs$, { registry, build: (spec) => buildGraph(spec, registry, env), log: logger, env });
  };
  const edgesOf = (ev: GraphEvent | undefined) => (ev?.kind === 'graph' ? ev.graph.edges.map((e) => `${e.from} -> ${e.to}`) : ev);
  const spec = graphOf(r('installer', 'i1'), r('thing', 'a'), r('installer', 'i2'), r('thing', 'b'));

  it('awaits every prepare, given the specs of its kind, then builds with what it looked up', async () => {
    const { kind, calls } = installerKind(async (specs, e, looked) => {
      expect(e).toBe(env);
      await new Promise((done) => setImmediate(done)); // a real round trip, not a microtask
      for (const s of specs) looked.set(s.name, s.name === 'i1' ? ['thing:a'] : []);
    });
    const events = await firstValueFrom(assemble(kind, of<SpecEvent>({ kind: 'spec', spec })).pipe(toArray()));
    expect(calls).toEqual([['i1', 'i2']]);
    expect(events[0]).toEqual({ kind: 'loading' });
    expect(events).toHaveLength(2);
    expect(edgesOf(events[1])).toEqual(['installer[i1] -> thing[a]']);
  });

  it('builds the graph anyway when a prepare rejects (its autoedges do without), with a warning', async () => {
    const { kind } = installerKind(() => Promise.reject(new Error('the package manager is away')));
    const warn = memoryLogger();
    const events = await firstValueFrom(assemble(kind, of<SpecEvent>({ kind: 'spec', spec }), warn).pipe(toArray()));
    expect(events.map((e) => e.kind)).toEqual(['loading', 'graph']);
    expect(edgesOf(events[1])).toEqual([]);
    expect(warn.lines).toContainEqual(expect.stringContaining('installer: preparing the graph failed, building it anyway: the package manager is away'));
  });

  it('a newer spec supersedes a preparation still running: its graph is never built', async () => {
    let finishFirst = () => {};
    const { kind, calls } = installerKind(async (specs, _e, looked) => {
      if (specs.length === 2) await new Promise<void>((done) => (finishFirst = done)); // the first spec hangs
      for (const s of specs) looked.set(s.name, ['thing:a']);
    });
    const specs$ = new Subject<SpecEvent>();
    const events: GraphEvent[] = [];
    const sub = assemble(kind, specs$).subscribe((e) => events.push(e));
    specs$.next({ kind: 'spec', spec });
    await new Promise((done) => setImmediate(done));
    expect(events.map((e) => e.kind)).toEqual(['loading']);
    specs$.next({ kind: 'spec', spec: graphOf(r('installer', 'i3'), r('thing', 'a')) });
    await new Promise((done) => setImmediate(done));
    finishFirst();
    await new Promise((done) => setImmediate(done));
    expect(calls).toEqual([['i1', 'i2'], ['i3']]);
    expect(events.map((e) => e.kind)).toEqual(['loading', 'loading', 'graph']);
    expect(edgesOf(events[2])).toEqual(['installer[i3] -> thing[a]']);
    sub.unsubscribe();
  });

  it('says loading again while it prepares a new version of the collected resources', async () => {
    const { kind, calls } = installerKind(async (specs, _e, looked) => {
      await new Promise((done) => setImmediate(done));
      for (const s of specs) looked.set(s.name, s.name === 'i9' ? ['thing:a'] : []);
    });
    const store = new MemoryStore();
    const other = memoryWorld('other', store);
    const me = memoryWorld('me', store);
    const registry = new Registry([thingKind, kind]);
    const collecting = { ...spec, collect: [{ kind: 'installer', pattern: '' }] };
    const events: GraphEvent[] = [];
    const sub = assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: collecting }), {
      registry,
      build: (s) => buildGraph(s, registry, env),
      log,
      env,
      world: me,
    }).subscribe((e) => events.push(e));
    const until = async (n: number) => {
      for (let i = 0; i < 100 && events.length < n; i++) await new Promise((done) => setImmediate(done));
    };
    await until(2);
    await other.setExports([{ kind: 'installer', name: 'i9', params: {}, meta: { ...defaultMeta } }]);
    await until(4);
    expect(events.map((e) => e.kind)).toEqual(['loading', 'graph', 'loading', 'graph']);
    expect(calls.at(-1)).toEqual(['i1', 'i2', 'i9']);
    expect(edgesOf(events[1])).toEqual([]);
    expect(edgesOf(events[3])).toEqual(['installer[i9] -> thing[a]']);
    sub.unsubscribe();
    await Promise.all([other.close(), me.close()]);
  });
});
