// meta hidden (as in mgmt): the resource stays in the graph, with its edges, but never runs
// here: no watch, no CheckApply, and its children see it as OK. A switch to turn a resource off
// without taking it (and the edges through it) out of the graph file.
import { NEVER, type Observable, of } from 'rxjs';
import type { Resource } from '../model/resource.js';

/** Stands in for `r`: same kind, name and meta; manages nothing and adds no automatic edges. */
export function hidden(r: Resource): Resource {
  return {
    kind: r.kind,
    name: r.name,
    meta: r.meta,
    fingerprint: `hidden:${r.fingerprint}`,
    watch: (): Observable<void> => NEVER,
    checkApply: (): Observable<boolean> => of(true),
  };
}
