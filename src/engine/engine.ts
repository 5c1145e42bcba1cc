// The graph runtime: starts vertices, rewires them on a graph swap, and drains on exit.
import { BehaviorSubject, type Observable, Subject, type Subscription, concat, defer, finalize, from, map, take } from 'rxjs';
import { converged } from '../../operators/converged.js';
import { longDelays } from '../../operators/long-delays.js';
import { convergedState } from '../../operators/converged-state.js';
import type { Graph, GraphEdge } from '../model/graph.js';
import type { Change } from '../model/events.js';
import type { Resource } from '../model/resource.js';
import { SemaphoreTable } from './semaphores.js';
import { tallestFirst } from './start-order.js';
import { START_WAVE, StartWaves } from './start-waves.js';
import { type InEdge, Vertex, type VertexContext } from './vertex.js';

export interface EngineOptions extends Omit<VertexContext, 'semaphores'> {
  /** `--sema N`: at most N CheckApply at once across the graph (0: no bound). */
  sema?: number;
  /** At most this many new vertices starting at once (start-waves.ts); default START_WAVE. */
  startWave?: number;
}

/** What `Engine.apply` changed, by vertex key (`kind[name]`). */
export interface SwapSummary {
  added: string[];
  removed: string[];
  /** Same key, new definition: restarted after its run in flight. */
  changed: string[];
}

export class Engine {
  private vertices = new Map<string, Vertex>();
  /** What holds the converger besides vertices (the graph loader, the World, a reversal). */
  private readonly holds = new Set<Observable<boolean>>();
  /** The vertices that hold the converger: the graph's, and removed ones until they have retired. */
  private readonly live = new Set<Vertex>();
  private readonly joined$ = new Subject<Observable<boolean>>();
  private draining = false;
  /** Reversals (meta reverse) in flight, ended by dispose. */
  private readonly reversals = new Set<Subscription>();

  private readonly ctx: VertexContext;
  /** New vertices start through it, a bounded wave at a time. */
  private readonly waves: StartWaves<Vertex>;

  constructor(opts: EngineOptions) {
    const { startWave = START_WAVE, ...vertexOpts } = opts;
    // Every wait of the engine, and of the operators it uses, honours any duration.
    this.ctx = { ...vertexOpts, scheduler: longDelays(opts.scheduler), semaphores: new SemaphoreTable(opts.sema ?? 0) };
    this.waves = new StartWaves(startWave);
  }

  /** Every idle stream, present and future: vertices and anything else that holds the converger. */
  readonly idleStreams$: Observable<Observable<boolean>> = defer(() => this.following([...this.live]));

  /** `vertices`' idle streams and every hold, then every stream that joins. */
  private following(vertices: Vertex[]): Observable<Observable<boolean>> {
    const streams: Observable<boolean>[] = [...this.holds];
    for (const v of vertices) streams.push(v.idle$);
    return concat(from(streams), this.joined$);
  }

  /** true/false as everything has (or has not) been idle for `ms`; for the World. */
  convergedState(ms: number): Observable<boolean> {
    return this.idleStreams$.pipe(convergedState(ms, this.ctx.scheduler));
  }

  /** Emits once when everything has been idle for `ms`, then completes. */
  converged(ms: number): Observable<true> {
    return this.idleStreams$.pipe(converged(ms, this.ctx.scheduler));
  }

  /**
   * Lets something other than a vertex hold the converger (the graph loader, the World): it
   * counts as busy whenever `idle$` last said false, until `idle$` completes.
   */
  track(idle$: Observable<boolean>): () => void {
    this.holds.add(idle$);
    this.joined$.next(idle$);
    return () => this.holds.delete(idle$);
  }

  /** A vertex holds the converger until `retire` lets go of it (no untrack closure kept per vertex). */
  private trackVertex(v: Vertex): void {
    this.live.add(v);
    this.joined$.next(v.idle$);
  }

