import { asyncScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Graph } from '../model/graph.js';
import { Registry } from '../model/registry.js';
import type { ResourceKind } from '../model/resource.js';
import { defaultMeta, type GraphSpec, type ResourceSpec } from '../model/spec.js';
import { fileKind } from '../resources/file.js';
import { noopKind } from '../resources/noop.js';
import { memoryLogger } from '../util/logger.js';
import { GraphBuildError, GraphConflictError, buildGraph } from './graph.js';
import { GraphBuilder } from './incremental.js';
import { parseGraph } from '../yaml/parse.js';

/** The file and noop kinds, counting every resource made. */
function countingRegistry(): { registry: Registry; created: () => number } {
  let n = 0;
  const counted = (k: ResourceKind): ResourceKind => ({ ...k, create: (spec, env) => (n++, k.create(spec, env)) });
  return { registry: new Registry([counted(fileKind), counted(noopKind)]), created: () => n };
}

const env = () => ({ hostname: 'h', log: memoryLogger(), scheduler: asyncScheduler });
const file = (name: string, path: string, content = `${name}\n`, meta: Partial<typeof defaultMeta> = {}): ResourceSpec => ({
  kind: 'file',
  name,
  params: { path, content, state: 'exists' },
  meta: { ...defaultMeta, ...meta },
  pos: { file: 'g.yaml', line: 1 },
});
const noop = (name: string): ResourceSpec => ({ kind: 'noop', name, params: {}, meta: { ...defaultMeta }, pos: { file: 'g.yaml', line: 1 } });
const spec = (resources: ResourceSpec[], edges: Array<[string, string]> = []): GraphSpec => ({
  graph: 'g',
  comment: '',
  resources,
  edges: edges.map(([from, to], i) => ({ name: `e${i}`, from: { kind: 'noop', name: from }, to: { kind: 'noop', name: to }, notify: false, pos: { file: 'g.yaml', line: 50 + i } })),
  collect: [],
  source: 'g.yaml',
});

/** A graph as comparable data: each vertex with its fingerprint, each edge as text, sorted. */
function shape(g: Graph): { vertices: string[]; edges: string[] } {
  return {
    vertices: [...g.vertices].map(([k, r]) => `${k} ${r.fingerprint}`).sort(),
    edges: g.edges.map((e) => `${e.from} -> ${e.to}${e.notify ? ' notify' : ''}${e.auto ? ' auto' : ''}`).sort(),
  };
}

/** Every edge goes from an earlier vertex to a later one in the graph's order. */
function misordered(g: Graph): string[] {
  const at = new Map([...g.vertices.keys()].map((k, i) => [k, i]));
  return g.edges.filter((e) => at.get(e.from)! >= at.get(e.to)!).map((e) => `${e.from} -> ${e.to}`);
}

