// The echo of a path's own atomic writes: a writer that renames a file into place tells its
// watch beforehand, so the watch does not report that rename back as drift.

/**
 * Renames onto one watched path that its owner made itself, so that the watch (watchPath with
 * this object) can drop their echo instead of asking for a check of what was just written.
 *
 * The owner calls `expect()` just before `rename(temp, path)` and `cancel()` if the rename
 * fails. The watch drops one `rename` event of the path per expectation. That is sound because:
 * - inotify reports every rename onto a watched directory, in order, so the echo does come;
 *   dropping the first `rename` event after `expect()` drops the echo or an event that came
 *   before it, and then the echo itself is reported: one spare check, never a missed change;
 * - `change` events (data or metadata written in place) are never dropped, so a write into the
 *   new file, even in the same clock tick, is always reported (and read: see the verified cache);
 * - an expectation is only taken while the path's directory is watched (`anchored`), is dropped
 *   whenever the watch of that directory is replaced, and expires after `maxAgeMs`: an echo
 *   that never comes (inotify's queue overflowed) cannot swallow a real change later.
 * An expectation that expires before its echo arrives costs one spare check.
 */
export class OwnRenames {
  private expected = 0;
  private expectedAt = 0;
  /** The directory watch that will see the echo; undefined while the directory is not watched. */
  private anchor: object | undefined;

  /** `now` is in milliseconds: the engine's scheduler clock. */
  constructor(
    private readonly now: () => number,
    private readonly maxAgeMs = 1000,
  ) {}

  /** Called just before renaming onto the path. */
  expect(): void {
    if (this.anchor === undefined) return;
    this.expected++;
    this.expectedAt = this.now();
  }

  /** Called when that rename failed: there will be no echo. */
  cancel(): void {
    if (this.expected > 0) this.expected--;
  }

  /** For the watch: true when this `rename` event is (or stands for) an own rename's echo. */
  consume(): boolean {
    if (this.expected === 0) return false;
    const age = this.now() - this.expectedAt;
    if (age < 0 || age > this.maxAgeMs) {
      // Too old, or the clock was set back: it cannot be told apart from a lost echo.
      this.expected = 0;
      return false;
    }
    this.expected--;
    return true;
  }

  /**
   * For a polled watch (no rename events): whether an own rename happened since the last poll,
   * forgetting it. The poll may show the path as before (our write, then someone undoing it),
   * so the path must be checked all the same.
   */
  takePending(): boolean {
    const had = this.expected > 0;
    this.expected = 0;
    return had;
  }

  /** For the watch: the directory watch that sees the path now, or undefined for none. */
  anchorAt(watch: object | undefined): void {
    if (watch !== this.anchor) this.expected = 0;
    this.anchor = watch;
  }
}
