// A small structured logger: one line per message, prefixed with the level and the subject.

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A logger whose lines name `subject` (e.g. `file[f1]`). */
  child(subject: string): Logger;
  /**
   * Whether lines of `level` are written: a caller on a hot path (a line per CheckApply) asks
   * before building the line and its child logger. Absent: assume they are.
   */
  wants?(level: Level): boolean;
}

const rank: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LogSink {
  (level: Level, subject: string, msg: string): void;
}

/** A class, not closures: every vertex has one, so per-instance functions would add up. */
class SinkLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly min: number,
    private readonly subject: string,
  ) {}

  debug(msg: string): void {
    this.at('debug', msg);
  }
  info(msg: string): void {
    this.at('info', msg);
  }
  warn(msg: string): void {
    this.at('warn', msg);
  }
  error(msg: string): void {
    this.at('error', msg);
  }
  wants(level: Level): boolean {
    return rank[level] >= this.min;
  }
  child(subject: string): Logger {
    return new SinkLogger(this.sink, this.min, this.subject ? `${this.subject}: ${subject}` : subject);
  }

  /** Subject and message are escaped here, so that no sink prints user data raw. */
  private at(level: Level, msg: string): void {
    if (rank[level] >= this.min) this.sink(level, escapeControl(this.subject), escapeControl(msg, true));
  }
}

export function createLogger(sink: LogSink, min: Level = 'info', subject = ''): Logger {
  return new SinkLogger(sink, rank[min], subject);
}

/**
 * C0 and C1 control characters, DEL, and the Unicode marks that reorder or break lines (bidi
 * overrides and isolates, line and paragraph separators): in a log line taken from user data
 * (a resource name, a path) they could move the cursor, recolour the terminal or forge lines.
 */
// eslint-disable-next-line no-control-regex -- the control characters are what these match
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- the control characters are what these match
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (c: string): string => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/**
 * `s` with control characters written as `\xNN` / `\uNNNN` escapes, newlines too unless
 * `keepNewlines` (a message of several lines, each of them escaped).
 */
export function escapeControl(s: string, keepNewlines = false): string {
  return s.replace(keepNewlines ? CONTROL_BUT_NEWLINE : CONTROL, escapeOne);
}

/** Writes `level subject: message` lines to stderr, leaving stdout to the user's pipes. */
export const stderrSink: LogSink = (level, subject, msg) => {
  process.stderr.write(`${level.padEnd(5)} ${subject ? subject + ': ' : ''}${msg}\n`);
};

/** Collects lines in memory; for tests. */
export function memoryLogger(min: Level = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = createLogger((l, s, m) => lines.push(`${l} ${s ? s + ': ' : ''}${m}`), min);
  return Object.assign(log, { lines });
}
