// rxmgmt/testing: marble-test your own graph. The graph is read and built by the loader `run`
// uses, each resource's effects are replaced by marbles, and the real engine (runGraphs, the
// very code behind `rxmgmt run`) runs it on your TestScheduler.
import { NEVER, type Observable, ReplaySubject, filter, map, merge, mergeMap, of, take, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { type GraphEvent, type RunReport, runGraphs } from '../engine/runner.js';
import { checkSpec } from '../loader/graph-file.js';
import type { Graph } from '../model/graph.js';
import type { EngineEvent, VertexState } from '../model/events.js';
import type { Registry } from '../model/registry.js';
import type { Resource, ResourceEnv } from '../model/resource.js';
import { defaultRegistry } from '../resources/registry.js';
import { memoryLogger } from '../util/logger.js';
import { loadGraphFileSync, parseGraph } from '../yaml/parse.js';

/**
 * What a resource does instead of its real effects, as marbles in virtual milliseconds.
 *
 * - `watch`: a hot marble from frame 0; each value (any letter) is a drift its watch reports.
 *   `'--x 97ms x'`: drift at 2 and at 100. Absent: it never drifts.
 * - `runs`: one cold marble per CheckApply, from the moment it starts: `o` the state was
 *   already right, `c` it was wrong and was changed, `#` the CheckApply fails. `'50ms c'` takes
 *   50 ms and changes something. The n-th CheckApply of the key (across graph swaps) takes
 *   `runs[n]`; the last one repeats. Absent: `['o']`, already ok, instant.
 * - `error`: the message of a failing run (default `stand-in failure`).
 */
export interface StandIn {
  watch?: string;
  runs?: string[];
  error?: string;
}

export interface GraphTestOptions {
  /** The TestScheduler whose `run()` callback calls testGraph. */
  scheduler: TestScheduler;
  /** The graph as YAML text ... */
  yaml?: string;
  /** ... or as a file (read now, like `run -f`). */
  file?: string;
  /** Stand-ins by resource key (`file[conf]`, `svc[nginx]`): keys of the graph or of a swap's graph. */
  standIns?: Record<string, StandIn>;
  /** Like `-t`: seconds of everything idle before the run exits; -1 (default): never. */
  convergedTimeout?: number;
  /** Like `--max-runtime`, seconds; 0 (default): no limit. */
  maxRuntime?: number;
  /** Like `--noop`. */
  noop?: boolean;
  /** Like `--sema N`. */
  sema?: number;
  /** New versions of the graph, each at a frame: like saving the graph file then. */
  swaps?: Array<{ at: number; yaml: string }>;
  /** A stop request (SIGINT) at this frame. */
  stopAt?: number;
  /** Default: the built-in kinds. */
  registry?: Registry;
  /** Default `test-host`. */
  hostname?: string;
}

/** How the run ended, as `run` would: the reason, the exit code, what failed. */
export interface TestExit extends RunReport {
  /** 1 when a resource ended failed, else 0 (as `rxmgmt run`). */
  code: number;
}

export interface GraphTest {
  /** The vertex keys of the graph, in a topological order. */
  readonly keys: string[];
  /** The graph as built (edges with `auto` set for automatic ones). */
  readonly graph: Graph;
  /** Each CheckApply of `key` as it starts: `c`, or `r` when it came with a refresh. */
  checks(key: string): Observable<string>;
  /** Each refresh `key` received, at the start of the CheckApply that got it: `r`. */
  refreshes(key: string): Observable<string>;
  /** Each CheckApply of `key` as it ends: `o` ok, `c` changed, `w` would change (noop), `f` failed. */
  results(key: string): Observable<string>;
  /** `key`'s state at each change: see `stateLetters` for marbles. */
  states(key: string): Observable<VertexState>;
  /** The converged state at each change (true once everything was idle for the timeout); needs convergedTimeout >= 0. */
  readonly converged$: Observable<boolean>;
  /** Once, when the run ends (converged, max runtime or stop), then completes. */
  readonly exit$: Observable<TestExit>;
  /** Every engine event so far, in order. */
  readonly events: readonly EngineEvent[];
  /** Every log line so far. */
  readonly log: readonly string[];
}

/** Marble letters for `states()`: `expectObservable(t.states(k)).toBe('r-o', stateLetters)`. */
export const stateLetters: Readonly<Record<string, VertexState>> = Object.freeze({
  p: 'pending',
  r: 'running',
  t: 'retrying',
  o: 'ok',
  f: 'failed',
});

const RUN_VALUES = { o: true, c: false };
const RESULT_LETTERS = { ok: 'o', changed: 'c', 'would-change': 'w', failed: 'f' } as const;

/**
 * Loads the graph (as `run` does: the same parser, validation and build, so a bad graph throws
 * the same file:line error), gives each resource its stand-in, and starts the real engine at
 * frame 0 of `scheduler`. Call it inside `scheduler.run(...)`, then assert with expectObservable.
 *
 * ```ts
 * new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ expectObservable }) => {
 *   const t = testGraph({ scheduler: ts, file: 'site.yaml', convergedTimeout: 0.01,
 *     standIns: { 'file[conf]': { runs: ['5ms c'] } } });
 *   expectObservable(t.checks('svc[web]')).toBe('5ms r');
 * });
 * ```
 */
export function testGraph(opts: GraphTestOptions): GraphTest {
  const ts = opts.scheduler;
  const registry = opts.registry ?? defaultRegistry();
  const log = memoryLogger('debug');
  const env: ResourceEnv = { hostname: opts.hostname ?? 'test-host', log, scheduler: ts };
  const standIns = opts.standIns ?? {};

  if ((opts.yaml === undefined) === (opts.file === undefined)) throw new Error('testGraph: give the graph as exactly one of `yaml` (text) or `file` (a path)');
  const firstSpec = opts.file !== undefined ? loadGraphFileSync(opts.file, registry) : parseGraph(opts.yaml!, '<yaml>', registry);
  const first = checkSpec(firstSpec, registry, env).graph;
  // Each swap's graph is built now too (a key of a later version may have a stand-in); a broken
  // version is reported by the run at its frame, which keeps the graph it has.
  const later = (opts.swaps ?? []).map((s): { graph: Graph } | { error: Error } => {
    try {
      return { graph: checkSpec(parseGraph(s.yaml, `<swap at ${s.at}>`, registry), registry, env).graph };
    } catch (error) {
      return { error: error as Error };
    }
  });
  const known = new Set([first, ...later.flatMap((v) => ('graph' in v ? [v.graph] : []))].flatMap((g) => [...g.vertices.keys()]));
  for (const key of Object.keys(standIns)) {
    if (!known.has(key)) throw new Error(`testGraph: a stand-in for "${key}", which is not a resource of the graph; expected one of ${[...known].join(', ')}`);
    checkMarbles(key, standIns[key]);
  }

  const checks = subjects<string>();
  const results = subjects<string>();
  const states = subjects<VertexState>();
  const converged$ = new ReplaySubject<boolean>();
  const exit$ = new ReplaySubject<TestExit>();
  const events: EngineEvent[] = [];
  const calls = new Map<string, number>();
  const watches = new Map<string, Observable<void>>();
  for (const key of known) {
    const marble = standIns[key]?.watch;
    watches.set(key, marble === undefined ? NEVER : ts.createHotObservable(marble).pipe(map(() => undefined)));
  }

  const standIn = (key: string, real: Resource): Resource => {
    const s = standIns[key] ?? {};
    const runs = s.runs ?? ['o'];
    return {
      kind: real.kind,
      name: real.name,
      meta: real.meta,
      fingerprint: real.fingerprint,
      watch: () => watches.get(key)!,
      checkApply(_apply, refresh) {
        const n = calls.get(key) ?? 0;
        calls.set(key, n + 1);
        checks.of(key).next(refresh ? 'r' : 'c');
        const marble = runs[Math.min(n, runs.length - 1)];
        return ts.createColdObservable<boolean>(marble, RUN_VALUES, new Error(s.error ?? 'stand-in failure')).pipe(take(1));
      },
      ...(real.autoEdges ? { autoEdges: () => real.autoEdges!() } : {}),
      ...(real.manages ? { manages: () => real.manages!() } : {}),
      // Undoing a stand-in must not touch the machine either: its reversal is "ok, instant".
      ...(real.reversed ? { reversed: (): Resource => ({ kind: real.kind, name: real.name, meta: real.meta, fingerprint: `${real.fingerprint} reversed`, watch: () => NEVER, checkApply: () => of(true) }) } : {}),
    };
  };
  const withStandIns = (g: Graph): Graph => ({ ...g, vertices: new Map([...g.vertices].map(([k, r]) => [k, standIn(k, r)])) });

  /** A swap: `loading` then the graph (or why it is broken) at its frame, like a reread file. */
  const swapEvents = (at: number, version: { graph: Graph } | { error: Error }): Observable<GraphEvent> =>
    timer(at, ts).pipe(
      mergeMap(() =>
        of<GraphEvent[]>(
          { kind: 'loading' },
          'graph' in version ? { kind: 'graph', graph: withStandIns(version.graph) } : { kind: 'error', error: version.error },
        ),
      ),
    );
  const source$: Observable<GraphEvent> = merge(
    of<GraphEvent>({ kind: 'graph', graph: withStandIns(first) }),
    ...(opts.swaps ?? []).map((s, i) => swapEvents(s.at, later[i])),
  );
  const stop$ = opts.stopAt === undefined ? NEVER : timer(opts.stopAt, ts);

  const run$ = runGraphs(source$, stop$, {
    scheduler: ts,
    log,
    noop: opts.noop ?? false,
    convergedTimeout: opts.convergedTimeout ?? -1,
    maxRuntime: opts.maxRuntime ?? 0,
    sema: opts.sema,
    onConvergedState: (c) => converged$.next(c),
    events: (e) => {
      events.push(e);
      if (e.type === 'run') results.of(e.key).next(RESULT_LETTERS[e.result]);
      else states.of(e.key).next(e.state);
    },
  });
  ts.schedule(() => {
    run$.subscribe({
      next: (report) => exit$.next({ ...report, code: report.failed.length > 0 ? 1 : 0 }),
      complete: () => exit$.complete(),
      error: (e: unknown) => exit$.error(e),
    });
  }, 0);

  const keyed = <T>(map: ReturnType<typeof subjects<T>>) => (key: string): Observable<T> => {
    if (!known.has(key)) throw new Error(`"${key}" is not a resource of the graph; expected one of ${[...known].join(', ')}`);
    return map.of(key).asObservable();
  };
  return {
    keys: [...first.vertices.keys()],
    graph: first,
    checks: keyed(checks),
    refreshes: (key) => keyed(checks)(key).pipe(filter((c) => c === 'r')),
    results: keyed(results),
    states: keyed(states),
    converged$: converged$.asObservable(),
    exit$: exit$.asObservable(),
    events,
    log: log.lines,
  };
}

/** One ReplaySubject per key, made on first use: a stream asserted from frame 0 misses nothing. */
function subjects<T>() {
  const byKey = new Map<string, ReplaySubject<T>>();
  return {
    of(key: string): ReplaySubject<T> {
      let s = byKey.get(key);
      if (!s) byKey.set(key, (s = new ReplaySubject<T>()));
      return s;
    },
  };
}

/** Refuses a stand-in whose marbles use letters other than the documented ones, naming the key. */
function checkMarbles(key: string, s: StandIn): void {
  const known = new Set(['watch', 'runs', 'error']);
  for (const k of Object.keys(s)) if (!known.has(k)) throw new Error(`testGraph: stand-in "${key}" has "${k}"; expected watch, runs or error`);
  if (s.runs !== undefined && (!Array.isArray(s.runs) || s.runs.length === 0)) throw new Error(`testGraph: stand-in "${key}": runs must be a non-empty list of marbles`);
  for (const [i, marble] of (s.runs ?? []).entries()) {
    const parsed = TestScheduler.parseMarbles(marble, RUN_VALUES, new Error('x'), true, true);
    const ends = parsed.filter((m) => m.notification.kind !== 'C');
    if (ends.length !== 1 || ends.some((m) => m.notification.kind === 'N' && typeof m.notification.value !== 'boolean')) {
      throw new Error(`testGraph: stand-in "${key}" runs[${i}] is "${marble}"; expected one o (already ok), c (changed) or # (fails) after its duration, e.g. "50ms c"`);
    }
  }
}
