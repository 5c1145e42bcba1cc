// The loader's hook for kinds whose lookups change while a graph runs (pkg after each of its
// transactions): `ResourceKind.changed$` makes the graph be prepared and built again, without
// the graph file being saved, and `built()` is told each graph built.
import { describe, expect, it } from 'vitest';
import { NEVER, Subject, asyncScheduler, filter, of, take, tap, toArray, firstValueFrom } from 'rxjs';
import { defaultMeta, type GraphSpec, type ResourceSpec } from '../src/model/spec.js';
import type { AutoEdges, Resource, ResourceEnv, ResourceKind } from '../src/model/resource.js';
import type { Graph } from '../src/model/graph.js';
import { Registry } from '../src/model/registry.js';
import { buildGraph } from '../src/graph/graph.js';
import { memoryLogger } from '../src/util/logger.js';
import { type SpecEvent, assembleGraphs } from '../src/loader/assemble.js';
import type { GraphEvent } from '../src/engine/runner.js';

const log = memoryLogger();
const env: ResourceEnv = { hostname: 'h', log, scheduler: asyncScheduler };
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
const r = (kind: string, name: string): ResourceSpec => ({ kind, name, params: {}, meta: { ...defaultMeta }, pos: { file: 'g.yaml', line: 1 } });
const spec: GraphSpec = { graph: 'g', comment: '', source: 'g.yaml', collect: [], edges: [], resources: [r('installer', 'i1'), r('thing', 'a')] };
const edgesOf = (ev: GraphEvent) => (ev.kind === 'graph' ? ev.graph.edges.map((e) => `${e.from} -> ${e.to}`) : ev.kind);

describe('a kind whose lookups changed (ResourceKind.changed$)', () => {
  it('gets its graphs prepared and built again, even through a build memoised on the spec object', async () => {
    const provides = new Map<string, string[]>();
    const changed$ = new Subject<void>();
    let prepares = 0;
    const built: Graph[] = [];
    const installerKind: ResourceKind = {
      kind: 'installer',
      doc: 'test kind',
      fields: {},
      create: (s) => fake('installer', s, () => ({ provides: provides.get(s.name) ?? [], wants: [] })),
      prepare: async () => {
        prepares++;
        await new Promise((done) => setImmediate(done));
      },
      changed$: changed$.asObservable(),
      built: (g) => built.push(g),
    };
    const registry = new Registry([thingKind, installerKind]);
    // As `rxmgmt run` does: the last build is reused for the same spec object.
    let last: { arg: GraphSpec; graph: Graph } | undefined;
    const build = (s: GraphSpec) => {
      if (last?.arg !== s) last = { arg: s, graph: buildGraph(s, registry, env) };
      return last.graph;
    };
    let seen = 0;
    const events$ = assembleGraphs(of<SpecEvent>({ kind: 'spec', spec }), { registry, build, log, env });
    const graphs = firstValueFrom(
      events$.pipe(
        filter((e) => e.kind === 'graph'),
        tap(() => {
          if (++seen > 1) return;
          // After the first graph, the kind learns that i1 now provides what a needs, and says so.
          provides.set('i1', ['thing:a']);
          changed$.next();
        }),
        take(2),
        toArray(),
      ),
    );
    const [first, second] = await graphs;
    expect(edgesOf(first!)).toEqual([]);
    expect(edgesOf(second!)).toEqual(['installer[i1] -> thing[a]']);
    expect(prepares).toBe(2);
    expect(built).toHaveLength(2);
  });

  it('a graph without that kind is not built again', async () => {
    const changed$ = new Subject<void>();
    const other: ResourceKind = { kind: 'installer', doc: 'x', fields: {}, create: (s) => fake('installer', s, () => ({ provides: [], wants: [] })), prepare: async () => {}, changed$ };
    const registry = new Registry([thingKind, other]);
    const onlyThings: GraphSpec = { ...spec, resources: [r('thing', 'a')] };
    const events = firstValueFrom(assembleGraphs(of<SpecEvent>({ kind: 'spec', spec: onlyThings }), { registry, build: (s) => buildGraph(s, registry, env), log, env }).pipe(toArray()));
    changed$.next();
    expect((await events).map((e) => e.kind)).toEqual(['loading', 'graph']);
  });
});
