// The order in which a swap starts its new vertices: the longest dependency chains first.
import type { Graph } from '../model/graph.js';

/**
 * `items` sorted (stably) by the height of their vertex in `graph`, tallest first: the number
 * of vertices on the longest path from it down to a leaf. A chain's head then starts (and
 * takes its semaphore, its spawn, its turn at the thread pool) before an independent leaf
 * that the graph file happens to list, or the topological sort happens to put, earlier.
 * O(V + E); without edges every height is 1 and `items` is returned as it is.
 */
export function tallestFirst<T>(graph: Graph, items: T[], keyOf: (item: T) => string): T[] {
  if (graph.edges.length === 0 || items.length < 2) return items;
  const children = new Map<string, string[]>();
  for (const e of graph.edges) {
    const list = children.get(e.from);
    if (list) list.push(e.to);
    else children.set(e.from, [e.to]);
  }
  // graph.vertices is in a topological order: walking it backwards meets children first.
  const height = new Map<string, number>();
  const keys = [...graph.vertices.keys()];
  for (let i = keys.length - 1; i >= 0; i--) {
    let below = 0;
    for (const child of children.get(keys[i]) ?? []) below = Math.max(below, height.get(child) ?? 0);
    height.set(keys[i], below + 1);
  }
  return items
    .map((item, i) => ({ item, i, h: height.get(keyOf(item)) ?? 1 }))
    .sort((a, b) => b.h - a.h || a.i - b.i)
    .map((e) => e.item);
}
