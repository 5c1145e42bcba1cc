// One resource at run time, as one composition: its triggers (start, own watch, parents'
// changes), each carrying its cause, wait behind one gate (parents OK, watch ready, no failure
// backoff) and are coalesced into one CheckApply at a time.
import {
  EMPTY,
  type MonoTypeOperatorFunction,
  Observable,
  type SchedulerLike,
  Subject,
  Subscriber,
  type Subscription,
  type Unsubscribable,
  concatMap,
  defer,
  distinctUntilChanged,
  first,
  from,
  map,
  of,
  race,
  repeat,
  retry,
  tap,
  throwError,
} from 'rxjs';
import { allTrue } from '../../operators/all-true.js';
import { Coalescer } from '../../operators/coalesce-when.js';
import { longTimer } from '../../operators/long-timer.js';
import { rateLimit } from '../../operators/rate-limit.js';
import type { Change, ChangeSink, EngineEvent, RunResult, VertexState } from '../model/events.js';
import { type Resource, WATCH_READY } from '../model/resource.js';
import type { Logger } from '../util/logger.js';
import { Cell } from './cell.js';
import type { SemaphoreTable } from './semaphores.js';
import type { Settler } from './start-waves.js';

/**
 * VertexState:
 * - pending: an event arrived; a run will follow (or waits behind a parent that is not OK)
 * - running: CheckApply in progress
 * - retrying: CheckApply failed, waiting `meta.delay` before the next attempt
 * - ok: succeeded since its latest event
 * - failed: failed and out of retries (or its watch is); its next event runs it after the
 *   failure backoff, and until that run starts it stays failed (idle for the converger)
 */
export type { VertexState };

/** Why a vertex should run; triggers that meet while one waits are folded into one. */
export interface Trigger {
  refresh: boolean;
  /** In words, for the debug log and `RunEvent.cause`: `start`, `watch`, `parent file[x] changed`... */
  cause: string;
}

export interface InEdge {
  from: Vertex;
  notify: boolean;
}

export interface VertexContext {
  scheduler: SchedulerLike;
  log: Logger;
  /** Global noop (`--noop`): check everything, change nothing. */
  noop: boolean;
  /** The semaphores shared across the graph (`sema` meta param, `--sema`). */
  semaphores: SemaphoreTable;
  /** Told every state change and every finished CheckApply (absent: nobody listens). */
  events?: (e: EngineEvent) => void;
  /** The longest failure backoff, ms (`--backoff-max`); default `DEFAULT_BACKOFF_MAX_MS`. */
  backoffMaxMs?: number;
}

/** The failure backoff starts at `meta.delay`, or this when the delay is 0 (ms). */
export const BACKOFF_START_MS = 100;
/** The failure backoff doubles up to this by default (ms). */
export const DEFAULT_BACKOFF_MAX_MS = 30_000;

const NO_EDGES: readonly InEdge[] = Object.freeze([]);

/** The triggers without a parent are shared: most triggers carry no other data. */
const START: Trigger = { refresh: false, cause: 'start' };
const WATCH: Trigger = { refresh: false, cause: 'watch' };
const POLL: Trigger = { refresh: false, cause: 'poll' };
/** A watch back after a failure: changes while it was down were not seen. */
const RETRY: Trigger = { refresh: false, cause: 'retry' };

/** What a value of `watchTriggers` means: a trigger of the vertex's own (poll, retry), or a change. */
const toTrigger = (v: unknown): Trigger => (v === POLL ? POLL : v === RETRY ? RETRY : WATCH);

/** Refresh if either asks for one; the causes listed once each, in the order they came. */
export function foldTriggers(a: Trigger, b: Trigger): Trigger {
  if (a === b) return a;
  const cause = `, ${a.cause}, `.includes(`, ${b.cause}, `) ? a.cause : `${a.cause}, ${b.cause}`;
  return cause === a.cause && a.refresh === (a.refresh || b.refresh) ? a : { refresh: a.refresh || b.refresh, cause };
}

/** What a parent's change means for this vertex. */
const edgeTrigger = (e: InEdge): Trigger => ({ refresh: e.notify, cause: e.notify ? `refresh from ${e.from.key}` : `parent ${e.from.key} changed` });

