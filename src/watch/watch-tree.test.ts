// watchTree against real directories and real inotify: a change anywhere in the tree is seen,
// directories added later are followed, a directory replaced by another at the same path (ext4
// hands out the same inode number at once) is followed anew, and the OS watches are shared with
// watchPath. Positive cases wait for the emission; none sleeps.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, type Subscription } from 'rxjs';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWatchCount, watchPath, watchTree } from './index.js';

let tmp: string;
const subs: Subscription[] = [];
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-tree-'));
});
afterEach(async () => {
  subs.splice(0).forEach((s) => s.unsubscribe());
  await rm(tmp, { recursive: true, force: true });
});

/** Counts emissions of watchTree(root); `next()` resolves at the next one. */
function record(root: string) {
  let waiters: (() => void)[] = [];
  let count = 0;
  subs.push(
    watchTree(root).subscribe(() => {
      count++;
      const ready = waiters;
      waiters = [];
      ready.forEach((w) => w());
    }),
  );
  return {
    get count() {
      return count;
    },
    next: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}

/** Resolves once `act` made the tree watch emit. */
async function seen(t: ReturnType<typeof record>, act: () => void): Promise<void> {
  const next = t.next();
  act();
  await next;
}

describe('watchTree', () => {
  it('sees writes, chmods, creations and deletions at any depth, in directories made later too', async () => {
    const root = join(tmp, 'root');
    fs.mkdirSync(join(root, 'a', 'b'), { recursive: true });
    fs.writeFileSync(join(root, 'a', 'b', 'deep'), '1');
    const t = record(root);
    await seen(t, () => fs.writeFileSync(join(root, 'a', 'b', 'deep'), '2'));
    await seen(t, () => fs.chmodSync(join(root, 'a', 'b', 'deep'), 0o600));
    await seen(t, () => fs.mkdirSync(join(root, 'new')));
    await seen(t, () => fs.writeFileSync(join(root, 'new', 'file'), 'x')); // followed since it appeared
    await seen(t, () => fs.rmSync(join(root, 'a'), { recursive: true }));
  });

  it('follows a directory replaced at the same path (a new identity, maybe the same inode)', async () => {
    const root = join(tmp, 'root');
    fs.mkdirSync(join(root, 'sub'), { recursive: true });
    const t = record(root);
    await seen(t, () => {
      fs.rmdirSync(join(root, 'sub'));
      fs.mkdirSync(join(root, 'sub'));
    });
    await seen(t, () => fs.writeFileSync(join(root, 'sub', 'inside-the-new-one'), 'x'));
  });

  it('sees the root created, removed and created again', async () => {
    const root = join(tmp, 'later');
    const t = record(root);
    await seen(t, () => fs.mkdirSync(root));
    await seen(t, () => fs.writeFileSync(join(root, 'f'), 'x'));
    await seen(t, () => fs.rmSync(root, { recursive: true }));
    await seen(t, () => fs.mkdirSync(root));
    await seen(t, () => fs.mkdirSync(join(root, 'd')));
    await seen(t, () => fs.writeFileSync(join(root, 'd', 'g'), 'x'));
  });

  it('does not follow symlinks inside the tree', async () => {
    const outside = join(tmp, 'outside');
    const root = join(tmp, 'root');
    fs.mkdirSync(outside);
    fs.mkdirSync(root);
    fs.symlinkSync(outside, join(root, 'link'));
    const before = openWatchCount();
    const t = record(root);
    // root and the ancestors it needs: the link's target is not among them.
    await seen(t, () => fs.writeFileSync(join(root, 'marker'), ''));
    const withTree = openWatchCount();
    const probe = firstValueFrom(watchPath(join(outside, 'x')));
    expect(openWatchCount()).toBe(withTree + 1); // outside had no watch of its own
    fs.writeFileSync(join(outside, 'x'), '');
    await probe;
    expect(withTree).toBeGreaterThan(before);
  });

  it('shares one OS watch per directory with watchPath, and closes them all when unsubscribed', async () => {
    const root = join(tmp, 'root');
    fs.mkdirSync(join(root, 'a'), { recursive: true });
    const before = openWatchCount();
    const onFile = watchPath(join(root, 'a', 'f')).subscribe();
    const withPath = openWatchCount();
    const tree = watchTree(root).subscribe();
    expect(openWatchCount()).toBe(withPath); // root and a are watched already, for the path
    tree.unsubscribe();
    onFile.unsubscribe();
    expect(openWatchCount()).toBe(before);
  });
});
