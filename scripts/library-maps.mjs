// The bundles' source maps, cut to the project's own sources. A stack trace is mapped from the
// whole map of its file (src/cli/stack-traces.ts), and two thirds of a bundle's mappings point
// into node_modules: decoding them cost ~70 ms the first time any error's stack was formatted
// (gRPC formats one for every call that ends without OK, a cancelled watch at exit included).
// Frames in a library's code then stay at their place in the bundle, which is on disk beside it.
import { readFileSync, writeFileSync } from 'node:fs';
import { decode, encode } from '@jridgewell/sourcemap-codec';

const isLibrary = (source) => /(^|\/)node_modules\//.test(source);

/** Rewrites the map at `path` without the segments (and sources) that come from node_modules. */
export function dropLibraryMappings(path) {
  const map = JSON.parse(readFileSync(path, 'utf8'));
  const kept = [];
  const newIndex = map.sources.map((source) => (isLibrary(source) ? -1 : kept.push(source) - 1));
  const lines = decode(map.mappings).map((segments) =>
    segments.filter((s) => s.length > 1 && newIndex[s[1]] >= 0).map((s) => [s[0], newIndex[s[1]], ...s.slice(2)]),
  );
  writeFileSync(path, JSON.stringify({ ...map, sources: kept, mappings: encode(lines) }));
}