describe('GraphBuilder', () => {
  it('equals a from-scratch build through a run of adds, changes and removals, parents and children alike', () => {
    const { registry } = countingRegistry();
    const builder = new GraphBuilder(registry, env());
    // A seeded walk: files under /d0../d3, the directories themselves coming and going.
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const current = new Map<string, ResourceSpec>();
    for (let i = 0; i < 40; i++) current.set(`f${i}`, file(`f${i}`, `/d${i % 4}/f${i}`));
    for (let step = 0; step < 200; step++) {
      const op = rand(6);
      const i = rand(60);
      if (op === 0) current.set(`f${i}`, file(`f${i}`, `/d${i % 4}/f${i}`, `v${step}\n`)); // add or change content
      else if (op === 1) current.delete(`f${i}`);
      else if (op === 2) current.set(`d${i % 4}`, file(`d${i % 4}`, `/d${i % 4}/`)); // a parent directory appears
      else if (op === 3) current.delete(`d${i % 4}`);
      else if (op === 4 && current.has(`f${i}`)) current.set(`f${i}`, file(`f${i}`, `/d${(i + 1) % 4}/f${i}`)); // moves: new identities
      else current.set(`n${i % 5}`, noop(`n${i % 5}`));
      const s = spec([...current.values()]);
      const g = builder.build(s);
      expect(shape(g), `step ${step}`).toEqual(shape(buildGraph(s, registry, env())));
      expect(misordered(g), `step ${step}`).toEqual([]);
    }
    // Most steps are deltas; the rest (a directory's edges against the order, say) full builds.
    expect(builder.builds.delta).toBeGreaterThan(100);
  });

  it('one changed resource of 1 000 is the only one made again, and the others are the same objects', () => {
    const { registry, created } = countingRegistry();
    const builder = new GraphBuilder(registry, env());
    const files = Array.from({ length: 1000 }, (_, i) => file(`f${i}`, `/srv/f${i}`));
    const first = builder.build(spec([file('srv', '/srv/'), ...files]));
    expect(created()).toBe(1001);
    // A re-read graph file: every spec a new object, one of them with new content.
    const reread = [file('srv', '/srv/'), ...files.map((f, i) => (i === 500 ? file(f.name, `/srv/f${i}`, 'new\n') : { ...f, params: { ...f.params } }))];
    const second = builder.build(spec(reread));
    expect(created()).toBe(1002);
    expect(builder.builds).toEqual({ full: 1, delta: 1 });
    const kept = [...second.vertices].filter(([k, r]) => first.vertices.get(k) === r).length;
    expect(kept).toBe(1000);
    expect(second.vertices.get('file[f500]')).not.toBe(first.vertices.get('file[f500]'));
    expect(shape(second)).toEqual(shape(buildGraph(spec(reread), registry, env())));
  });

  it('a graph file read again (parsed anew) with one resource changed makes only that one again', () => {
    const { registry, created } = countingRegistry();
    const builder = new GraphBuilder(registry, env());
    const text = (v: string) =>
      `graph: g\nresources:\n  file:\n` +
      Array.from({ length: 50 }, (_, i) => `    - name: f${i}\n      path: /srv/f${i}\n      content: "${i === 20 ? v : 'same'}"\n      mode: "0644"\n      meta: {sema: ["io:2"]}\n`).join('') +
      `  noop:\n    - name: n\nedges:\n  - name: e\n    from: {kind: noop, name: n}\n    to: {kind: file, name: f3}\n`;
    const first = builder.build(parseGraph(text('one'), 'g.yaml', registry));
    const second = builder.build(parseGraph(text('two'), 'g.yaml', registry));
    expect(created()).toBe(52);
    expect(builder.builds).toEqual({ full: 1, delta: 1 });
    expect([...second.vertices].filter(([k, r]) => first.vertices.get(k) !== r).map(([k]) => k)).toEqual(['file[f20]']);
  });

  it('a resource moved to another line of the file is the same resource', () => {
    const { registry, created } = countingRegistry();
    const builder = new GraphBuilder(registry, env());
    const a = file('a', '/a');
    const first = builder.build(spec([a]));
    const second = builder.build(spec([{ ...a, pos: { file: 'g.yaml', line: 9 } }]));
    expect(created()).toBe(1);
    expect(second.vertices.get('file[a]')).toBe(first.vertices.get('file[a]'));
  });

  it('a cycle made by a delta is the same error as from scratch, and the next good graph builds', () => {
    const { registry } = countingRegistry();
    const builder = new GraphBuilder(registry, env());
    builder.build(spec([noop('a'), noop('b')], [['a', 'b']]));
    const cyclic = spec([noop('a'), noop('b')], [['a', 'b'], ['b', 'a']]);
    expect(() => builder.build(cyclic)).toThrow(GraphBuildError);
    expect(() => builder.build(cyclic)).toThrow(/the graph has a cycle/);
    const g = builder.build(spec([noop('a'), noop('b'), noop('c')], [['b', 'a']]));
    expect(shape(g).edges).toEqual(['noop[b] -> noop[a]']);
    expect(misordered(g)).toEqual([]);
  });

  it('an edge added by a delta against the current order is put in order', () => {
    const { registry } = countingRegistry();
    const builder = new GraphBuilder(registry, env());
    builder.build(spec([file('f', '/x/f')]));
    // The parent directory comes last in the spec and is new: the order must put it first.
    const g = builder.build(spec([file('f', '/x/f'), file('x', '/x/')]));
    expect(shape(g).edges).toEqual(['file[x] -> file[f] auto']);
    expect(misordered(g)).toEqual([]);
  });

  it('a conflict made by a delta is refused as from scratch, and the last graph stays the base', () => {
    const { registry, created } = countingRegistry();
    const builder = new GraphBuilder(registry, env());
    builder.build(spec([file('a', '/a'), file('b', '/b')]));
    const clash = spec([file('a', '/a'), file('b', '/b'), file('c', '/a')]);
    expect(() => builder.build(clash)).toThrow(GraphConflictError);
    const made = created();
    const g = builder.build(spec([file('a', '/a'), file('b', '/b'), file('c', '/c')]));
    expect(created() - made).toBe(1); // only c: a and b still come from the last good graph
    expect(shape(g).vertices.map((v) => v.split(' ')[0])).toEqual(['file[a]', 'file[b]', 'file[c]']);
  });

  it('a bad resource in a delta is reported and leaves the last graph as the base', () => {
    const { registry, created } = countingRegistry();
    const builder = new GraphBuilder(registry, env());
    builder.build(spec([file('a', '/a'), file('b', '/b')]));
    const bad: ResourceSpec = { ...file('b', '/b'), params: { path: 'relative', state: 'exists' } };
    expect(() => builder.build(spec([file('a', '/a'), bad]))).toThrow(/file\[b\]/);
    const made = created();
    builder.build(spec([file('a', '/a'), file('b', '/b', 'again\n')]));
    expect(created() - made).toBe(1);
  });
});
