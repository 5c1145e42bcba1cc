// The compile cache is used only in a directory this process owns that nobody else may write.
import { chmod, mkdir, mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownedPrivateDir } from './compile-cache.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxmgmt-cache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ownedPrivateDir', () => {
  it('creates a missing directory with mode 0700 and takes it', async () => {
    const d = join(dir, 'new');
    expect(ownedPrivateDir(d)).toBe(true);
    expect(((await stat(d)).mode & 0o777).toString(8)).toBe('700');
    expect(ownedPrivateDir(d)).toBe(true);
  });

  it('refuses a directory that a group or other users may write', async () => {
    for (const mode of [0o770, 0o777, 0o1777, 0o702]) {
      const d = join(dir, `mode-${mode.toString(8)}`);
      await mkdir(d);
      await chmod(d, mode);
      expect(ownedPrivateDir(d), mode.toString(8)).toBe(false);
    }
  });

  it('refuses a symlink, even to a private directory of ours', async () => {
    const target = join(dir, 'target');
    await mkdir(target, { mode: 0o700 });
    await symlink(target, join(dir, 'link'));
    expect(ownedPrivateDir(join(dir, 'link'))).toBe(false);
  });

  it('refuses a directory that belongs to another user', async (ctx) => {
    if (process.geteuid?.() !== 0) return ctx.skip(); // only root can give a directory away
    const d = join(dir, 'theirs');
    await mkdir(d, { mode: 0o700 });
    const { chown } = await import('node:fs/promises');
    await chown(d, 65534, 65534);
    expect(ownedPrivateDir(d)).toBe(false);
  });

  it('gives up, without throwing, where it may not create the directory', () => {
    expect(ownedPrivateDir(join(dir, 'no-such-parent', 'cache'))).toBe(false);
  });
});
