import { describe, expect, it } from 'vitest';
import { parentIds } from './parent-ids.js';

describe('parentIds', () => {
  it('lists the directories above a path as identities, nearest first', () => {
    expect(parentIds('/a/b/c')).toEqual(['file:/a/b/', 'file:/a/', 'file:/']);
    expect(parentIds('/a')).toEqual(['file:/']);
    expect(parentIds('/')).toEqual([]);
  });

  it('hands the files of one directory one frozen list, and another directory its own', () => {
    const first = parentIds('/srv/www/a');
    expect(parentIds('/srv/www/b')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(parentIds('/srv/b')).toEqual(['file:/srv/', 'file:/']);
    expect(parentIds('/srv/www/c')).toEqual(['file:/srv/www/', 'file:/srv/', 'file:/']);
  });
});