/** OK, failed (and backing off), or held behind a parent that is not OK. */
const isIdle = (s: VertexState, parentsOk: boolean): boolean => s === 'ok' || s === 'failed' || (s === 'pending' && !parentsOk);

export class Vertex {
  readonly key: string;
  readonly state$ = new Cell<VertexState>('pending');
  /** Made when first asked for (by a child, say): most vertices have none. */
  private changedStream?: Subject<void>;
  private retired = false;
  /** Every parent has succeeded since its latest event (derived from `parents`). */
  private parentsOk = true;
  /** `ready$`, made when first asked for: nothing in the engine follows it. */
  private readyCell?: Cell<boolean>;
  /**
   * Idle for the converger: `isIdle(state, ready)`, pushed on each change of either (the
   * converger holds one subscription per vertex for the whole run: a derived `combineLatest`
   * or even a hand-written two-source Observable costs ~0.7 KB more per vertex than this,
   * and a BehaviorSubject ~0.5 KB more than a Cell). Completes when the vertex is retired.
   */
  readonly idle$ = new Cell<boolean>(false);

  /** CheckApply calls started (not counting retries). */
  runs = 0;
  /**
   * Runs that changed something: what a recap counts (a counter read when needed costs a
   * vertex nothing, where a subscription to `changed$` costs each one ~0.6 KB).
   */
  changes = 0;
  /** The last failure, for the exit report. */
  lastError?: string;
  /** In noop mode: the last check found the state wrong. */
  wouldChange = false;

  /** Streams are made when first needed: 10 000 vertices pay only for what each one uses. */
  private okStream?: Observable<boolean>;
  /** The incoming edges. */
  private edges: readonly InEdge[] = NO_EDGES;
  /** Follows the parents: their state feeds `parentsOk`, their changes are triggers. */
  private parentLinks?: Subscription;
  /** The resource's watch, until stopWatching. */
  private watching?: Subscription;
  /** The watch is installed (or stopped, or replaced by poll): checks may run. */
  private watchReady = false;
  /** No failure backoff is running. */
  private calm = true;
  /** The one gate of the runs: parents OK, watch ready, no backoff (see `updateGate`). */
  private open = false;
  private started = false;
  private stopped = false;
  /** Told once when this vertex, started in a wave, is first idle or stops (see start-waves.ts). */
  private settler?: Settler;
  /** `stopWatching` as an event, made only when a retry wait needs it. */
  private stop$?: Subject<void>;
  /** The runs: triggers wait behind the gate and are folded into one CheckApply at a time. */
  private queue?: RunQueue;
  /** The failure backoff's wait (`failed`). */
  private backoff?: Subscription;
  /** Triggers seen so far; a run that started before the latest one cannot make us OK. */
  private triggers = 0;
  /** A refresh whose run failed is kept for the next run. */
  private owedRefresh = false;
  /** The watch failed and is being retried: once back, it asks for a check. */
  private watchFailed = false;
  /** The watch failed for good: the vertex stays failed whatever its checks say. */
  private watchError?: string;
  /** Failures in a row, for the backoff. */
  private failures = 0;
  /** After a success that followed failures: the wait until they are forgotten (`forgetFailuresLater`). */
  private forgetting?: Subscription;
  /** Semaphores then rate limit, innermost first, shared by every attempt of this vertex. */
  private readonly guards: readonly MonoTypeOperatorFunction<boolean>[];

  /** `key`: the graph's own string for `kind[name]`, so that 100 000 vertices add no copy of theirs. */
  constructor(
    readonly resource: Resource,
    private readonly ctx: VertexContext,
    key?: string,
  ) {
    this.key = key ?? `${resource.kind}[${resource.name}]`;
    const { limit, burst, sema } = resource.meta;
    const guards = ctx.semaphores.guards(sema);
    this.guards = limit > 0 ? [...guards, rateLimit(limit, burst, ctx.scheduler)] : guards;
  }

  /**
   * This vertex's logger, made for each line: a vertex logs a line or two in its life, where a
   * logger held by each of 100 000 vertices would cost them ~50 B each.
   */
  private get log(): Logger {
    return this.ctx.log.child(this.key);
  }

