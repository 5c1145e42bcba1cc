// Automatic edges: a resource that wants an identity another resource provides comes after it.
import type { AutoEdges, Resource } from '../model/resource.js';
import type { GraphEdge } from '../model/graph.js';

/**
 * For each resource with autoedge on, each group of wanted identities yields at most one
 * edge: from a provider of the first identity in the group that some other resource with
 * autoedge on provides (nearest parent directory first, say). A resource may want an identity
 * it provides itself (a file wants whatever installs its own path, a pkg): another resource
 * of its own kind providing it too is a peer, not a parent. Two groups that find the same
 * parent make one edge. O(total identities): one index of identity -> providers, made once.
 */
export function autoEdges(resources: ReadonlyMap<string, Resource>): GraphEdge[] {
  // Resources that take part, by position; an identity's providers are positions (one, or a list).
  const keys: string[] = [];
  const kinds: string[] = [];
  const ids: AutoEdges[] = [];
  const providers = new Map<string, number | number[]>();
  for (const [key, r] of resources) {
    if (!r.meta.autoedge || !r.autoEdges) continue;
    const own = r.autoEdges();
    const at = keys.length;
    keys.push(key);
    kinds.push(r.kind);
    ids.push(own);
    for (const id of own.provides) {
      const had = providers.get(id);
      if (had === undefined) providers.set(id, at);
      else if (typeof had === 'number') providers.set(id, [had, at]);
      else had.push(at);
    }
  }
  const edges: GraphEdge[] = [];
  for (let at = 0; at < ids.length; at++) {
    const own = ids[at];
    const first = edges.length; // this resource's edges so far: edges[first..]
    for (const group of own.wants) {
      const from = parentIn(group, at, own, providers, kinds);
      if (from < 0) continue;
      let seen = false;
      for (let i = first; i < edges.length && !seen; i++) seen = edges[i].from === keys[from];
      if (!seen) edges.push({ from: keys[from], to: keys[at], notify: false, auto: true });
    }
  }
  return edges;
}

/** The position of the parent that `group` of the resource at `at` finds, or -1 (see autoEdges). */
function parentIn(group: readonly string[], at: number, own: AutoEdges, providers: ReadonlyMap<string, number | number[]>, kinds: readonly string[]): number {
  for (const id of group) {
    const had = providers.get(id);
    if (had === undefined) continue;
    if (typeof had === 'number') {
      if (had !== at && !(kinds[had] === kinds[at] && own.provides.includes(id))) return had;
      continue;
    }
    for (const p of had) if (p !== at && !(kinds[p] === kinds[at] && own.provides.includes(id))) return p;
  }
  return -1;
}
