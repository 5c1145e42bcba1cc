// A graph file as a stream of specs, read again once each change has settled; and the check
// of one graph file as `run` would start it (`rxmgmt check`, `rxmgmt/testing`).
import { realpath } from 'node:fs/promises';
import { hostname } from 'node:os';
import {
  EMPTY,
  type Observable,
  type SchedulerLike,
  asyncScheduler,
  catchError,
  concat,
  defer,
  distinctUntilChanged,
  map,
  merge,
  of,
  share,
  startWith,
  switchMap,
  timer,
} from 'rxjs';
import { buildGraph } from '../graph/graph.js';
import type { Graph } from '../model/graph.js';
import type { ResourceEnv } from '../model/resource.js';
import { type GraphSpec, refKey } from '../model/spec.js';
import type { Registry } from '../model/registry.js';
import { createLogger, escapeControl, stderrSink } from '../util/logger.js';
import { watchPath } from '../watch/index.js';
import { loadGraphFile } from '../yaml/parse.js';
import { type SpecEvent, splitExports } from './assemble.js';

/**
 * How long a graph file must stay unchanged before it is read: an editor or a script that
 * writes it in several pieces is never caught half-way (a truncated file can be valid YAML
 * that drops resources).
 */
export const SETTLE_MS = 200;

export interface GraphFileOptions {
  /** Where the settle time is measured; the engine's scheduler. */
  scheduler?: SchedulerLike;
  settleMs?: number;
}

/**
 * Emits `loading` then the spec (or the error) each time `path` may have changed and has then
 * stayed unchanged for the settle time. A change during the settle time, or while the previous
 * version is still being read, supersedes it. A graph file that is a symlink is reloaded when
 * the link is repointed and when the file it points to changes.
 */
export function graphFileChanges(path: string, registry: Registry, opts: GraphFileOptions = {}): Observable<SpecEvent> {
  const load = (): Observable<SpecEvent> =>
    defer(() => loadGraphFile(path, registry)).pipe(
      map((spec: GraphSpec): SpecEvent => ({ kind: 'spec', spec })),
      catchError((error: Error) => of<SpecEvent>({ kind: 'error', error })),
    );
  return settledLoads(fileDrift(path), load, opts.settleMs ?? SETTLE_MS, opts.scheduler ?? asyncScheduler);
}

/**
 * For each change of `changes$`: `loading` at once (it holds the converger), then `load()` once
 * no further change came for `settleMs`. Each change restarts the wait, and cancels a load
 * under way.
 *
 * ```
 * changes$  a--b---------c-----
 * result    L--L----S----L----S     (settle 5: b restarted a's wait)
 * ```
 */
export function settledLoads(changes$: Observable<unknown>, load: () => Observable<SpecEvent>, settleMs: number, scheduler: SchedulerLike): Observable<SpecEvent> {
  return changes$.pipe(
    switchMap(() => concat(of<SpecEvent>({ kind: 'loading' }), timer(settleMs, scheduler).pipe(switchMap(load)))),
  );
}

/**
 * Emits whenever the file at `path` may have changed: its own directory entry (written, replaced,
 * a symlink there repointed), and, when the path resolves elsewhere (a symlink, or a symlinked
 * directory on the way), the file it resolves to, re-resolved after each change of the entry.
 */
function fileDrift(path: string): Observable<void> {
  const entry$ = watchPath(path).pipe(share());
  const resolved$ = entry$.pipe(
    startWith(undefined),
    switchMap(() => defer(() => realpath(path)).pipe(catchError(() => of(path)))),
    distinctUntilChanged(),
  );
  // A new target is a change in itself (the link was repointed), so is every change to it.
  const target$ = resolved$.pipe(switchMap((target) => (target === path ? EMPTY : watchPath(target))));
  return merge(entry$, target$);
}

export type CheckResult = { ok: true; spec: GraphSpec; graph: Graph; summary: string } | { ok: false; message: string; error: Error };

/**
 * Validates a graph file as `run` does before applying it, touching nothing: read, parse,
 * split off the exports, build (autoedges, autogroup, cycles, conflicts) the local graph, and
 * build the exported resources on their own so that their params are checked too. The kinds'
 * `prepare` (a look-up on the machine) is not run: pkg autoedges fall back to their guesses.
 */
export async function checkGraphFile(path: string, registry: Registry, env: ResourceEnv = quietEnv()): Promise<CheckResult> {
  try {
    const spec = await loadGraphFile(path, registry);
    return { ok: true, ...checkSpec(spec, registry, env) };
  } catch (e) {
    return { ok: false, message: (e as Error).message, error: e as Error };
  }
}

/** The graph `run` would start from `spec` (without collected resources), and its summary; throws what `run` reports. */
export function checkSpec(spec: GraphSpec, registry: Registry, env: ResourceEnv): { spec: GraphSpec; graph: Graph; summary: string } {
  const { local, exported } = splitExports(spec);
  const names = new Set(local.map(refKey));
  const edges = spec.edges.filter((e) => names.has(refKey(e.from)) && names.has(refKey(e.to)));
  const graph = buildGraph({ ...spec, resources: local, edges }, registry, env);
  if (exported.length > 0) buildGraph({ ...spec, resources: exported, edges: [] }, registry, env);
  return { spec, graph, summary: summarize(graph, exported.length) };
}

/** `graph "web": 12 resources (3 file, 9 pkg), 9 edges (4 automatic)`, plus the exports. */
export function summarize(graph: Graph, exported = 0): string {
  const byKind = new Map<string, number>();
  for (const r of graph.vertices.values()) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  const kinds = [...byKind].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${n} ${k}`);
  const auto = graph.edges.filter((e) => e.auto).length;
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  return (
    `graph "${escapeControl(graph.name)}": ${plural(graph.vertices.size, 'resource')}${kinds.length ? ` (${kinds.join(', ')})` : ''}, ` +
    `${plural(graph.edges.length, 'edge')} (${auto} automatic)${exported ? `, ${exported} exported` : ''}`
  );
}

/** Nothing to say while checking: resources get a logger that drops lines below warnings. */
function quietEnv(): ResourceEnv {
  return { hostname: hostname(), log: createLogger(stderrSink, 'warn'), scheduler: asyncScheduler };
}
