// Reachability in a directed graph given by a successor function: depth-first, O(V + E).

export function reaches(from: string, to: string, next: (node: string) => Iterable<string>): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n === to) return true;
    if (seen.has(n)) continue;
    seen.add(n);
    for (const k of next(n)) stack.push(k);
  }
  return false;
}
