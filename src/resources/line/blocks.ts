// A block of consecutive lines in a text file: found, appended, taken out. Pure functions on
// strings, so that every edge case (no final newline, CRLF, a block at the end) is a unit test.
//
//   hasBlock('a\nb\nc\n', ['b', 'c'])        // true
//   withBlock('a', ['b'])                    // 'a\nb\n': the last line gets its newline first
//   withoutBlock('a\nb\na\n', ['a'])         // { text: 'b\n', removed: 2 }

/**
 * The lines of `text`. A final newline ends the last line rather than starting an empty one, and
 * a line's "\r" before its "\n" is not part of it for matching (as Go's bufio.Scanner, which
 * mgmt's line resource reads with, drops it).
 */
export function linesOf(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

const same = (line: string, want: string): boolean => line === want || (line.endsWith('\r') && line.slice(0, -1) === want);

/** Where `block` starts at `i` in `lines`. */
function matchesAt(lines: string[], block: string[], i: number): boolean {
  if (i + block.length > lines.length) return false;
  for (let j = 0; j < block.length; j++) if (!same(lines[i + j], block[j])) return false;
  return true;
}

/** Whether the lines of `block` appear one after another somewhere in `text`. */
export function hasBlock(text: string, block: string[]): boolean {
  const lines = linesOf(text);
  for (let i = 0; i + block.length <= lines.length; i++) if (matchesAt(lines, block, i)) return true;
  return false;
}

/** `text` with `block` appended as whole lines (a last line without its newline gets one first). */
export function withBlock(text: string, block: string[]): string {
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return `${text}${sep}${block.join('\n')}\n`;
}

/**
 * `text` without any occurrence of `block` (scanning on after each one taken out), and how many
 * lines went. The other lines are kept byte for byte, and a final newline stays if there was one.
 */
export function withoutBlock(text: string, block: string[]): { text: string; removed: number } {
  const lines = linesOf(text);
  const kept: string[] = [];
  let removed = 0;
  for (let i = 0; i < lines.length; ) {
    if (block.length > 0 && matchesAt(lines, block, i)) {
      i += block.length;
      removed += block.length;
    } else kept.push(lines[i++]);
  }
  if (removed === 0) return { text, removed };
  const eol = text.endsWith('\n') && kept.length > 0 ? '\n' : '';
  return { text: kept.join('\n') + eol, removed };
}

/**
 * The block a line resource's `content` stands for: trimmed when `trim`, one final newline
 * dropped (YAML's `content: |` ends in one), split into lines. [] for an empty content.
 */
export function blockOf(content: string, trim: boolean): string[] {
  let c = trim ? content.trim() : content;
  if (c.endsWith('\n')) c = c.slice(0, -1);
  return c === '' ? [] : c.split('\n');
}
