// A graph file as a source of graphs: read, validated and built now, and again on every change.
import { type Observable, catchError, defer, map, of, startWith, switchMap } from 'rxjs';
import { type Graph, buildGraph } from '../graph/graph.js';
import type { Registry } from '../resources/registry.js';
import type { ResourceEnv } from '../resources/resource.js';
import { watchPath } from '../watch/index.js';
import { loadGraphFile } from '../yaml/parse.js';
import type { GraphEvent } from './runner.js';

/** Reads, validates and builds the graph in `path`; rejects with a message naming what is wrong. */
export async function loadGraph(path: string, registry: Registry, env: ResourceEnv): Promise<Graph> {
  return buildGraph(await loadGraphFile(path, registry), registry, env);
}

/**
 * Emits `loading` then the graph (or the error) each time `path` may have changed. A change
 * that arrives while the previous version is still being read supersedes it.
 */
export function graphFileChanges(path: string, registry: Registry, env: ResourceEnv): Observable<GraphEvent> {
  return watchPath(path).pipe(
    switchMap(() =>
      defer(() => loadGraph(path, registry, env)).pipe(
        map((graph): GraphEvent => ({ kind: 'graph', graph })),
        catchError((error: Error) => of<GraphEvent>({ kind: 'error', error })),
        startWith<GraphEvent>({ kind: 'loading' }),
      ),
    ),
  );
}

