// Are two resource specs the same resource? What a re-read graph file keeps from the last read.
import type { ResourceSpec } from '../model/spec.js';

/**
 * Same kind, name, meta and params (compared as the JSON-like values the YAML reader makes);
 * the position in the file may differ (a line added above it moves it, nothing else).
 */
export function sameSpec(a: ResourceSpec, b: ResourceSpec): boolean {
  return a.kind === b.kind && a.name === b.name && a.pos.file === b.pos.file && sameValue(a.meta, b.meta) && sameValue(a.params, b.params);
}

/** Deep equality of JSON-like values; anything else (a Buffer, a Date) only by identity. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (Array.isArray(b) || !plain(a) || !plain(b)) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let n = 0;
  for (const k in ra) {
    if (!Object.hasOwn(ra, k)) continue;
    if (!Object.hasOwn(rb, k) || !sameValue(ra[k], rb[k])) return false;
    n++;
  }
  for (const k in rb) if (Object.hasOwn(rb, k)) n--;
  return n === 0;
}

const plain = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === Object.prototype || proto === null;
};
