// --report FILE: the run as JSON (schema in docs/observability.md), written atomically at exit
// and, under --converged-timeout-no-exit, on each converged state. Writes are queued in order,
// so the file always ends with the latest one.
import type { StopReason } from '../engine/runner.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { Serial } from '../util/serial.js';
import { type RunState, outcome } from './run-state.js';

export const REPORT_VERSION = 1;

export interface ReportContext {
  host: string;
  noop: boolean;
  startedAt: Date;
}

export interface ReportEnd {
  reason: StopReason;
  exitCode: number;
}

export function buildReport(state: RunState, ctx: ReportContext, end?: ReportEnd, converged?: boolean) {
  const now = new Date();
  return {
    version: REPORT_VERSION,
    host: ctx.host,
    graph: state.graph?.name ?? null,
    noop: ctx.noop,
    startedAt: ctx.startedAt.toISOString(),
    writtenAt: now.toISOString(),
    elapsedSeconds: (now.getTime() - ctx.startedAt.getTime()) / 1000,
    /** null while the run goes on (a converged-state write). */
    finished: end ? { reason: end.reason, exitCode: end.exitCode } : null,
    converged: converged ?? null,
    summary: state.summary(),
    resources: state.current().map((r) => ({
      kind: r.kind,
      name: r.name,
      state: r.state,
      outcome: outcome(r),
      checkApplies: r.runs,
      changedRuns: r.changedRuns,
      durationMs: { total: r.totalMs, last: r.lastMs, max: r.maxMs },
      lastResult: r.lastResult ?? null,
      changes: r.changes,
      pending: r.pending,
      lastError: r.lastError ?? null,
    })),
  };
}

export class ReportFile {
  private readonly writes = new Serial();

  constructor(
    private readonly path: string,
    private readonly state: RunState,
    private readonly ctx: ReportContext,
    private readonly log: Logger,
  ) {}

  /** Queues a write of the report as it is now (the JSON is made now, not when written). */
  write(end?: ReportEnd, converged?: boolean): void {
    const text = JSON.stringify(buildReport(this.state, this.ctx, end, converged), null, 2) + '\n';
    this.writes.run(
      () => writeFileAtomic(this.path, text, { mode: 0o600 }),
      (e) => this.log.error(`--report: cannot write ${this.path}: ${e.message}`),
    );
  }

  flushed(): Promise<void> {
    return this.writes.flushed();
  }
}
