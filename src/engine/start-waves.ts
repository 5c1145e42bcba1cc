// The start of a swap's new vertices, in bounded waves: never more than a few hundred first checks in flight.

/** What a started vertex calls once it has settled (see `StartWaves`): one object for all of them. */
export interface Settler {
  settled(): void;
}

/** What StartWaves starts: a vertex, told whom to tell when it has settled. */
export interface Startable {
  start(settler?: Settler): void;
}

/**
 * At most this many vertices of a swap are starting at once by default. A vertex is starting
 * from `start` until it is idle for the first time (its first check done, or held behind a
 * parent, or failed) or is stopped. 100 000 vertices started at once hold 100 000 first
 * checks in flight with their observers, queue entries and buffers (~1 KB each, most of it
 * promoted to the old space before it dies), which set the run's peak memory; the checks
 * themselves are bounded further in (the file kind's slices, semaphores), so a wave this wide
 * keeps every one of those bounds saturated.
 */
export const START_WAVE = 1024;

/**
 * Starts vertices in order, at most `width` of them starting at once: each one that settles
 * lets the next one start. The order is the swap's (tallest chains first), so a vertex's
 * parents always start before it (a parent is taller than its child) and a child held behind
 * a parent that is not OK settles at once: a wave never waits for a vertex that is not started.
 *
 * A vertex that settles while `start` runs (a synchronous first check) lets the loop go on
 * rather than recursing, so a graph of quick checks starts in one flat loop.
 */
export class StartWaves<T extends Startable> implements Settler {
  private queue: T[] = [];
  private head = 0;
  private starting = 0;
  private filling = false;

  constructor(private readonly width = START_WAVE) {
    if (!(width >= 1)) throw new RangeError(`start wave width must be >= 1, got ${width}`);
  }

  /** Starts `v` now if the wave has room, else once the ones before it have settled. */
  add(v: T): void {
    this.queue.push(v);
    this.fill();
  }

  /** A started vertex has settled (first idle, or stopped): the next one may start. */
  settled(): void {
    this.starting--;
    this.fill();
  }

  /** The vertices not started yet, taken out of the queue (the drain: they never start). */
  takeWaiting(): T[] {
    const waiting = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return waiting;
  }

  private fill(): void {
    if (this.filling) return;
    this.filling = true;
    try {
      while (this.starting < this.width && this.head < this.queue.length) {
        const v = this.queue[this.head++];
        this.starting++;
        v.start(this);
      }
      // A moving head (shift() is O(n)); the array is let go once it is used up.
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
    } finally {
      this.filling = false;
    }
  }
}
