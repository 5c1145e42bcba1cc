// Resources and graphs made of marbles, for running the engine in virtual time.
import { NEVER, type Observable, type SchedulerLike } from 'rxjs';
import type { Graph, GraphEdge } from '../src/model/graph.js';
import { type MetaParams, defaultMeta } from '../src/model/spec.js';
import type { Resource } from '../src/model/resource.js';

export interface Call {
  frame: number;
  apply: boolean;
  refresh: boolean;
}

export interface FakeResource extends Resource {
  calls: Call[];
}

export interface FakeOptions {
  /** The n-th CheckApply (0-based) returns this; the last one repeats. */
  runs: Array<() => Observable<boolean>>;
  watch?: Observable<unknown>;
  meta?: Partial<MetaParams>;
  fingerprint?: string;
}

export function fake(name: string, scheduler: SchedulerLike, opts: FakeOptions): FakeResource {
  const calls: Call[] = [];
  return {
    kind: 'fake',
    name,
    meta: { ...defaultMeta, ...opts.meta },
    fingerprint: opts.fingerprint ?? name,
    calls,
    watch: () => (opts.watch ?? NEVER) as Observable<void>,
    checkApply(apply, refresh) {
      calls.push({ frame: scheduler.now(), apply, refresh });
      return opts.runs[Math.min(calls.length, opts.runs.length) - 1]!();
    },
  };
}

/** A graph of `resources` with edges given as [from, to] names (or [from, to, notify]). */
export function graphOf(resources: Resource[], edges: Array<[string, string, boolean?]> = []): Graph {
  const key = (name: string) => `fake[${name}]`;
  return {
    name: 'test',
    vertices: new Map(resources.map((r) => [key(r.name), r])),
    edges: edges.map(([from, to, notify]): GraphEdge => ({ from: key(from), to: key(to), notify: !!notify, auto: false })),
  };
}

export const frames = (r: FakeResource): number[] => r.calls.map((c) => c.frame);
