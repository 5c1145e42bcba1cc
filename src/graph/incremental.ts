// Graph builds that cost what changed: a graph swap (a re-read graph file, a new version of the
// collected resources) rebuilds only the resources whose spec changed, and their edges.
import type { Graph, GraphEdge } from '../model/graph.js';
import type { Registry } from '../model/registry.js';
import type { AutoEdges, Resource, ResourceEnv } from '../model/resource.js';
import { type GraphSpec, type ResourceSpec, refKey } from '../model/spec.js';
import { pushTo } from '../util/multimap.js';
import { buildGraph, createResource, explicitEdges, inOrder, withAutoEdges } from './graph.js';
import { sameSpec } from './same-spec.js';

/**
 * One resource of the last graph. What it manages and its identities are asked of the resource
 * again when needed (a file's are a function of its spec) rather than kept: a graph of 100 000
 * files would hold ~1 KB more per resource. Kinds made again at every build keep theirs
 * (`held`), since a second answer could differ (svc reads its unit file).
 */
interface Entry {
  spec: ResourceSpec;
  resource: Resource;
  /** A position in the order, increasing along every edge (gaps allowed). */
  pos: number;
  held?: { manages: readonly string[]; ids: AutoEdges | undefined };
}

/** The last graph built, and what lets the next one be made from a delta. */
interface State {
  spec: GraphSpec;
  graph: Graph;
  entries: Map<string, Entry>;
  /** Made at the first delta (a run that never swaps never pays for them), then kept up to date. */
  indexes?: Indexes;
  /** `from->to` of the explicit edges. */
  explicit: Set<string>;
  /** The explicit edges, deduplicated. */
  explicitEdges: GraphEdge[];
  nextPos: number;
  /** Nothing was refused and nothing can group: a delta may be applied. */
  simple: boolean;
}

interface Indexes {
  /** Thing managed -> the key(s) that manage it (two or more: a conflict or a refusal). */
  owners: Holders;
  /** Identity -> the key(s) that provide it, in the order of the spec. */
  providers: Holders;
  /** Identity -> the key(s) that want it. */
  wantedBy: Map<string, string | Set<string>>;
  /** Vertex key -> its automatic incoming edges (before the explicit ones take precedence). */
  autoIn: Map<string, GraphEdge[]>;
}

