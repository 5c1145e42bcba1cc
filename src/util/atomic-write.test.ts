// writeFileAtomic and symlinkAtomic against real files in a fresh temporary directory per test.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AtomicWriteOptions, symlinkAtomic, tempNamePid, tempPathFor, writeFileAtomic, writeFileAtomicSync } from './atomic-write.js';

/** Both writers, the synchronous one behind the same signature: one contract. */
const writers = {
  writeFileAtomic,
  writeFileAtomicSync: async (path: string, data: string | Uint8Array, opts?: AtomicWriteOptions) =>
    writeFileAtomicSync(path, typeof data === 'string' ? Buffer.from(data) : data, opts),
};

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-atomic-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const modeOf = (p: string) => fs.statSync(p).mode & 0o7777;

describe('tempPathFor', () => {
  it('names a hidden file in the same directory, unique per call', () => {
    const a = tempPathFor('/etc/motd');
    const b = tempPathFor('/etc/motd');
    expect(a).toMatch(new RegExp(`^/etc/\\.motd\\.rxmgmt-${process.pid}-\\d+$`));
    expect(a).not.toBe(b);
  });

  it('stays in the directory of the path, the root and a relative one too', () => {
    expect(tempPathFor('/motd')).toMatch(new RegExp(`^/\\.motd\\.rxmgmt-${process.pid}-\\d+$`));
    expect(tempPathFor('motd')).toMatch(new RegExp(`^\\./\\.motd\\.rxmgmt-${process.pid}-\\d+$`));
    expect(tempPathFor('/a/b/c')).toMatch(new RegExp(`^/a/b/\\.c\\.rxmgmt-`));
  });

  it('keeps the name within NAME_MAX', () => {
    const long = 'x'.repeat(255);
    const name = tempPathFor(`/d/${long}`).slice('/d/'.length);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
  });
});

