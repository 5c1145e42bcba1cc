// The live status line on a terminal during the first convergence:
//
//   applying 812/10000, 3 failed
//
// redrawn in place on stderr every 100 ms (with \r and spaces: no ANSI codes) from the
// vertices' own state (no engine events needed), cleared before each log line (the log sink
// calls `clear()`), and gone for good once every resource has run once, or once nothing has
// run for a few ticks (the rest waits behind failed parents). Only on a TTY.
import type { OutStream } from './tty.js';

const EVERY_MS = 100;

export interface Progress {
  done: number;
  failed: number;
  /** Running or retrying now. */
  busy: number;
  total: number;
}

/** Ticks with nothing running that end the line though some resources never ran (behind a failed parent). */
const QUIET_TICKS = 3;

export class StatusLine {
  private shown = false;
  private timer?: NodeJS.Timeout;
  private done = false;
  /** The longest line drawn: what a redraw or a clear must cover. */
  private width = 0;
  private progress?: () => Progress;
  private quiet = 0;

  constructor(private readonly out: OutStream) {}

  /** Starts drawing what `progress` says (first call only). */
  follow(progress: () => Progress): void {
    if (this.progress || this.done) return;
    this.progress = progress;
    this.timer = setInterval(() => this.draw(), EVERY_MS);
    this.timer.unref();
  }

  /** Erases the line (before a log line or a diff, and at the end); the next tick redraws it. */
  clear(): void {
    if (!this.shown) return;
    this.out.write(`\r${' '.repeat(this.width)}\r`);
    this.shown = false;
  }

  stop(): void {
    this.done = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private draw(): void {
    const p = this.progress?.();
    if (!p || p.total === 0) return;
    if (p.done >= p.total) return this.stop();
    if (p.done === 0) return;
    // The rest waits behind failed parents: the first convergence is as far as it goes.
    this.quiet = p.busy === 0 ? this.quiet + 1 : 0;
    if (this.quiet >= QUIET_TICKS) return this.stop();
    const failed = p.failed > 0 ? `, ${p.failed} failed` : '';
    const text = `applying ${p.done}/${p.total}${failed}`;
    this.out.write(`\r${text}${' '.repeat(Math.max(0, this.width - text.length))}`);
    this.width = Math.max(this.width, text.length);
    this.shown = true;
  }
}
