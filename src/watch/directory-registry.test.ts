import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchEntry, openWatchCount, type EntryListener, type EntryInterest } from './index.js';

let tmp: string;
const held: EntryInterest[] = [];

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-registry-'));
});
afterEach(async () => {
  held.splice(0).forEach((i) => i.release());
  await rm(tmp, { recursive: true, force: true });
});

/** A listener whose callbacks resolve promises, so a test can wait for them. */
function listener() {
  let onChanged = () => {};
  let onLost = () => {};
  const changed = new Promise<void>((r) => (onChanged = r));
  const lost = new Promise<void>((r) => (onLost = r));
  const l: EntryListener = { changed: () => onChanged(), lost: () => onLost(), failed: () => {} };
  return { l, changed, lost };
}

function hold(dir: string, name: string, l: EntryListener): EntryInterest {
  const interest = watchEntry(dir, name, l);
  if (!interest) throw new Error(`${dir} was not watched`);
  held.push(interest);
  return interest;
}

describe('watchEntry', () => {
  it('returns undefined for a missing directory or a regular file', () => {
    const base = openWatchCount();
    expect(watchEntry(join(tmp, 'missing'), 'f', listener().l)).toBeUndefined();
    fs.writeFileSync(join(tmp, 'file'), '');
    expect(watchEntry(join(tmp, 'file'), 'f', listener().l)).toBeUndefined();
    expect(openWatchCount()).toBe(base);
  });

  it('shares one OS watch per directory and closes it with the last release', () => {
    const base = openWatchCount();
    const a = hold(tmp, 'a', listener().l);
    const b = hold(tmp, 'b', listener().l);
    expect(openWatchCount()).toBe(base + 1);
    a.release();
    a.release(); // idempotent: must not release b's share
    expect(openWatchCount()).toBe(base + 1);
    b.release();
    expect(openWatchCount()).toBe(base);
  });

  it('tells only the listeners of the entry that changed', async () => {
    const a = listener();
    const b = listener();
    let aCalls = 0;
    hold(tmp, 'a', { ...a.l, changed: () => aCalls++ });
    hold(tmp, 'b', b.l);
    fs.writeFileSync(join(tmp, 'b'), 'x');
    await b.changed; // a's events would have come first: inotify keeps order
    expect(aCalls).toBe(0);
  }, 10_000);

  it('reports lost when the directory goes away, and is no longer current', async () => {
    const dir = join(tmp, 'd');
    fs.mkdirSync(dir);
    const base = openWatchCount();
    const x = listener();
    const interest = hold(dir, 'f', x.l);
    expect(interest.isCurrent()).toBe(true);
    fs.rmdirSync(dir);
    await x.lost;
    expect(interest.isCurrent()).toBe(false);
    expect(openWatchCount()).toBe(base);
  }, 10_000);

  it('is not current once the directory was replaced by another of the same name', () => {
    const dir = join(tmp, 'd');
    fs.mkdirSync(dir);
    const interest = hold(dir, 'f', listener().l);
    fs.rmdirSync(dir);
    fs.mkdirSync(dir);
    expect(interest.isCurrent()).toBe(false);
  });
});
