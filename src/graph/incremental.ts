// Graph builds that cost what changed: a graph swap (a re-read graph file, a new version of the
// collected resources) rebuilds only the resources whose spec changed, and their edges.
import type { Graph, GraphEdge } from '../model/graph.js';
import type { Registry } from '../model/registry.js';
import type { AutoEdges, Resource, ResourceEnv } from '../model/resource.js';
import { type GraphSpec, type ResourceSpec, refKey } from '../model/spec.js';
import { pushTo } from '../util/multimap.js';
import { buildGraph, createResource, dedupe, explicitEdges, orderOrThrow } from './graph.js';
import { sameSpec } from './same-spec.js';

/** One resource of the last graph, with what the indexes below hold of it. */
interface Entry {
  spec: ResourceSpec;
  resource: Resource;
  manages: readonly string[];
  /** Its identities for autoedges; undefined with autoedge off or none to give. */
  ids: AutoEdges | undefined;
}

/** The last graph built and the indexes that let the next one be made from a delta. */
interface State {
  spec: GraphSpec;
  graph: Graph;
  entries: Map<string, Entry>;
  /** Thing managed -> the keys that manage it (two or more: a conflict or a refusal). */
  owners: Map<string, string[]>;
  /** Identity -> the keys that provide it. */
  providers: Map<string, string[]>;
  /** Identity -> the keys that want it. */
  wantedBy: Map<string, Set<string>>;
  /** Vertex key -> its automatic incoming edges (before the explicit ones take precedence). */
  autoIn: Map<string, GraphEdge[]>;
  /** `from->to` of the explicit edges. */
  explicit: Set<string>;
  /** The explicit edges, deduplicated. */
  explicitEdges: GraphEdge[];
  /** A position of each vertex, increasing along every edge (gaps allowed). */
  pos: Map<string, number>;
  nextPos: number;
  /** Nothing was refused and nothing can group: a delta may be applied. */
  simple: boolean;
}

/** Why a delta cannot be applied: the builder builds from scratch (still reusing resources). */
const FULL = Symbol('full build');

/**
 * Builds graphs one after the other, each from the last. A spec object seen before (the
 * Collector keeps the spec of an unchanged export), or one equal to the last spec of its key (a
 * re-read graph file), keeps its resource: it is not created again, and the engine recognises
 * the vertex by identity. A delta then costs the changed resources, their conflict checks, the
 * automatic edges of the vertices they touch (found through identity indexes) and an order
 * check of the edges that changed; plus one pass of lookups over the spec. The graph equals
 * `buildGraph`'s (vertices, edges; the order is a topological one, not necessarily the same).
 *
 * Built from scratch instead (resources still reused) when the delta is not simple: the
 * explicit edges changed, a touched resource shares what it manages or provides with another
 * (conflicts and refusals depend on the order), autogroup candidates are present, or the new
 * edges are not already in order (the full sort then finds the order, or the cycle).
 */
export class GraphBuilder {
  private last: State | undefined;
  /** Set once a delta starts updating the last state's indexes in place. */
  private committed = false;
  /** How many graphs were built from a delta, and how many from scratch (tests, debug logs). */
  readonly builds = { delta: 0, full: 0 };

  constructor(
    private readonly registry: Registry,
    private readonly env: ResourceEnv,
  ) {}

  /** The graph of `spec`; throws what `buildGraph` throws (the next build then starts afresh). */
  build(spec: GraphSpec): Graph {
    const last = this.last;
    this.last = undefined;
    this.committed = false;
    try {
      const delta = last ? this.applyDelta(last, spec) : FULL;
      this.last = delta === FULL ? this.full(spec, last) : delta;
      this.builds[delta === FULL ? 'full' : 'delta']++;
      return this.last.graph;
    } catch (e) {
      // A bad resource is found before the indexes change: the next build starts from the last graph.
      if (!this.committed) this.last = last;
      throw e;
    }
  }

