// --converged-status-file: the latest converged state, written atomically and in order.
//
// It is written at start-up (`false`, whatever `-t` says), before anything is applied: a
// monitor reading it sees the truth from the first moment, and a path that cannot be written
// is a start-up error instead of a line in the log of a run that carries on regardless.
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { Serial } from '../util/serial.js';
import { checkOutputDir } from './output-dir.js';

export class StatusFile {
  private readonly writes = new Serial();

  private constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  /** Writes `false` to `path`; rejects, naming the flag and the path, when it cannot. */
  static async open(path: string, log: Logger): Promise<StatusFile> {
    const flag = '--converged-status-file';
    await checkOutputDir(flag, path);
    try {
      await writeFileAtomic(path, 'false\n');
    } catch (e) {
      throw new Error(`${flag}: cannot write ${path}: ${(e as Error).message}`, { cause: e });
    }
    return new StatusFile(path, log);
  }

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
