// One resource at run time: its triggers (own watch + parents' changes) gated on its parents
// and coalesced into one CheckApply at a time.
import {
  BehaviorSubject,
  type MonoTypeOperatorFunction,
  Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
  concatMap,
  defer,
  distinctUntilChanged,
  first,
  from,
  interval,
  map,
  of,
  race,
  repeat,
  retry,
  tap,
  throwError,
  timer,
} from 'rxjs';
import { allTrue } from '../../operators/all-true.js';
import { coalesce } from '../../operators/coalesce.js';
import { gate } from '../../operators/gate.js';
import { rateLimit } from '../../operators/rate-limit.js';
import type { Change, ChangeSink, EngineEvent, RunResult, VertexState } from '../model/events.js';
import type { Resource } from '../model/resource.js';
import type { Logger } from '../util/logger.js';
import type { SemaphoreTable } from './semaphores.js';

/**
 * VertexState:
 * - pending: an event arrived; a run will follow (or waits behind a parent that is not OK)
 * - running: CheckApply in progress
 * - retrying: CheckApply failed, waiting `meta.delay` before the next attempt
 * - ok: succeeded since its latest event
 * - failed: failed and out of retries; waits for its next event
 */
export type { VertexState };

/** Why a vertex should run; triggers that meet while one is held are OR-ed together. */
export interface Trigger {
  refresh: boolean;
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
}

/** The two triggers there are, shared: triggers carry no other data. */
const PLAIN: Trigger = { refresh: false };
const REFRESH: Trigger = { refresh: true };
const foldTriggers = (a: Trigger, b: Trigger): Trigger => (a.refresh || b.refresh ? REFRESH : PLAIN);

export class Vertex {
  readonly key: string;
  readonly state$ = new BehaviorSubject<VertexState>('pending');
  /** Emits after a run that changed something: the children's cue to re-run. */
  readonly changed$ = new Subject<void>();
  /** True when every parent has succeeded since its latest event. */
  readonly ready$ = new BehaviorSubject<boolean>(true);
  /** Idle for the converger: OK, out of retries, or held behind a parent that is not OK. */
  readonly idle$ = new BehaviorSubject<boolean>(false);

  /** CheckApply calls started (not counting retries). */
  runs = 0;
  /** The last failure, for the exit report. */
  lastError?: string;
  /** In noop mode: the last check found the state wrong. */
  wouldChange = false;

  private readonly log: Logger;
  /**
   * Every stream is made only when it is needed and subscribed once with a plain observer:
   * a graph of 10 000 vertices pays per vertex for what each one actually uses.
   */
  private okStream?: Observable<boolean>;
  private stop$?: Subject<void>;
  private stopped = false;
  private edges: readonly InEdge[] = [];
  /** Follows the parents: their state feeds `ready$`, their changes poke this vertex. */
  private parentLinks?: Subscription;
  /** The resource's watch, until stopWatching. */
  private watching?: Subscription;
  /** The run pipeline: triggers, gated on the parents, coalesced into runs. */
  private pipeline?: Subscription;
  /** Feeds the run pipeline once started; before that, triggers fold into `early`. */
  private emit?: (t: Trigger) => void;
  private early: Trigger = PLAIN;
  /** Triggers seen so far; a run that started before the latest one cannot make us OK. */
  private triggers = 0;
  /** A refresh whose run failed is kept for the next run. */
  private owedRefresh = false;
  /** The watch failed and is being retried: the next one to start reports a change. */
  private watchFailed = false;
  /** Semaphores then rate limit, innermost first, shared by every attempt of this vertex. */
  private readonly guards: readonly MonoTypeOperatorFunction<boolean>[];

  constructor(
    readonly resource: Resource,
    private readonly ctx: VertexContext,
  ) {
    this.key = `${resource.kind}[${resource.name}]`;
    this.log = ctx.log.child(this.key);
    const { limit, burst, sema } = resource.meta;
    const guards = ctx.semaphores.guards(sema);
    this.guards = limit > 0 ? [...guards, rateLimit(limit, burst, ctx.scheduler)] : guards;
  }

  /** `state === 'ok'`, without repeats: what a child's gate listens to. */
  get ok$(): Observable<boolean> {
    return (this.okStream ??= this.state$.pipe(
      map((s) => s === 'ok'),
      distinctUntilChanged(),
    ));
  }

  /** The incoming edges. */
  get parents(): readonly InEdge[] {
    return this.edges;
  }