  private full(spec: GraphSpec, last: State | undefined): State {
    const made = new Map<string, Entry>();
    const make = (r: ResourceSpec): Resource => {
      const key = refKey(r);
      const old = last?.entries.get(key);
      const entry = old && reusable(old.spec, r) ? { ...old, spec: r } : this.entry(r);
      made.set(key, entry);
      return entry.resource;
    };
    const graph = buildGraph(spec, this.registry, this.env, make);
    const simple = made.size === spec.resources.length && made.size === graph.vertices.size && [...made].every(([k, e]) => graph.vertices.get(k) === e.resource && !this.candidate(e));
    return indexed(spec, graph, made, simple);
  }

  private entry(r: ResourceSpec): Entry {
    const resource = createResource(r, this.registry, this.env);
    return { spec: r, resource, manages: resource.manages?.() ?? [], ids: resource.meta.autoedge ? resource.autoEdges?.() : undefined };
  }

  private candidate(e: Entry): boolean {
    const r = e.resource;
    return r.meta.autogroup && this.registry.get(r.kind)?.group !== undefined && r.groupKey?.() !== undefined;
  }

  /**
   * Which keys of `spec` are new or changed (made now), which keep their resource under a new
   * spec object, and which are gone; FULL for a duplicate key or an autogroup candidate. A spec
   * of the same length is compared position by position first: an unchanged object at its old
   * place costs a pointer comparison (the Collector's lists); only the rest is looked up by key.
   */
  private diff(last: State, spec: GraphSpec): { fresh: Map<string, Entry>; respecced: Array<[string, ResourceSpec]>; removed: string[] } | typeof FULL {
    const prev = last.spec.resources;
    const cur = spec.resources;
    const incoming = new Map<string, ResourceSpec>();
    let removed: string[];
    if (prev.length === cur.length) {
      const outgoing = new Set<string>();
      for (let i = 0; i < cur.length; i++) {
        if (prev[i] === cur[i]) continue;
        const key = refKey(cur[i]);
        if (incoming.has(key)) return FULL; // a duplicate: buildGraph says what it says
        incoming.set(key, cur[i]);
        outgoing.add(refKey(prev[i]));
      }
      for (const key of incoming.keys()) if (last.entries.has(key) && !outgoing.has(key)) return FULL;
      removed = [...outgoing].filter((k) => !incoming.has(k));
    } else {
      for (const r of cur) {
        const key = refKey(r);
        if (incoming.has(key)) return FULL;
        incoming.set(key, r);
      }
      removed = [];
      for (const key of last.entries.keys()) if (!incoming.has(key)) removed.push(key);
    }
    const fresh = new Map<string, Entry>();
    const respecced: Array<[string, ResourceSpec]> = [];
    for (const [key, r] of incoming) {
      const old = last.entries.get(key);
      if (old?.spec === r) continue;
      if (old && reusable(old.spec, r)) {
        respecced.push([key, r]);
        continue;
      }
      const e = this.entry(r);
      if (this.candidate(e)) return FULL;
      fresh.set(key, e);
    }
    return { fresh, respecced, removed };
  }

