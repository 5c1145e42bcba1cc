// The graph runtime: starts vertices, rewires them on a graph swap, and drains on exit.
import { type Observable, Subject, concat, defer, finalize, from, map } from 'rxjs';
import { converged } from '../../operators/converged.js';
import { longDelays } from '../../operators/long-delays.js';
import { convergedState } from '../../operators/converged-state.js';
import type { Graph, GraphEdge } from '../model/graph.js';
import { SemaphoreTable } from './semaphores.js';
import { type InEdge, Vertex, type VertexContext } from './vertex.js';

export interface EngineOptions extends Omit<VertexContext, 'semaphores'> {
  /** `--sema N`: at most N CheckApply at once across the graph (0: no bound). */
  sema?: number;
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
  private readonly idleStreams = new Set<Observable<boolean>>();
  private readonly joined$ = new Subject<Observable<boolean>>();
  private readonly untrack = new Map<Vertex, () => void>();
  private draining = false;

  private readonly ctx: VertexContext;

  constructor(opts: EngineOptions) {
    // Every wait of the engine, and of the operators it uses, honours any duration.
    this.ctx = { ...opts, scheduler: longDelays(opts.scheduler), semaphores: new SemaphoreTable(opts.sema ?? 0) };
  }

  /** Every idle stream, present and future: vertices and anything else that holds the converger. */
  readonly idleStreams$: Observable<Observable<boolean>> = defer(() =>
    concat(from([...this.idleStreams]), this.joined$),
  );

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
    this.idleStreams.add(idle$);
    this.joined$.next(idle$);
    return () => this.idleStreams.delete(idle$);
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
    const started: Array<[Vertex, Vertex | undefined]> = [];
    for (const [key, resource] of graph.vertices) {
      const old = previous.get(key);
      if (old && old.resource.fingerprint === resource.fingerprint) {
        next.set(key, old);
      } else {
        const v = new Vertex(resource, this.ctx);
        next.set(key, v);
        started.push([v, old]);
        (old ? summary.changed : summary.added).push(key);
      }
    }
    this.rewire(next, graph.edges);
    this.vertices = next;

    for (const [key, old] of previous) {
      if (next.has(key)) continue;
      summary.removed.push(key);
      this.retire(old).subscribe();
    }
    for (const [v, old] of started) {
      this.untrack.set(v, this.track(v.idle$));
      if (old) this.retire(old).subscribe({ complete: () => v.start() });
      else v.start();
    }
    return summary;
  }

  private retire(v: Vertex): Observable<void> {
    return v.retire().pipe(
      finalize(() => {
        this.untrack.get(v)?.();
        this.untrack.delete(v);
      }),
    );
  }

  /** Stops taking new events; completes once every run already started (and what it pokes) is done. */
  drain(): Observable<void> {
    this.draining = true;
    for (const v of this.vertices.values()) v.stopWatching();
    return this.converged(0).pipe(map(() => undefined));
  }

  dispose(): void {
    for (const v of this.vertices.values()) v.dispose();
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
      const want = incoming.get(key) ?? [];
      if (!sameEdges(v.parents, want)) v.setParents(want);
    }
  }
}

const sameEdges = (a: readonly InEdge[], b: readonly InEdge[]): boolean =>
  a.length === b.length && a.every((e, i) => e.from === b[i]!.from && e.notify === b[i]!.notify);
