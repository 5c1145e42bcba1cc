// A bounded output buffer: keeps the last `max` bytes of a stream and counts what it dropped,
// so a command that prints gigabytes costs at most `max` bytes of memory per stream.

export class Tail {
  private chunks: Buffer[] = [];
  private kept = 0;
  /** Bytes seen in all. */
  total = 0;

  constructor(readonly max: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (chunk.length >= this.max) {
      this.chunks = [chunk.subarray(chunk.length - this.max)];
      this.kept = this.max;
      return;
    }
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.kept > this.max) {
      const head = this.chunks[0];
      const excess = this.kept - this.max;
      if (head.length <= excess) {
        this.chunks.shift();
        this.kept -= head.length;
      } else {
        this.chunks[0] = head.subarray(excess);
        this.kept -= excess;
      }
    }
  }

  /** Bytes seen but no longer kept (the start of the output). */
  get dropped(): number {
    return this.total - this.kept;
  }

  /** The kept bytes as UTF-8, without a character cut in half at the start. */
  text(): string {
    let buf = Buffer.concat(this.chunks, this.kept);
    if (this.dropped > 0) {
      let skip = 0;
      while (skip < buf.length && skip < 3 && (buf[skip] & 0xc0) === 0x80) skip++;
      buf = buf.subarray(skip);
    }
    return buf.toString('utf8');
  }

  /** The kept text's lines, without the final newline's empty line. */
  lines(): string[] {
    const t = this.text();
    if (t === '') return [];
    return (t.endsWith('\n') ? t.slice(0, -1) : t).split('\n');
  }

  /** The last `n` lines, for error messages. */
  lastLines(n: number): string[] {
    return this.lines().slice(-n);
  }
}
