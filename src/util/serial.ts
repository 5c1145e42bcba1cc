// Async jobs run one after another, in the order queued; `flushed()` waits for them all. For
// outputs written on every change (status file, graphviz) that must end with the latest state.

export class Serial {
  private last: Promise<void> = Promise.resolve();

  /** Queues `job`; a failure goes to `onError` and does not stop the jobs after it. */
  run(job: () => Promise<unknown>, onError: (e: Error) => void): void {
    this.last = this.last.then(job).then(
      () => undefined,
      (e: Error) => onError(e),
    );
  }

  flushed(): Promise<void> {
    return this.last;
  }
}
