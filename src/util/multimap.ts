// Appends to a Map of lists in O(1): building adjacency lists by spreading the old list into a
// new one is O(n²) for a vertex with many children (a directory holding 10 000 files).

export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
