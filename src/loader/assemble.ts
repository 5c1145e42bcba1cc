// From graph files to running graphs: split off the exported resources (`@@name`) to the
// World, merge in what the graph collects from the World, let the kinds prepare, and build.
import { EMPTY, type Observable, catchError, concat, defer, distinctUntilChanged, ignoreElements, map, merge, of, startWith, switchMap } from 'rxjs';
import type { Graph } from '../model/graph.js';
import type { GraphSpec, ResourceSpec } from '../model/spec.js';
import { refKey } from '../model/spec.js';
import type { Registry } from '../model/registry.js';
import type { ResourceEnv } from '../model/resource.js';
import type { Logger } from '../util/logger.js';
import type { ExportInput, ExportedResource, World } from '../world/world.js';
import { Collector, type LocalClaims } from './collected.js';
import { collectLive } from '../world/ttl.js';
import type { GraphEvent } from '../engine/runner.js';

/** What a graph file source says: reading, a valid spec, or why it is not valid. */
export type SpecEvent = { kind: 'loading' } | { kind: 'spec'; spec: GraphSpec } | { kind: 'error'; error: Error };

const EXPORT_MARK = '@@';

export interface AssembleOptions {
  registry: Registry;
  build: (spec: GraphSpec) => Graph;
  log: Logger;
  /** Without a World, exports go nowhere and nothing is collected. */
  world?: World;
  /** What the kinds' `prepare()` gets: the env `build` uses (its scheduler times `exportTtlMs`). */
  env: ResourceEnv;
  /** Exports of a host not seen for this long are no longer collected (absent or 0: kept forever). */
  exportTtlMs?: number;
}

const LOADING: GraphEvent = { kind: 'loading' };

/**
 * Each valid spec publishes its exports (one atomic replace per spec) and then yields a graph
 * for every version of the collected resources it asks for, each prepared (see `prepared`)
 * then built; a newer spec, or a newer version of the collected resources, supersedes it.
 * 'loading' holds the converger meanwhile: once per spec, and again when a new version of the
 * collected resources has kinds to prepare.
 */
export function assembleGraphs(specs$: Observable<SpecEvent>, opts: AssembleOptions): Observable<GraphEvent> {
  return specs$.pipe(
    switchMap((ev): Observable<GraphEvent> => {
      if (ev.kind !== 'spec') return of(ev);
      const { local, exported } = splitExports(ev.spec);
      let collector: Collector | undefined;
      const purge = purger(ev.spec, local, opts.log);
      const graphs$ = collect(ev.spec, opts).pipe(
        map((list) => {
          collector ??= list.length === 0 ? undefined : new Collector(ev.spec.collect, opts.registry, localClaims(local, opts), opts.log, opts.env);
          return purge(collector ? collector.specs(list) : []);
        }),
        // The Collector keeps the spec of an unchanged export: a version that changes nothing
        // this graph takes (a refused export, say) builds nothing.
        distinctUntilChanged((a, b) => a.length === b.length && a.every((r, i) => r === b[i])),
        // The file's own spec object when nothing was added or taken out: a build memoised
        // on it (the CLI's validation build) is reused.
        map((extra) => (extra.length === 0 && exported.length === 0 ? ev.spec : { ...ev.spec, resources: [...local, ...extra] })),
        switchMap((spec, i) => {
          const prepare$ = prepared(spec, opts);
          if (!prepare$) return of(build(spec, opts));
          // Prepared and built at once, and again whenever a kind of the spec says its lookups
          // changed (pkg after a transaction); a rebuild builds from a copy of the spec, so that
          // a build memoised on the spec object builds anew.
          return preparedAgain(spec, opts).pipe(
            startWith(undefined),
            switchMap((_, n) => {
              const build$ = defer(() => (n === 0 ? prepare$ : prepared(spec, opts)!).pipe(map(() => build(n === 0 ? spec : { ...spec }, opts))));
              return i === 0 && n === 0 ? build$ : concat(of(LOADING), build$);
            }),
          );
        }),
      );
      return concat(of(LOADING), publish(exported, opts), graphs$);
    }),
  );
}

/** The local resources, and the exported ones without their `@@` mark (edges to them dropped). */
export function splitExports(spec: GraphSpec): { local: ResourceSpec[]; exported: ResourceSpec[] } {
  const local = spec.resources.filter((r) => !r.name.startsWith(EXPORT_MARK));
  const exported = spec.resources
    .filter((r) => r.name.startsWith(EXPORT_MARK))
    .map((r) => ({ ...r, name: r.name.slice(EXPORT_MARK.length) }));
  return { local, exported };
}

function publish(exported: ResourceSpec[], { world, log }: AssembleOptions): Observable<never> {
  if (!world) return EMPTY;
  const list: ExportInput[] = exported.map((r) => ({ kind: r.kind, name: r.name, params: r.params, meta: r.meta }));
  return defer(() => world.setExports(list)).pipe(
    ignoreElements(),
    // Kept by the World and written when it resynchronises; the local graph goes on.
    catchError((e: Error) => {
      log.warn(`exports: ${e.message}`);
      return EMPTY;
    }),
  );
}