  vertex(key: string): Vertex | undefined {
    return this.vertices.get(key);
  }

  /** The running vertices, in the order of the latest graph. */
  list(): Vertex[] {
    return [...this.vertices.values()];
  }

  /**
   * Swaps in `graph`: vertices whose resource is unchanged (same key and fingerprint) keep
   * running untouched, removed ones stop after their in-flight run, new ones start, and every
   * vertex whose incoming edges changed is rewired. A changed resource is a new vertex that
   * starts once the old one has finished its in-flight run. Returns what it changed.
   */
  apply(graph: Graph): SwapSummary {
    const summary: SwapSummary = { added: [], removed: [], changed: [] };
    if (this.draining) return summary;
    const previous = this.vertices;
    const next = new Map<string, Vertex>();
    const started: Vertex[] = [];
    /** New vertices that replace a changed one: made only when some do (no pair per new vertex). */
    let replacing: Map<Vertex, Vertex> | undefined;
    for (const [key, resource] of graph.vertices) {
      const old = previous.get(key);
      // The same resource object (an incremental build kept it) is recognised without its fingerprint.
      if (old && (old.resource === resource || old.resource.fingerprint === resource.fingerprint)) {
        next.set(key, old);
      } else {
        const v = new Vertex(resource, this.ctx, key);
        next.set(key, v);
        started.push(v);
        if (old) (replacing ??= new Map()).set(v, old);
        (old ? summary.changed : summary.added).push(key);
      }
    }
    this.rewire(next, graph.edges);
    this.vertices = next;

    for (const [key, old] of previous) {
      if (next.has(key)) continue;
      summary.removed.push(key);
      const reversal = old.resource.meta.reverse ? old.resource.reversed?.() : undefined;
      if (!reversal) {
        this.retire(old).subscribe();
        continue;
      }
      // The reversal holds the converger from now until it has run, after the old run in flight.
      const idle$ = new BehaviorSubject(false);
      const untrack = this.track(idle$);
      this.retire(old).subscribe({ complete: () => this.reverse(old.key, old.resource, reversal, () => (idle$.complete(), untrack())) });
    }
    // Each holds the converger from now, all before the first starts: the converger never sees the graph idle between
    // two of them (and never sets and cancels a countdown per vertex).
    for (const v of started) this.trackVertex(v);
    // The longest chains first: a chain's head is never queued behind an independent leaf.
    for (const v of tallestFirst(graph, started, (v) => v.key)) {
      const old = replacing?.get(v);
      if (old) this.retire(old).subscribe({ complete: () => this.waves.add(v) });
      else this.waves.add(v);
    }
    return summary;
  }

  /**
   * meta reverse: applies (or, under noop, checks) the resource that undoes a removed one, once,
   * logging what it did; `release` (the converger) is called when it is done.
   */
  private reverse(key: string, removed: Resource, reversal: Resource, release: () => void): void {
    const log = this.ctx.log.child(key);
    const apply = !(removed.meta.noop || reversal.meta.noop || this.ctx.noop);
    const { events, scheduler } = this.ctx;
    const startedAt = scheduler.now();
    const changes: Change[] = [];
    const tell = (result: 'ok' | 'changed' | 'would-change' | 'failed', error?: string) =>
      events?.({ type: 'run', key: `${reversal.kind}[${reversal.name}]`, kind: reversal.kind, name: reversal.name, apply, result, startedAt, durationMs: scheduler.now() - startedAt, changes, error, cause: `reverse ${key}` });
    log.info(apply ? 'removed from the graph with meta reverse: undoing it' : 'removed from the graph with meta reverse: checking what undoing it would change (noop)');
    let sub: Subscription | undefined = undefined;
    const done = (): void => {
      if (sub) this.reversals.delete(sub);
      release();
    };
    sub = defer(() => reversal.checkApply(apply, false, events ? (c) => changes.push(c) : undefined))
      .pipe(take(1), finalize(done))
      .subscribe({
        next: (ok) => {
          log.info(ok ? 'reversal: already undone' : apply ? 'reversal: undone' : 'reversal: would undo (noop)');
          tell(ok ? 'ok' : apply ? 'changed' : 'would-change');
        },
        error: (e: Error) => {
          log.error(`reversal failed: ${e.message}`);
          tell('failed', e.message);
        },
      });
    if (!sub.closed) this.reversals.add(sub);
  }