  /** The next state from `last` and the changed specs, or FULL when the delta is not simple. */
  private applyDelta(last: State, spec: GraphSpec): State | typeof FULL {
    if (!last.simple) return FULL;
    if (!sameEdgeSpecs(last.spec, spec)) return FULL;

    const diff = this.diff(last, spec);
    if (diff === FULL) return FULL;
    const { fresh, respecced, removed } = diff;
    const entries = last.entries;
    const graphName = spec.graph;
    if (fresh.size === 0 && removed.length === 0) {
      for (const [key, r] of respecced) entries.set(key, { ...entries.get(key)!, spec: r });
      const graph = graphName === last.graph.name ? last.graph : { ...last.graph, name: graphName };
      return { ...last, spec, graph };
    }
    const gone = new Set<string>(removed);
    for (const key of fresh.keys()) if (last.entries.has(key)) gone.add(key);
    const goneEntries = [...gone].map((k) => last.entries.get(k)!);
    if (removed.length > 0) {
      const out = new Set(removed);
      if (last.explicitEdges.some((e) => out.has(e.from) || out.has(e.to))) return FULL; // assemble drops such edges: they differ
    }

    // What the touched resources manage and provide must be theirs alone, before and after.
    if (contested(last.owners, goneEntries, fresh, gone, (e) => e.manages)) return FULL;
    if (contested(last.providers, goneEntries, fresh, gone, (e) => e.ids?.provides ?? [])) return FULL;

    // Commit: the indexes are updated in place (a throw from here on discards the whole state).
    this.committed = true;
    const { owners, providers, wantedBy, autoIn, pos } = last;
    for (const key of gone) unindex(key, entries.get(key)!, owners, providers, wantedBy);
    for (const key of removed) entries.delete(key);
    for (const [key, r] of respecced) entries.set(key, { ...entries.get(key)!, spec: r });
    for (const [key, e] of fresh) {
      entries.set(key, e);
      index(key, e, owners, providers, wantedBy);
    }

    // The vertices whose automatic edges may change: the touched ones, and those wanting what they provide.
    const touched = new Set<string>(fresh.keys());
    for (const e of [...goneEntries, ...fresh.values()]) {
      for (const id of e.ids?.provides ?? []) for (const k of wantedBy.get(id) ?? []) touched.add(k);
    }
    for (const key of removed) autoIn.delete(key);
    let edgesChanged = removed.length > 0;
    const check: GraphEdge[] = [];
    for (const key of touched) {
      const e = entries.get(key);
      if (!e) continue;
      const now = incomingAuto(key, e, entries, providers);
      const had = autoIn.get(key) ?? [];
      if (!sameFroms(had, now)) {
        edgesChanged = true;
        if (now.length > 0) autoIn.set(key, now);
        else autoIn.delete(key);
      }
      check.push(...now);
    }

    // The vertices in their order: changed ones keep their place, added ones go last.
    const vertices = new Map(last.graph.vertices);
    for (const key of removed) {
      vertices.delete(key);
      pos.delete(key);
    }
    let nextPos = last.nextPos;
    for (const [key, e] of fresh) {
      vertices.set(key, e.resource);
      if (!pos.has(key)) pos.set(key, nextPos++);
    }
    const edges = edgesChanged ? allEdges(last.explicitEdges, last.explicit, autoIn) : last.graph.edges;
    for (const e of last.explicitEdges) if (fresh.has(e.to) || fresh.has(e.from)) check.push(e);
    const ordered = check.every((e) => pos.get(e.from)! < pos.get(e.to)!);
    const state: State = { ...last, spec, entries, nextPos, graph: { name: graphName, vertices, edges } };
    if (ordered) return state;
    const order = orderOrThrow(vertices, edges, spec);
    state.graph = { name: graphName, vertices: new Map(order.map((k) => [k, vertices.get(k)!])), edges };
    state.pos = new Map(order.map((k, i) => [k, i]));
    state.nextPos = order.length;
    return state;
  }
}

/**
 * Kinds whose resources are made from their spec alone. Others are made again at every build,
 * as their identities may come from the machine (svc reads its unit file, pkg what its prepare()
 * looked up, again after `changed$`).
 */
const MADE_FROM_SPEC = new Set(['file', 'noop']);

/**
 * May the resource made from `before` stand for `after`? A kind made from its spec alone, and
 * the same spec object or an equal one; but not a purging file on a new spec object (the
 * file kind's prepare() records what the graph declares by spec object).
 */
function reusable(before: ResourceSpec, after: ResourceSpec): boolean {
  if (!MADE_FROM_SPEC.has(after.kind)) return false;
  return before === after || (after.params.purge !== true && sameSpec(before, after));
}

/** The indexes of a graph built from scratch. */
function indexed(spec: GraphSpec, graph: Graph, entries: Map<string, Entry>, simple: boolean): State {
  const owners = new Map<string, string[]>();
  const providers = new Map<string, string[]>();
  const wantedBy = new Map<string, Set<string>>();
  for (const [key, e] of entries) index(key, e, owners, providers, wantedBy);
  const explicitList = dedupe(explicitEdges(spec));
  const explicit = new Set(explicitList.map((e) => `${e.from}->${e.to}`));
  const autoIn = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) if (e.auto) pushTo(autoIn, e.to, e);
  const pos = new Map<string, number>();
  let i = 0;
  for (const key of graph.vertices.keys()) pos.set(key, i++);
  return { spec, graph, entries, owners, providers, wantedBy, autoIn, explicit, explicitEdges: explicitList, pos, nextPos: i, simple };
}