/**
 * The names of the local resources and what they manage, which collected ones may not take.
 * Made once per spec, and only when something was collected.
 */
function localClaims(local: readonly ResourceSpec[], { registry, env }: AssembleOptions): LocalClaims {
  const manages = new Map<string, string>();
  for (const r of local) {
    const kind = registry.get(r.kind);
    if (!kind) continue;
    let claimed: string[] | undefined;
    try {
      claimed = kind.create(r, env).manages?.();
    } catch {
      continue; // the graph build reports it
    }
    for (const m of claimed ?? []) manages.set(m, `${refKey(r)} of the graph file (${r.pos.file}:${r.pos.line})`);
  }
  return { keys: new Set(local.map(refKey)), manages };
}

/** Every version of the exported resources this spec collects (none without a World). */
function collect(spec: GraphSpec, { world, exportTtlMs, env }: AssembleOptions): Observable<readonly ExportedResource[]> {
  const kinds = [...new Set(spec.collect.map((c) => c.kind))];
  if (!world || kinds.length === 0) return of([]);
  return exportTtlMs ? collectLive(world, kinds, exportTtlMs, env.scheduler) : world.collect(kinds);
}

/**
 * `purge: true`: a collected file whose export is withdrawn (or expired, or now refused) is
 * replaced by the same resource with `state: absent`, which deletes it; only files, only what
 * this process saw collected. The absent resource stays until the export returns or the graph
 * file changes. Returns the collected specs with those added.
 */
function purger(spec: GraphSpec, local: readonly ResourceSpec[], log: Logger): (collected: ResourceSpec[]) => ResourceSpec[] {
  const purging = new Set(spec.collect.filter((c) => c.purge && c.kind === 'file').map((c) => c.kind));
  if (purging.size === 0) return (collected) => collected;
  const localKeys = new Set(local.map(refKey));
  let previous = new Map<string, ResourceSpec>();
  const absent = new Map<string, ResourceSpec>();
  return (collected) => {
    const now = new Map(collected.map((r) => [refKey(r), r]));
    for (const [key, r] of previous) {
      if (now.has(key) || !purging.has(r.kind) || localKeys.has(key)) continue;
      log.info(`collect: ${key} (from ${r.pos.file.replace(/^world:/, 'host ')}) was withdrawn: purging ${String(r.params.path)}`);
      absent.set(key, { ...r, params: { path: r.params.path, state: 'absent', force: r.params.force ?? false } });
    }
    for (const key of now.keys()) absent.delete(key);
    previous = now;
    return absent.size === 0 ? collected : [...collected, ...absent.values()];
  };
}

/**
 * Runs the `prepare()` of every kind in `spec` that has one, in parallel, each with the specs
 * of its kind, and emits once when all have settled; undefined when no kind prepares. A
 * prepare that rejects anyway is logged: its kind's autoedges do without, the graph builds.
 */
function prepared(spec: GraphSpec, { registry, log, env }: AssembleOptions): Observable<void> | undefined {
  const byKind = new Map<string, ResourceSpec[]>();
  for (const r of spec.resources) {
    if (!registry.get(r.kind)?.prepare) continue;
    const list = byKind.get(r.kind);
    if (list) list.push(r);
    else byKind.set(r.kind, [r]);
  }
  if (byKind.size === 0) return undefined;
  const prepareOne = ([name, specs]: [string, ResourceSpec[]]) =>
    Promise.resolve()
      .then(() => registry.get(name)!.prepare!(specs, env))
      .catch((e: unknown) => log.warn(`${name}: preparing the graph failed, building it anyway: ${e instanceof Error ? e.message : String(e)}`));
  return defer(() => Promise.all([...byKind].map(prepareOne))).pipe(map(() => undefined));
}

/** Emits whenever a kind of `spec` that prepares says its lookups changed (ResourceKind.changed$). */
function preparedAgain(spec: GraphSpec, { registry }: AssembleOptions): Observable<void> {
  const kinds = [...new Set(spec.resources.map((r) => r.kind))].map((k) => registry.get(k)?.changed$).filter((c) => c !== undefined);
  return kinds.length > 0 ? merge(...kinds) : EMPTY;
}

function build(spec: GraphSpec, opts: AssembleOptions): GraphEvent {
  let edges = spec.edges;
  if (edges.length > 0) {
    const names = new Set(spec.resources.map(refKey));
    edges = spec.edges.filter((e) => names.has(refKey(e.from)) && names.has(refKey(e.to)));
  }
  let graph: Graph;
  try {
    graph = opts.build(edges.length === spec.edges.length ? spec : { ...spec, edges });
  } catch (error) {
    return { kind: 'error', error: error as Error };
  }
  for (const k of new Set(spec.resources.map((r) => r.kind))) {
    try {
      opts.registry.get(k)?.built?.(graph, opts.env);
    } catch (e) {
      opts.log.debug(`${k}: explaining the graph failed: ${(e as Error).message}`);
    }
  }
  return { kind: 'graph', graph };
}
