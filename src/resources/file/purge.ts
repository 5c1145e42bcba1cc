// `purge`: what a purging directory may remove. It needs the other file resources of its graph,
// which only the kind sees (prepare), so the kind records, per purging spec, what the graph
// declares; the resource looks it up when it runs.
import { posix } from 'node:path';
import type { ResourceSpec } from '../../model/spec.js';
import { tempNamePid } from '../../util/atomic-write.js';
import { normalizePath } from '../../util/paths.js';

/** What the rest of the graph declares, as a purging directory needs it. */
export interface Declared {
  /** Paths other file resources manage (normalised, no trailing "/"). */
  paths: Set<string>;
  /** Their ancestors: a purge goes into these, but does not remove them. */
  ancestors: Set<string>;
  /** Directories that manage their own tree (recurse: a mirror or a purge): left whole. */
  trees: Set<string>;
}

/** Per purging spec object (the same objects reach prepare and create). */
const declaredFor = new WeakMap<ResourceSpec, Declared>();

const pathOf = (p: Record<string, unknown>): string | undefined => {
  if (typeof p.path === 'string') return normalizePath(p.path);
  if (typeof p.dirname === 'string' && typeof p.basename === 'string') return normalizePath(posix.join(p.dirname, p.basename));
  return undefined;
};

/** The file kind's prepare(): for every purging spec, what the others declare. */
export function recordDeclared(specs: readonly ResourceSpec[]): void {
  const purging = specs.filter((s) => s.params.purge === true);
  if (purging.length === 0) return;
  const all = specs.map((s) => ({ spec: s, path: pathOf(s.params), tree: s.params.recurse === true }));
  for (const me of purging) {
    const d: Declared = { paths: new Set(), ancestors: new Set(), trees: new Set() };
    for (const other of all) {
      if (other.spec === me || other.path === undefined) continue;
      d.paths.add(other.path);
      if (other.tree) d.trees.add(other.path);
      for (let a = posix.dirname(other.path); a !== '/' && !d.ancestors.has(a); a = posix.dirname(a)) d.ancestors.add(a);
    }
    declaredFor.set(me, d);
  }
}

export const declaredOf = (spec: ResourceSpec): Declared | undefined => declaredFor.get(spec);

/** What a purge does with `path`, an entry below the purging directory that the source lacks. */
export function purgeDecision(d: Declared, path: string): 'keep' | 'descend' | 'remove' {
  if (d.paths.has(path)) return 'keep';
  // A temporary file of an atomic write (ours, in flight, or a killed run's, which the
  // resource it was for removes): never purged from under its writer.
  if (tempNamePid(posix.basename(path)) !== undefined) return 'keep';
  for (let a = posix.dirname(path); a !== '/'; a = posix.dirname(a)) if (d.trees.has(a)) return 'keep';
  return d.ancestors.has(path) ? 'descend' : 'remove';
}