  /** Emits after a run that changed something: the children's cue to re-run. Completes when retired. */
  get changed$(): Observable<void> {
    return this.retired ? EMPTY : (this.changedStream ??= new Subject<void>());
  }

  /** `state === 'ok'`, without repeats: what a child's gate listens to. */
  get ok$(): Observable<boolean> {
    return (this.okStream ??= this.state$.pipe(
      map((s) => s === 'ok'),
      distinctUntilChanged(),
    ));
  }


  /** True when every parent has succeeded since its latest event; completes when retired. */
  get ready$(): Cell<boolean> {
    if (!this.readyCell) {
      this.readyCell = new Cell(this.parentsOk);
      if (this.retired) this.readyCell.complete();
    }
    return this.readyCell;
  }

  /** Retired, or abandoned before it started: it holds the converger no longer. */
  get ended(): boolean {
    return this.retired;
  }

  /** The incoming edges. */
  get parents(): readonly InEdge[] {
    return this.edges;
  }

  /**
   * Rewires the incoming edges (at start and on a graph swap): `ready$` follows the new
   * parents' `ok$` at once (`allTrue`), and only the new parents' changes are triggers, each
   * carrying its cause (`parent file[x] changed`, `refresh from file[x]` along a notify edge).
   */
  setParents(edges: readonly InEdge[]): void {
    this.compose();
    this.edges = edges;
    this.parentLinks?.unsubscribe();
    this.parentLinks = undefined;
    if (edges.length === 0) return this.setReady(true);
    const links = from(edges.map((e) => e.from.ok$))
      .pipe(allTrue())
      .subscribe((ok) => this.setReady(ok));
    for (const e of edges) {
      const t = edgeTrigger(e);
      links.add(e.from.changed$.subscribe(() => this.emit(t)));
    }
    this.parentLinks = links;
  }

  get state(): VertexState {
    return this.state$.value;
  }

  /**
   * Starts watching and asks for the first check, which runs once the watch is ready.
   * `settler` is told once this vertex is first idle (or stops): a wave's cue to start the next.
   */
  start(settler?: Settler): void {
    if (this.started) return settler?.settled();
    this.started = true;
    this.settler = settler;
    this.compose();
    this.emit(START);
    if (!this.stopped) this.watching = this.subscribeWatch();
    // Idle already (held behind a parent that is not OK): no state change would say so.
    if (this.idle$.value) this.settle();
  }

  /** Tells the wave, once, that this vertex no longer counts as starting. */
  private settle(): void {
    const settler = this.settler;
    if (!settler) return;
    this.settler = undefined;
    settler.settled();
  }

  /** Stops taking events from the resource's watch; pokes from parents still run (drain). */
  stopWatching(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.watching?.unsubscribe();
    this.watching = undefined;
    this.stop$?.next();
    this.setWatchReady();
  }

  /**
   * Removes this vertex from a running graph, after any CheckApply in flight has finished:
   * its streams complete, so the converger and its children let go of it.
   */
  retire(): Observable<void> {
    // Never started (its wave had not come): nothing runs, and its watch must not open the gate.
    if (!this.started) return defer(() => (this.abandon(), of(undefined)));
    this.stopWatching();
    return this.state$.pipe(
      first((s) => s !== 'running'),
      tap(() => this.end()),
      map(() => undefined),
    );
  }

  /**
   * Ends a vertex that never started (the drain came before its wave): it never runs, and its
   * streams complete, so the converger and its children let go of it.
   */
  abandon(): void {
    this.started = true;
    this.stopped = true; // before dispose: stopWatching would open the gate to a pending trigger
    this.end();
  }

  private end(): void {
    this.dispose();
    this.retired = true;
    this.changedStream?.complete();
    this.readyCell?.complete();
    this.state$.complete();
    this.idle$.complete();
  }

  /** Stops everything at once (the watch, a CheckApply in flight), completing nothing. */
  dispose(): void {
    this.stopWatching();
    this.parentLinks?.unsubscribe();
    this.queue?.unsubscribe();
    this.backoff?.unsubscribe();
    this.forgetting?.unsubscribe();
    this.settle();
  }

