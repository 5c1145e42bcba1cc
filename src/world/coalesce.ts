// What collectors and `hostsConverged` see of a backend's snapshots, with bursts of export
// changes coalesced: a fleet whose hosts join one after another would otherwise swap every
// collector's graph once per host.
import { BehaviorSubject, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { WorldSnapshot } from './world.js';

/**
 * Delivers snapshots in the order they came, except that a change of the exports that follows
 * another within `windowMs` (the World's scheduler) waits for the window's end, where only the
 * latest is delivered; a quiet spell's first change goes at once. A converged-only snapshot goes
 * at once too, unless exports are waiting: it then waits with them, so no subscriber ever sees
 * a host's converged entry before the exports that host wrote first (a fleet must not see "all
 * converged" while a change is held back). Each delivery of new exports is made with the
 * converged map delivered before it, then, if that changed too, once more with the new one:
 * whatever order subscribers are called in, collectors have the exports before anyone sees the
 * converged states that came after them. Every snapshot is a whole state of the World, so
 * skipping intermediate ones never shows a mix.
 */
export class SnapshotCoalescer {
  private readonly delivered: BehaviorSubject<WorldSnapshot>;
  private pending: WorldSnapshot | undefined;
  private window: Subscription | undefined;

  constructor(
    initial: WorldSnapshot,
    private readonly windowMs: number,
    private readonly scheduler: SchedulerLike,
  ) {
    this.delivered = new BehaviorSubject(initial);
  }

  /** The delivered snapshots: the current one on subscribe, then each delivery. */
  get snapshots(): Observable<WorldSnapshot> {
    return this.delivered;
  }

  /**
   * A new snapshot. `settled` (a full re-read: the World joined or resynchronised) goes out at
   * once, replacing whatever waits, and opens no window: a host's first view, or its view after
   * an outage, is never held back.
   */
  push(s: WorldSnapshot, settled = false): void {
    if (settled) {
      this.window?.unsubscribe();
      this.window = undefined;
      this.pending = undefined;
      this.deliver(s);
      return;
    }
    const exportsChanged = s.exports !== (this.pending ?? this.delivered.value).exports;
    if (this.pending || (this.window && exportsChanged)) {
      this.pending = s;
      return;
    }
    this.deliver(s);
    if (exportsChanged && this.windowMs > 0) this.openWindow();
  }

  /** Delivers what waits, then completes (the World closed). */
  complete(): void {
    this.window?.unsubscribe();
    this.window = undefined;
    if (this.pending) this.deliver(this.pending);
    this.pending = undefined;
    this.delivered.complete();
  }

  private openWindow(): void {
    this.window = this.scheduler.schedule(() => {
      this.window = undefined;
      const s = this.pending;
      this.pending = undefined;
      if (!s) return;
      this.deliver(s);
      if (this.windowMs > 0) this.openWindow(); // a burst still going on: one more window
    }, this.windowMs);
  }

  private deliver(s: WorldSnapshot): void {
    const last = this.delivered.value;
    if (s.exports !== last.exports && s.converged !== last.converged) this.delivered.next({ exports: s.exports, converged: last.converged });
    this.delivered.next(s);
  }
}
