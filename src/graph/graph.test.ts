import { NEVER, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Registry } from '../model/registry.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import { memoryLogger } from '../util/logger.js';
import { buildGraph, GraphBuildError } from './graph.js';
import { toDot } from './graphviz.js';
import { defaultMeta, type GraphSpec, type ResourceSpec } from '../model/spec.js';
import { toposort } from './toposort.js';
import { asyncScheduler } from 'rxjs';

/** A kind whose resources provide `thing:<name>` and want `thing:<wants>`; groups by `group`. */
const thingKind: ResourceKind = {
  kind: 'thing',
  doc: 'test kind',
  fields: {},
  create: (spec) => thing(spec.name, spec.params, spec.meta),
  group: (members) => ({
    ...thing(members.map((m) => m.name).join(','), {}, defaultMeta),
    fingerprint: members.map((m) => m.fingerprint).join('|'),
  }),
};

function thing(name: string, params: Record<string, unknown>, meta = defaultMeta): Resource {
  return {
    kind: 'thing',
    name,
    meta,
    fingerprint: name,
    watch: () => NEVER,
    checkApply: () => of(true),
    autoEdges: () => ({ provides: [`thing:${name}`], wants: params.wants ? [(params.wants as string[]).map((w) => `thing:${w}`)] : [] }),
    groupKey: () => (params.group as string | undefined),
  };
}

const pos = { file: 'g.yaml', line: 1 };
const res = (name: string, params: Record<string, unknown> = {}, meta = {}): ResourceSpec => ({
  kind: 'thing',
  name,
  params,
  meta: { ...defaultMeta, ...meta },
  pos,
});
const spec = (resources: ResourceSpec[], edges: Array<[string, string, boolean?]> = []): GraphSpec => ({
  graph: 'g',
  comment: '',
  resources,
  edges: edges.map(([from, to, notify], i) => ({
    name: `e${i}`,
    from: { kind: 'thing', name: from },
    to: { kind: 'thing', name: to },
    notify: !!notify,
    pos: { file: 'g.yaml', line: 10 + i },
  })),
  collect: [],
  source: 'g.yaml',
});
const env = () => ({ hostname: 'h', log: memoryLogger(), scheduler: asyncScheduler });
const build = (s: GraphSpec, e = env()) => buildGraph(s, new Registry([thingKind]), e);

describe('toposort', () => {
  // Vertices are ids 0..n-1; edges are from[i] -> to[i].
  it('orders parents before children', () => {
    const [c, b, a] = [0, 1, 2];
    expect(toposort(3, [a, b], [b, c])).toEqual({ order: Int32Array.from([a, b, c]) });
  });

  it('takes ready vertices last in, first out', () => {
    expect(toposort(3, [], [])).toEqual({ order: Int32Array.from([2, 1, 0]) });
    expect(toposort(4, [0, 0], [1, 2])).toEqual({ order: Int32Array.from([3, 0, 2, 1]) });
  });

  it('names a cycle as a closed path', () => {
    const [a, b, c, d] = [0, 1, 2, 3];
    expect(toposort(4, [a, b, c, d], [b, c, b, a])).toEqual({ cycle: [b, c, b] });
  });

  it('names a cycle when the first vertex left over is only downstream of it', () => {
    const [d, a, b] = [0, 1, 2];
    expect(toposort(3, [a, b, a], [b, a, d])).toEqual({ cycle: [a, b, a] });
  });
});