  /**
   * The runs, made once (at `setParents` or `start`, whichever comes first, so that a parent's
   * change before the start is kept):
   *
   *   triggers (start, watch, parents' changes; each with its cause)
   *     -> coalesced (operators/coalesce-when.ts) behind the gate: parents OK && watch ready && no backoff
   *
   * The vertex feeds its Coalescer directly (`emit`, `updateGate`): the `coalesceWhen` operator
   * over a Feed and a Cell would cost each vertex a Subscriber, its finalizer list, the Feed,
   * the Cell and three observers more (~0.5 KB) for the same discipline.
   */
  private compose(): void {
    if (this.queue) return;
    this.queue = new RunQueue(this);
    if (this.open) this.queue.setOpen(true);
  }

  /** A trigger for the runs; none before they are made, nor once they are stopped. */
  emit(t: Trigger): void {
    const queue = this.queue;
    if (!queue || queue.closed) return;
    this.triggered();
    queue.push(t);
  }

  private setState(state: VertexState): void {
    if (this.state$.isStopped) return;
    this.state$.next(state);
    const { events } = this.ctx;
    if (events) this.tell(events, { type: 'state', key: this.key, kind: this.resource.kind, name: this.resource.name, state, at: this.ctx.scheduler.now() });
    this.updateIdle();
  }

  private updateIdle(): void {
    const idle = isIdle(this.state$.value, this.parentsOk);
    if (idle !== this.idle$.value) this.idle$.next(idle);
    if (idle && this.settler) this.settle();
  }

  /** Tells the observers (if any) how a CheckApply ended. */
  private report(result: RunResult, startedAt: number, changes: Change[], cause: string, error?: string): void {
    const { events, scheduler } = this.ctx;
    if (!events) return;
    const { kind, name, meta } = this.resource;
    const apply = !(meta.noop || this.ctx.noop);
    this.tell(events, { type: 'run', key: this.key, kind, name, apply, result, startedAt, durationMs: scheduler.now() - startedAt, changes, error, cause });
  }

  /** A listener that throws is logged: it must not leave the vertex half-way through a change. */
  private tell(events: (e: EngineEvent) => void, e: EngineEvent): void {
    try {
      events(e);
    } catch (err) {
      this.runsBroke(err);
    }
  }

  private setReady(ready: boolean): void {
    if (ready !== this.parentsOk) {
      this.parentsOk = ready;
      this.readyCell?.next(ready);
    }
    this.updateIdle();
    this.updateGate();
  }

  private setWatchReady(): void {
    this.watchReady = true;
    this.updateGate();
  }

  private setCalm(calm: boolean): void {
    this.calm = calm;
    this.updateGate();
  }

  private updateGate(): void {
    const open = this.parentsOk && this.watchReady && this.calm;
    if (open === this.open) return;
    this.open = open;
    this.queue?.setOpen(open);
  }

  /** An event for this vertex: it is pending, unless it is failed and backing off (idle). */
  private triggered(): void {
    this.triggers++;
    const s = this.state;
    if (s === 'ok' || (s === 'failed' && this.calm)) this.setState('pending');
  }

  /** `stopWatching` as a stream, for waits that must end when the vertex stops. */
  private stopWatching$(): Observable<void> {
    return this.stopped ? of(undefined) : (this.stop$ ??= new Subject<void>());
  }

  /**
   * The watch's subscription. A plain watch (no poll, retry or rewatch, ready at subscription:
   * most vertices) is the resource's own Observable, subscribed as it is and ready once it is;
   * no Observable, closures and subscribe machinery of the vertex's own around it at each start.
   */
  private subscribeWatch(): Subscription {
    const { resource } = this;
    const { poll, retry: count, rewatch } = resource.meta;
    const subscriber = new WatchSubscriber(this);
    if (poll > 0 || rewatch || count !== 0 || resource.watchAnnouncesReady) return this.watchTriggers().subscribe(subscriber);
    try {
      resource.watch().subscribe(subscriber);
    } catch (e) {
      subscriber.error(e); // a watch() that throws is a watch failure, as in an Observable's subscribe
    }
    this.setWatchReady();
    return subscriber;
  }

