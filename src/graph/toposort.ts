// Topological order of a graph given as adjacency lists, or the cycle that prevents one.
import { reaches } from './reach.js';

export type TopoResult = { order: string[] } | { cycle: string[] };

/** Kahn's algorithm, O(V + E). On failure returns one cycle as a closed path a -> b -> a. */
export function toposort(nodes: Iterable<string>, children: ReadonlyMap<string, readonly string[]>): TopoResult {
  const indegree = new Map<string, number>();
  for (const n of nodes) indegree.set(n, 0);
  for (const kids of children.values()) for (const k of kids) indegree.set(k, (indegree.get(k) ?? 0) + 1);

  const ready = [...indegree].filter(([, d]) => d === 0).map(([n]) => n);
  const order: string[] = [];
  while (ready.length > 0) {
    const n = ready.pop()!;
    order.push(n);
    for (const k of children.get(n) ?? []) {
      const d = indegree.get(k)! - 1;
      indegree.set(k, d);
      if (d === 0) ready.push(k);
    }
  }
  if (order.length === indegree.size) return { order };
  const stuck = new Set([...indegree].filter(([, d]) => d > 0).map(([n]) => n));
  return { cycle: findCycle(stuck, children) };
}

/** Every node left with indegree > 0 after Kahn lies on or downstream of a cycle: walk to one. */
function findCycle(stuck: ReadonlySet<string>, children: ReadonlyMap<string, readonly string[]>): string[] {
  const start = stuck.values().next().value as string;
  const seenAt = new Map<string, number>();
  const path: string[] = [];
  let n: string | undefined = start;
  // Walking backwards is not available, so walk forward through stuck nodes until one repeats.
  while (n !== undefined && !seenAt.has(n)) {
    seenAt.set(n, path.length);
    path.push(n);
    n = (children.get(n) ?? []).find((k) => stuck.has(k) && canReach(k, n!, stuck, children));
  }
  if (n === undefined) return path;
  return [...path.slice(seenAt.get(n)), n];
}

function canReach(from: string, to: string, within: ReadonlySet<string>, children: ReadonlyMap<string, readonly string[]>): boolean {
  return reaches(from, to, (n) => (children.get(n) ?? []).filter((k) => within.has(k)));
}
