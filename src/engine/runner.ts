// The main job as one Observable: apply each graph that arrives, then drain and report once
// the converged timeout, the max runtime or a stop request ends the run.
import {
  BehaviorSubject,
  NEVER,
  type Observable,
  type SchedulerLike,
  defer,
  finalize,
  first,
  ignoreElements,
  share,
  tap,
  map,
  race,
  switchMap,
  take,
} from 'rxjs';
import type { Graph } from '../model/graph.js';
import type { EngineEvent } from '../model/events.js';
import type { Logger } from '../util/logger.js';
import { longTimer } from '../../operators/long-timer.js';
import { Engine, type SwapSummary } from './engine.js';

/** What the graph source says: a new graph is being read, a graph, or a graph that failed. */
export type GraphEvent =
  | { kind: 'loading' }
  | { kind: 'graph'; graph: Graph }
  | { kind: 'error'; error: Error };

export type StopReason = 'converged' | 'max-runtime' | 'signal';

export interface RunReport {
  reason: StopReason;
  /** `kind[name]: message` of every vertex that ended failed. */
  failed: string[];
  /** Vertices whose check found the state wrong in noop mode. */
  wouldChange: string[];
  /**
   * Set when the drain ran out of `drainTimeout`: the vertices still busy then (`kind[name]`);
   * their CheckApply was unsubscribed (an exec's process group killed).
   */
  drainTimedOut?: string[];
}

/** `--drain-timeout` by default, seconds. */
export const DEFAULT_DRAIN_TIMEOUT = 30;

export interface RunOptions {
  scheduler: SchedulerLike;
  log: Logger;
  noop: boolean;
  /** Seconds; negative means never. */
  convergedTimeout: number;
  /** Seconds; 0 means no limit. */
  maxRuntime: number;
  /** `--sema N`: at most N CheckApply at once (0: no bound). */
  sema?: number;
  /** At most this many new vertices starting at once (default START_WAVE, src/engine/start-waves.ts). */
  startWave?: number;
  /** `--backoff-max`: the longest wait before re-running a failed resource, seconds (default 30). */
  backoffMax?: number;
  /** Called with each graph before it is applied (graphviz output, say). */
  onGraph?: (graph: Graph, engine: Engine) => void;
  /**
   * More things that hold the converger while they say false (the World connection).
   *
   * The drain's contract: the drain subscribes each hold again (it waits for `converged(0)`
   * over every idle stream), so a hold must REPLAY its current state to a new subscriber (a
   * BehaviorSubject, `shareReplay(1)`, or a cold stream that starts with it). A hold that only
   * says something on a change counts as busy from its subscription until it speaks, which
   * would keep the drain waiting until `drainTimeout`.
   */
  holds?: Observable<boolean>[];
  /**
   * Seconds the drain may take (runs in flight finishing, their pokes and refreshes); then the
   * run ends anyway, reporting in `drainTimedOut` what was still busy. Default 30.
   */
  drainTimeout?: number;
  /**
   * The fleet's verdict: given this host's converged state, emits true when every live host
   * is converged (distributed mode). Absent: this host decides alone.
   */
  fleet?: (local$: Observable<boolean>) => Observable<boolean>;
  /** Keep running when converged (`--converged-timeout-no-exit`); see `onConvergedState`. */
  noExit?: boolean;
  /** Told each change of the converged state (`--converged-status-file`). */
  onConvergedState?: (converged: boolean) => void;
  /** Told every vertex state change and finished CheckApply (recap, report, metrics). */
  events?: (e: EngineEvent) => void;
  /**
   * The process exits once the run ends (the CLI): the engine then stops only what could
   * still act (runs in flight, backoff waits, anything not `ok`) and leaves the rest for the
   * exit to free. Never set it where the process lives on: an idle vertex keeps its timers.
   */
  exiting?: boolean;
}

/**
 * Runs graphs from `graphs$` until converged, `maxRuntime` or `stop$`, then drains: no new
 * events, every CheckApply already started finishes and delivers its refreshes. Emits one
 * report and completes. A graph that fails to build is logged and the running one kept.
 */