describe('buildGraph', () => {
  it('a cycle is a clear error naming its vertices', () => {
    expect(() => build(spec([res('a'), res('b')], [['a', 'b'], ['b', 'a']]))).toThrow(
      /the graph has a cycle: thing\[(a|b)\] -> thing\[(a|b)\] -> thing\[(a|b)\]/,
    );
  });

  it('a cycle upstream of the first resource is named, not that resource', () => {
    expect(() => build(spec([res('d'), res('a'), res('b')], [['a', 'b'], ['b', 'a'], ['a', 'd']]))).toThrow(
      'g.yaml:10: the graph has a cycle: thing[a] -> thing[b] -> thing[a]',
    );
  });

  it('a resource its kind refuses is an error naming the file, line and resource', () => {
    const bad: ResourceKind = { ...thingKind, create: () => { throw new Error('no such user "zed"'); } };
    expect(() => buildGraph(spec([res('a')]), new Registry([bad]), env())).toThrow(GraphBuildError);
    expect(() => buildGraph(spec([res('a')]), new Registry([bad]), env())).toThrow('g.yaml:1: thing[a]: no such user "zed"');
  });

  it('adds an autoedge to the nearest provider only, and keeps explicit edges over auto ones', () => {
    const g = build(spec([res('root'), res('mid'), res('leaf', { wants: ['mid', 'root'] })], [['root', 'mid', true]]));
    expect(g.edges).toEqual([
      { from: 'thing[root]', to: 'thing[mid]', notify: true, auto: false },
      { from: 'thing[mid]', to: 'thing[leaf]', notify: false, auto: true },
    ]);
  });

  it('autoedge off on either side adds no edge', () => {
    const g = build(spec([res('mid', {}, { autoedge: false }), res('leaf', { wants: ['mid'] })]));
    expect(g.edges).toEqual([]);
  });

  it('autogroups resources with one group key and no path between them, moving their edges', () => {
    const e = env();
    const g = build(
      spec(
        [res('p1', { group: 'pkg' }), res('p2', { group: 'pkg' }), res('p3', { group: 'pkg' }), res('svc'), res('cfg')],
        [['cfg', 'p1'], ['p1', 'svc', true], ['p2', 'svc']],
      ),
      e,
    );
    expect([...g.vertices.keys()]).toContain('thing[p1,p2,p3]');
    expect(g.vertices.has('thing[p1]')).toBe(false);
    expect(g.edges).toEqual(
      expect.arrayContaining([
        { from: 'thing[cfg]', to: 'thing[p1,p2,p3]', notify: false, auto: false },
        { from: 'thing[p1,p2,p3]', to: 'thing[svc]', notify: true, auto: false },
      ]),
    );
    expect(g.edges).toHaveLength(2);
    expect(e.log.lines).toContainEqual(expect.stringContaining('autogroup: thing[p1], thing[p2], thing[p3] -> thing[p1,p2,p3]'));
  });

  it('does not group two resources with a path between them (it would be a cycle)', () => {
    const g = build(spec([res('p1', { group: 'k' }), res('mid'), res('p2', { group: 'k' })], [['p1', 'mid'], ['mid', 'p2']]));
    expect([...g.vertices.keys()].sort()).toEqual(['thing[mid]', 'thing[p1]', 'thing[p2]']);
  });

  it('does not group resources with autogroup off or different keys', () => {
    const g = build(spec([res('a', { group: 'x' }), res('b', { group: 'x' }, { autogroup: false }), res('c', { group: 'y' })]));
    expect(g.vertices.size).toBe(3);
  });
});

describe('graphviz', () => {
  it('writes vertices and edges, auto edges dashed and notify edges bold', () => {
    const dot = toDot(build(spec([res('a'), res('b'), res('c', { wants: ['b'] })], [['a', 'b', true]])));
    expect(dot).toContain('digraph "g" {');
    expect(dot).toContain('"thing[a]" -> "thing[b]" [style=bold, label="notify"];');
    expect(dot).toContain('"thing[b]" -> "thing[c]" [style=dashed];');
  });
});

describe('autoedges to a provider of the same identity', () => {
  const ownKind: ResourceKind = {
    ...thingKind,
    kind: 'owner',
    create: (s) => ({ ...thing(s.name, s.params, s.meta), kind: 'owner', autoEdges: () => ({ provides: ['thing:shared'], wants: [] }) }),
  };
  const wantsSelf = (name: string): ResourceSpec => res(name, { wants: [name] });

  it('a resource wanting what it provides gets an edge from another kind providing it', () => {
    const owner: ResourceSpec = { ...res('pkgish'), kind: 'owner' };
    const self: ResourceSpec = res('shared', { wants: ['shared'] });
    const g = buildGraph(spec([owner, self]), new Registry([thingKind, ownKind]), env());
    expect(g.edges).toEqual([{ from: 'owner[pkgish]', to: 'thing[shared]', notify: false, auto: true }]);
  });

  it('but not from a peer of its own kind providing the same identity', () => {
    const g = build(spec([wantsSelf('x'), { ...wantsSelf('x'), name: 'x2', params: { wants: ['x'] } }]));
    expect(g.edges).toEqual([{ from: 'thing[x]', to: 'thing[x2]', notify: false, auto: true }]);
  });
});
