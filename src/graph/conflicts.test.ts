// Two resources managing one thing are a load error naming both; a collected one that manages
// what the graph file's does is refused with a warning, the local one kept.
import { NEVER, asyncScheduler, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Registry } from '../model/registry.js';
import type { Resource, ResourceKind } from '../model/resource.js';
import { defaultMeta, type GraphSpec, type ResourceSpec } from '../model/spec.js';
import { pkgKind } from '../resources/pkg.js';
import { svcKind } from '../resources/svc.js';
import { memoryLogger } from '../util/logger.js';
import { parseGraph } from '../yaml/parse.js';
import { buildGraph, GraphConflictError } from './graph.js';

/** A kind whose resources manage what their `manages` param lists. */
const spotKind: ResourceKind = {
  kind: 'spot',
  doc: 'test kind',
  fields: { manages: { type: 'string[]', doc: 'what it manages' } },
  create: (spec): Resource => ({
    kind: 'spot',
    name: spec.name,
    meta: spec.meta,
    fingerprint: spec.name,
    watch: () => NEVER,
    checkApply: () => of(true),
    manages: () => (spec.params.manages as string[] | undefined) ?? [],
  }),
};
const registry = new Registry([spotKind, svcKind, pkgKind]);
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
const envWith = (log = memoryLogger()) => ({ hostname: 'h', log, scheduler: asyncScheduler });

function conflictOf(text: string): GraphConflictError {
  try {
    buildGraph(parseGraph(text, 'g.yaml', registry), registry, envWith());
  } catch (e) {
    expect(e).toBeInstanceOf(GraphConflictError);
    return e as GraphConflictError;
  }
  return expect.fail('expected a GraphConflictError');
}

describe('conflicts at load', () => {
  it('names both resources, each with its line, and what they both manage', () => {
    const e = conflictOf(
      yaml('graph: g', 'resources:', '  spot:', '  - name: a', '    manages: [file:/x, file:/y]', '  - name: b', '    manages: [file:/z]', '  - name: c', '    manages: [file:/x]'),
    );
    expect(e.message.split('\n')).toEqual([
      'g.yaml:8: spot[c]: manages file:/x, as does spot[a] (g.yaml:4); expected one resource per thing managed',
    ]);
    expect(e.conflicts).toEqual([
      { thing: 'file:/x', first: { key: 'spot[a]', pos: { file: 'g.yaml', line: 4 } }, second: { key: 'spot[c]', pos: { file: 'g.yaml', line: 8 } } },
    ]);
  });

  it('reports every conflict of the graph, one per line', () => {
    const e = conflictOf(
      yaml('graph: g', 'resources:', '  spot:', '  - {name: a, manages: [p, q]}', '  - {name: b, manages: [p]}', '  - {name: c, manages: [q]}'),
    );
    expect(e.message.split('\n').map((l) => l.split(';')[0])).toEqual([
      'g.yaml:5: spot[b]: manages p, as does spot[a] (g.yaml:4)',
      'g.yaml:6: spot[c]: manages q, as does spot[a] (g.yaml:4)',
    ]);
  });

  it('takes a service by its unit name: nginx and nginx.service are one unit', () => {
    const e = conflictOf(yaml('graph: g', 'resources:', '  svc:', '  - name: nginx', '    state: running', '  - name: nginx.service', '    state: stopped'));
    expect(e.message).toBe('g.yaml:6: svc[nginx.service]: manages svc:nginx.service, as does svc[nginx] (g.yaml:4); expected one resource per thing managed');
  });

  it('keeps the system and the session unit of one name apart', () => {
    const spec = parseGraph(yaml('graph: g', 'resources:', '  svc:', '  - name: web', '  - name: web.service', '    session: true'), 'g.yaml', registry);
    expect([...buildGraph(spec, registry, envWith()).vertices.keys()].sort()).toEqual(['svc[web.service]', 'svc[web]']);
  });

  it('manages packages by name', () => {
    const spec = parseGraph(yaml('graph: g', 'resources:', '  pkg:', '  - name: nginx', '  - name: curl'), 'g.yaml', registry);
    const g = buildGraph(spec, registry, envWith());
    expect([...g.vertices.values()].flatMap((r) => r.manages?.() ?? []).sort()).toEqual(['pkg:curl', 'pkg:nginx']);
  });

  it('refuses a collected resource that manages what a local one does, with a warning naming host and resource', () => {
    const local = parseGraph(yaml('graph: g', 'resources:', '  spot:', '  - {name: mine, manages: [file:/etc/motd]}'), 'g.yaml', registry);
    const collected = (name: string, host: string, manages: string[]): ResourceSpec => ({
      kind: 'spot',
      name,
      params: { manages },
      meta: defaultMeta,
      pos: { file: `world:${host}`, line: 0 },
    });
    const spec: GraphSpec = {
      ...local,
      resources: [collected('theirs', 'web1', ['file:/etc/motd']), ...local.resources, collected('other', 'web2', ['file:/srv/a']), collected('again', 'web3', ['file:/srv/a'])],
    };
    const log = memoryLogger();
    const g = buildGraph(spec, registry, envWith(log));
    expect([...g.vertices.keys()].sort()).toEqual(['spot[mine]', 'spot[other]']);
    expect(log.lines).toEqual([
      'warn collect: refusing spot[theirs] from host web1: it manages file:/etc/motd, as does spot[mine] of the graph file (g.yaml:4)',
      'warn collect: refusing spot[again] from host web3: it manages file:/srv/a, as does spot[other] collected from host web2',
    ]);
  });
  it('a refused collected resource goes with its edges: none is left pointing at it, none makes a cycle', () => {
    const local = parseGraph(yaml('graph: g', 'resources:', '  spot:', '  - {name: mine, manages: [file:/etc/motd]}', '  - {name: next}'), 'g.yaml', registry);
    const theirs: ResourceSpec = { kind: 'spot', name: 'theirs', params: { manages: ['file:/etc/motd'] }, meta: defaultMeta, pos: { file: 'world:web1', line: 0 } };
    const edge = (from: string, to: string, line: number) => ({ name: `${from}-${to}`, from: { kind: 'spot', name: from }, to: { kind: 'spot', name: to }, notify: false, pos: { file: 'g.yaml', line } });
    const spec: GraphSpec = { ...local, resources: [...local.resources, theirs], edges: [edge('theirs', 'next', 9), edge('next', 'theirs', 10), edge('mine', 'next', 11)] };
    const g = buildGraph(spec, registry, envWith());
    expect([...g.vertices.keys()]).toEqual(['spot[mine]', 'spot[next]']);
    expect(g.edges).toEqual([{ from: 'spot[mine]', to: 'spot[next]', notify: false, auto: false }]);
  });
});
