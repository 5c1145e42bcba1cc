// --converged-status-file: the latest converged state, written atomically and in order.
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { Serial } from '../util/serial.js';

export class StatusFile {
  private readonly writes = new Serial();

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  /** Queues a write after the ones before it, so the file always ends with the latest state. */
  write(converged: boolean): void {
    this.writes.run(
      () => writeFileAtomic(this.path, `${converged}\n`),
      (e) => this.log.error(`--converged-status-file: ${e.message}`),
    );
  }

  /** Resolves when every queued write is done. */
  flushed(): Promise<void> {
    return this.writes.flushed();
  }
}
