// normalizePath's shortcut for paths already normal must give what posix.normalize gives.
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeControl, normalizePath } from './paths.js';

const viaNormalize = (path: string): string => {
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
};

describe('normalizePath', () => {
  it('gives what posix.normalize gives (less a trailing "/") for every path of up to 8 of "a", "/" and "."', () => {
    const wrong: string[] = [];
    const all = (prefix: string, left: number): void => {
      if (normalizePath(prefix) !== viaNormalize(prefix)) wrong.push(prefix);
      if (left > 0) for (const c of ['a', '/', '.']) all(prefix + c, left - 1);
    };
    all('', 8);
    expect(wrong).toEqual([]);
  });

  it('returns a path that is already normal as it is', () => {
    for (const p of ['/', '/etc/motd', '/a/.hidden', '/a/..b', '/a/b.', 'rel/a']) expect(normalizePath(p)).toBe(p);
    expect(normalizePath('/a//b/./c/../d/')).toBe('/a/b/d');
  });
});

describe('escapeControl', () => {
  it('leaves plain text as it is and escapes control and bidirectional characters', () => {
    expect(escapeControl('/etc/motd é')).toBe('/etc/motd é');
    expect(escapeControl('a\nb\x1b[31m\u202e\t')).toBe('a\\nb\\x1b[31m\\u202e\\t');
    expect(escapeControl('x\x7fy\x9f')).toBe('x\\x7fy\\x9f');
  });
});
