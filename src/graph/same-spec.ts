// Are two resource specs the same resource? What a re-read graph file keeps from the last read.
import { isDeepStrictEqual } from 'node:util';
import type { ResourceSpec } from '../model/spec.js';

/**
 * Same kind, name, meta and params (deeply equal values, as the YAML reader makes them); the
 * position in the file may differ (a line added above it moves it, nothing else).
 */
export function sameSpec(a: ResourceSpec, b: ResourceSpec): boolean {
  return a.kind === b.kind && a.name === b.name && a.pos.file === b.pos.file && isDeepStrictEqual(a.meta, b.meta) && isDeepStrictEqual(a.params, b.params);
}
