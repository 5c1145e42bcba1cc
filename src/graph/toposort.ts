// Topological order of a graph over integer vertex ids, or a cycle that prevents one. Ids and
// typed arrays instead of string keys in Maps: 100 000 vertices cost a few arrays, not Maps.

export type TopoResult = { order: Int32Array } | { cycle: number[] };

/** The children of each vertex, in edge order, as one flat array (compressed rows). */
interface Children {
  /** Vertex v's children are at[start[v] .. start[v + 1]). */
  start: Int32Array;
  at: Int32Array;
}

function childrenOf(n: number, from: ArrayLike<number>, to: ArrayLike<number>): Children {
  const start = new Int32Array(n + 1);
  for (let i = 0; i < from.length; i++) start[from[i] + 1]++;
  for (let v = 0; v < n; v++) start[v + 1] += start[v];
  const fill = start.slice(0, n);
  const at = new Int32Array(from.length);
  for (let i = 0; i < from.length; i++) at[fill[from[i]]++] = to[i];
  return { start, at };
}

/**
 * Kahn's algorithm over vertices 0..n-1 and edges from[i] -> to[i], O(V + E). Ready vertices
 * are taken last-in first-out, the initial ones in id order. On failure returns one cycle as a
 * closed path a -> b -> a.
 */
export function toposort(n: number, from: ArrayLike<number>, to: ArrayLike<number>): TopoResult {
  if (from.length === 0) return { order: descending(n) }; // all ready at once: popped last first
  const kids = childrenOf(n, from, to);
  const indegree = new Int32Array(n);
  for (let i = 0; i < to.length; i++) indegree[to[i]]++;
  const ready = new Int32Array(n);
  let top = 0;
  for (let v = 0; v < n; v++) if (indegree[v] === 0) ready[top++] = v;
  const order = new Int32Array(n);
  let done = 0;
  while (top > 0) {
    const v = ready[--top];
    order[done++] = v;
    for (let j = kids.start[v]; j < kids.start[v + 1]; j++) if (--indegree[kids.at[j]] === 0) ready[top++] = kids.at[j];
  }
  if (done === n) return { order };
  const stuck = new Uint8Array(n);
  for (let v = 0; v < n; v++) if (indegree[v] > 0) stuck[v] = 1;
  return { cycle: findCycle(stuck, kids) };
}

function descending(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = n - 1 - i;
  return order;
}

/**
 * Every vertex left with indegree > 0 after Kahn lies on or downstream of a cycle. From the
 * first one that lies on a cycle, walk forward, each time to the first child that leads back:
 * the walk stays on cycles, so it closes.
 */
function findCycle(stuck: Uint8Array, kids: Children): number[] {
  const back = (v: number): number => {
    for (let j = kids.start[v]; j < kids.start[v + 1]; j++) if (stuck[kids.at[j]] && reaches(kids.at[j], v, stuck, kids)) return kids.at[j];
    return -1;
  };
  let v = stuck.findIndex((s, u) => s === 1 && back(u) >= 0);
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  while (!seenAt.has(v)) {
    seenAt.set(v, path.length);
    path.push(v);
    v = back(v);
  }
  return [...path.slice(seenAt.get(v)), v];
}

/** Is there a path from `from` to `to` through stuck vertices only? Depth-first, O(V + E). */
function reaches(from: number, to: number, stuck: Uint8Array, kids: Children): boolean {
  const seen = new Uint8Array(stuck.length);
  const stack = [from];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (v === to) return true;
    if (seen[v]) continue;
    seen[v] = 1;
    for (let j = kids.start[v]; j < kids.start[v + 1]; j++) if (stuck[kids.at[j]]) stack.push(kids.at[j]);
  }
  return false;
}
