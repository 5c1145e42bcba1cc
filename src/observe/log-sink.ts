// The stderr log sink, with an ISO 8601 UTC timestamp in front of each line when asked
// (--log-timestamps).
//
// Off by default, also when stderr is not a terminal: under systemd the journal stamps every
// line itself, and scripts (and tests) that read `level subject: message` lines keep working;
// for a log file or cron mail, ask for them.
import type { LogSink } from '../util/logger.js';

export interface LineWriter {
  write(s: string): unknown;
}

/**
 * `level subject: message` lines to `out`; `before` runs first (the status line clears itself
 * there so a log line never lands in the middle of it).
 */
export function stderrLogSink(opts: { timestamps: boolean; out?: LineWriter; before?: () => void }): LogSink {
  const out = opts.out ?? process.stderr;
  const stamp = opts.timestamps;
  return (level, subject, msg) => {
    opts.before?.();
    const head = stamp ? `${new Date().toISOString()} ` : '';
    out.write(`${head}${level.padEnd(5)} ${subject ? subject + ': ' : ''}${msg}\n`);
  };
}
