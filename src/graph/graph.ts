// The pure graph: resources as vertices, explicit and automatic edges, checked for cycles.
import type { Registry } from '../model/registry.js';
import type { Resource, ResourceEnv } from '../model/resource.js';
import type { Graph, GraphEdge } from '../model/graph.js';
import { autoEdges } from './autoedges.js';
import { autoGroup } from './autogroup.js';
import { type Conflict, findConflicts, formatConflict, warnRefused } from './conflicts.js';
import { hidden } from './hidden.js';
import { type GraphSpec, type ResourceSpec, type SourcePos, refKey } from '../model/spec.js';
import { toposort } from './toposort.js';
import { pushTo } from '../util/multimap.js';
import { escapeControl } from '../util/logger.js';

/** A graph that cannot be built: a resource refused its params, or the edges form a cycle. */
export class GraphBuildError extends Error {
  constructor(message: string, readonly pos?: SourcePos) {
    // Names in the message are user data: their control characters are escaped, lines kept.
    super(escapeControl(pos ? `${pos.file}:${pos.line}: ${message}` : message, true));
    this.name = 'GraphBuildError';
  }
}

/** Resources of the graph file that manage the same thing; `conflicts` says which and where. */
export class GraphConflictError extends GraphBuildError {
  constructor(readonly conflicts: readonly Conflict[]) {
    super(conflicts.map(formatConflict).join('\n'));
    this.name = 'GraphConflictError';
  }
}

/** Makes the resource of one spec (its kind's `create`, meta hidden applied), or says why not. */
export type MakeResource = (spec: ResourceSpec) => Resource;

/**
 * Builds the graph of `spec`: creates each resource, refuses conflicts (two resources of the file
 * managing one thing: GraphConflictError; a collected resource managing what another one does:
 * left out with a warning on env.log), adds automatic edges, groups, and orders it. `make`
 * (default `createResource`) lets an incremental builder hand back the resources it already has.
 */
export function buildGraph(spec: GraphSpec, registry: Registry, env: ResourceEnv, make: MakeResource = (r) => createResource(r, registry, env)): Graph {
  const resources = new Map<string, Resource>();
  for (const r of spec.resources) resources.set(refKey(r), make(r));
  const { conflicts, refused, kept } = findConflicts(spec.resources, resources);
  if (conflicts.length > 0) throw new GraphConflictError(conflicts);
  for (const c of refused) warnRefused(env.log, c);
  if (refused.length > 0) {
    resources.clear();
    for (const [k, v] of kept) resources.set(k, v);
  }
  const explicit = explicitEdges(spec);
  const grouped = autoGroup(resources, dedupe([...explicit, ...autoEdges(resources)]), registry, env);
  const order = orderOrThrow(grouped.resources, grouped.edges, spec);
  return { name: spec.graph, vertices: new Map(order.map((k) => [k, grouped.resources.get(k)!])), edges: grouped.edges };
}

/** The resource of `r` as a graph holds it: created by its kind, checked, hidden if asked. */
export function createResource(r: ResourceSpec, registry: Registry, env: ResourceEnv): Resource {
  const kind = registry.get(r.kind);
  if (!kind) throw new GraphBuildError(`${refKey(r)}: unknown resource kind "${r.kind}"`, r.pos);
  let resource: Resource;
  try {
    resource = kind.create(r, env);
  } catch (e) {
    throw new GraphBuildError(`${refKey(r)}: ${(e as Error).message}`, r.pos);
  }
  if (r.meta.reverse && !resource.reversed) {
    throw new GraphBuildError(`${refKey(r)}: meta reverse is true, but a ${r.kind} resource cannot be undone (reversible kinds implement reversed())`, r.pos);
  }
  return r.meta.hidden ? hidden(resource) : resource;
}

/** The edges written in the graph file, as graph edges. */
export function explicitEdges(spec: GraphSpec): GraphEdge[] {
  return spec.edges.map((e) => ({ from: refKey(e.from), to: refKey(e.to), notify: e.notify, auto: false }));
}

/** An auto edge that duplicates an explicit one adds nothing; keep the explicit one. */
export function dedupe(edges: GraphEdge[]): GraphEdge[] {
  const seen = new Map<string, GraphEdge>();
  for (const e of edges) {
    const k = `${e.from}->${e.to}`;
    const prev = seen.get(k);
    if (!prev) seen.set(k, e);
    else if (prev.auto && !e.auto) seen.set(k, e);
    else if (!prev.auto && !e.auto) prev.notify ||= e.notify;
  }
  return [...seen.values()];
}

export function orderOrThrow(resources: Map<string, Resource>, edges: GraphEdge[], spec: GraphSpec): string[] {
  const children = new Map<string, string[]>();
  for (const e of edges) pushTo(children, e.from, e.to);
  const result = toposort(resources.keys(), children);
  if ('order' in result) return result.order;
  const { cycle } = result;
  throw new GraphBuildError(`the graph has a cycle: ${cycle.join(' -> ')}`, cyclePos(cycle, spec));
}

/** Where to point at a cycle: its first written edge, else its first resource. */
function cyclePos(cycle: string[], spec: GraphSpec): SourcePos | undefined {
  const hops = new Set(cycle.slice(1).map((to, i) => `${cycle[i]}->${to}`));
  const edge = spec.edges.find((e) => hops.has(`${refKey(e.from)}->${refKey(e.to)}`));
  return edge?.pos ?? spec.resources.find((r) => cycle.includes(refKey(r)))?.pos;
}