describe.each(Object.entries(writers))('%s', (_name, writeFileAtomic) => {
  it('creates a file with a string or bytes, and leaves no temporary file', async () => {
    await writeFileAtomic(join(tmp, 'a'), 'text\n');
    await writeFileAtomic(join(tmp, 'b'), Buffer.from([0, 1, 2]));
    expect(fs.readFileSync(join(tmp, 'a'), 'utf8')).toBe('text\n');
    expect([...fs.readFileSync(join(tmp, 'b'))]).toEqual([0, 1, 2]);
    expect(fs.readdirSync(tmp).sort()).toEqual(['a', 'b']);
  });

  it('replaces by rename: a reader holding the old file keeps the old content', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'old');
    const oldIno = fs.statSync(p).ino;
    const held = fs.openSync(p, 'r');
    await writeFileAtomic(p, 'new');
    expect(fs.readFileSync(held, 'utf8')).toBe('old');
    fs.closeSync(held);
    expect(fs.readFileSync(p, 'utf8')).toBe('new');
    expect(fs.statSync(p).ino).not.toBe(oldIno);
  });

  it('replaces a symlink, not its target', async () => {
    fs.writeFileSync(join(tmp, 'target'), 'target');
    fs.symlinkSync(join(tmp, 'target'), join(tmp, 'link'));
    await writeFileAtomic(join(tmp, 'link'), 'x');
    expect(fs.lstatSync(join(tmp, 'link')).isFile()).toBe(true);
    expect(fs.readFileSync(join(tmp, 'target'), 'utf8')).toBe('target');
  });

  it('sets the mode exactly, whatever the umask, setuid included', async () => {
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(join(tmp, 'f'), 'x', { mode: 0o4755 });
      await writeFileAtomic(join(tmp, 'g'), 'x');
    } finally {
      process.umask(old);
    }
    expect(modeOf(join(tmp, 'f'))).toBe(0o4755);
    expect(modeOf(join(tmp, 'g'))).toBe(0o600); // no mode: the usual 0666 narrowed by the umask
  });

  it('gives the mode asked for when the umask does not narrow it (no fchmod needed), and a group-writable one when it does', async () => {
    const old = process.umask(0o022);
    try {
      await writeFileAtomic(join(tmp, 'f'), 'x', { mode: 0o640 });
      await writeFileAtomic(join(tmp, 'g'), 'x', { mode: 0o664 });
    } finally {
      process.umask(old);
    }
    expect(modeOf(join(tmp, 'f'))).toBe(0o640);
    expect(modeOf(join(tmp, 'g'))).toBe(0o664);
  });

  it('sets owner and group before the mode, so setuid and setgid survive the chown', async () => {
    const p = join(tmp, 'f');
    await writeFileAtomic(p, 'x', { uid: 65534, gid: 65534, mode: 0o6750 });
    expect(fs.statSync(p)).toMatchObject({ uid: 65534, gid: 65534 });
    expect(modeOf(p)).toBe(0o6750);
  });

  it('fails when the directory is missing, leaving nothing behind', async () => {
    await expect(writeFileAtomic(join(tmp, 'missing', 'f'), 'x')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('removes its temporary file when the rename fails', async () => {
    fs.mkdirSync(join(tmp, 'dir'));
    fs.writeFileSync(join(tmp, 'dir', 'inside'), 'x');
    await expect(writeFileAtomic(join(tmp, 'dir'), 'x')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(fs.readdirSync(tmp)).toEqual(['dir']);
  });

  // As an unprivileged user (nobody), giving a file away is refused with EPERM: needs root to become nobody.
  it.skipIf(process.getuid?.() !== 0)('fails on a refused chown, unless the owner is only best effort', async () => {
    const dir = join(tmp, 'nobody');
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    fs.chmodSync(tmp, 0o755);
    const script = (bestEffort: boolean) => `
      import { ${_name} as write } from ${JSON.stringify(new URL('./atomic-write.ts', import.meta.url).pathname)};
      Promise.resolve().then(() => write(${JSON.stringify(join(dir, 'f'))}, Buffer.from('x'), { uid: 0, ownerBestEffort: ${bestEffort} }))
        .then(() => console.log('ok'), (e) => console.log(e.code));`;
    const { execFileSync } = await import('node:child_process');
    const run = (bestEffort: boolean) =>
      execFileSync(process.execPath, ['--experimental-strip-types', '--no-warnings', '--input-type=module', '-e', script(bestEffort)], {
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
      }).trim();
    expect(run(false)).toBe('EPERM');
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(run(true)).toBe('ok');
    expect(fs.statSync(join(dir, 'f')).uid).toBe(65534);
  });
});

describe('symlinkAtomic', () => {
  it('creates a link, then replaces it with another target in one step', async () => {
    const p = join(tmp, 'l');
    await symlinkAtomic('one', p);
    expect(fs.readlinkSync(p)).toBe('one');
    await symlinkAtomic('two', p);
    expect(fs.readlinkSync(p)).toBe('two');
    expect(fs.readdirSync(tmp)).toEqual(['l']);
  });

  it('replaces a regular file, and gives the link its owner', async () => {
    const p = join(tmp, 'l');
    fs.writeFileSync(p, 'x');
    await symlinkAtomic('/etc/hostname', p, { uid: 65534, gid: 65534 });
    expect(fs.lstatSync(p)).toMatchObject({ uid: 65534, gid: 65534 });
    expect(fs.lstatSync(p).isSymbolicLink()).toBe(true);
  });
});

describe.each(Object.entries(writers))('%s against a planted name', (_name, writeFileAtomic) => {
  it('fails on a symlink planted at its temporary name, never writing or chmod-ing the target', async () => {
    const target = join(tmp, 'target');
    fs.writeFileSync(target, 'keep', { mode: 0o600 });
    const p = join(tmp, 'f');
    const probe = tempPathFor(p); // the next write takes the next number
    const next = probe.replace(/-(\d+)$/, (_, n: string) => `-${Number(n) + 1}`);
    fs.symlinkSync(target, next);
    await expect(writeFileAtomic(p, 'evil', { mode: 0o666 })).rejects.toThrow(/EEXIST/);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep');
    expect(modeOf(target)).toBe(0o600);
    expect(fs.readlinkSync(next)).toBe(target); // someone else's name: left as it was
    expect(fs.existsSync(p)).toBe(false);
  });
});

describe('tempNamePid', () => {
  it('reads the pid of our own temp names only', () => {
    expect(tempNamePid('.motd.rxmgmt-812-3')).toBe(812);
    expect(tempNamePid('.a.b.rxmgmt-1-1')).toBe(1);
    expect(tempNamePid('motd.rxmgmt-812-3')).toBeUndefined();
    expect(tempNamePid('.motd.rxmgmt-x-3')).toBeUndefined();
    expect(tempNamePid('.motd.rxmgmt-812-3.moved')).toBeUndefined();
  });
});
