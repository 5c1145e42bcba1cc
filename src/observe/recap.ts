// The lines every run ends with: one summary (like Ansible's PLAY RECAP) and each failure with
// its last error. Never "everything is in its desired state" when something failed or would change.
import type { RunReport } from '../engine/runner.js';
import type { Summary } from './run-state.js';

export interface RecapInput {
  report: RunReport;
  summary: Summary;
  /** `--noop`: changes are counted as "would change". */
  noop: boolean;
  elapsedMs: number;
}

/** `ok 3, changed 1, failed 1, skipped 2, in 1.23 s` (noop: `would change 1`). */
export function summaryLine({ summary: s, noop, elapsedMs }: RecapInput): string {
  const changed = noop ? `would change ${s.changed}` : `changed ${s.changed}`;
  return `ok ${s.ok}, ${changed}, failed ${s.failed}, skipped ${s.skipped}, in ${(elapsedMs / 1000).toFixed(2)} s`;
}

/** The verdict after the summary, or undefined when there is nothing to add. */
export function verdict({ report, summary }: RecapInput): string | undefined {
  if (report.failed.length > 0 || summary.failed > 0) return undefined; // the failures say it
  if (report.wouldChange.length > 0) return `noop: would change ${report.wouldChange.join(', ')}`;
  if (report.reason !== 'converged') return undefined;
  if (summary.skipped > 0) return `converged, but ${summary.skipped} resource(s) never ran`;
  return 'converged: everything is in its desired state';
}
