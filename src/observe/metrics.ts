// --prometheus: mgmt's metrics (same names and labels as mgmt's prometheus package) plus what a
// Node daemon should expose, in a registry of their own. Loaded only with the flag.
//
//   mgmt_checkapply_total{kind,apply,eventful,errorful}  counter, one per finished CheckApply
//   mgmt_resources{kind}                                 gauge, resources in the running graph
//   mgmt_failures{kind,failure="soft"|"hard"}            gauge, resources retrying / failed now
//   mgmt_failures_total{kind,failure}                    counter, times a resource became so
//   mgmt_graph_start_time_seconds                        gauge, when the running graph started
//   rxmgmt_repair_latency_seconds                        histogram, drift seen (ok -> pending) to ok again
//   rxmgmt_converged                                     gauge, 1 when converged (see docs/observability.md)
//   rxmgmt_resource_states{state}                        gauge, resources per state
//   process_* and nodejs_*                               prom-client's default metrics
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineEvent } from '../model/events.js';
import type { Graph } from '../model/graph.js';
import type { RunState } from './run-state.js';

const STATES = ['pending', 'running', 'retrying', 'ok', 'failed'] as const;

export class Metrics {
  readonly registry = new Registry();
  private readonly checkApplies: Counter<'kind' | 'apply' | 'eventful' | 'errorful'>;
  private readonly resources: Gauge<'kind'>;
  private readonly failuresTotal: Counter<'kind' | 'failure'>;
  private readonly graphStart: Gauge;
  private readonly repair: Histogram;
  /** Scheduler time each resource went from ok to pending (a drift), until it is ok again. */
  private readonly driftSince = new Map<string, number>();
  private convergedVerdict?: boolean;

  constructor(private readonly state: RunState) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.checkApplies = new Counter({
      name: 'mgmt_checkapply_total',
      help: 'Number of CheckApply that have run.',
      labelNames: ['kind', 'apply', 'eventful', 'errorful'],
      registers,
    });
    this.resources = new Gauge({ name: 'mgmt_resources', help: 'Number of managed resources.', labelNames: ['kind'], registers });
    this.failuresTotal = new Counter({ name: 'mgmt_failures_total', help: 'Total of failed resources.', labelNames: ['kind', 'failure'], registers });
    // prom-client calls collect() with the metric as `this`; the collector needs this object too.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    new Gauge({
      name: 'mgmt_failures',
      help: 'Number of failing resources.',
      labelNames: ['kind', 'failure'],
      registers,
      collect() {
        this.reset();
        for (const kind of self.kinds()) {
          this.set({ kind, failure: 'soft' }, 0);
          this.set({ kind, failure: 'hard' }, 0);
        }
        for (const r of state.current()) {
          if (r.state === 'retrying') this.inc({ kind: r.kind, failure: 'soft' });
          else if (r.state === 'failed') this.inc({ kind: r.kind, failure: 'hard' });
        }
      },
    });
    this.graphStart = new Gauge({ name: 'mgmt_graph_start_time_seconds', help: 'Start time of the current graph since unix epoch in seconds.', registers });
    this.repair = new Histogram({
      name: 'rxmgmt_repair_latency_seconds',
      help: 'Time from a drift (a resource that was ok gets an event) until it is ok again.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    new Gauge({
      name: 'rxmgmt_converged',
      help: "1 when converged: the converger's verdict with --converged-timeout, else every resource idle (ok, or failed and waiting).",
      registers,
      collect() {
        const idle = state.current().every((r) => r.state === 'ok' || r.state === 'failed');
        this.set(self.convergedVerdict ?? idle ? 1 : 0);
      },
    });
    new Gauge({
      name: 'rxmgmt_resource_states',
      help: 'Resources of the running graph in each state.',
      labelNames: ['state'],
      registers,
      collect() {
        const n: Record<string, number> = Object.fromEntries(STATES.map((s) => [s, 0]));
        for (const r of state.current()) n[r.state]++;
        for (const s of STATES) this.set({ state: s }, n[s]);
      },
    });
  }

  private kinds(): Set<string> {
    return new Set(this.state.current().map((r) => r.kind));
  }

  onGraph(graph: Graph): void {
    this.graphStart.set(Date.now() / 1000);
    this.resources.reset();
    for (const r of graph.vertices.values()) this.resources.inc({ kind: r.kind });
  }

  /** Called with the event and the resource's state before it. */
  onEvent(e: EngineEvent, before: string): void {
    if (e.type === 'run') {
      const eventful = e.result === 'changed' || e.result === 'would-change';
      this.checkApplies.inc({ kind: e.kind, apply: String(e.apply), eventful: String(eventful), errorful: String(e.result === 'failed') });
      return;
    }
    if (e.state === 'retrying' && before !== 'retrying') this.failuresTotal.inc({ kind: e.kind, failure: 'soft' });
    if (e.state === 'failed' && before !== 'failed') this.failuresTotal.inc({ kind: e.kind, failure: 'hard' });
    if (e.state === 'pending' && before === 'ok') this.driftSince.set(e.key, e.at);
    else if (e.state === 'ok') {
      const since = this.driftSince.get(e.key);
      if (since !== undefined) {
        this.driftSince.delete(e.key);
        this.repair.observe((e.at - since) / 1000);
      }
    }
  }

  onConvergedState(converged: boolean): void {
    this.convergedVerdict = converged;
  }
}
