// The live status line on a terminal during the first convergence:
//
//   applying 812/10000, 3 failed
//
// rewritten in place on stderr (with \r and spaces: no ANSI codes) at most every 100 ms, cleared before each log line (the log
// sink calls `clear()`), and gone for good once every resource has run once. Only on a TTY.
import type { OutStream } from './tty.js';

const EVERY_MS = 100;

export class StatusLine {
  private shown = false;
  private timer?: NodeJS.Timeout;
  private done = false;
  private finished = 0;
  private failed = 0;

  private total = 0;
  /** The longest line drawn: what a redraw or a clear must cover (no ANSI codes: spaces and \r). */
  private width = 0;

  constructor(private readonly out: OutStream) {}

  /** The number of resources of the graph being converged. */
  setTotal(n: number): void {
    this.total = n;
  }

  /** A resource finished a run (`firstRun`: its first), or became (+1) or stopped being (-1) failed. */
  update(firstRun: boolean, failedDelta: number): void {
    if (this.done) return;
    if (firstRun) this.finished++;
    this.failed += failedDelta;
    if (this.total > 0 && this.finished >= this.total) return this.stop();
    this.schedule();
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, EVERY_MS);
  }

  /** Erases the line (before a log line, or at the end); it comes back shortly after a log line. */
  clear(): void {
    if (!this.shown) return;
    this.out.write(`\r${' '.repeat(this.width)}\r`);
    this.shown = false;
    if (!this.done) this.schedule();
  }

  stop(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private draw(): void {
    if (this.done) return;
    const failed = this.failed > 0 ? `, ${this.failed} failed` : '';
    const text = `applying ${this.finished}/${this.total}${failed}`;
    this.out.write(`\r${text}${' '.repeat(Math.max(0, this.width - text.length))}`);
    this.width = Math.max(this.width, text.length);
    this.shown = true;
  }
}
