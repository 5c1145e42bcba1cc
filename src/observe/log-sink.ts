// The stderr log sink, with an ISO 8601 UTC timestamp in front of each line when asked.
//
// Default (no --log-timestamps / --no-log-timestamps): timestamps when stderr is not a
// terminal (a file, a pipe, cron), but not under systemd's journal (JOURNAL_STREAM set), which
// stamps every line itself, nor on a terminal, where a person watches the lines arrive.
import type { LogSink } from '../util/logger.js';

export function timestampsByDefault(stderrIsTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return !stderrIsTTY && !env.JOURNAL_STREAM;
}

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