  /**
   * The resource's watch (or the poll timer), with its meta params: its events as they come
   * (`toTrigger` reads them), so that the plain case adds no operator between the resource's
   * watch and the vertex.
   */
  private watchTriggers(): Observable<unknown> {
    const { poll, retry: count, delay, rewatch } = this.resource.meta;
    const { scheduler } = this.ctx;
    let watch$: Observable<unknown> =
      poll > 0
        ? defer(() => {
            this.setWatchReady();
            return longTimer(poll * 1000, scheduler).pipe(repeat(), map(() => POLL));
          })
        : this.watchSource();
    // A watch that ends has nothing more to say, unless rewatch asks for it to be restarted.
    if (rewatch) watch$ = watch$.pipe(repeat({ delay: () => longTimer(delay, scheduler) }));
    if (count !== 0) {
      watch$ = watch$.pipe(retry({ count: count < 0 ? Infinity : count, delay: (e: Error, n) => this.retryDelay('watch', e, n, delay) }));
    }
    return watch$;
  }

  /**
   * The resource's watch, subscribed anew by each retry. It is ready at subscription, or when
   * it says `WATCH_READY`; a watch back after a failure then asks for a check (`RETRY`), since
   * it may have missed changes while it was down.
   */
  private watchSource(): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      let retried = this.watchFailed;
      this.watchFailed = false;
      const ready = (): void => {
        this.setWatchReady();
        if (retried) subscriber.next(RETRY);
        retried = false;
      };
      if (!this.resource.watchAnnouncesReady) {
        // Ready at subscription: the plain subscriber is the observer (no layer, no closures).
        const inner = this.resource.watch().subscribe(subscriber);
        ready();
        return inner;
      }
      return this.resource.watch().subscribe({
        next: (v) => (v === WATCH_READY ? ready() : subscriber.next(WATCH)),
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
  }

  /** A watch out of retries: the vertex is failed (and says why) until a swap replaces it. */
  watchBroke(e: Error): void {
    this.watchError = `watch: ${e.message}`;
    this.lastError = this.watchError;
    this.log.error(`watch failed, no longer watching: ${e.message}`);
    // A watch that never became ready must not hold the first check back forever.
    this.setWatchReady();
    if (this.state !== 'running' && this.state !== 'retrying') this.setState('failed');
  }

  /** One run (RunQueue's `begin`): CheckApply with its retries, then the state it leaves; `queue` is told when it ends. */
  beginRun(t: Trigger, queue: RunQueue): Unsubscribable {
    const refresh = t.refresh || this.owedRefresh;
    // Changes and the start time are only for listeners (a clock read per check costs more
    // than the rest of a quick run's bookkeeping); a retry starts its list afresh.
    const listening = this.ctx.events !== undefined;
    const run = new RunSubscriber(this, queue, t.cause, this.triggers, refresh, listening ? this.ctx.scheduler.now() : 0, listening);
    this.runs++;
    // Asked first: the line and this vertex's child logger would be made for nothing at each run.
    if (this.ctx.log.wants?.('debug') !== false) this.log.debug(`CheckApply: ${t.cause}${refresh ? ' (refresh)' : ''}`);
    this.setState('running');
    this.checkApply(refresh, run);
    return run;
  }

  /**
   * An exception of the engine's own (a bug, or a throwing `events` listener): said, never
   * thrown at the watch or the resource that called in. `stopped`: the runs have stopped.
   */
  runsBroke(e: unknown, stopped = false): void {
    this.lastError = `engine: ${e instanceof Error ? e.message : String(e)}`;
    this.log.error(stopped ? `no longer running: ${this.lastError}` : this.lastError);
  }

  /** A run's CheckApply said `ok` (nothing to change) or not (it changed, or would under noop). */
  ranOk(run: RunSubscriber, ok: boolean): void {
    const apply = !(this.resource.meta.noop || this.ctx.noop);
    this.report(ok ? 'ok' : apply ? 'changed' : 'would-change', run.startedAt, run.changes, run.cause);
    this.succeeded(ok, run.seq);
  }

  /** A run's CheckApply failed, out of retries. */
  ranFailed(run: RunSubscriber, e: Error): void {
    this.report('failed', run.startedAt, run.changes, run.cause, e.message);
    this.failed(e, run.refresh);
  }

  /**
   * Each attempt waits for a rate-limit token, then for its semaphores, then runs. Without
   * guards or retries (the common case) the resource reports to `run` itself: through
   * `checkApplyInto` when it has one (no Observable, no subscribe machinery: a check that ends
   * at once costs a few calls), else its own Observable, subscribed by `run` as it is, with no
   * `defer` (a resource that throws instead of erroring still fails this run only).
   */
  private checkApply(refresh: boolean, run: RunSubscriber): void {
    const { retry: count, delay, noop } = this.resource.meta;
    const apply = !(noop || this.ctx.noop);
    const { sink } = run;
    if (count === 0 && this.guards.length === 0) {
      const { resource } = this;
      try {
        if (resource.checkApplyInto) resource.checkApplyInto(apply, refresh, sink, run);
        else resource.checkApply(apply, refresh, sink).subscribe(run);
      } catch (e) {
        run.error(e);
      }
      return;
    }
    const attempt$ = this.guards.reduce(
      (run$, guard) => guard(run$),
      defer(() => {
        if (sink) run.changes = [];
        return this.resource.checkApply(apply, refresh, sink);
      }),
    );
    if (count === 0) return void attempt$.subscribe(run);
    attempt$.pipe(retry({ count: count < 0 ? Infinity : count, delay: (e: Error, n) => this.retryDelay('checkApply', e, n, delay) })).subscribe(run);
  }

  /** Waits `ms` before retry `n`; the wait ends in failure if the vertex stops meanwhile. */
  private retryDelay(what: string, e: Error, n: number, ms: number): Observable<unknown> {
    this.log.warn(`${what} failed (attempt ${n}), retrying in ${ms} ms: ${e.message}`);
    if (what === 'checkApply') this.setState('retrying');
    else this.watchFailed = true;
    return race(
      longTimer(ms, this.ctx.scheduler).pipe(tap(() => what === 'checkApply' && this.setState('running'))),
      this.stopWatching$().pipe(concatMap(() => throwError(() => e))),
    );
  }

  private succeeded(ok: boolean, seq: number): void {
    const apply = !(this.resource.meta.noop || this.ctx.noop);
    this.owedRefresh = false;
    this.forgetFailuresLater();
    this.lastError = this.watchError;
    this.wouldChange = !ok && !apply;
    if (!ok && apply) {
      this.changes++;
      this.log.info('changed');
      this.changedStream?.next();
    } else if (!ok) {
      this.log.info('would change (noop)');
    }
    this.setState(this.watchError ? 'failed' : this.triggers === seq ? 'ok' : 'pending');
  }

  /**
   * A success resets the backoff only once it has held, with no failure, for four times the
   * last wait (at most the maximum): a pass that comes as a wait ends says little (a service
   * started by the failed run is as young as the wait), so a resource that fails, passes, then
   * fails again soon (a service that dies a moment after each start) keeps doubling its wait
   * instead of starting over at every pass.
   */
  private forgetFailuresLater(): void {
    if (this.failures === 0 || this.forgetting) return;
    const hold = Math.min(4 * this.backoffMs(this.failures), this.maxBackoffMs());
    this.forgetting = longTimer(hold, this.ctx.scheduler).subscribe(() => {
      this.failures = 0;
      this.forgetting = undefined;
    });
  }

  /**
   * Out of retries: failed, and the next run (whatever triggers it) waits a backoff that
   * starts at `meta.delay` (or BACKOFF_START_MS) and doubles with each failure in a row, up to
   * the engine's maximum; a success that holds resets it (`forgetFailuresLater`). A vertex
   * failing on each of its own events thus runs at the backoff times, not on every event.
   */
  private failed(e: Error, refresh: boolean): void {
    this.owedRefresh = refresh;
    this.lastError = e.message;
    this.forgetting?.unsubscribe();
    this.forgetting = undefined;
    const wait = this.backoffMs(++this.failures);
    this.log.error(`failed: ${e.message} (next run no sooner than ${wait} ms from now)`);
    this.setCalm(false);
    this.setState('failed');
    this.backoff?.unsubscribe();
    this.backoff = longTimer(wait, this.ctx.scheduler).subscribe(() => {
      this.backoff = undefined;
      this.setCalm(true);
    });
  }

  private backoffMs(failures: number): number {
    return Math.min(this.maxBackoffMs(), this.backoffStartMs() * 2 ** Math.min(failures - 1, 60));
  }

  private backoffStartMs(): number {
    return this.resource.meta.delay > 0 ? this.resource.meta.delay : BACKOFF_START_MS;
  }

  /** The engine's maximum, or `meta.delay` when that is longer (used as is, without doubling). */
  private maxBackoffMs(): number {
    return Math.max(this.backoffStartMs(), this.ctx.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS);
  }
}

/**
 * The subscriber of a vertex's watch, for its whole life: a Subscriber itself, so that
 * `subscribe` takes it as it is, where an observer object would be wrapped in a SafeSubscriber
 * and a ConsumerObserver (three objects per vertex instead of one). It calls `emit` and
 * `watchBroke`, the only outside callers of them, and catches what they throw, as a
 * SafeSubscriber would: an engine error must not reach the watch that reported the change.
 */
class WatchSubscriber extends Subscriber<unknown> {
  constructor(private readonly vertex: Vertex) {
    super();
  }

