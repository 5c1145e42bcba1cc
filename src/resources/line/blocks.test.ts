// The block operations of the line resource, edge case by edge case.
import { describe, expect, it } from 'vitest';
import { blockOf, hasBlock, linesOf, withBlock, withoutBlock } from './blocks.js';

describe('line blocks', () => {
  it('splits lines: a final newline ends the last line, it does not start an empty one', () => {
    expect(linesOf('')).toEqual([]);
    expect(linesOf('a\nb\n')).toEqual(['a', 'b']);
    expect(linesOf('a\nb')).toEqual(['a', 'b']);
    expect(linesOf('\n')).toEqual(['']);
  });

  it('finds a block of consecutive lines, in order, ignoring a CR before the newline', () => {
    expect(hasBlock('a\nb\nc\n', ['b', 'c'])).toBe(true);
    expect(hasBlock('a\nb\nx\nc\n', ['b', 'c'])).toBe(false);
    expect(hasBlock('c\nb\n', ['b', 'c'])).toBe(false);
    expect(hasBlock('a\r\nb\r\n', ['b'])).toBe(true);
    expect(hasBlock('  b\n', ['b'])).toBe(false);
    expect(hasBlock('', ['b'])).toBe(false);
    expect(hasBlock('b', ['b'])).toBe(true);
  });

  it('appends whole lines, ending the last line first when it has no newline', () => {
    expect(withBlock('', ['x'])).toBe('x\n');
    expect(withBlock('a\n', ['x', 'y'])).toBe('a\nx\ny\n');
    expect(withBlock('a', ['x'])).toBe('a\nx\n');
  });

  it('takes out every occurrence and keeps everything else byte for byte', () => {
    expect(withoutBlock('a\nx\nb\nx\n', ['x'])).toEqual({ text: 'a\nb\n', removed: 2 });
    expect(withoutBlock('a\r\nx\r\nb', ['x'])).toEqual({ text: 'a\r\nb', removed: 1 });
    expect(withoutBlock('x\ny\nx\nx\ny\n', ['x', 'y'])).toEqual({ text: 'x\n', removed: 4 });
    expect(withoutBlock('x\n', ['x'])).toEqual({ text: '', removed: 1 });
    expect(withoutBlock('a\nb\n', ['x'])).toEqual({ text: 'a\nb\n', removed: 0 });
  });

  it('reads content: trim, one final newline dropped (YAML block scalars), empty means none', () => {
    expect(blockOf('  PermitRootLogin no  ', true)).toEqual(['PermitRootLogin no']);
    expect(blockOf('  PermitRootLogin no', false)).toEqual(['  PermitRootLogin no']);
    expect(blockOf('a\nb\n', false)).toEqual(['a', 'b']);
    expect(blockOf('a\n\n', false)).toEqual(['a', '']);
    expect(blockOf('   ', true)).toEqual([]);
    expect(blockOf('', false)).toEqual([]);
  });
});