function index(key: string, e: Entry, owners: Map<string, string[]>, providers: Map<string, string[]>, wantedBy: Map<string, Set<string>>): void {
  for (const m of e.manages) pushTo(owners, m, key);
  for (const id of e.ids?.provides ?? []) pushTo(providers, id, key);
  for (const group of e.ids?.wants ?? []) {
    for (const id of group) {
      const set = wantedBy.get(id);
      if (set) set.add(key);
      else wantedBy.set(id, new Set([key]));
    }
  }
}

function unindex(key: string, e: Entry, owners: Map<string, string[]>, providers: Map<string, string[]>, wantedBy: Map<string, Set<string>>): void {
  const drop = (map: Map<string, string[]>, id: string) => {
    const list = map.get(id)?.filter((k) => k !== key) ?? [];
    if (list.length > 0) map.set(id, list);
    else map.delete(id);
  };
  for (const m of e.manages) drop(owners, m);
  for (const id of e.ids?.provides ?? []) drop(providers, id);
  for (const group of e.ids?.wants ?? []) {
    for (const id of group) {
      const set = wantedBy.get(id);
      set?.delete(key);
      if (set?.size === 0) wantedBy.delete(id);
    }
  }
}

/**
 * Does a thing (or identity) of a touched resource have, before or after the delta, more than
 * one holder? Then the outcome depends on the order of the whole spec: build from scratch.
 */
function contested(
  holders: ReadonlyMap<string, readonly string[]>,
  gone: readonly Entry[],
  fresh: ReadonlyMap<string, Entry>,
  goneKeys: ReadonlySet<string>,
  things: (e: Entry) => readonly string[],
): boolean {
  const added = new Map<string, number>();
  for (const e of fresh.values()) for (const t of things(e)) added.set(t, (added.get(t) ?? 0) + 1);
  for (const [t, n] of added) {
    const before = holders.get(t) ?? [];
    if (before.length > 1) return true;
    if (n + before.filter((k) => !goneKeys.has(k)).length > 1) return true;
  }
  for (const e of gone) for (const t of things(e)) if ((holders.get(t)?.length ?? 0) > 1) return true;
  return false;
}

/**
 * The automatic edges into `key` (as autoEdges() makes them): for each group of wanted
 * identities, one edge from the provider of the first one that has a provider other than
 * itself and other than a peer of its own kind providing an identity it provides too.
 */
function incomingAuto(key: string, e: Entry, entries: ReadonlyMap<string, Entry>, providers: ReadonlyMap<string, readonly string[]>): GraphEdge[] {
  const own = e.ids;
  if (!own) return [];
  const kind = e.resource.kind;
  const out: GraphEdge[] = [];
  for (const group of own.wants) {
    for (const id of group) {
      const from = providers.get(id)?.find((p) => p !== key && !(own.provides.includes(id) && entries.get(p)!.resource.kind === kind));
      if (from === undefined) continue;
      out.push({ from, to: key, notify: false, auto: true });
      break;
    }
  }
  return out;
}

const sameFroms = (a: readonly GraphEdge[], b: readonly GraphEdge[]): boolean => a.length === b.length && a.every((e, i) => e.from === b[i].from);

/** The explicit edges, then the automatic ones that no explicit edge duplicates. */
function allEdges(explicit: readonly GraphEdge[], explicitKeys: ReadonlySet<string>, autoIn: ReadonlyMap<string, readonly GraphEdge[]>): GraphEdge[] {
  const out = [...explicit];
  for (const list of autoIn.values()) for (const e of list) if (!explicitKeys.has(`${e.from}->${e.to}`)) out.push(e);
  return out;
}

/** The same explicit edges (and graph-level fields a build reads), compared field by field. */
function sameEdgeSpecs(a: GraphSpec, b: GraphSpec): boolean {
  if (a.edges === b.edges) return true;
  if (a.edges.length !== b.edges.length) return false;
  return a.edges.every((e, i) => {
    const f = b.edges[i];
    return e.notify === f.notify && e.from.kind === f.from.kind && e.from.name === f.from.name && e.to.kind === f.to.kind && e.to.name === f.to.name;
  });
}
