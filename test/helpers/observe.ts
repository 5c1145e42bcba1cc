// Helpers for the observability tests (--prometheus listener).
import type { CliProcess } from './cli.js';

/** The URL a run with --prometheus says it serves on (asked for port 0: any free one). */
export async function servedAt(proc: CliProcess): Promise<string> {
  const line = await proc.waitForLog(/serving \/metrics and the live graph page on http:\/\/\S+/, { allowExit: false });
  return /(http:\/\/\S+?)\/?$/.exec(line)![1]!;
}
