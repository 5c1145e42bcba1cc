// Automatic edges: a resource that wants an identity another resource provides comes after it.
import type { AutoEdges, Resource } from '../model/resource.js';
import type { GraphEdge } from '../model/graph.js';
import { pushTo } from '../util/multimap.js';

/**
 * For each resource with autoedge on, each group of wanted identities yields at most one
 * edge: from a provider of the first identity in the group that some other resource with
 * autoedge on provides (nearest parent directory first, say). A resource may want an identity
 * it provides itself (a file wants whatever installs its own path, a pkg): another resource
 * of its own kind providing it too is a peer, not a parent. O(total identities).
 */
export function autoEdges(resources: ReadonlyMap<string, Resource>): GraphEdge[] {
  const ids = new Map<string, AutoEdges>();
  const providers = new Map<string, string[]>();
  for (const [key, r] of resources) {
    if (!r.meta.autoedge || !r.autoEdges) continue;
    const own = r.autoEdges();
    ids.set(key, own);
    for (const id of own.provides) pushTo(providers, id, key);
  }
  const edges: GraphEdge[] = [];
  for (const [key, own] of ids) {
    const kind = resources.get(key)!.kind;
    const parent = (id: string) =>
      providers.get(id)?.find((p) => p !== key && !(own.provides.includes(id) && resources.get(p)!.kind === kind));
    for (const group of own.wants) {
      for (const id of group) {
        const from = parent(id);
        if (from === undefined) continue;
        edges.push({ from, to: key, notify: false, auto: true });
        break; // the nearest one only
      }
    }
  }
  return edges;
}
