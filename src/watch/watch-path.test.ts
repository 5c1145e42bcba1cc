// Real files, real inotify. No sleeps: a positive case waits for the emission; a negative case
// waits for a later "barrier" event, which inotify delivers strictly after every earlier one.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { firstValueFrom, type Subscription } from 'rxjs';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OwnRenames, watchPath, openWatchCount } from './index.js';

const TIMEOUT = 10_000;
let tmp: string;
const subs: Subscription[] = [];

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-watch-'));
});
afterEach(async () => {
  subs.splice(0).forEach((s) => s.unsubscribe());
  await rm(tmp, { recursive: true, force: true });
});

/** Subscribes to watchPath(path, own) and counts emissions. */
function record(path: string, own?: OwnRenames) {
  let count = 0;
  let waiters: (() => void)[] = [];
  subs.push(
    watchPath(path, own).subscribe(() => {
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
    /** Resolves at the next emission after this call. */
    next: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}

let barriers = 0;
/** Resolves once every file-system event that happened before this call has been delivered. */
async function drained(): Promise<void> {
  const marker = join(tmp, `.barrier-${++barriers}`);
  const seen = firstValueFrom(watchPath(marker));
  fs.writeFileSync(marker, '');
  await seen;
  fs.rmSync(marker);
}

/** Waits for one emission of a fresh subscription to `path` caused by `act`. */
async function emitsOn(path: string, act: () => void): Promise<void> {
  const seen = firstValueFrom(watchPath(path));
  act();
  await seen;
}

describe('watchPath on a file', () => {
  it('emits when the file is deleted', async () => {
    const f = join(tmp, 'f');
    fs.writeFileSync(f, 'x');
    await emitsOn(f, () => fs.unlinkSync(f));
  }, TIMEOUT);

  it('emits when the file is overwritten', async () => {
    const f = join(tmp, 'f');
    fs.writeFileSync(f, 'x');
    await emitsOn(f, () => fs.writeFileSync(f, 'y'));
  }, TIMEOUT);

  it('emits when the file is created', async () => {
    const f = join(tmp, 'f');
    await emitsOn(f, () => fs.writeFileSync(f, 'x'));
  }, TIMEOUT);

  it('emits on chmod', async () => {
    const f = join(tmp, 'f');
    fs.writeFileSync(f, 'x', { mode: 0o644 });
    await emitsOn(f, () => fs.chmodSync(f, 0o600));
  }, TIMEOUT);

  it('emits on chown', async () => {
    const f = join(tmp, 'f');
    fs.writeFileSync(f, 'x');
    await emitsOn(f, () => fs.chownSync(f, 65534, 65534));
  }, TIMEOUT);

  it('emits when the file is moved away, and when another is moved in', async () => {
    const f = join(tmp, 'f');
    const g = join(tmp, 'g');
    fs.writeFileSync(f, 'x');
    await emitsOn(f, () => fs.renameSync(f, g));
    await emitsOn(f, () => fs.renameSync(g, f));
  }, TIMEOUT);

  it('does not emit for a sibling', async () => {
    fs.writeFileSync(join(tmp, 'f'), 'x');
    const hits = record(join(tmp, 'f'));
    fs.writeFileSync(join(tmp, 'sibling'), 'y');
    fs.unlinkSync(join(tmp, 'sibling'));
    await drained();
    expect(hits.count).toBe(0);
  }, TIMEOUT);

  it('handles a file named like its directory', async () => {
    const dir = join(tmp, 'same');
    fs.mkdirSync(dir);
    const f = join(dir, 'same');
    const before = openWatchCount();
    await emitsOn(f, () => fs.writeFileSync(f, 'x'));
    const hits = record(f);
    const held = openWatchCount();
    await Promise.all([hits.next(), Promise.resolve(fs.unlinkSync(f))]);
    expect(openWatchCount()).toBe(held); // the directory's watch was not mistaken for dead
    expect(held).toBeGreaterThan(before);
  }, TIMEOUT);
});

describe('watchPath follows its ancestors', () => {
  it('emits when a missing parent is created later, then follows it down', async () => {
    const f = join(tmp, 'a', 'b', 'f');
    const base = openWatchCount();
    const hits = record(f);
    const anchored = openWatchCount(); // '/', the temp dirs' parents, tmp itself
    const created = hits.next();
    fs.mkdirSync(join(tmp, 'a', 'b'), { recursive: true });
    await created;
    await drained();
    expect(openWatchCount()).toBe(anchored + 2); // a and a/b are watched now
    const written = hits.next();
    fs.writeFileSync(f, 'x');
    await written;
    expect(anchored).toBeGreaterThan(base);
  }, TIMEOUT);

  it('emits when the parent is removed, and picks it up again when it returns', async () => {
    const parent = join(tmp, 'a', 'b');
    const f = join(parent, 'f');
    fs.mkdirSync(parent, { recursive: true });
    const hits = record(f);
    const full = openWatchCount();
    const removed = hits.next();
    fs.rmSync(join(tmp, 'a'), { recursive: true });
    await removed;
    await drained();
    expect(openWatchCount()).toBe(full - 2); // the dead watches on a and a/b are closed
    fs.mkdirSync(parent, { recursive: true });
    await drained();
    expect(openWatchCount()).toBe(full);
    const written = hits.next();
    fs.writeFileSync(f, 'x');
    await written;
  }, TIMEOUT);

  it('lets go of a parent moved away and watches the new one at the path', async () => {
    const f = join(tmp, 'a', 'f');
    fs.mkdirSync(join(tmp, 'a'));
    fs.writeFileSync(f, 'x');
    const hits = record(f);
    const moved = hits.next();
    fs.renameSync(join(tmp, 'a'), join(tmp, 'z'));
    await moved;
    await drained();
    const afterMove = hits.count;
    fs.writeFileSync(join(tmp, 'z', 'f'), 'changed elsewhere');
    await drained();
    expect(hits.count).toBe(afterMove); // z/f is no longer our path
    const back = hits.next();
    fs.mkdirSync(join(tmp, 'a'));
    await back;
  }, TIMEOUT);

  it('notices a parent replaced by a new directory of the same name', async () => {
    const dir = join(tmp, 'a');
    const f = join(dir, 'f');
    fs.mkdirSync(dir);
    const hits = record(f);
    const replaced = hits.next();
    fs.rmSync(dir, { recursive: true });
    fs.mkdirSync(dir);
    await replaced;
    await drained();
    const written = hits.next();
    fs.writeFileSync(f, 'x');
    await written;
  }, TIMEOUT);
});

describe('watchPath on a directory', () => {
  it('emits on its own chmod and removal, not on changes inside it', async () => {
    const d = join(tmp, 'd');
    fs.mkdirSync(d);
    const hits = record(d + '/');
    fs.writeFileSync(join(d, 'child'), 'x');
    fs.unlinkSync(join(d, 'child'));
    await drained();
    expect(hits.count).toBe(0);
    const chmodded = hits.next();
    fs.chmodSync(d, 0o700);
    await chmodded;
    const removed = hits.next();
    fs.rmdirSync(d);
    await removed;
  }, TIMEOUT);

  it('emits when the directory is created', async () => {
    const d = join(tmp, 'd');
    await emitsOn(d + '/', () => fs.mkdirSync(d));
  }, TIMEOUT);
});

describe('sharing OS watches', () => {
  it('gives files in one directory one shared watch, released with the last subscriber', async () => {
    const base = openWatchCount();
    const first = watchPath(join(tmp, 'f0')).subscribe();
    const oneFile = openWatchCount();
    expect(oneFile).toBeGreaterThan(base);
    const more = Array.from({ length: 1000 }, (_, i) => watchPath(join(tmp, `f${i + 1}`)).subscribe());
    expect(openWatchCount()).toBe(oneFile);
    first.unsubscribe();
    expect(openWatchCount()).toBe(oneFile);
    more.forEach((s) => s.unsubscribe());
    expect(openWatchCount()).toBe(base);
  });

  it('follows each ancestor once for every path below it, and tells them all when it moves', async () => {
    const base = openWatchCount();
    const deep = join(tmp, 'a', 'b');
    fs.mkdirSync(deep, { recursive: true });
    const files = Array.from({ length: 100 }, (_, i) => record(join(deep, `f${i}`)));
    const sibling = record(join(tmp, 'a', 'g'));
    const watches = openWatchCount() - base;
    // One watch per directory from / down to a/b: the 101 paths add nothing more.
    expect(watches).toBe(join(deep).split('/').length);
    const all = Promise.all([...files, sibling].map((w) => w.next()));
    fs.renameSync(join(tmp, 'a'), join(tmp, 'moved'));
    await all;
    // Re-anchored in the new directory at the path, once it exists.
    const again = Promise.all(files.map((w) => w.next()));
    fs.mkdirSync(deep, { recursive: true });
    await again;
    const seen = files[7]!.next();
    fs.writeFileSync(join(deep, 'f7'), 'x');
    await seen;
    subs.splice(0).forEach((s) => s.unsubscribe());
    expect(openWatchCount()).toBe(base);
  }, TIMEOUT);

  it('releases the OS watch on unsubscribe', () => {
    const base = openWatchCount();
    const sub = watchPath(join(tmp, 'f')).subscribe();
    expect(openWatchCount()).toBeGreaterThan(base);
    sub.unsubscribe();
    expect(openWatchCount()).toBe(base);
  });

  it('delivers to every subscriber of the same path', async () => {
    const f = join(tmp, 'f');
    const a = firstValueFrom(watchPath(f));
    const b = firstValueFrom(watchPath(f));
    fs.writeFileSync(f, 'x');
    await Promise.all([a, b]);
  }, TIMEOUT);
});

describe('watchPath errors', () => {
  it('rejects a relative path, naming it', async () => {
    await expect(firstValueFrom(watchPath('relative/f'))).rejects.toThrow('watch relative/f: the path must be absolute');
  });
});

describe('watchPath with OwnRenames: the echo of our own atomic writes', () => {
  let clock = 0;
  const own = () => new OwnRenames(() => clock, 1000);
  beforeEach(() => {
    clock = 0;
  });

  /** An atomic write as the file resource does it: temp file, expect, rename. */
  const writeAtomic = (path: string, body: string, renames?: OwnRenames) => {
    fs.writeFileSync(path + '.tmp', body);
    renames?.expect();
    fs.renameSync(path + '.tmp', path);
  };

  it('drops the echo of an own rename, and reports the next one by someone else', async () => {
    const f = join(tmp, 'f');
    const renames = own();
    const w = record(f, renames);
    writeAtomic(f, 'mine', renames);
    await drained();
    expect(w.count).toBe(0);
    const seen = w.next();
    writeAtomic(f, 'theirs');
    await seen;
    expect(w.count).toBe(1);
  }, TIMEOUT);

  it('never drops a write in place, even right after an own rename', async () => {
    const f = join(tmp, 'f');
    const renames = own();
    const w = record(f, renames);
    writeAtomic(f, 'mine', renames);
    const seen = w.next();
    fs.writeFileSync(f, 'them'); // same tick, same size: only its event tells
    await seen;
    await drained();
    expect(w.count).toBeGreaterThanOrEqual(1);
  }, TIMEOUT);

  it('drops one event per expectation: a delete right after an own rename is reported', async () => {
    const f = join(tmp, 'f');
    const renames = own();
    const w = record(f, renames);
    writeAtomic(f, 'mine', renames);
    const seen = w.next();
    fs.unlinkSync(f);
    await seen;
    await drained();
    expect(w.count).toBe(1);
  }, TIMEOUT);

  it('expects nothing while the directory is not watched: the echo is reported', async () => {
    const dir = join(tmp, 'later');
    const f = join(dir, 'f');
    const renames = own();
    const w = record(f, renames);
    renames.expect(); // nothing watches "later" yet: no expectation is taken
    fs.mkdirSync(dir);
    await w.next(); // the directory's creation; the chain now watches it
    await drained();
    const before = w.count;
    const seen = w.next();
    fs.writeFileSync(f + '.tmp', 'x');
    fs.renameSync(f + '.tmp', f);
    await seen;
    expect(w.count).toBe(before + 1);
  }, TIMEOUT);

  it('forgets an expectation older than its maximum age (or from the future), and one whose rename failed', async () => {
    const f = join(tmp, 'f');
    const renames = own();
    const w = record(f, renames);
    renames.expect();
    clock = 1001; // the echo never came in time: the next event is not taken for it
    let seen = w.next();
    writeAtomic(f, 'theirs');
    await seen;
    expect(w.count).toBe(1);
    renames.expect();
    renames.cancel();
    seen = w.next();
    writeAtomic(f, 'theirs again');
    await seen;
    expect(w.count).toBe(2);
    renames.expect();
    clock -= 5000; // the clock was set back: not trusted either
    seen = w.next();
    writeAtomic(f, 'and again');
    await seen;
    expect(w.count).toBe(3);
  }, TIMEOUT);

  it('drops expectations when the directory watch is replaced', async () => {
    const dir = join(tmp, 'd');
    const f = join(dir, 'f');
    fs.mkdirSync(dir);
    const renames = own();
    const w = record(f, renames);
    renames.expect(); // its echo will never come: the directory is replaced first
    fs.renameSync(dir, join(tmp, 'old'));
    fs.mkdirSync(dir);
    await drained();
    const before = w.count;
    const seen = w.next();
    writeAtomic(f, 'theirs');
    await seen;
    expect(w.count).toBe(before + 1);
  }, TIMEOUT);
});
