// What the engine tells observers (recap, report, metrics, the live page, `rxmgmt/testing`):
// one event per vertex state change and one per finished CheckApply, with what it changed.

/** A vertex's state; see `Vertex` for what each one means. */
export type VertexState = 'pending' | 'running' | 'retrying' | 'ok' | 'failed';

/**
 * One thing a CheckApply changed (or, in noop, would change): a field from one value to
 * another, and for content a unified diff. A resource marked `sensitive` reports the field with
 * neither values nor diff.
 */
export interface Change {
  /** The field, as the YAML names it: `content`, `mode`, `owner`, `state`, `version`, ... */
  field: string;
  from?: string;
  to?: string;
  /** A unified diff (content changes). */
  diff?: string;
}

/** Passed to each CheckApply; the resource tells it each change it makes or would make. */
export type ChangeSink = (change: Change) => void;

/** How one CheckApply ended. */
export type RunResult = 'ok' | 'changed' | 'would-change' | 'failed';

interface VertexRef {
  /** `kind[name]` */
  key: string;
  kind: string;
  name: string;
}

export interface StateEvent extends VertexRef {
  type: 'state';
  state: VertexState;
  /** Scheduler time (ms). */
  at: number;
}

export interface RunEvent extends VertexRef {
  type: 'run';
  /** false under `--noop` or meta `noop`. */
  apply: boolean;
  result: RunResult;
  /** Scheduler time (ms) the CheckApply started (its first attempt) and how long it took with its retries. */
  startedAt: number;
  durationMs: number;
  /** What it changed (or would change); empty when the resource reports none. */
  changes: Change[];
  /** The failure, when result is `failed`. */
  error?: string;
  /** Why it ran, in words (`watch`, `start`, `parent file[conf] changed`, `refresh`). */
  cause?: string;
}

export type EngineEvent = StateEvent | RunEvent;
