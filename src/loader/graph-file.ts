// A graph file as a stream of specs: read and validated now, and again on every change.
import { type Observable, catchError, defer, map, of, startWith, switchMap } from 'rxjs';
import type { GraphSpec } from '../model/spec.js';
import type { Registry } from '../model/registry.js';
import { watchPath } from '../watch/index.js';
import { loadGraphFile } from '../yaml/parse.js';
import type { SpecEvent } from './assemble.js';

/**
 * Emits `loading` then the spec (or the error) each time `path` may have changed. A change
 * that arrives while the previous version is still being read supersedes it.
 */
export function graphFileChanges(path: string, registry: Registry): Observable<SpecEvent> {
  return watchPath(path).pipe(
    switchMap(() =>
      defer(() => loadGraphFile(path, registry)).pipe(
        map((spec: GraphSpec): SpecEvent => ({ kind: 'spec', spec })),
        catchError((error: Error) => of<SpecEvent>({ kind: 'error', error })),
        startWith<SpecEvent>({ kind: 'loading' }),
      ),
    ),
  );
}
