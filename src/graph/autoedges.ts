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
 * (Loops by index and Map.forEach: run once at start-up, mostly unoptimised, a for-of would
 * allocate an iterator result per step.)
 */
export function autoEdges(resources: ReadonlyMap<string, Resource>): GraphEdge[] {
  // Resources that take part, by position; an identity's providers are positions (one, or a list).
  const keys: string[] = [];
  const kinds: string[] = [];
  const ids: AutoEdges[] = [];
  const providers = new Map<string, number | number[]>();
  // Set for a resource that provides an identity another one provides too: one that does not
  // is the only provider of each of its own, so wanting one of them (a file its own path) finds
  // no parent, without a lookup.
  const shares = new Uint8Array(resources.size);
  resources.forEach((r, key) => {
    if (!r.meta.autoedge || !r.autoEdges) return;
    const own = r.autoEdges();
    const at = keys.length;
    keys.push(key);
    kinds.push(r.kind);
    ids.push(own);
    for (let i = 0; i < own.provides.length; i++) {
      const id = own.provides[i];
      const had = providers.get(id);
      if (had === undefined) {
        providers.set(id, at);
        continue;
      }
      if (typeof had === 'number') {
        providers.set(id, [had, at]);
        shares[had] = 1;
      } else had.push(at); // the others were marked when the list was made
      shares[at] = 1;
    }
  });
  const edges: GraphEdge[] = [];
  // The files of one directory want the same parents one after the other: once none of them is
  // provided, an equal group is passed over without looking its identities up again.
  let unprovided: readonly string[] = [];
  for (let at = 0; at < ids.length; at++) {
    const { wants } = ids[at];
    const first = edges.length; // this resource's edges so far: edges[first..]
    for (let g = 0; g < wants.length; g++) {
      if (sameIds(wants[g], unprovided)) continue;
      const from = parentIn(wants[g], at, ids[at], shares[at] === 1, providers, kinds);
      if (from === UNPROVIDED) unprovided = wants[g];
      if (from < 0) continue;
      let seen = false;
      for (let i = first; i < edges.length && !seen; i++) seen = edges[i].from === keys[from];
      if (!seen) edges.push({ from: keys[from], to: keys[at], notify: false, auto: true });
    }
  }
  return edges;
}

/** No resource provides any identity of the group. */
const UNPROVIDED = -2;

/**
 * The position of the parent that `group` of the resource at `at` finds (see autoEdges); -1 for
 * none, UNPROVIDED when no resource at all provides one of its identities.
 */
function parentIn(group: readonly string[], at: number, own: AutoEdges, shares: boolean, providers: ReadonlyMap<string, number | number[]>, kinds: readonly string[]): number {
  let provided = false;
  for (let i = 0; i < group.length; i++) {
    const id = group[i];
    if (!shares && own.provides.includes(id)) {
      provided = true; // but its only provider is itself
      continue;
    }
    const had = providers.get(id);
    if (had === undefined) continue;
    provided = true;
    if (typeof had === 'number') {
      if (had !== at && !(kinds[had] === kinds[at] && own.provides.includes(id))) return had;
      continue;
    }
    for (const p of had) if (p !== at && !(kinds[p] === kinds[at] && own.provides.includes(id))) return p;
  }
  return provided ? -1 : UNPROVIDED;
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return a.length > 0;
  if (a.length !== b.length || a.length === 0) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