/** One holder (the common case, no array) or several, in order. */
type Holders = Map<string, string | string[]>;

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
    const make = (r: ResourceSpec, key: string): Resource => {
      const old = last?.entries.get(key);
      const entry = old && reusable(this.registry, old.spec, r) ? { ...old, spec: r } : this.entry(r);
      made.set(key, entry);
      return entry.resource;
    };
    const graph = buildGraph(spec, this.registry, this.env, make);
    const state = indexed(spec, graph, made, (r) => this.candidate(r));
    state.simple &&= made.size === spec.resources.length && made.size === graph.vertices.size; // nothing refused, grouped or made twice
    return state;
  }

  private entry(r: ResourceSpec): Entry {
    const resource = createResource(r, this.registry, this.env);
    const entry: Entry = { spec: r, resource, pos: -1 };
    if (!madeFromSpec(this.registry, r)) entry.held = { manages: resource.manages?.() ?? [], ids: idsOf(resource) };
    return entry;
  }

  private candidate(r: Resource): boolean {
    return r.meta.autogroup && r.groupKey !== undefined && this.registry.get(r.kind)?.group !== undefined && r.groupKey() !== undefined;
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
      if (old && reusable(this.registry, old.spec, r)) {
        respecced.push([key, r]);
        continue;
      }
      const e = this.entry(r);
      if (this.candidate(e.resource)) return FULL;
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
    const goneFacts = goneEntries.map(factsOf);
    const freshFacts = new Map([...fresh].map(([k, e]) => [k, factsOf(e)]));
    const ix = (last.indexes ??= indexesOf(last));
    if (contested(ix.owners, goneFacts, freshFacts, gone, (f) => f.manages)) return FULL;
    if (contested(ix.providers, goneFacts, freshFacts, gone, (f) => f.ids?.provides ?? [])) return FULL;

    // Commit: the indexes are updated in place (a throw from here on discards the whole state).
    this.committed = true;
    const { owners, providers, wantedBy, autoIn } = ix;
    let nextPos = last.nextPos;
    for (const [i, key] of [...gone].entries()) unindex(key, goneFacts[i], owners, providers, wantedBy);
    for (const key of removed) entries.delete(key);
    for (const [key, r] of respecced) entries.set(key, { ...entries.get(key)!, spec: r });
    for (const [key, e] of fresh) {
      e.pos = entries.get(key)?.pos ?? nextPos++; // a changed resource keeps its place, an added one goes last
      entries.set(key, e);
      index(key, freshFacts.get(key)!, owners, providers, wantedBy);
    }

    // The vertices whose automatic edges may change: the touched ones, and those wanting what they provide.
    const touched = new Set<string>(fresh.keys());
    for (const f of [...goneFacts, ...freshFacts.values()]) {
      for (const id of f.ids?.provides ?? []) for (const k of holders(wantedBy.get(id))) touched.add(k);
    }
    for (const key of removed) autoIn.delete(key);
    let edgesChanged = removed.length > 0;
    const check: GraphEdge[] = [];
    for (const key of touched) {
      const e = entries.get(key);
      if (!e) continue;
      const now = incomingAuto(key, e, freshFacts.get(key) ?? factsOf(e), entries, providers);
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
    for (const key of removed) vertices.delete(key);
    for (const [key, e] of fresh) vertices.set(key, e.resource);
    const edges = edgesChanged ? allEdges(last.explicitEdges, last.explicit, autoIn) : last.graph.edges;
    for (const e of last.explicitEdges) if (fresh.has(e.to) || fresh.has(e.from)) check.push(e);
    const ordered = check.every((e) => entries.get(e.from)!.pos < entries.get(e.to)!.pos);
    const state: State = { ...last, spec, entries, nextPos, graph: { name: graphName, vertices, edges } };
    if (ordered) return state;
    state.graph = { name: graphName, vertices: inOrder(vertices, edges, spec), edges };
    let i = 0;
    for (const key of state.graph.vertices.keys()) entries.get(key)!.pos = i++;
    state.nextPos = i;
    return state;
  }
}

/**
 * May the resource made from `before` stand for `after`? A kind made from its spec alone, and
 * the same spec object or an equal one; but not a purging file on a new spec object (the
 * file kind's prepare() records what the graph declares by spec object).
 */
function reusable(registry: Registry, before: ResourceSpec, after: ResourceSpec): boolean {
  if (!madeFromSpec(registry, after)) return false;
  return before === after || (after.params.purge !== true && sameSpec(before, after));
}

/**
 * Kinds whose resources are made from their spec alone (`ResourceKind.madeFromSpec`). Others are
 * made again at every build, as their identities may come from the machine (svc reads its unit
 * file, pkg what its prepare() looked up, again after `changed$`).
 */
const madeFromSpec = (registry: Registry, r: ResourceSpec): boolean => registry.get(r.kind)?.madeFromSpec === true;

/**
 * The state of a graph built from scratch (its indexes wait for the first delta): each entry's
 * place in the order. Simple so far if each vertex is its entry's resource and none can group.
 */
function indexed(spec: GraphSpec, graph: Graph, entries: Map<string, Entry>, canGroup: (r: Resource) => boolean): State {
  const explicitList = withAutoEdges(explicitEdges(spec), []);
  const explicit = new Set(explicitList.map((e) => `${e.from}->${e.to}`));
  let i = 0;
  let simple = true;
  graph.vertices.forEach((resource, key) => {
    const e = entries.get(key);
    if (e) e.pos = i;
    if (e?.resource !== resource || canGroup(resource)) simple = false;
    i++;
  });
  return { spec, graph, entries, explicit, explicitEdges: explicitList, nextPos: i, simple };
}

/** The indexes of the last graph, made from its resources and edges. */
function indexesOf(state: State): Indexes {
  const owners: Holders = new Map();
  const providers: Holders = new Map();
  const wantedBy = new Map<string, string | Set<string>>();
  for (const [key, e] of state.entries) index(key, factsOf(e), owners, providers, wantedBy);
  const autoIn = new Map<string, GraphEdge[]>();
  for (const e of state.graph.edges) if (e.auto) pushTo(autoIn, e.to, e);
  return { owners, providers, wantedBy, autoIn };
}