  private retire(v: Vertex): Observable<void> {
    return v.retire().pipe(
      finalize(() => this.live.delete(v)),
    );
  }

  /** Stops taking new events; completes once every run already started (and what it pokes) is done. */
  drain(): Observable<void> {
    this.draining = true;
    // Vertices whose wave had not come never start: no new events, and no first check either.
    const waiting = this.waves.takeWaiting();
    for (const v of waiting) {
      v.abandon();
      this.live.delete(v);
    }
    if (waiting.length > 0) this.ctx.log.info(`${waiting.length} resource(s) not started: the run ended before their turn`);
    for (const v of this.vertices.values()) v.stopWatching();
    return defer(() => this.following(this.couldStillRun())).pipe(converged(0, this.ctx.scheduler), map(() => undefined));
  }

  /**
   * Once the watches are stopped, what can still turn busy: the vertices busy now, and their
   * descendants (a run in flight pokes its children, which poke theirs). The drain follows only
   * those (and the holds), not every vertex of the graph again: after a converged exit that is
   * none at all.
   */
  private couldStillRun(): Vertex[] {
    const busy = new Set<Vertex>();
    for (const v of this.live) if (!v.idle$.value) busy.add(v);
    if (busy.size === 0) return [];
    const children = new Map<Vertex, Vertex[]>();
    for (const v of this.vertices.values()) {
      for (const e of v.parents) {
        const list = children.get(e.from);
        if (list) list.push(v);
        else children.set(e.from, [v]);
      }
    }
    // `busy` grows as it is walked: a Set's iteration visits what is added during it.
    for (const v of busy) for (const child of children.get(v) ?? []) busy.add(child);
    return [...busy];
  }

  /**
   * Stops everything: reversals and runs in flight (an exec's process group is killed), watches,
   * backoff waits. With `exiting` (the process ends right after), a vertex that is `ok` is left
   * as it is: it runs nothing until a watch or a parent pokes it, its watch was stopped by the
   * drain and every parent that could still run is stopped here, so undoing its subscriptions
   * would only tidy what the exit frees anyway (~1.5 ms per 1 000 vertices).
   */
  dispose(exiting = false): void {
    for (const r of this.reversals) r.unsubscribe();
    this.reversals.clear();
    for (const v of this.waves.takeWaiting()) v.abandon(); // a stopped vertex must not start the next
    for (const v of this.vertices.values()) if (!exiting || v.state !== 'ok') v.dispose();
    this.vertices.clear();
    this.joined$.complete();
  }

  private rewire(vertices: Map<string, Vertex>, edges: readonly GraphEdge[]): void {
    const incoming = new Map<string, InEdge[]>();
    for (const e of edges) {
      const list = incoming.get(e.to) ?? [];
      list.push({ from: vertices.get(e.from)!, notify: e.notify });
      incoming.set(e.to, list);
    }
    for (const [key, v] of vertices) {
      const want = incoming.get(key) ?? NO_PARENTS;
      if (!sameEdges(v.parents, want)) v.setParents(want);
    }
  }
}

/** The parents of a vertex without any: one shared list, not an empty array per vertex per swap. */
const NO_PARENTS: readonly InEdge[] = Object.freeze([]);

const sameEdges = (a: readonly InEdge[], b: readonly InEdge[]): boolean =>
  a.length === b.length && a.every((e, i) => e.from === b[i].from && e.notify === b[i].notify);
