// A small structured logger: one line per message, prefixed with the level and the subject.

export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A logger whose lines name `subject` (e.g. `file[f1]`). */
  child(subject: string): Logger;
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
  child(subject: string): Logger {
    return new SinkLogger(this.sink, this.min, this.subject ? `${this.subject}: ${subject}` : subject);
  }

  private at(level: Level, msg: string): void {
    if (rank[level] >= this.min) this.sink(level, this.subject, msg);
  }
}

export function createLogger(sink: LogSink, min: Level = 'info', subject = ''): Logger {
  return new SinkLogger(sink, rank[min], subject);
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