/** What a resource manages and its identities for autoedges. */
interface Facts {
  manages: readonly string[];
  ids: AutoEdges | undefined;
}

const idsOf = (r: Resource): AutoEdges | undefined => (r.meta.autoedge ? r.autoEdges?.() : undefined);
const factsOf = (e: Entry): Facts => e.held ?? { manages: e.resource.manages?.() ?? [], ids: idsOf(e.resource) };

/** The holders of `id` as a list. */
const holders = (h: string | readonly string[] | ReadonlySet<string> | undefined): Iterable<string> => (h === undefined ? [] : typeof h === 'string' ? [h] : h);
const count = (h: string | readonly string[] | undefined): number => (h === undefined ? 0 : typeof h === 'string' ? 1 : h.length);

function hold(map: Holders, id: string, key: string): void {
  const h = map.get(id);
  if (h === undefined) map.set(id, key);
  else if (typeof h === 'string') map.set(id, [h, key]);
  else h.push(key);
}

function release(map: Holders, id: string, key: string): void {
  const h = map.get(id);
  if (h === undefined || h === key) map.delete(id);
  else if (typeof h !== 'string') {
    const rest = h.filter((k) => k !== key);
    if (rest.length === 1) map.set(id, rest[0]);
    else if (rest.length === 0) map.delete(id);
    else map.set(id, rest);
  }
}

function index(key: string, f: Facts, owners: Holders, providers: Holders, wantedBy: Map<string, string | Set<string>>): void {
  for (const m of f.manages) hold(owners, m, key);
  for (const id of f.ids?.provides ?? []) hold(providers, id, key);
  for (const group of f.ids?.wants ?? []) {
    for (const id of group) {
      const h = wantedBy.get(id);
      if (h === undefined) wantedBy.set(id, key);
      else if (typeof h === 'string') {
        if (h !== key) wantedBy.set(id, new Set([h, key]));
      } else h.add(key);
    }
  }
}

function unindex(key: string, f: Facts, owners: Holders, providers: Holders, wantedBy: Map<string, string | Set<string>>): void {
  for (const m of f.manages) release(owners, m, key);
  for (const id of f.ids?.provides ?? []) release(providers, id, key);
  for (const group of f.ids?.wants ?? []) {
    for (const id of group) {
      const h = wantedBy.get(id);
      if (h === key) wantedBy.delete(id);
      else if (typeof h !== 'string' && h !== undefined) {
        h.delete(key);
        if (h.size === 0) wantedBy.delete(id);
      }
    }
  }
}

/**
 * Does a thing (or identity) of a touched resource have, before or after the delta, more than
 * one holder? Then the outcome depends on the order of the whole spec: build from scratch.
 */
function contested(
  map: Holders,
  gone: readonly Facts[],
  fresh: ReadonlyMap<string, Facts>,
  goneKeys: ReadonlySet<string>,
  things: (f: Facts) => readonly string[],
): boolean {
  const added = new Map<string, number>();
  for (const f of fresh.values()) for (const t of things(f)) added.set(t, (added.get(t) ?? 0) + 1);
  for (const [t, n] of added) {
    const before = map.get(t);
    if (count(before) > 1) return true;
    if (n + [...holders(before)].filter((k) => !goneKeys.has(k)).length > 1) return true;
  }
  for (const f of gone) for (const t of things(f)) if (count(map.get(t)) > 1) return true;
  return false;
}

/**
 * The automatic edges into `key` (as autoEdges() makes them): for each group of wanted
 * identities, one edge from the provider of the first one that has a provider other than
 * itself and other than a peer of its own kind providing an identity it provides too.
 */
function incomingAuto(key: string, e: Entry, f: Facts, entries: ReadonlyMap<string, Entry>, providers: Holders): GraphEdge[] {
  const own = f.ids;
  if (!own) return [];
  const kind = e.resource.kind;
  const out: GraphEdge[] = [];
  for (const group of own.wants) {
    for (const id of group) {
      let from: string | undefined;
      for (const p of holders(providers.get(id))) {
        if (p !== key && !(own.provides.includes(id) && entries.get(p)!.resource.kind === kind)) {
          from = p;
          break;
        }
      }
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
