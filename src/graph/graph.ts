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
export type MakeResource = (spec: ResourceSpec, key: string) => Resource;

/**
 * Builds the graph of `spec`: creates each resource, refuses conflicts (two resources of the file
 * managing one thing: GraphConflictError; a collected resource managing what another one does:
 * left out with a warning on env.log), adds automatic edges, groups, and orders it. `make`
 * (default `createResource`) lets an incremental builder hand back the resources it already has;
 * it is given the spec's key, made once here.
 */
export function buildGraph(spec: GraphSpec, registry: Registry, env: ResourceEnv, make: MakeResource = (r) => createResource(r, registry, env)): Graph {
  const keys = spec.resources.map(refKey);
  const made: Resource[] = new Array<Resource>(keys.length);
  const resources = new Map<string, Resource>();
  for (let i = 0; i < keys.length; i++) resources.set(keys[i], (made[i] = make(spec.resources[i], keys[i])));
  // What the graph holds under each spec's key: the one made, unless a later spec had its key.
  const held = resources.size === keys.length ? made : keys.map((k) => resources.get(k)!);
  const { conflicts, refused } = findConflicts(spec.resources, keys, held);
  if (conflicts.length > 0) throw new GraphConflictError(conflicts);
  for (const c of refused) {
    warnRefused(env.log, c);
    resources.delete(c.second.key);
  }
  let explicit = explicitEdges(spec);
  if (refused.length > 0) explicit = explicit.filter((e) => resources.has(e.from) && resources.has(e.to)); // a refused resource goes with its edges
  const edges = withAutoEdges(explicit, autoEdges(resources));
  const grouped = autoGroup(resources, edges, registry, env);
  return { name: spec.graph, vertices: inOrder(grouped.resources, grouped.edges, spec), edges: grouped.edges };
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

/**
 * The explicit edges, one per pair (notify if any of the pair's notifies), then the automatic
 * ones whose pair no explicit edge has: an explicit edge says more than an automatic one.
 * `auto` holds one edge per pair already (autoEdges).
 */
export function withAutoEdges(explicit: GraphEdge[], auto: GraphEdge[]): GraphEdge[] {
  const pairs = new Map<string, Map<string, GraphEdge>>(); // from -> to -> the first explicit edge
  const out: GraphEdge[] = [];
  for (const e of explicit) {
    let tos = pairs.get(e.from);
    if (!tos) pairs.set(e.from, (tos = new Map<string, GraphEdge>()));
    const prev = tos.get(e.to);
    if (prev) prev.notify ||= e.notify;
    else {
      tos.set(e.to, e);
      out.push(e);
    }
  }
  if (pairs.size === 0) return auto;
  for (const e of auto) if (!pairs.get(e.from)?.has(e.to)) out.push(e);
  return out;
}

/**
 * The resources in a topological order of `edges`, or a GraphBuildError naming a cycle (or an
 * edge to a resource the graph does not have). Sorted over positions in `resources`.
 */
export function inOrder(resources: ReadonlyMap<string, Resource>, edges: readonly GraphEdge[], spec: GraphSpec): Map<string, Resource> {
  const keys = [...resources.keys()];
  const values = [...resources.values()];
  const at = new Map<string, number>();
  if (edges.length > 0) for (let i = 0; i < keys.length; i++) at.set(keys[i], i);
  const from: number[] = [];
  const to: number[] = [];
  for (const e of edges) {
    const f = at.get(e.from);
    const t = at.get(e.to);
    if (f === undefined || t === undefined) throw new GraphBuildError(`the edge ${e.from} -> ${e.to} names ${f === undefined ? e.from : e.to}, which is not in the graph`);
    from.push(f);
    to.push(t);
  }
  const result = toposort(keys.length, from, to);
  if ('cycle' in result) {
    const cycle = result.cycle.map((i) => keys[i]);
    throw new GraphBuildError(`the graph has a cycle: ${cycle.join(' -> ')}`, cyclePos(cycle, spec));
  }
  const vertices = new Map<string, Resource>();
  for (const i of result.order) vertices.set(keys[i], values[i]);
  return vertices;
}

/** Where to point at a cycle: its first written edge, else its first resource. */
function cyclePos(cycle: string[], spec: GraphSpec): SourcePos | undefined {
  const hops = new Set(cycle.slice(1).map((to, i) => `${cycle[i]}->${to}`));
  const edge = spec.edges.find((e) => hops.has(`${refKey(e.from)}->${refKey(e.to)}`));
  return edge?.pos ?? spec.resources.find((r) => cycle.includes(refKey(r)))?.pos;
}
