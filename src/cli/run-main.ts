// The body of `rxmgmt run`, loaded only when it runs so that `--version` and `--help` stay fast.
import { resolve } from 'node:path';
import { EMPTY, type Observable, asyncScheduler, concat, filter, firstValueFrom, lastValueFrom, map, merge, of } from 'rxjs';
import { type SpecEvent, assembleGraphs } from '../loader/assemble.js';
import { graphFileChanges } from '../loader/graph-file.js';
import { type RunReport, runGraphs } from '../engine/runner.js';
import { buildGraph } from '../graph/graph.js';
import type { GraphSpec } from '../model/spec.js';
import { defaultRegistry } from '../resources/registry.js';
import type { ResourceEnv } from '../model/resource.js';
import type { Logger } from '../util/logger.js';
import { memoryWorld } from '../world/memory.js';
import type { World } from '../world/world.js';
import { loadGraphFile } from '../yaml/parse.js';
import { fleetVerdict } from './fleet.js';
import { type GraphvizFilter, graphvizWriter } from './graphviz-output.js';
import { installReloadSignal } from './reload-signal.js';
import { installStopSignals } from './signals.js';
import { StatusFile } from './status-file.js';
import { type ObserveOptions, Observers } from '../observe/observers.js';

export interface MainOptions {
  file?: string;
  watch: boolean;
  convergedTimeout: number;
  convergedNoExit: boolean;
  convergedStatusFile?: string;
  maxRuntime: number;
  sema: number;
  hostname: string;
  seeds: string[];
  noop: boolean;
  graphviz?: string;
  graphvizFilter?: GraphvizFilter;
  log: Logger;
  /** Recap, diffs, report, metrics, live page, status line (src/observe). */
  observe?: Omit<ObserveOptions, 'host' | 'noop' | 'log'> & { recapLog: Logger };
}

/** How long `--seeds` may take to answer at start-up before rxmgmt gives up. */
const WORLD_STARTUP_MS = 10_000;

/** Runs until converged, max runtime or a signal; returns the exit code. */
export async function runMain(opts: MainOptions): Promise<number> {
  const { log } = opts;
  const registry = defaultRegistry();
  const env: ResourceEnv = { hostname: opts.hostname, log, scheduler: asyncScheduler };
  const build = memoLast((spec: GraphSpec) => buildGraph(spec, registry, env));

  let specs$: Observable<SpecEvent> = EMPTY;
  const reload = installReloadSignal(opts.file && resolve(opts.file), registry, log);
  if (opts.file) {
    const first = await checkedSpec(opts.file, { registry, build, log, env });
    if (first instanceof Error) {
      reload.dispose();
      process.stderr.write(`rxmgmt: ${first.message}\nnothing was applied\n`);
      return 1;
    }
    const changes$ = opts.watch ? graphFileChanges(resolve(opts.file), registry) : EMPTY;
    specs$ = concat(of<SpecEvent>({ kind: 'spec', spec: first }), merge(changes$, reload.reloads$));
  }

  let world: World;
  try {
    world = await connectWorld(opts);
  } catch (e) {
    reload.dispose();
    process.stderr.write(`rxmgmt: ${(e as Error).message}\nnothing was applied\n`);
    return 1;
  }

  const signals = installStopSignals(() => {
    process.stderr.write('rxmgmt: second SIGINT, aborting now\n');
    process.exit(130);
  });
  const graphviz = opts.graphviz ? graphvizWriter(opts.graphviz, opts.graphvizFilter, log) : undefined;
  const statusFile = opts.convergedStatusFile ? new StatusFile(opts.convergedStatusFile, log) : undefined;
  let observers: Observers;
  try {
    observers = await Observers.start({ ...opts.observe, host: opts.hostname, noop: opts.noop, log });
  } catch (e) {
    signals.dispose();
    reload.dispose();
    await closeWithin(world, 5_000, log);
    process.stderr.write(`rxmgmt: ${(e as Error).message}\nnothing was applied\n`);
    return 1;
  }
  const onConvergedState = statusFile || observers.wantsConvergedState
    ? (c: boolean) => {
        statusFile?.write(c);
        observers.onConvergedState(c);
      }
    : undefined;
  try {
    const report = await lastValueFrom(
      runGraphs(assembleGraphs(specs$, { registry, build, log, env, world }), signals.stop$, {
        scheduler: asyncScheduler,
        log,
        noop: opts.noop,
        convergedTimeout: opts.convergedTimeout,
        maxRuntime: opts.maxRuntime,
        sema: opts.sema,
        onGraph: (g, engine) => {
          graphviz?.write(g);
          observers.onGraph(g, engine);
        },
        holds: [world.status().pipe(map((s) => s !== 'connecting'))],
        fleet: fleetVerdict(world, log),
        noExit: opts.convergedNoExit,
        onConvergedState,
        events: observers.events,
      }),
    );
    return exitCode(report, observers, opts.observe?.recapLog ?? log);
  } finally {
    await Promise.all([statusFile?.flushed(), graphviz?.flushed(), observers.close()]);
    await closeWithin(world, 5_000, log);
    signals.dispose();
    reload.dispose();
  }
}

/** The graph file, validated and built (without collected resources), or what is wrong with it. */
async function checkedSpec(file: string, opts: Parameters<typeof assembleGraphs>[1]): Promise<GraphSpec | Error> {
  try {
    const spec = await loadGraphFile(file, opts.registry);
    const first = await firstValueFrom(assembleGraphs(of<SpecEvent>({ kind: 'spec', spec }), opts).pipe(filter((e) => e.kind !== 'loading')));
    return first.kind === 'error' ? first.error : spec;
  } catch (e) {
    return e as Error;
  }
}

/**
 * The last result of `fn`, reused for the same argument: the graph built to validate the file
 * at start-up is the one the engine then runs (10 000 resources take a while to build).
 */
function memoLast<A extends object, R>(fn: (a: A) => R): (a: A) => R {
  let last: { arg: A; result: R } | undefined;
  return (arg) => {
    if (last?.arg !== arg) last = { arg, result: fn(arg) };
    return last.result;
  };
}

async function connectWorld(opts: MainOptions): Promise<World> {
  if (opts.seeds.length === 0) return memoryWorld(opts.hostname);
  const { connectEtcdWorld } = await import('../world/etcd.js');
  return connectEtcdWorld({ host: opts.hostname, seeds: opts.seeds, log: opts.log, startupTimeoutMs: WORLD_STARTUP_MS });
}

async function closeWithin(world: World, ms: number, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((done) => {
    timer = setTimeout(() => {
      log.warn('the World did not close in time; exiting anyway');
      done();
    }, ms);
  });
  await Promise.race([world.close().catch((e: Error) => log.warn(`closing the World: ${e.message}`)), late]);
  clearTimeout(timer);
}

/**
 * The recap (summary line, each failure with its last error, the verdict) and the exit code:
 * 1 when a resource ended failed, else 0; with --detailed-exitcodes 2 for changes, 4 for
 * failures, 6 for both (docs/observability.md).
 */
function exitCode(report: RunReport, observers: Observers, recapLog: Logger): number {
  return observers.finish(report, recapLog);
}