  /**
   * Rewires the incoming edges (at start and on a graph swap): `ready$` follows the new
   * parents' state at once, and only the new parents' changes poke this vertex.
   */
  setParents(edges: readonly InEdge[]): void {
    this.edges = edges;
    this.parentLinks?.unsubscribe();
    this.parentLinks = undefined;
    if (edges.length === 0) {
      this.setReady(true);
      return;
    }
    const links = from(edges.map((e) => e.from.ok$))
      .pipe(allTrue())
      .subscribe((ready) => this.setReady(ready));
    for (const e of edges) {
      const t = e.notify ? REFRESH : PLAIN;
      links.add(e.from.changed$.subscribe(() => this.trigger(t)));
    }
    this.parentLinks = links;
  }

  get state(): VertexState {
    return this.state$.value;
  }

  /** Starts watching and runs the first check. */
  start(): void {
    if (this.pipeline) return;
    const triggers$ = new Observable<Trigger>((subscriber) => {
      this.emit = (t) => subscriber.next(t);
      return () => (this.emit = undefined);
    });
    this.pipeline = triggers$
      .pipe(
        // Triggers held behind the parents fold into one; `run` gates again because a trailing
        // run queued by `coalesce` must also wait if a parent got a new event meanwhile.
        gate(this.ready$, foldTriggers),
        coalesce((t) => this.run(t), foldTriggers),
      )
      .subscribe();
    // Watch first, then check: a change made between the two is then seen by one or the other.
    if (!this.stopped) this.watching = this.watchResource();
    // The first check, carrying any notify that arrived before the start.
    const first = this.early;
    this.early = PLAIN;
    this.trigger(first);
  }

  /** Stops taking events from the resource's watch; pokes from parents still run (drain). */
  stopWatching(): void {
    this.stopped = true;
    this.watching?.unsubscribe();
    this.watching = undefined;
    this.stop$?.next();
  }

  /**
   * Removes this vertex from a running graph, after any CheckApply in flight has finished:
   * its streams complete, so the converger and its children let go of it.
   */
  retire(): Observable<void> {
    this.stopWatching();
    return this.state$.pipe(
      first((s) => s !== 'running'),
      tap(() => {
        this.dispose();
        for (const s of [this.changed$, this.state$, this.ready$, this.idle$]) s.complete();
      }),
      map(() => undefined),
    );
  }

  /** Stops everything at once, completing nothing: for the end of the whole engine. */
  dispose(): void {
    this.stopWatching();
    this.parentLinks?.unsubscribe();
    this.pipeline?.unsubscribe();
  }

  private setState(state: VertexState): void {
    this.state$.next(state);
    const { events } = this.ctx;
    if (events) events({ type: 'state', key: this.key, kind: this.resource.kind, name: this.resource.name, state, at: this.ctx.scheduler.now() });
    this.updateIdle();
  }

  /** Tells the observers (if any) how a CheckApply ended. */
  private report(result: RunResult, startedAt: number, changes: Change[], error?: string): void {
    const { events, scheduler } = this.ctx;
    if (!events) return;
    const { kind, name, meta } = this.resource;
    const apply = !(meta.noop || this.ctx.noop);
    events({ type: 'run', key: this.key, kind, name, apply, result, startedAt, durationMs: scheduler.now() - startedAt, changes, error });
  }

  private setReady(ready: boolean): void {
    if (ready !== this.ready$.value && !this.ready$.closed) this.ready$.next(ready);
    this.updateIdle();
  }

  private updateIdle(): void {
    const s = this.state;
    const idle = s === 'ok' || s === 'failed' || (s === 'pending' && !this.ready$.value);
    if (idle !== this.idle$.value && !this.idle$.closed) this.idle$.next(idle);
  }

  /** An event for this vertex: its watch, a parent's change, or the start. */
  private trigger(t: Trigger): void {
    if (!this.emit) {
      this.early = foldTriggers(this.early, t);
      return;
    }
    this.triggers++;
    if (this.state === 'ok' || this.state === 'failed') this.setState('pending');
    this.emit(t);
  }

  /** `stopWatching` as a stream, for waits that must end when the vertex stops. */
  private stopWatching$(): Observable<void> {
    return this.stopped ? of(undefined) : (this.stop$ ??= new Subject<void>());
  }

