// Automatic edges: a resource that wants an identity another resource provides comes after it.
import type { Resource } from '../resources/resource.js';
import type { GraphEdge } from './graph.js';

/**
 * For each resource with autoedge on, each group of wanted identities yields at most one
 * edge: from the provider of the first identity in the group that some other resource with
 * autoedge on provides (nearest parent directory first, say). O(total identities).
 */
export function autoEdges(resources: ReadonlyMap<string, Resource>): GraphEdge[] {
  const providers = new Map<string, string>();
  for (const [key, r] of resources) {
    if (!r.meta.autoedge || !r.autoEdges) continue;
    for (const id of r.autoEdges().provides) if (!providers.has(id)) providers.set(id, key);
  }
  const edges: GraphEdge[] = [];
  for (const [key, r] of resources) {
    if (!r.meta.autoedge || !r.autoEdges) continue;
    for (const group of r.autoEdges().wants) {
      const from = group.map((id) => providers.get(id)).find((p) => p !== undefined && p !== key);
      if (from) edges.push({ from, to: key, notify: false, auto: true });
    }
  }
  return edges;
}
