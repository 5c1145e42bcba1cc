// What the run has done so far, per resource, folded from the engine's events: the one model
// that the recap, the report, the metrics and the live page all read. One record per resource
// (not per event); the recent-events ring is kept only when a consumer asks for it (the page).
import type { Change, EngineEvent, RunEvent, RunResult, VertexState } from '../model/events.js';
import type { Graph } from '../model/graph.js';

/** How a resource is counted in the recap: its outcome over the whole run. */
export type Outcome = 'ok' | 'changed' | 'failed' | 'skipped';

export interface ResourceRecord {
  key: string;
  kind: string;
  name: string;
  state: VertexState;
  /** Finished CheckApply calls (with their retries counted as one). */
  runs: number;
  /** Runs that changed something (or, in noop, would have). */
  changedRuns: number;
  totalMs: number;
  lastMs: number;
  maxMs: number;
  lastResult?: RunResult;
  /** Scheduler time (ms since the epoch here) the last run started. */
  lastRunAt?: number;
  /** What the last run that changed something changed. */
  changes: Change[];
  /** What the last check in noop found it would change; emptied by a run that finds it right. */
  pending: Change[];
  lastError?: string;
  /** The last few events, newest last (only when `history` is on). */
  recent?: EngineEvent[];
}

export interface Summary {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  resources: number;
}

export interface RunStateOptions {
  /** Keep each resource's last N events (the live page). 0: none. */
  history?: number;
}

export class RunState {
  readonly records = new Map<string, ResourceRecord>();
  /** Keys of the latest graph, in its order; the recap counts these. */
  keys: string[] = [];
  graph?: Graph;
  /** Any run in this process changed something (or would have): exit code 2 for `--detailed-exitcodes`. */
  anyChange = false;
  private readonly history: number;

  constructor(opts: RunStateOptions = {}) {
    this.history = opts.history ?? 0;
  }

  /** A new graph: resources not seen before get a record in state pending. */
  setGraph(graph: Graph): void {
    this.graph = graph;
    this.keys = [...graph.vertices.keys()];
    for (const [key, r] of graph.vertices) {
      if (!this.records.has(key)) this.records.set(key, newRecord(key, r.kind, r.name));
    }
  }

  onEvent(e: EngineEvent): ResourceRecord {
    let rec = this.records.get(e.key);
    if (!rec) this.records.set(e.key, (rec = newRecord(e.key, e.kind, e.name)));
    if (e.type === 'state') rec.state = e.state;
    else this.onRun(rec, e);
    if (this.history > 0) {
      (rec.recent ??= []).push(e);
      if (rec.recent.length > this.history) rec.recent.shift();
    }
    return rec;
  }

  private onRun(rec: ResourceRecord, e: RunEvent): void {
    rec.runs++;
    rec.totalMs += e.durationMs;
    rec.lastMs = e.durationMs;
    if (e.durationMs > rec.maxMs) rec.maxMs = e.durationMs;
    rec.lastResult = e.result;
    rec.lastRunAt = e.startedAt;
    if (e.result === 'failed') {
      rec.lastError = e.error;
      return;
    }
    rec.lastError = undefined;
    if (e.result === 'changed') {
      rec.changedRuns++;
      rec.changes = e.changes;
      rec.pending = [];
      this.anyChange = true;
    } else if (e.result === 'would-change') {
      rec.changedRuns++;
      rec.pending = e.changes;
      this.anyChange = true;
    } else {
      rec.pending = [];
    }
  }

  /** The latest graph's records, in graph order. */
  current(): ResourceRecord[] {
    return this.keys.map((k) => this.records.get(k)!);
  }

  summary(): Summary {
    const s: Summary = { ok: 0, changed: 0, failed: 0, skipped: 0, resources: this.keys.length };
    for (const rec of this.current()) s[outcome(rec)]++;
    return s;
  }
}

/**
 * failed: ended failed (or its last run failed); skipped: never finished a CheckApply in this
 * run (a parent failed, or the run stopped first); changed: changed something (or, in noop,
 * would have) at least once; ok: every check found it right.
 */
export function outcome(rec: ResourceRecord): Outcome {
  if (rec.state === 'failed' || rec.lastResult === 'failed') return 'failed';
  if (rec.runs === 0) return 'skipped';
  return rec.changedRuns > 0 ? 'changed' : 'ok';
}

function newRecord(key: string, kind: string, name: string): ResourceRecord {
  return { key, kind, name, state: 'pending', runs: 0, changedRuns: 0, totalMs: 0, lastMs: 0, maxMs: 0, changes: [], pending: [] };
}
