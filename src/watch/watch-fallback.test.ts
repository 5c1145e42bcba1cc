// When inotify runs out, watchPath polls instead of going blind. Fault injection at the fs.watch
// boundary (the real limit is lowered in test/cli-file-watch-limit.test.ts, in a user
// namespace): fs.watch throws ENOSPC or EMFILE for the directories chosen, real files otherwise.
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const refuse = vi.hoisted(() => ({ dirs: new Map<string, string>() }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const watch = ((path: fs.PathLike, ...rest: unknown[]) => {
    const code = refuse.dirs.get(String(path));
    if (code) {
      const what = code === 'ENOSPC' ? 'System limit for number of file watchers reached' : 'too many open files';
      throw Object.assign(new Error(`${code}: ${what}, watch '${String(path)}'`), { code });
    }
    return (real.watch as (...a: unknown[]) => fs.FSWatcher)(path, ...rest);
  }) as typeof real.watch;
  return { ...real, watch, default: { ...real, watch } };
});

const { watchPath, watchTree, watchFallback, pollingWatchCount, OwnRenames } = await import('./index.js');
const { writeFileAtomic } = await import('../util/atomic-write.js');

let tmp: string;
const warnings: string[] = [];
const saved = { ...watchFallback };
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-fallback-'));
  warnings.length = 0;
  watchFallback.intervalMs = 20;
  watchFallback.warn = (m) => warnings.push(m);
});
afterEach(async () => {
  refuse.dirs.clear();
  Object.assign(watchFallback, saved);
  await rm(tmp, { recursive: true, force: true });
});

async function until(probe: () => boolean, deadlineMs = 10_000): Promise<boolean> {
  const end = performance.now() + deadlineMs;
  while (!probe() && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
  return probe();
}

describe('watchPath when inotify watches run out', () => {
  it('polls the directory it cannot watch: sees a write, a chmod, a deletion and a re-creation', async () => {
    const dir = join(tmp, 'd');
    fs.mkdirSync(dir);
    fs.writeFileSync(join(dir, 'f'), 'a');
    refuse.dirs.set(dir, 'ENOSPC');
    let events = 0;
    const sub = watchPath(join(dir, 'f')).subscribe({ next: () => events++, error: (e) => warnings.push(`ERROR ${e}`) });
    expect(pollingWatchCount()).toBe(1);
    for (const drift of [
      () => fs.writeFileSync(join(dir, 'f'), 'bb'),
      () => fs.chmodSync(join(dir, 'f'), 0o600),
      () => fs.unlinkSync(join(dir, 'f')),
      () => fs.writeFileSync(join(dir, 'f'), 'c'),
    ]) {
      const before = events;
      drift();
      expect(await until(() => events > before), `an event after ${drift.toString()}`).toBe(true);
    }
    sub.unsubscribe();
    expect(pollingWatchCount()).toBe(0);
    expect(warnings).toEqual([
      `cannot watch directory ${dir} (ENOSPC: System limit for number of file watchers reached): polling it every 20 ms instead, ` +
        'and any other directory that cannot be watched (said once); raise fs.inotify.max_user_watches (sysctl) for instant repairs',
    ]);
  });

  it('says so once for all directories, names max_user_instances for EMFILE, and keeps following the parent', async () => {
    const a = join(tmp, 'a');
    const b = join(tmp, 'b');
    fs.mkdirSync(a);
    refuse.dirs.set(a, 'EMFILE');
    refuse.dirs.set(b, 'EMFILE');
    let eventsA = 0;
    let eventsB = 0;
    const subA = watchPath(join(a, 'x')).subscribe(() => eventsA++);
    const subB = watchPath(join(b, 'y')).subscribe(() => eventsB++); // b does not exist yet: tmp is watched for it
    fs.writeFileSync(join(a, 'x'), '1');
    expect(await until(() => eventsA > 0)).toBe(true);
    fs.mkdirSync(b); // seen by tmp's real watch; b itself can only be polled
    expect(await until(() => eventsB > 0)).toBe(true);
    const seen = eventsB;
    fs.writeFileSync(join(b, 'y'), '2');
    expect(await until(() => eventsB > seen)).toBe(true);
    expect(pollingWatchCount()).toBe(2);
    subA.unsubscribe();
    subB.unsubscribe();
    expect(warnings).toHaveLength(0); // said in the first test already: once per process
  });

  it("sees its own write undone before the next poll (the poll alone would see no change)", async () => {
    const dir = join(tmp, 'aba');
    fs.mkdirSync(dir);
    refuse.dirs.set(dir, 'ENOSPC');
    watchFallback.intervalMs = 200;
    const own = new OwnRenames(() => Date.now());
    let events = 0;
    const sub = watchPath(join(dir, 'f'), own).subscribe(() => events++);
    // Written by its owner, then removed by someone else, both between two polls.
    await writeFileAtomic(join(dir, 'f'), 'ours', { announce: own });
    fs.unlinkSync(join(dir, 'f'));
    expect(await until(() => events > 0), 'a check asked for after the next poll').toBe(true);
    sub.unsubscribe();
  });

  it('a tree whose directories cannot be watched is polled: new, changed and removed entries are seen', async () => {
    const root = join(tmp, 'tree');
    fs.mkdirSync(join(root, 'sub'), { recursive: true });
    refuse.dirs.set(root, 'ENOSPC');
    refuse.dirs.set(join(root, 'sub'), 'ENOSPC');
    let events = 0;
    const sub = watchTree(root).subscribe({ next: () => events++ });
    for (const drift of [
      () => fs.writeFileSync(join(root, 'new'), 'x'),
      () => fs.writeFileSync(join(root, 'sub', 'deep'), 'y'),
      () => fs.writeFileSync(join(root, 'sub', 'deep'), 'longer'),
      () => fs.unlinkSync(join(root, 'new')),
    ]) {
      const before = events;
      drift();
      expect(await until(() => events > before), `an event after ${drift.toString()}`).toBe(true);
    }
    expect(pollingWatchCount()).toBe(2);
    sub.unsubscribe();
    expect(pollingWatchCount()).toBe(0);
  });

  it('a polled directory removed is lost like a watched one: the path follows its parent', async () => {
    const dir = join(tmp, 'gone');
    fs.mkdirSync(dir);
    refuse.dirs.set(dir, 'ENOSPC');
    let events = 0;
    const sub = watchPath(join(dir, 'f')).subscribe(() => events++);
    fs.rmdirSync(dir);
    expect(await until(() => events > 0)).toBe(true);
    expect(await until(() => pollingWatchCount() === 0)).toBe(true); // nothing left to poll
    const seen = events;
    fs.mkdirSync(dir);
    fs.writeFileSync(join(dir, 'f'), 'back');
    expect(await until(() => events > seen)).toBe(true);
    sub.unsubscribe();
  });
});
