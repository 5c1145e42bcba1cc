// What a file CheckApply tells its ChangeSink: a unified diff for content, old -> new for the
// rest; a `sensitive` resource reports only which field changed.
import { diffLib } from '../../util/unified-diff.js';
import type { Change, ChangeSink } from '../../model/events.js';

/** Content bigger than this (either side) is not diffed: the diff would cost more than the write. */
export const MAX_DIFF_BYTES = 1 << 20;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The text of `b`, or undefined when it is not text (a NUL byte, or not valid UTF-8). */
function textOf(b: Buffer): string | undefined {
  if (b.includes(0)) return undefined;
  try {
    return decoder.decode(b);
  } catch {
    return undefined;
  }
}

/** The content change of `path` from `old` (undefined: the file did not exist) to `next`. */
export function contentChange(path: string, old: Buffer | undefined, next: Buffer): Change {
  if ((old?.length ?? 0) > MAX_DIFF_BYTES || next.length > MAX_DIFF_BYTES) {
    return { field: 'content', diff: `content differs (${old?.length ?? 0} -> ${next.length} bytes: too large to diff)` };
  }
  const before = old === undefined ? '' : textOf(old);
  const after = textOf(next);
  if (before === undefined || after === undefined) return { field: 'content', diff: 'binary content differs' };
  const diff = diffLib().createTwoFilesPatch(old === undefined ? '/dev/null' : path, path, before, after, undefined, undefined, { context: 3 });
  return { field: 'content', diff };
}

/** Passes changes on to the sink; for a sensitive resource, the field alone. */
export class ChangeReporter {
  /** Without a sink there is nothing to tell: one reporter for every check nobody listens to. */
  private static readonly silent = new ChangeReporter(undefined, false);

  /** The reporter for a check: the shared silent one without a sink. */
  static of(sink: ChangeSink | undefined, sensitive: boolean): ChangeReporter {
    return sink ? new ChangeReporter(sink, sensitive) : ChangeReporter.silent;
  }

  private constructor(
    private readonly sink: ChangeSink | undefined,
    private readonly sensitive: boolean,
  ) {}

  /** Whether anyone listens: a diff is only worth a read when someone does. */
  get listening(): boolean {
    return this.sink !== undefined && !this.sensitive;
  }

  report(change: Change | (() => Change)): void {
    if (!this.sink) return;
    const c = typeof change === 'function' ? change() : change;
    this.sink(this.sensitive ? { field: c.field } : c);
  }
}
