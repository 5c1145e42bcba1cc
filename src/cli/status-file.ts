// --converged-status-file: the latest converged state, written atomically and in order.
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';

export class StatusFile {
  private last: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  /** Queues a write after the ones before it, so the file always ends with the latest state. */
  write(converged: boolean): void {
    this.last = this.last
      .then(() => writeFileAtomic(this.path, `${converged}\n`))
      .catch((e: Error) => this.log.error(`--converged-status-file: ${e.message}`));
  }

  /** Resolves when every queued write is done. */
  flushed(): Promise<void> {
    return this.last;
  }
}