  /** Subscribes to the resource's watch (or the poll timer), with its meta params. */
  private watchResource(): Subscription {
    const { poll, retry: count, delay, rewatch } = this.resource.meta;
    let watch$: Observable<unknown> = poll > 0 ? interval(poll * 1000, this.ctx.scheduler) : this.watchSource();
    // A watch that ends has nothing more to say, unless rewatch asks for it to be restarted.
    if (rewatch) watch$ = watch$.pipe(repeat({ delay: () => timer(delay, this.ctx.scheduler) }));
    if (count !== 0) {
      watch$ = watch$.pipe(retry({ count: count < 0 ? Infinity : count, delay: (e, n) => this.retryDelay('watch', e, n, delay) }));
    }
    return watch$.subscribe({
      next: () => this.trigger(PLAIN),
      error: (e: Error) => {
        this.lastError = `watch: ${e.message}`;
        this.log.error(`watch failed, no longer watching: ${e.message}`);
      },
    });
  }

  /**
   * The resource's watch, subscribed anew by each retry. A watch started again after a failure
   * may have missed changes while it was down: it reports one, once it is in place.
   */
  private watchSource(): Observable<unknown> {
    return new Observable<unknown>((subscriber) => {
      const inner = this.resource.watch().subscribe(subscriber);
      if (this.watchFailed) {
        this.watchFailed = false;
        subscriber.next(undefined);
      }
      return inner;
    });
  }

  /** One run: wait for the parents (if a parent got an event meanwhile), then CheckApply. Never errors. */
  private run(t: Trigger): Observable<void> {
    return this.ready$.value ? this.runNow(t) : this.ready$.pipe(first(Boolean), concatMap(() => this.runNow(t)));
  }

  private runNow(t: Trigger): Observable<void> {
    return new Observable<void>((subscriber) => {
      const seq = this.triggers;
      const refresh = t.refresh || this.owedRefresh;
      const startedAt = this.ctx.scheduler.now();
      // Changes are collected only when someone listens; a retry starts its list afresh.
      let changes: Change[] = [];
      this.runs++;
      this.setState('running');
      return this.checkApply(refresh, this.ctx.events ? (c) => changes.push(c) : undefined, () => (changes = [])).subscribe({
        next: (ok) => {
          const apply = !(this.resource.meta.noop || this.ctx.noop);
          this.report(ok ? 'ok' : apply ? 'changed' : 'would-change', startedAt, changes);
          this.succeeded(ok, seq);
        },
        error: (e: Error) => {
          this.report('failed', startedAt, changes, e.message);
          this.failed(e, refresh, seq);
          subscriber.complete();
        },
        complete: () => subscriber.complete(),
      });
    });
  }

  /** Each attempt waits for a rate-limit token, then for its semaphores, then runs. */
  private checkApply(refresh: boolean, sink: ChangeSink | undefined, restart: () => void): Observable<boolean> {
    const { retry: count, delay, noop } = this.resource.meta;
    const apply = !(noop || this.ctx.noop);
    const attempt$ = this.guards.reduce(
      (run$, guard) => guard(run$),
      defer(() => {
        restart();
        return this.resource.checkApply(apply, refresh, sink);
      }),
    );
    if (count === 0) return attempt$;
    return attempt$.pipe(
      retry({ count: count < 0 ? Infinity : count, delay: (e, n) => this.retryDelay('checkApply', e, n, delay) }),
    );
  }

  /** Waits `ms` before retry `n`; the wait ends in failure if the vertex stops meanwhile. */
  private retryDelay(what: string, e: Error, n: number, ms: number): Observable<unknown> {
    this.log.warn(`${what} failed (attempt ${n}), retrying in ${ms} ms: ${e.message}`);
    if (what === 'checkApply') this.setState('retrying');
    else this.watchFailed = true;
    return race(
      timer(ms, this.ctx.scheduler).pipe(tap(() => what === 'checkApply' && this.setState('running'))),
      this.stopWatching$().pipe(concatMap(() => throwError(() => e))),
    );
  }

  private succeeded(ok: boolean, seq: number): void {
    const apply = !(this.resource.meta.noop || this.ctx.noop);
    this.owedRefresh = false;
    this.lastError = undefined;
    this.wouldChange = !ok && !apply;
    if (!ok && apply) {
      this.log.info('changed');
      this.changed$.next();
    } else if (!ok) {
      this.log.info('would change (noop)');
    }
    this.setState(this.triggers === seq ? 'ok' : 'pending');
  }

  private failed(e: Error, refresh: boolean, seq: number): void {
    this.owedRefresh = refresh;
    this.lastError = e.message;
    this.log.error(`failed: ${e.message}`);
    this.setState(this.triggers === seq ? 'failed' : 'pending');
  }
}
