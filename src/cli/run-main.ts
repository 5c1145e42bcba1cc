// The body of `rxmgmt run`, loaded only when it runs so that `--version` and `--help` stay fast.
import { resolve } from 'node:path';
import { EMPTY, type Observable, concat, filter, firstValueFrom, lastValueFrom, map, merge, of } from 'rxjs';
import { type SpecEvent, assembleGraphs } from '../loader/assemble.js';
import { graphFileChanges } from '../loader/graph-file.js';
import { type RunReport, runGraphs } from '../engine/runner.js';
import { GraphBuilder } from '../graph/incremental.js';
import { runScheduler as scheduler } from './immediate-scheduler.js';
import type { GraphSpec } from '../model/spec.js';
import { lazyBuiltinRegistry } from '../resources/kinds.js';
import type { ResourceEnv } from '../model/resource.js';
import type { Logger } from '../util/logger.js';
import { memoryWorld } from '../world/memory.js';
import type { World } from '../world/world.js';
import type { EtcdSecurity } from '../world/etcd/security.js';
import type { EtcdMemberSupervisor } from '../world/etcd/member.js';
import { loadGraphFile } from '../yaml/parse.js';
import { fleetVerdict } from './fleet.js';
import type { GraphvizFilter } from './graphviz-filter.js';
import { checkGraphvizTarget, graphvizWriter } from './graphviz-output.js';
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
  /** `--export-ttl`: seconds after which a host not seen is no longer collected (0: never). */
  exportTtl?: number;
  sema: number;
  /** `--backoff-max`, seconds. */
  backoffMax?: number;
  /** `--drain-timeout`, seconds. */
  drainTimeout?: number;
  hostname: string;
  seeds: string[];
  /** `--etcd-start`: the local etcd member to start and supervise. */
  etcdStart?: { clientUrl: string; peerUrl: string; initialCluster?: string; stateDir: string };
  /** TLS and user for the etcd World (`--etcd-*`). */
  etcdSecurity?: EtcdSecurity;
  noop: boolean;
  graphviz?: string;
  graphvizFilter?: GraphvizFilter;
  log: Logger;
  /**
   * The process exits right after (default): the engine then leaves open what the exit closes.
   * False closes everything (the startup snapshot's warm-up run, which must leave nothing open).
   */
  exiting?: boolean;
  /** Recap, diffs, report, metrics, live page, status line (src/observe). */
  observe?: Omit<ObserveOptions, 'host' | 'noop' | 'log'> & { recapLog: Logger };
}

/** Bound on the etcd World's blocking start (unused by `run`, which joins in the background). */
const WORLD_STARTUP_MS = 10_000;

/** Runs until converged, max runtime or a signal; returns the exit code. */
export async function runMain(options: MainOptions): Promise<number> {
  let opts = options;
  const { log } = opts;
  // Kinds load as a graph file names them (loadGraphFile): a start pays only for those it uses.
  const registry = lazyBuiltinRegistry();
  // The engine's time and its resources' (timer ticks, exec and svc timeouts, the file checks'
  // slices): one scheduler, zero-delay tasks on the next turn of the loop (immediate-scheduler.ts),
  // delays of any length up to the load-time bound.
  const env: ResourceEnv = { hostname: opts.hostname, log, scheduler };
  // Each graph is built from the last one: a swap costs what changed (src/graph/incremental.ts).
  const builder = new GraphBuilder(registry, env);
  const build = memoLast((spec: GraphSpec) => builder.build(spec));

  // From the start: a SIGINT or SIGTERM during start-up ends it cleanly instead of killing the process.
  const signals = installStopSignals(() => {
    process.stderr.write('rxmgmt: second SIGINT, aborting now\n');
    process.exit(130);
  });

  // Output files first: a directory that is not there fails the start, before anything is applied.
  let statusFile: StatusFile | undefined;
  try {
    if (opts.graphviz) await checkGraphvizTarget(opts.graphviz);
    if (opts.convergedStatusFile) statusFile = await StatusFile.open(opts.convergedStatusFile, log);
  } catch (e) {
    signals.dispose();
    process.stderr.write(`rxmgmt: ${(e as Error).message}\nnothing was applied\n`);
    return 1;
  }

  let specs$: Observable<SpecEvent> = EMPTY;
  const reload = installReloadSignal(opts.file && resolve(opts.file), registry, log);
  if (opts.file) {
    const first = await checkedSpec(opts.file, { registry, build, log, env });
    if (first instanceof Error) {
      signals.dispose();
      reload.dispose();
      process.stderr.write(`rxmgmt: ${first.message}\nnothing was applied\n`);
      return 1;
    }
    const changes$ = opts.watch ? graphFileChanges(resolve(opts.file), registry) : EMPTY;
    specs$ = concat(of<SpecEvent>({ kind: 'spec', spec: first }), merge(changes$, reload.reloads$));
  }

  let world: World;
  let member: EtcdMemberSupervisor | undefined;
  try {
    if (opts.etcdStart) {
      const { EtcdMemberSupervisor } = await import('../world/etcd/member.js');
      member = new EtcdMemberSupervisor({ name: opts.hostname, ...opts.etcdStart, log });
      await member.start();
      if (opts.seeds.length === 0) opts = { ...opts, seeds: [opts.etcdStart.clientUrl] };
    }
    world = await connectWorld(opts);
  } catch (e) {
    await member?.stop();
    signals.dispose();
    reload.dispose();
    process.stderr.write(`rxmgmt: ${(e as Error).message}\nnothing was applied\n`);
    return 1;
  }

  env.world = world; // read by kv when it runs: the graph above was built before the World existed
  const graphviz = opts.graphviz ? graphvizWriter(opts.graphviz, opts.graphvizFilter, log) : undefined;
  let observers: Observers;
  try {
    observers = await Observers.start({ ...opts.observe, host: opts.hostname, noop: opts.noop, log });
  } catch (e) {
    signals.dispose();
    reload.dispose();
    await closeWithin(world, 5_000, log);
    await member?.stop();
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
    if (signals.stopped) {
      log.info('stopped during start-up: nothing was applied');
      return 0;
    }
    const report = await lastValueFrom(
      runGraphs(assembleGraphs(specs$, { registry, build, log, env, world, exportTtlMs: (opts.exportTtl ?? 0) * 1000 }), signals.stop$, {
        scheduler,
        log,
        noop: opts.noop,
        convergedTimeout: opts.convergedTimeout,
        maxRuntime: opts.maxRuntime,
        sema: opts.sema,
        backoffMax: opts.backoffMax,
        drainTimeout: opts.drainTimeout,
        onGraph: (g, engine) => {
          graphviz?.write(g);
          observers.onGraph(g, engine);
        },
        holds: [world.status().pipe(map((s) => s !== 'connecting'))],
        fleet: fleetVerdict(world, log),
        noExit: opts.convergedNoExit,
        onConvergedState,
        events: observers.events,
        // main.ts exits as soon as this returns: the engine frees nothing that the exit frees.
        exiting: opts.exiting ?? true,
      }),
    );
    return exitCode(report, observers, opts.observe?.recapLog ?? log);
  } finally {
    await Promise.all([statusFile?.flushed(), graphviz?.flushed(), observers.close()]);
    await closeWithin(world, 5_000, log);
    await member?.stop();
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
  // Without waiting for etcd: the local graph is applied at once, the World joins when it can.
  const { openEtcdWorld } = await import('../world/etcd.js');
  return openEtcdWorld({ host: opts.hostname, seeds: opts.seeds, log: opts.log, startupTimeoutMs: WORLD_STARTUP_MS, security: opts.etcdSecurity });
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
