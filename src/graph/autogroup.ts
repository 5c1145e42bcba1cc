// Autogroup: merge resources that can do their work together (one PackageKit transaction for
// many packages) into one vertex, when no path between them would make the merge a cycle.
import type { Registry } from '../model/registry.js';
import type { Resource, ResourceEnv } from '../model/resource.js';
import type { GraphEdge } from '../model/graph.js';
import { reaches } from './reach.js';
import { pushTo } from '../util/multimap.js';

export interface Grouped {
  resources: Map<string, Resource>;
  edges: GraphEdge[];
}

const keyOf = (r: Resource): string => `${r.kind}[${r.name}]`;

/**
 * mgmt's non-reachability grouper: candidates (autogroup on, same kind and groupKey) are
 * taken in graph order and each joins the first group it has no path to or from, in the graph
 * as contracted so far; otherwise it starts a new group. Groups of two or more become one
 * resource made by the kind's `group()`; their edges move to it.
 */
export function autoGroup(resources: Map<string, Resource>, edges: GraphEdge[], registry: Registry, env: ResourceEnv): Grouped {
  const buckets = new Map<string, string[]>();
  let pairs = false;
  resources.forEach((r, key) => {
    if (!r.meta.autogroup || !r.groupKey || !registry.get(r.kind)?.group) return;
    const gk = r.groupKey();
    if (gk === undefined) return;
    const bucket = `${r.kind}\0${gk}`;
    pushTo(buckets, bucket, key);
    pairs ||= buckets.get(bucket)!.length > 1;
  });
  if (!pairs) return { resources, edges }; // nothing can merge: most graphs, and every one of files alone
  const owner = new Map<string, string>([...resources.keys()].map((k) => [k, k])); // member -> group id
  const groups = new Map<string, string[]>(); // group id -> member keys
  for (const members of buckets.values()) {
    const open: string[] = []; // group ids of this bucket
    for (const key of members) {
      const target = open.find((g) => !connected(g, key, edges, owner));
      if (target === undefined) {
        open.push(key);
        groups.set(key, [key]);
        continue;
      }
      groups.get(target)!.push(key);
      owner.set(key, target);
    }
  }
  return contract(resources, edges, groups, registry, env);
}

/** Is there a path from group `a` to the vertex `b`, or back, in the contracted graph? */
function connected(a: string, b: string, edges: GraphEdge[], owner: Map<string, string>): boolean {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    const [f, t] = [owner.get(e.from)!, owner.get(e.to)!];
    if (f !== t) pushTo(next, f, t);
  }
  const succ = (n: string) => next.get(n) ?? [];
  const bg = owner.get(b)!;
  return reaches(a, bg, succ) || reaches(bg, a, succ);
}

function contract(
  resources: Map<string, Resource>,
  edges: GraphEdge[],
  groups: Map<string, string[]>,
  registry: Registry,
  env: ResourceEnv,
): Grouped {
  const rename = new Map<string, string>();
  const out = new Map<string, Resource>();
  for (const [key, r] of resources) {
    const members = groups.get(key);
    if (rename.has(key)) continue;
    if (!members || members.length < 2) {
      out.set(key, r);
      continue;
    }
    const grouped = registry.get(r.kind)!.group!(members.map((m) => resources.get(m)!), env);
    const gkey = keyOf(grouped);
    for (const m of members) rename.set(m, gkey);
    out.set(gkey, grouped);
    env.log.info(`autogroup: ${members.join(', ')} -> ${gkey}`);
  }
  // Edges that now join the same two vertices become one: notify if any notified.
  const moved = new Map<string, GraphEdge>();
  for (const e of edges) {
    const from = rename.get(e.from) ?? e.from;
    const to = rename.get(e.to) ?? e.to;
    const k = `${from}->${to}`;
    const had = moved.get(k);
    if (had) moved.set(k, { ...had, notify: had.notify || e.notify, auto: had.auto && e.auto });
    else moved.set(k, { ...e, from, to });
  }
  return { resources: out, edges: [...moved.values()] };
}