  protected override _next(v: unknown): void {
    try {
      this.vertex.emit(toTrigger(v));
    } catch (e) {
      this.vertex.runsBroke(e);
    }
  }

  protected override _error(e: Error): void {
    try {
      this.vertex.watchBroke(e);
    } catch (err) {
      this.vertex.runsBroke(err);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    this.unsubscribe();
  }
}

/** What a run that nobody listens to has changed: never filled (no sink), never reported. */
const NO_CHANGES: Change[] = [];

/**
 * The subscriber of one run's CheckApply, with what the run's end needs to know: a Subscriber
 * itself, so that `subscribe` and `checkApplyInto` take it as it is (one object per run, where
 * an observer would be wrapped in a SafeSubscriber and a ConsumerObserver). Like a
 * SafeSubscriber it stops at the first error or completion and then tears the run down; what
 * the vertex throws (a bug) is said by `runsBroke`, never thrown at the resource, and the
 * run's end still reaches the queue, so the vertex's next run is not held up by it.
 */
class RunSubscriber extends Subscriber<boolean> {
  /** What the CheckApply changed (or would change), when someone listens. */
  changes: Change[] = NO_CHANGES;
  /** Collects `changes`; absent when nobody listens. */
  readonly sink?: ChangeSink;

  constructor(
    private readonly vertex: Vertex,
    private readonly done: RunQueue,
    readonly cause: string,
    /** The vertex's trigger count at the start: a later trigger means another run is owed. */
    readonly seq: number,
    readonly refresh: boolean,
    /** Scheduler time at the start; 0 when nobody listens (never reported then). */
    readonly startedAt: number,
    listening: boolean,
  ) {
    super();
    if (listening) {
      this.changes = [];
      this.sink = (c) => this.changes.push(c);
    }
  }

  protected override _next(ok: boolean): void {
    try {
      this.vertex.ranOk(this, ok);
    } catch (e) {
      this.vertex.runsBroke(e);
    }
  }

  protected override _error(e: Error): void {
    try {
      this.vertex.ranFailed(this, e);
    } catch (err) {
      this.vertex.runsBroke(err);
    }
    this.ended();
  }

  protected override _complete(): void {
    this.ended();
  }

  /** Torn down before the queue hears of it: the next run never overlaps what is left of this one. */
  private ended(): void {
    this.unsubscribe();
    this.done.ended();
  }
}

/** A vertex's runs: the coalescing discipline (operators/coalesce-when.ts), each run begun by the vertex. */
class RunQueue extends Coalescer<Trigger> {
  constructor(private readonly vertex: Vertex) {
    super(foldTriggers);
  }

  protected begin(t: Trigger): Unsubscribable {
    return this.vertex.beginRun(t, this);
  }

  protected broke(e: unknown): void {
    this.vertex.runsBroke(e, true);
  }

  /** The run begun last has ended (its RunSubscriber says so). */
  ended(): void {
    this.finished();
  }
}