export function runGraphs(graphs$: Observable<GraphEvent>, stop$: Observable<unknown>, opts: RunOptions): Observable<RunReport> {
  return defer(() => {
    const engine = new Engine({
      scheduler: opts.scheduler,
      log: opts.log,
      noop: opts.noop,
      sema: opts.sema,
      startWave: opts.startWave,
      events: opts.events,
      backoffMaxMs: opts.backoffMax === undefined ? undefined : opts.backoffMax * 1000,
    });
    // The loader holds the converger while a graph is being read, and until the first arrives.
    const loaderIdle$ = new BehaviorSubject(false);
    engine.track(loaderIdle$);

    let first = true;
    const graphsSub = graphs$.subscribe({
      next: (ev) => {
        if (ev.kind === 'loading') return loaderIdle$.next(false);
        if (ev.kind === 'graph') {
          opts.log.info(`graph "${ev.graph.name}": ${ev.graph.vertices.size} resources, ${ev.graph.edges.length} edges`);
          opts.onGraph?.(ev.graph, engine);
          const swap = engine.apply(ev.graph);
          if (!first) opts.log.info(`graph swap: ${describeSwap(swap)}`);
          first = false;
        } else {
          opts.log.error(`${ev.error.message}\nkeeping the running graph`);
        }
        loaderIdle$.next(true);
      },
      // A source that ends (no file, or --no-watch) leaves the last graph running.
      complete: () => loaderIdle$.next(true),
      error: (e: Error) => {
        opts.log.error(`graph source failed: ${e.message}`);
        loaderIdle$.next(true);
      },
    });

    for (const hold of opts.holds ?? []) engine.track(hold);
    const converged$ = opts.convergedTimeout >= 0 ? convergedExit(engine, opts) : publishedOnly(engine, opts);
    const maxRuntime$ =
      opts.maxRuntime > 0 ? longTimer(opts.maxRuntime * 1000, opts.scheduler).pipe(map((): StopReason => 'max-runtime')) : NEVER;
    const stopped$ = stop$.pipe(map((): StopReason => 'signal'));

    return race(converged$, maxRuntime$, stopped$).pipe(
      take(1),
      switchMap((reason) => {
        opts.log.info(`${reason}: draining`);
        graphsSub.unsubscribe();
        loaderIdle$.next(true);
        const drainMs = (opts.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT) * 1000;
        const late$ = longTimer(drainMs, opts.scheduler).pipe(map(() => ({ ...report(reason, engine), drainTimedOut: busy(engine) })));
        return race(engine.drain().pipe(map(() => report(reason, engine))), late$).pipe(take(1));
      }),
      finalize(() => {
        graphsSub.unsubscribe();
        engine.dispose(opts.exiting);
      }),
    );
  });
}

/** Emits once, when this host (or, with a fleet, every host) has converged; never with noExit. */
function convergedExit(engine: Engine, opts: RunOptions): Observable<StopReason> {
  const local$ = engine.convergedState(opts.convergedTimeout * 1000).pipe(
    tap((c) => opts.onConvergedState?.(c)),
    share(),
  );
  const verdict$ = opts.fleet ? opts.fleet(local$) : local$;
  const exit$ = verdict$.pipe(first(Boolean), map((): StopReason => 'converged'));
  // With noExit the fleet still hears this host's state (fleet() publishes it).
  return opts.noExit ? verdict$.pipe(ignoreElements()) : exit$;
}

/** No timeout, no exit; but a fleet still hears whether this host is idle, or it would wait forever. */
function publishedOnly(engine: Engine, opts: RunOptions): Observable<never> {
  return opts.fleet ? opts.fleet(engine.convergedState(0)).pipe(ignoreElements()) : NEVER;
}

/** `+added -removed ~changed` by name, at most `max` names of each (then "and N more"). */
export function describeSwap(s: SwapSummary, max = 20): string {
  const part = (sign: string, keys: string[]): string[] => {
    const shown = keys.slice(0, max).map((k) => sign + k);
    return keys.length > max ? [...shown, `(and ${keys.length - max} more ${sign})`] : shown;
  };
  const parts = [...part('+', s.added), ...part('-', s.removed), ...part('~', s.changed)];
  return parts.length === 0 ? 'nothing changed' : parts.join(' ');
}

/** The vertices that hold the converger: neither ok, nor failed, nor waiting behind a parent. */
function busy(engine: Engine): string[] {
  // A vertex the drain never started (its wave had not come) is not busy: it was let go.
  return engine
    .list()
    .filter((v) => !v.ended && (v.state === 'running' || v.state === 'retrying' || (v.state === 'pending' && v.ready$.value)))
    .map((v) => `${v.key} (${v.state})`);
}

function report(reason: StopReason, engine: Engine): RunReport {
  const vertices = engine.list();
  return {
    reason,
    failed: vertices.filter((v) => v.state === 'failed').map((v) => `${v.key}: ${v.lastError}`),
    wouldChange: vertices.filter((v) => v.wouldChange).map((v) => v.key),
  };
}
