// The file resource against real files in a fresh temporary directory per test.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SchedulerLike, asyncScheduler, firstValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMeta } from '../model/spec.js';
import { memoryLogger } from '../util/logger.js';
import { FILE_CHECKS_IN_FLIGHT, QUICK_MAX_BYTES, fileKind } from './file.js';
import type { Resource } from '../model/resource.js';
import { waitFor } from '../../test/helpers/cli.js';
import type { Change } from '../model/events.js';
import { readSmallNoFollowSync } from './file/fs-steps.js';
import { isLocalDir } from './file/local-fs.js';
import { SLICE_JOBS } from './file/sync-slices.js';

// Every read of the file resource (async and the quick path's), and how many async ones run at
// once: the verified cache must skip reads (and only when sound), and the kind bounds its
// checks in flight.
const io = vi.hoisted(() => ({ reads: [] as string[], syncReads: [] as string[], inFlight: 0, maxInFlight: 0 }));
vi.mock('./file/fs-steps.js', async (importOriginal) => {
  const steps = await importOriginal<typeof import('./file/fs-steps.js')>();
  const counted = (original: (...args: never[]) => Promise<unknown>) => async (...args: unknown[]): Promise<unknown> => {
    io.reads.push(String(args[0]));
    io.maxInFlight = Math.max(io.maxInFlight, ++io.inFlight);
    try {
      return await (original as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      io.inFlight--;
    }
  };
  // The quick path's synchronous read: one at a time by construction.
  const countedSync = (path: string, max: number): Buffer | undefined => {
    io.reads.push(path);
    io.syncReads.push(path);
    return steps.readSmallNoFollowSync(path, max);
  };
  return { ...steps, readFile: counted(steps.readFile), readFileNoFollow: counted(steps.readFileNoFollow), readSmallNoFollowSync: countedSync };
});

/** Log lines without the `file[name]: ` subject, which every line of one resource shares. */
const messages = (log: { lines: string[] }): string[] => log.lines.map((l) => l.replace(/ file\[[^\]]*\]: /, ' '));

let tmp: string;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-file-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Validates params, applies the schema's defaults and creates the resource, as the engine does. */
function file(params: Record<string, unknown>, log = memoryLogger(), scheduler: SchedulerLike = asyncScheduler): Resource {
  const problem = fileKind.validate!(params);
  if (problem) throw new Error(problem);
  const withDefaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fileKind.fields)) {
    if (field.default !== undefined) withDefaults[key] = field.default;
  }
  const spec = { kind: 'file', name: 'f', meta: { ...defaultMeta }, params: { ...withDefaults, ...params }, pos: { file: 'test.yaml', line: 1 } };
  return fileKind.create(spec, { hostname: 'test', log, scheduler });
}

const apply = (r: Resource) => firstValueFrom(r.checkApply(true, false));
const check = (r: Resource) => firstValueFrom(r.checkApply(false, false));
const modeOf = (p: string) => fs.statSync(p).mode & 0o7777;

/** Everything observable about the tree under `dir`, to prove that nothing changed. */
function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = join(d, name);
      const st = fs.lstatSync(p);
      const body = st.isFile() ? fs.readFileSync(p, 'utf8') : '';
      lines.push(`${p} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.ino} ${st.mtimeMs} ${body}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return lines.join('\n');
}

describe('file: validate', () => {
  const v = (params: Record<string, unknown>) => fileKind.validate!(params);

  it('accepts path, or dirname with basename', () => {
    expect(v({ path: '/etc/motd' })).toBeUndefined();
    expect(v({ dirname: '/etc/', basename: 'motd' })).toBeUndefined();
  });

  it('rejects both forms at once, neither, or half of the old one', () => {
    expect(v({ path: '/a', dirname: '/b', basename: 'c' })).toMatch(/either `path`, or `dirname` with `basename`/);
    expect(v({})).toMatch(/needs `path`/);
    expect(v({ dirname: '/tmp' })).toMatch(/both are needed/);
  });

  it('rejects a relative path', () => {
    expect(v({ path: 'etc/motd' })).toMatch(/`path` must be absolute, got "etc\/motd"/);
    expect(v({ dirname: 'etc', basename: 'motd' })).toMatch(/`dirname` must be absolute/);
  });

  it('accepts content on a directory (mgmt ignores it, and so do we)', () => {
    expect(v({ path: '/tmp/d/', content: 'x' })).toBeUndefined();
    expect(v({ dirname: '/tmp', basename: 'd/', content: 'x' })).toBeUndefined();
    expect(v({ path: '/tmp/d/', content: 'x', source: '/srv/d/', recurse: true })).toBeUndefined();
  });

  it('takes an absolute source, instead of content on a file', () => {
    expect(v({ path: '/a', source: '/srv/a' })).toBeUndefined();
    expect(v({ path: '/a', source: '/dev/null' })).toBeUndefined();
    expect(v({ path: '/a', source: 'srv/a' })).toMatch(/`source` must be an absolute path, got "srv\/a"/);
    expect(v({ path: '/a', source: '/srv/a', content: 'x' })).toMatch(/either `content` or `source`, not both/);
    expect(v({ path: '/a', source: '/srv/d/' })).toMatch(/`source` "\/srv\/d\/" ends in "\/" .* names a file/);
    expect(v({ path: '/a', source: '/./a' })).toMatch(/`source` is the file itself/);
  });

  it('takes recurse only for a directory; recurse false is the default anywhere', () => {
    expect(v({ path: '/a', recurse: false })).toBeUndefined();
    expect(v({ path: '/a', source: '/srv/a', recurse: true })).toMatch(/^`recurse` is for directories .* "\/a" names a file/);
    expect(v({ path: '/d/', source: '/srv/d/', recurse: true })).toBeUndefined();
    expect(v({ path: '/d/', source: '/dev/null', recurse: true })).toBeUndefined();
    expect(v({ path: '/d/', recurse: true })).toBeUndefined();
  });

  it('refuses a mirrored tree that overlaps its source', () => {
    for (const [path, source] of [['/srv/d/', '/srv/d'], ['/srv/d/', '/srv/'], ['/srv/', '/srv/d/sub'], ['/d/', '/']]) {
      expect(v({ path, source, recurse: true }), `${path} <- ${source}`).toMatch(/overlap/);
    }
    expect(v({ path: '/srv/d/', source: '/srv/d2/', recurse: true })).toBeUndefined();
    expect(v({ path: '/srv/d/', source: '/srv/', recurse: false })).toBeUndefined(); // not mirrored: no loop
  });

  it('checks that mode is octal digits', () => {
    expect(v({ path: '/a', mode: '0644' })).toBeUndefined();
    expect(v({ path: '/a', mode: '741' })).toBeUndefined();
    expect(v({ path: '/a', mode: '0648' })).toMatch(/octal digits/);
    expect(v({ path: '/a', mode: 'rw-r--r--' })).toMatch(/octal digits/);
  });

  it('refuses NUL bytes in paths and names, showing them escaped', () => {
    expect(v({ path: '/etc/mo\0td' })).toBe('`path` contains a NUL byte, which no path or name can hold: "/etc/mo\\x00td"');
    expect(v({ dirname: '/etc/', basename: 'a\0' })).toMatch(/^`basename` contains a NUL byte/);
    expect(v({ path: '/etc/motd', source: '/srv/\0' })).toMatch(/^`source` contains a NUL byte/);
    expect(v({ path: '/etc/motd', owner: 'ro\0ot' })).toMatch(/^`owner` contains a NUL byte/);
  });

  it('refuses impossible owners and groups: negative, past 2^32-2, or neither an id nor a name', () => {
    expect(v({ path: '/x', owner: '-1' })).toBe('`owner`: "-1" is not a possible user id: an id is a whole number from 0 to 4294967294');
    expect(v({ path: '/x', owner: '4294967295' })).toBe('`owner`: "4294967295" is not a possible user id: ids go from 0 to 4294967294');
    expect(v({ path: '/x', group: '1.5' })).toBe('`group`: "1.5" is not a possible group id: an id is a whole number from 0 to 4294967294');
    expect(v({ path: '/x', owner: 'bad name' })).toBe('`owner`: "bad name" is neither a numeric id nor a possible user name (letters, digits, "_", ".", "-", "@")');
    expect(v({ path: '/x', group: 'a:b' })).toMatch(/^`group`: "a:b" is neither a numeric id nor a possible group name/);
    expect(v({ path: '/x', owner: '4294967294', group: 'www-data' })).toBeUndefined();
    expect(v({ path: '/x', owner: 'svc$', group: '0' })).toBeUndefined();
  });

  it('escapes control characters of the path in its messages and log lines', async () => {
    const log = memoryLogger();
    const p = join(tmp, 'a\nfake line\x1b[31m');
    await apply(file({ path: p, content: 'x' }, log));
    expect(fs.readFileSync(p, 'utf8')).toBe('x');
    expect(messages(log)).toEqual([`info ${tmp}/a\\nfake line\\x1b[31m: create file`]);
    expect(v({ path: 'rel\x1b[2J' })).toBe('`path` must be absolute, got "rel\\x1b[2J"');
  });

  it('rejects an unknown state', () => {
    expect(v({ path: '/a', state: 'present' })).toMatch(/"exists" or "absent"/);
  });

  it('documents every field', () => {
    for (const [name, field] of Object.entries(fileKind.fields)) expect(field.doc, name).not.toBe('');
    expect(fileKind.fields.state!.default).toBe('exists');
    expect(fileKind.fields.force!.default).toBe(false);
    expect(fileKind.fields.recurse!.default).toBe(false);
  });
});

describe('file: checkApply on a file', () => {
  it('creates a missing file with its content, then reports it correct', async () => {
    const p = join(tmp, 'f');
    const r = file({ path: p, content: 'hello\n' });
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('hello\n');
    expect(await apply(r)).toBe(true);
  });

  it('creates missing parent directories', async () => {
    const p = join(tmp, 'a', 'b', 'f');
    expect(await apply(file({ path: p, content: 'x' }))).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('x');
  });

  it('builds the path from dirname and basename', async () => {
    expect(await apply(file({ dirname: tmp + '/', basename: 'f', content: 'x' }))).toBe(false);
    expect(fs.readFileSync(join(tmp, 'f'), 'utf8')).toBe('x');
  });

  it('returns true and touches nothing when already correct', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'same', { mode: 0o640 });
    const before = snapshot(tmp);
    expect(await apply(file({ path: p, content: 'same', mode: '0640' }))).toBe(true);
    expect(snapshot(tmp)).toBe(before);
  });

  it('rewrites wrong content, of another length or of the same length', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'a much longer wrong content');
    expect(await apply(file({ path: p, content: 'right' }))).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('right');
    fs.writeFileSync(p, 'wrong');
    expect(await apply(file({ path: p, content: 'right' }))).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('right');
  });

  it('takes an empty content as content: empties a file, and writes multi-byte text byte for byte', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'not empty');
    expect(await apply(file({ path: p, content: '' }))).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('');
    expect(await apply(file({ path: p, content: '' }))).toBe(true);
    // 'é' is 2 bytes: a file of 2 one-byte characters has the same byte length, not the same content.
    fs.writeFileSync(p, 'xx');
    expect(await apply(file({ path: p, content: 'é' }))).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('é');
    expect(await apply(file({ path: p, content: 'é' }))).toBe(true);
  });

  it('writes atomically: a new inode renamed into place, no temporary file left behind', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'old');
    const oldIno = fs.statSync(p).ino;
    const held = fs.openSync(p, 'r'); // a reader that opened the old file keeps the old content
    for (const content of ['one', 'two', 'three']) await apply(file({ path: p, content }));
    expect(fs.readFileSync(held, 'utf8')).toBe('old');
    fs.closeSync(held);
    expect(fs.statSync(p).ino).not.toBe(oldIno);
    expect(fs.readdirSync(tmp)).toEqual(['f']);
  });

  it('keeps the mode of a file whose content it rewrites when mode is not managed', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'old');
    fs.chmodSync(p, 0o751);
    await apply(file({ path: p, content: 'new' }));
    expect(modeOf(p)).toBe(0o751);
  });

  it('leaves content alone when it is not managed, and creates an empty file when missing', async () => {
    const p = join(tmp, 'f');
    expect(await apply(file({ path: p }))).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('');
    fs.writeFileSync(p, 'anything');
    expect(await apply(file({ path: p }))).toBe(true);
    expect(fs.readFileSync(p, 'utf8')).toBe('anything');
  });

  it('sets the mode on creation despite the umask, and fixes a wrong one', async () => {
    const p = join(tmp, 'f');
    expect(await apply(file({ path: p, content: 'x', mode: '0666' }))).toBe(false);
    expect(modeOf(p)).toBe(0o666);
    expect(await apply(file({ path: p, content: 'x', mode: '741' }))).toBe(false);
    expect(modeOf(p)).toBe(0o741);
    expect(await apply(file({ path: p, content: 'x', mode: '741' }))).toBe(true);
  });

  it('sets owner and group by name or number', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'x');
    expect(await apply(file({ path: p, owner: 'nobody', group: 'nogroup' }))).toBe(false);
    expect(fs.statSync(p)).toMatchObject({ uid: 65534, gid: 65534 });
    expect(await apply(file({ path: p, owner: '65534', group: '65534' }))).toBe(true);
    expect(await apply(file({ path: p, owner: 'root' }))).toBe(false);
    expect(fs.statSync(p)).toMatchObject({ uid: 0, gid: 65534 });
  });

  it('sets owner, group and mode on the temporary file of a new write', async () => {
    const p = join(tmp, 'f');
    expect(await apply(file({ path: p, content: 'x', owner: 'nobody', group: 'nogroup', mode: '4750' }))).toBe(false);
    expect(fs.statSync(p)).toMatchObject({ uid: 65534, gid: 65534 });
    expect(modeOf(p)).toBe(0o4750); // chown came before chmod, so the setuid bit survived
  });

  it('fails on an unknown user or group, naming the path and the name', async () => {
    const p = join(tmp, 'f');
    await expect(apply(file({ path: p, owner: 'no-such-user-rxmgmt' }))).rejects.toThrow(
      `file ${p}: unknown user "no-such-user-rxmgmt" (not in /etc/passwd)`,
    );
    await expect(apply(file({ path: p, group: 'no-such-group-rxmgmt' }))).rejects.toThrow(/unknown group "no-such-group-rxmgmt"/);
    expect(fs.existsSync(p)).toBe(false);
  });

  it('fails with the path and the reason when a parent is a regular file', async () => {
    fs.writeFileSync(join(tmp, 'regular'), 'x');
    const p = join(tmp, 'regular', 'f');
    await expect(apply(file({ path: p, content: 'x' }))).rejects.toThrow(new RegExp(`^file ${p}: cannot .*(ENOTDIR|EEXIST)`));
  });

  it('replaces a directory by a file only with force', async () => {
    const p = join(tmp, 'f');
    fs.mkdirSync(p);
    fs.writeFileSync(join(p, 'inside'), 'x');
    await expect(apply(file({ path: p, content: 'x' }))).rejects.toThrow(`file ${p}: is a directory, not a regular file; set force: true`);
    expect(await apply(file({ path: p, content: 'x', force: true }))).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('x');
  });

  it('replaces a symlink by a file only with force, leaving its target alone', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(join(tmp, 'target'), 'target');
    fs.symlinkSync(join(tmp, 'target'), p);
    await expect(apply(file({ path: p, content: 'x' }))).rejects.toThrow(/is a symlink/);
    expect(await apply(file({ path: p, content: 'x', force: true }))).toBe(false);
    expect(fs.lstatSync(p).isFile()).toBe(true);
    expect(fs.readFileSync(join(tmp, 'target'), 'utf8')).toBe('target');
  });
});

describe('file: the verified cache', () => {
  const readsOf = (p: string) => io.reads.filter((r) => r === p).length;
  /**
   * Waits until the clock says a change to `p` is older than the cache's margin (100 ms; 3 s if
   * its times have no sub-second digits): the condition itself, since ctime is wall-clock time.
   */
  const settle = (p: string) => {
    const { ctimeNs } = fs.statSync(p, { bigint: true });
    const marginNs = ctimeNs % 1_000_000_000n === 0n ? 3_000_000_000n : 100_000_000n;
    return waitFor(() => BigInt(Date.now()) * 1_000_000n > ctimeNs + marginNs, `the change to ${p} to be older than the margin`, { timeoutMs: 10_000 });
  };

  beforeEach(() => {
    io.reads.length = 0;
  });

  it('reads a file once, then trusts its unchanged lstat identity', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'hello\n');
    await settle(p);
    const r = file({ path: p, content: 'hello\n' });
    expect(await check(r)).toBe(true);
    expect(readsOf(p)).toBe(1);
    expect(await check(r)).toBe(true);
    expect(await apply(r)).toBe(true);
    expect(readsOf(p)).toBe(1);
  });

  it('sees a change of the same length made by someone else, in place or by rename', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'hello\n');
    await settle(p);
    const r = file({ path: p, content: 'hello\n' });
    expect(await check(r)).toBe(true);
    fs.writeFileSync(p, 'HELLO\n'); // same inode, same size
    expect(await check(r)).toBe(false);
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('hello\n');

    await settle(p);
    expect(await check(r)).toBe(true);
    const fd = fs.openSync(p, 'r+'); // one byte, in place, no truncation
    fs.writeSync(fd, 'j', 0);
    fs.closeSync(fd);
    expect(await check(r)).toBe(false);
    expect(await apply(r)).toBe(false);

    await settle(p);
    expect(await check(r)).toBe(true);
    fs.writeFileSync(join(tmp, 'other'), 'jello\n');
    fs.renameSync(join(tmp, 'other'), p);
    expect(await check(r)).toBe(false);
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('hello\n');
  });

  it('sees a chmod: as a wrong mode when it manages the mode, by reading again when it does not', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'x', { mode: 0o640 });
    fs.chmodSync(p, 0o640);
    await settle(p);
    const managed = file({ path: p, content: 'x', mode: '0640' });
    expect(await check(managed)).toBe(true);
    expect(await check(managed)).toBe(true);
    expect(readsOf(p)).toBe(1);
    fs.chmodSync(p, 0o600);
    expect(await check(managed)).toBe(false);
    expect(await apply(managed)).toBe(false);
    expect(modeOf(p)).toBe(0o640);

    await settle(p);
    io.reads.length = 0;
    const unmanaged = file({ path: p, content: 'x' });
    expect(await check(unmanaged)).toBe(true);
    expect(await check(unmanaged)).toBe(true);
    expect(readsOf(p)).toBe(1);
    fs.chmodSync(p, 0o600); // a new ctime: the content is read again
    expect(await check(unmanaged)).toBe(true);
    expect(readsOf(p)).toBe(2);
  });

  it('does not trust a file it has just written, or one changed within the margin', async () => {
    const p = join(tmp, 'f');
    const r = file({ path: p, content: 'new\n' });
    expect(await apply(r)).toBe(false);
    expect(await check(r)).toBe(true);
    expect(await check(r)).toBe(true);
    expect(readsOf(p)).toBe(2); // same-tick writes by others would keep the identity: read each time
    fs.writeFileSync(p, 'NEW\n');
    expect(await check(r)).toBe(false); // and so sees this one
    expect(await apply(r)).toBe(false);
    expect(readsOf(p)).toBe(4);
    await settle(p);
    expect(await check(r)).toBe(true);
    expect(await check(r)).toBe(true);
    expect(readsOf(p)).toBe(5);
  });

  it('compares again when the wanted content changes (a source rewritten to the same length)', async () => {
    const src = join(tmp, 'src');
    const p = join(tmp, 'f');
    fs.writeFileSync(src, 'one\n');
    fs.writeFileSync(p, 'one\n');
    await settle(p);
    const r = file({ path: p, source: src });
    expect(await check(r)).toBe(true);
    expect(await check(r)).toBe(true);
    expect(readsOf(p)).toBe(1);
    fs.writeFileSync(src, 'two\n');
    expect(await check(r)).toBe(false);
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('two\n');
  });
});

describe('file: checks in flight', () => {
  it(`runs at most ${FILE_CHECKS_IN_FLIGHT} file checks at once, over all file resources`, async () => {
    const n = FILE_CHECKS_IN_FLIGHT * 4;
    const paths = Array.from({ length: n }, (_, i) => join(tmp, `f${i}`));
    // Bigger than the quick path takes: every check goes through the thread pool.
    const body = (p: string) => `i am ${p}\n`.padEnd(QUICK_MAX_BYTES + 1, '.');
    for (const p of paths) fs.writeFileSync(p, body(p));
    io.maxInFlight = 0;
    const results = await Promise.all(paths.map((p) => check(file({ path: p, content: body(p) }))));
    expect(results).toEqual(paths.map(() => true));
    expect(io.maxInFlight).toBeGreaterThan(1);
    expect(io.maxInFlight).toBeLessThanOrEqual(FILE_CHECKS_IN_FLIGHT);
  });
});

describe('file: state absent', () => {
  it('removes a file, then reports it correct', async () => {
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'x');
    const r = file({ path: p, state: 'absent' });
    expect(await apply(r)).toBe(false);
    expect(fs.existsSync(p)).toBe(false);
    expect(await apply(r)).toBe(true);
  });

  it('is satisfied when a parent is missing or is a regular file', async () => {
    fs.writeFileSync(join(tmp, 'regular'), 'x');
    expect(await apply(file({ path: join(tmp, 'missing', 'f'), state: 'absent' }))).toBe(true);
    expect(await apply(file({ path: join(tmp, 'regular', 'f'), state: 'absent' }))).toBe(true);
  });

  it('removes an empty directory, a non-empty one only with force', async () => {
    const d = join(tmp, 'd');
    fs.mkdirSync(d);
    expect(await apply(file({ path: d + '/', state: 'absent' }))).toBe(false);
    expect(fs.existsSync(d)).toBe(false);
    fs.mkdirSync(join(d, 'sub'), { recursive: true });
    fs.writeFileSync(join(d, 'sub', 'f'), 'x');
    await expect(apply(file({ path: d + '/', state: 'absent' }))).rejects.toThrow(
      `file ${d}/: cannot remove directory: it is not empty; set force: true`,
    );
    expect(fs.existsSync(join(d, 'sub', 'f'))).toBe(true);
    expect(await apply(file({ path: d + '/', state: 'absent', force: true }))).toBe(false);
    expect(fs.existsSync(d)).toBe(false);
  });
});

describe('file: directories', () => {
  it('creates a directory and its parents, with the mode asked for', async () => {
    const d = join(tmp, 'a', 'd');
    const r = file({ path: d + '/', mode: '0750' });
    expect(await apply(r)).toBe(false);
    expect(fs.statSync(d).isDirectory()).toBe(true);
    expect(modeOf(d)).toBe(0o750);
    expect(await apply(r)).toBe(true);
  });

  it('takes a basename ending in "/" as a directory', async () => {
    expect(await apply(file({ dirname: tmp, basename: 'd/' }))).toBe(false);
    expect(fs.statSync(join(tmp, 'd')).isDirectory()).toBe(true);
  });

  it('fixes owner and mode of an existing directory', async () => {
    const d = join(tmp, 'd');
    fs.mkdirSync(d, { mode: 0o755 });
    expect(await apply(file({ path: d + '/', mode: '0700', owner: 'nobody' }))).toBe(false);
    expect(modeOf(d)).toBe(0o700);
    expect(fs.statSync(d).uid).toBe(65534);
  });

  it('replaces a file by a directory only with force', async () => {
    const d = join(tmp, 'd');
    fs.writeFileSync(d, 'x');
    await expect(apply(file({ path: d + '/' }))).rejects.toThrow(`file ${d}/: is a regular file, not a directory; set force: true`);
    expect(await apply(file({ path: d + '/', force: true }))).toBe(false);
    expect(fs.statSync(d).isDirectory()).toBe(true);
  });
});

describe('file: noop (apply = false)', () => {
  const cases: [string, () => Record<string, unknown>, () => void][] = [
    ['a missing file', () => ({ path: join(tmp, 'new', 'f'), content: 'x' }), () => {}],
    ['wrong content', () => ({ path: join(tmp, 'f'), content: 'right' }), () => fs.writeFileSync(join(tmp, 'f'), 'wrong')],
    ['a wrong mode', () => ({ path: join(tmp, 'f'), mode: '0600' }), () => fs.writeFileSync(join(tmp, 'f'), 'x', { mode: 0o644 })],
    ['a wrong owner', () => ({ path: join(tmp, 'f'), owner: 'nobody' }), () => fs.writeFileSync(join(tmp, 'f'), 'x')],
    ['a file to remove', () => ({ path: join(tmp, 'f'), state: 'absent' }), () => fs.writeFileSync(join(tmp, 'f'), 'x')],
    ['a directory to create', () => ({ path: join(tmp, 'd') + '/' }), () => {}],
    ['a directory to remove', () => ({ path: join(tmp, 'd') + '/', state: 'absent', force: true }), () => fs.mkdirSync(join(tmp, 'd', 'e'), { recursive: true })],
    ['a file to replace by a directory', () => ({ path: join(tmp, 'd') + '/', force: true }), () => fs.writeFileSync(join(tmp, 'd'), 'x')],
  ];
  for (const [what, params, setup] of cases) {
    it(`reports ${what} as wrong and changes nothing`, async () => {
      setup();
      const before = snapshot(tmp);
      expect(await check(file(params()))).toBe(false);
      expect(snapshot(tmp)).toBe(before);
    });
  }

  it('logs what it would do, and after applying what it did; a failed change is not logged as done', async () => {
    const log = memoryLogger();
    const p = join(tmp, 'f');
    await check(file({ path: p, content: 'x', mode: '0600' }, log));
    await apply(file({ path: p, content: 'x', mode: '0600' }, log));
    fs.chmodSync(p, 0o644);
    await apply(file({ path: p, content: 'x', mode: '0600' }, log));
    fs.writeFileSync(join(tmp, 'regular'), '');
    await apply(file({ path: join(tmp, 'regular', 'f') }, log)).catch(() => undefined);
    expect(messages(log)).toEqual([
      `info ${p}: noop, would create file`,
      `info ${p}: create file`,
      `info ${p}: chmod 0600`,
    ]);
  });

  it('reports a correct file as correct', async () => {
    fs.writeFileSync(join(tmp, 'f'), 'x');
    expect(await check(file({ path: join(tmp, 'f'), content: 'x' }))).toBe(true);
  });
});

describe('file: identity', () => {
  it('provides its path, wants whatever installs that path, and its parent directories nearest first', () => {
    expect(file({ path: '/etc/ssh/sshd_config' }).autoEdges!()).toEqual({
      provides: ['file:/etc/ssh/sshd_config'],
      wants: [['file:/etc/ssh/sshd_config'], ['file:/etc/ssh/', 'file:/etc/', 'file:/']],
    });
    expect(file({ dirname: '/etc/', basename: 'ssh/' }).autoEdges!()).toEqual({
      provides: ['file:/etc/ssh/'],
      wants: [['file:/etc/ssh/'], ['file:/etc/', 'file:/']],
    });
  });

  it('gives files of one directory the same parents, whichever directory came before, and the root none', () => {
    const parents = (path: string) => file({ path }).autoEdges!().wants.slice(1);
    expect(parents('/srv/a/x')).toEqual([['file:/srv/a/', 'file:/srv/', 'file:/']]);
    expect(parents('/srv/a/y')).toEqual([['file:/srv/a/', 'file:/srv/', 'file:/']]);
    expect(parents('/srv/b/')).toEqual([['file:/srv/', 'file:/']]);
    expect(parents('/srv/a/z')).toEqual([['file:/srv/a/', 'file:/srv/', 'file:/']]);
    expect(parents('/x')).toEqual([['file:/']]);
    expect(parents('/')).toEqual([]);
    // Shared between them, so nobody may change it.
    expect(Object.isFrozen(parents('/srv/a/x')[0])).toBe(true);
  });

  it('manages its normalised path: /x, /x/, //x and dirname + basename are one thing', () => {
    const all = [file({ path: '/srv/x' }), file({ path: '/srv/x/' }), file({ path: '//srv//x' }), file({ dirname: '/srv/', basename: 'x' }), file({ path: '/srv/./y/../x' })];
    expect(all.map((r) => r.manages!())).toEqual(Array(5).fill(['file:/srv/x']));
    expect(file({ path: '/' }).manages!()).toEqual(['file:/']);
  });

    it('fingerprints the resolved desired state', () => {
    const a = file({ path: '/tmp/x/../f', content: 'x', mode: '644' });
    const b = file({ dirname: '/tmp', basename: 'f', content: 'x', mode: '0644' });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(JSON.parse(a.fingerprint)).toEqual({
      path: '/tmp/f', state: 'exists', content: 'x', source: null, recurse: false, mode: '0644', owner: null, group: null, force: false, sensitive: false,
    });
    expect(file({ path: '/tmp/f', content: 'y' }).fingerprint).not.toBe(a.fingerprint);
  });

  it('fingerprints a source where it is used, and never a directory\'s ignored content', () => {
    expect(file({ path: '/d/', content: 'x' }).fingerprint).toBe(file({ path: '/d/' }).fingerprint);
    expect(JSON.parse(file({ path: '/d/', source: '/srv/d/', recurse: true }).fingerprint)).toMatchObject({ source: '/srv/d', recurse: true });
    expect(JSON.parse(file({ path: '/f', source: '/srv/f' }).fingerprint)).toMatchObject({ source: '/srv/f', recurse: false });
    // A directory without recurse does not use its source.
    expect(file({ path: '/d/', source: '/srv/d/' }).fingerprint).toBe(file({ path: '/d/' }).fingerprint);
  });

  it('also wants the resource that manages its source, when it copies one', () => {
    const wants = (params: Record<string, unknown>) => file(params).autoEdges!().wants.slice(1); // after its own path
    expect(wants({ path: '/etc/app.conf', source: '/srv/app.conf' })).toEqual([['file:/etc/', 'file:/'], ['file:/srv/app.conf']]);
    expect(wants({ path: '/srv/www/', source: '/var/lib/site/', recurse: true })).toEqual([['file:/srv/', 'file:/'], ['file:/var/lib/site/']]);
    expect(wants({ path: '/etc/drbd.d/', source: '/dev/null', recurse: true })).toEqual([['file:/etc/', 'file:/']]);
    expect(wants({ path: '/etc/drbd.d/', source: '/srv/x/' })).toEqual([['file:/etc/', 'file:/']]);
  });
});

describe('file: collect', () => {
  it('puts a collected file in the pattern directory under its own name', () => {
    const c = (params: Record<string, unknown>) => fileKind.collect!(params, '/tmp/mgmtA/');
    expect(c({ path: '/elsewhere/f1', content: 'x', mode: '0644' })).toEqual({ path: '/tmp/mgmtA/f1', content: 'x', mode: '0644' });
    expect(c({ dirname: '/tmp/mgmt/', basename: 'f2', content: 'y' })).toEqual({ path: '/tmp/mgmtA/f2', content: 'y' });
    expect(c({ path: '/srv/site/', state: 'exists' })).toEqual({ path: '/tmp/mgmtA/site/', state: 'exists' });
    expect(fileKind.validate!(c({ path: '/elsewhere/f1' }))).toBeUndefined();
  });
});

describe('file: watch', () => {
  it('emits when the file is deleted, and not for its own rewrite', async () => {
    const p = join(tmp, 'f');
    const r = file({ path: p, content: 'x' });
    await apply(r);
    const w = events(r);
    fs.unlinkSync(p);
    await w.next();
    expect(await apply(r)).toBe(false);
    // A barrier in the same directory: inotify delivers its event after the rewrite's echo.
    const barrier = events(file({ path: join(tmp, 'barrier'), content: '' }));
    fs.writeFileSync(join(tmp, 'barrier'), 'b');
    await barrier.next();
    barrier.stop();
    expect(w.pending()).toBe(0);
    fs.chmodSync(p, 0o600); // someone else: reported
    await w.next();
    w.stop();
  }, 10_000);
});

/** Every emission of a watch, awaitable in order: `await w.next()` resolves at the next one. */
function events(r: Resource) {
  let count = 0;
  let seen = 0;
  let wake: (() => void) | undefined;
  let failure: unknown;
  const sub = r.watch().subscribe({
    next: () => {
      count++;
      wake?.();
    },
    error: (err: unknown) => {
      failure = err;
      wake?.();
    },
  });
  return {
    /** Resolves once an event arrives that was not consumed by an earlier next(). */
    async next(): Promise<void> {
      while (count <= seen) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      seen = count;
    },
    /** Forgets the events so far (our own writes, say). */
    drain(): void {
      seen = count;
    },
    /** Events not consumed by next() yet. */
    pending: () => count - seen,
    stop: () => sub.unsubscribe(),
  };
}

describe('file: source (a file)', () => {
  it('gives the file the content of the source, read at each check', async () => {
    const src = join(tmp, 'src');
    const p = join(tmp, 'f');
    fs.writeFileSync(src, 'one\n');
    const r = file({ path: p, source: src });
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('one\n');
    expect(await apply(r)).toBe(true);
    fs.writeFileSync(src, 'two, longer\n');
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('two, longer\n');
    fs.writeFileSync(p, 'drift, longer');
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('two, longer\n');
  });

  it('writes atomically, and a new copy gets the permission bits of the source, without setuid', async () => {
    const src = join(tmp, 'script');
    fs.writeFileSync(src, '#!/bin/sh\n');
    fs.chmodSync(src, 0o4750);
    const p = join(tmp, 'copy');
    fs.writeFileSync(p, 'old');
    fs.chmodSync(p, 0o600);
    const held = fs.openSync(p, 'r');
    expect(await apply(file({ path: p, source: src }))).toBe(false);
    expect(fs.readFileSync(held, 'utf8')).toBe('old');
    fs.closeSync(held);
    expect(modeOf(p)).toBe(0o600); // rewritten: keeps its own mode
    fs.unlinkSync(p);
    expect(await apply(file({ path: p, source: src }))).toBe(false);
    expect(modeOf(p)).toBe(0o750); // new: the source's rwx bits
    fs.unlinkSync(p);
    expect(await apply(file({ path: p, source: src, mode: '0644' }))).toBe(false);
    expect(modeOf(p)).toBe(0o644); // mode, when managed, wins
    expect(fs.readdirSync(tmp).sort()).toEqual(['copy', 'script']);
  });

  it('fails naming a missing source, and changes nothing', async () => {
    const p = join(tmp, 'sub', 'f');
    const src = join(tmp, 'nowhere');
    await expect(apply(file({ path: p, source: src }))).rejects.toThrow(`file ${p}: source ${src} does not exist`);
    await expect(check(file({ path: p, source: src }))).rejects.toThrow(/does not exist/);
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('fails on a source that is a directory or a fifo (which would block), and reads /dev/null as empty', async () => {
    const p = join(tmp, 'f');
    fs.mkdirSync(join(tmp, 'dir'));
    await expect(apply(file({ path: p, source: join(tmp, 'dir') }))).rejects.toThrow(/source .*dir is a directory; to mirror a directory, end the path in "\/"/);
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(tmp, 'fifo')]);
    await expect(apply(file({ path: p, source: join(tmp, 'fifo') }))).rejects.toThrow(/source .*fifo is a special file, not a regular file/);
    expect(fs.existsSync(p)).toBe(false);
    fs.writeFileSync(p, 'not empty');
    expect(await apply(file({ path: p, source: '/dev/null' }))).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('');
  });

  it('in noop reports a wrong copy, logs it, and changes nothing', async () => {
    const src = join(tmp, 'src');
    fs.writeFileSync(src, 'right');
    fs.writeFileSync(join(tmp, 'f'), 'wrong');
    const log = memoryLogger();
    const before = snapshot(tmp);
    expect(await check(file({ path: join(tmp, 'f'), source: src }, log))).toBe(false);
    expect(await check(file({ path: join(tmp, 'new'), source: src }, log))).toBe(false);
    expect(snapshot(tmp)).toBe(before);
    expect(messages(log)).toEqual([
      `info ${join(tmp, 'f')}: noop, would write content of ${src}`,
      `info ${join(tmp, 'new')}: noop, would create file`,
    ]);
  });

  it('watches the source as well as the file', async () => {
    const src = join(tmp, 'src');
    const p = join(tmp, 'f');
    fs.writeFileSync(src, 'one');
    const r = file({ path: p, source: src });
    await apply(r);
    const changed = firstValueFrom(r.watch());
    fs.writeFileSync(src, 'two');
    await changed;
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('two');
  }, 10_000);
});

describe('file: content on a directory', () => {
  it('is ignored, with a warning, as mgmt does', async () => {
    const d = join(tmp, 'd');
    const log = memoryLogger();
    const r = file({ path: d + '/', content: 'i am a directory\n' }, log);
    expect(await apply(r)).toBe(false);
    expect(fs.statSync(d).isDirectory()).toBe(true);
    expect(fs.readdirSync(d)).toEqual([]);
    expect(await apply(r)).toBe(true);
    expect(messages(log)).toEqual([
      `warn ${d}/: content is ignored on a directory (as mgmt does)`,
      `info ${d}/: create directory`,
    ]);
  });

  it('says so once, at the first run, not each time a graph is built', async () => {
    const log = memoryLogger();
    file({ path: join(tmp, 'd') + '/', content: 'x' }, log); // built, never run (a swap kept the old one)
    expect(messages(log)).toEqual([]);
    const r = file({ path: join(tmp, 'd') + '/', recurse: true }, log);
    await check(r);
    await check(r);
    expect(messages(log).filter((l) => l.startsWith('warn'))).toEqual([`warn ${tmp}/d/: recurse has no effect without source`]);
  });
});

/** Builds a tree: a path ending in "/" is a directory, `{link: target}` a symlink, else content. */
function tree(root: string, entries: Record<string, string | { link: string } | { mode: number; content: string }>): void {
  fs.mkdirSync(root, { recursive: true });
  for (const [rel, what] of Object.entries(entries)) {
    const p = join(root, rel);
    if (rel.endsWith('/')) fs.mkdirSync(p, { recursive: true });
    else {
      fs.mkdirSync(join(p, '..'), { recursive: true });
      if (typeof what === 'string') fs.writeFileSync(p, what);
      else if ('link' in what) fs.symlinkSync(what.link, p);
      else {
        fs.writeFileSync(p, what.content);
        fs.chmodSync(p, what.mode);
      }
    }
  }
}

/** The tree under `root` as relative path -> content ("dir/" for directories, "-> x" for links). */
function listing(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = fs.lstatSync(p);
      if (st.isDirectory()) {
        out[rel + name + '/'] = 'dir';
        walk(p, rel + name + '/');
      } else if (st.isSymbolicLink()) out[rel + name] = '-> ' + fs.readlinkSync(p);
      else out[rel + name] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(root, '');
  return out;
}

describe('file: source with recurse (a mirrored tree)', () => {
  const sourceTree = {
    'a.conf': 'a\n',
    'run.sh': { mode: 0o755, content: '#!/bin/sh\n' },
    'sub/': '',
    'sub/b.conf': 'b\n',
    'sub/deeper/c.conf': 'c\n',
    'empty/': '',
    'link': { link: 'a.conf' },
  };

  it('copies the whole tree into a new directory, then reports it correct', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    tree(src, sourceTree);
    fs.chmodSync(join(src, 'sub'), 0o750);
    fs.chmodSync(src, 0o711);
    const r = file({ path: dst + '/', source: src + '/', recurse: true });
    expect(await apply(r)).toBe(false);
    expect(listing(dst)).toEqual(listing(src));
    expect(listing(dst)).toMatchObject({ 'sub/deeper/c.conf': 'c\n', 'link': '-> a.conf', 'empty/': 'dir' });
    // New entries get the source's permission bits, the directory itself too (mode not managed).
    expect(modeOf(join(dst, 'run.sh'))).toBe(0o755);
    expect(modeOf(join(dst, 'sub'))).toBe(0o750);
    expect(modeOf(dst)).toBe(0o711);
    expect(await apply(r)).toBe(true);
  });

  it('follows a source given as a symlink to a directory, and takes it with or without the "/"', async () => {
    tree(join(tmp, 'real'), { f: 'x' });
    fs.symlinkSync(join(tmp, 'real'), join(tmp, 'src'));
    expect(await apply(file({ path: join(tmp, 'dst') + '/', source: join(tmp, 'src'), recurse: true }))).toBe(false);
    expect(listing(join(tmp, 'dst'))).toEqual({ f: 'x' });
  });

  it('repairs drift: wrong content (atomically), deleted entries, a relinked symlink', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    tree(src, sourceTree);
    const r = file({ path: dst + '/', source: src, recurse: true });
    await apply(r);
    const copied = join(dst, 'sub', 'b.conf');
    fs.writeFileSync(copied, 'B\n'); // same length, other content
    fs.chmodSync(copied, 0o600);
    const held = fs.openSync(copied, 'r');
    fs.rmSync(join(dst, 'sub', 'deeper'), { recursive: true });
    fs.unlinkSync(join(dst, 'link'));
    fs.symlinkSync('elsewhere', join(dst, 'link'));
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(held, 'utf8')).toBe('B\n'); // renamed into place, never written in place
    fs.closeSync(held);
    expect(modeOf(copied)).toBe(0o600); // a rewritten file keeps its mode
    expect(listing(dst)).toEqual(listing(src));
    expect(await apply(r)).toBe(true);
  });

  it('follows changes of the source: new, changed and (with force) removed entries', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    tree(src, sourceTree);
    const r = file({ path: dst + '/', source: src, recurse: true, force: true });
    await apply(r);
    fs.writeFileSync(join(src, 'a.conf'), 'a, version 2\n');
    tree(src, { 'new/d/e.conf': 'e\n' });
    fs.rmSync(join(src, 'sub'), { recursive: true });
    expect(await apply(r)).toBe(false);
    expect(listing(dst)).toEqual(listing(src));
  });

  it('without force leaves entries the source lacks alone; with force removes them', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    tree(src, { 'keep.conf': 'k', 'sub/x': 'x' });
    tree(dst, { 'extra.conf': 'e', 'sub/extra/y': 'y', 'sub/x': 'x' });
    expect(await apply(file({ path: dst + '/', source: src, recurse: true }))).toBe(false);
    expect(listing(dst)).toEqual({ 'extra.conf': 'e', 'keep.conf': 'k', 'sub/': 'dir', 'sub/extra/': 'dir', 'sub/extra/y': 'y', 'sub/x': 'x' });
    expect(await apply(file({ path: dst + '/', source: src, recurse: true }))).toBe(true);
    const log = memoryLogger();
    expect(await apply(file({ path: dst + '/', source: src, recurse: true, force: true }, log))).toBe(false);
    expect(listing(dst)).toEqual(listing(src));
    expect(messages(log)).toEqual([`info ${dst}/: remove sub/extra (not in the source)`, `info ${dst}/: remove extra.conf (not in the source)`]);
  });

  it('replaces an entry of the wrong type only with force, naming it', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    tree(src, { 'conf.d/': '', 'file': 'f', 'link': { link: 'file' } });
    tree(dst, { 'conf.d': 'a file where the source has a directory', 'file/inside': 'x', 'link': 'not a link' });
    await expect(apply(file({ path: dst + '/', source: src, recurse: true }))).rejects.toThrow(
      `file ${dst}/: conf.d is a regular file, not a directory as in the source; set force: true to replace it`,
    );
    expect(await apply(file({ path: dst + '/', source: src, recurse: true, force: true }))).toBe(false);
    expect(listing(dst)).toEqual(listing(src));
  });

  it('fails naming a missing source or one that is not a directory, before changing anything', async () => {
    const dst = join(tmp, 'dst');
    const src = join(tmp, 'src');
    await expect(apply(file({ path: dst + '/', source: src + '/', recurse: true }))).rejects.toThrow(`file ${dst}/: source ${src}/ does not exist`);
    fs.writeFileSync(src, 'x');
    await expect(apply(file({ path: dst + '/', source: src, recurse: true }))).rejects.toThrow(
      `file ${dst}/: source ${src} is a regular file, not a directory to mirror (use /dev/null for an empty one)`,
    );
    expect(fs.readdirSync(tmp)).toEqual(['src']);
  });

  it('fails naming a special file in the source', async () => {
    const src = join(tmp, 'src');
    tree(src, { ok: 'x' });
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(src, 'pipe')]);
    await expect(apply(file({ path: join(tmp, 'dst') + '/', source: src, recurse: true }))).rejects.toThrow(
      /cannot copy pipe: source .*pipe is a special file/,
    );
  });

  it('takes /dev/null as an empty source: nothing to copy, extra entries removed only with force', async () => {
    const d = join(tmp, 'drbd.d');
    const r = file({ path: d + '/', source: '/dev/null', recurse: true });
    expect(await apply(r)).toBe(false);
    expect(fs.readdirSync(d)).toEqual([]);
    expect(await apply(r)).toBe(true);
    fs.writeFileSync(join(d, 'local.res'), 'x');
    expect(await apply(r)).toBe(true);
    expect(await apply(file({ path: d + '/', source: '/dev/null', recurse: true, force: true }))).toBe(false);
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('without recurse manages only the directory: the source is not read', async () => {
    const d = join(tmp, 'd');
    const r = file({ path: d + '/', source: join(tmp, 'missing') + '/', recurse: false });
    expect(await apply(r)).toBe(false);
    expect(fs.readdirSync(d)).toEqual([]);
    expect(await apply(file({ path: d + '/', source: '/dev/null' }))).toBe(true);
  });

  it('in noop reports every missing or wrong entry, and changes nothing', async () => {
    const src = join(tmp, 'src');
    tree(src, { 'a': 'a', 'sub/b': 'b' });
    const fresh = join(tmp, 'fresh');
    const drifted = join(tmp, 'drifted');
    tree(drifted, { a: 'wrong', extra: 'e' });
    fs.writeFileSync(join(tmp, 'notdir'), 'x');
    const before = snapshot(tmp);
    const log = memoryLogger();
    expect(await check(file({ path: fresh + '/', source: src, recurse: true }, log))).toBe(false);
    expect(await check(file({ path: drifted + '/', source: src, recurse: true, force: true }, log))).toBe(false);
    expect(await check(file({ path: join(tmp, 'notdir') + '/', source: src, recurse: true, force: true }, log))).toBe(false);
    expect(snapshot(tmp)).toBe(before);
    expect(messages(log)).toEqual([
      `info ${fresh}/: noop, would create directory`,
      `info ${fresh}/: noop, would copy a`,
      `info ${fresh}/: noop, would create directory sub/`,
      `info ${fresh}/: noop, would copy sub/b`,
      `info ${drifted}/: noop, would rewrite a`,
      `info ${drifted}/: noop, would create directory sub/`,
      `info ${drifted}/: noop, would copy sub/b`,
      `info ${drifted}/: noop, would remove extra (not in the source)`,
      `info ${tmp}/notdir/: noop, would replace a regular file by a directory`,
      `info ${tmp}/notdir/: noop, would copy a`,
      `info ${tmp}/notdir/: noop, would create directory sub/`,
      `info ${tmp}/notdir/: noop, would copy sub/b`,
    ]);
  });

  it('leaves no temporary file behind', async () => {
    const src = join(tmp, 'src');
    tree(src, sourceTree);
    await apply(file({ path: join(tmp, 'dst') + '/', source: src, recurse: true }));
    const names = Object.keys(listing(join(tmp, 'dst')));
    expect(names.filter((n) => n.includes('.rxmgmt-'))).toEqual([]);
  });
});

describe('file: watch of a mirrored tree', () => {
  it('emits on a change deep in the source, in a new source subdirectory, and in the copy', async () => {
    const src = join(tmp, 'src');
    const dst = join(tmp, 'dst');
    tree(src, { 'a/b/c': 'c', top: 't' });
    const r = file({ path: dst + '/', source: src, recurse: true });
    await apply(r);
    const w = events(r);
    try {
      fs.writeFileSync(join(src, 'a', 'b', 'c'), 'changed');
      await w.next();
      fs.mkdirSync(join(src, 'new'));
      await w.next();
      w.drain();
      fs.writeFileSync(join(src, 'new', 'f'), 'in a directory created after the watch started');
      await w.next();
      w.drain();
      fs.writeFileSync(join(dst, 'a', 'b', 'c'), 'drift in the copy');
      await w.next();
      w.drain();
      expect(await apply(r)).toBe(false);
      expect(listing(dst)).toEqual(listing(src));
    } finally {
      w.stop();
    }
  }, 15_000);

  it('watches inside a source given as a symlink to a directory', async () => {
    tree(join(tmp, 'real'), { 'sub/f': 'x' });
    fs.symlinkSync(join(tmp, 'real'), join(tmp, 'src'));
    const r = file({ path: join(tmp, 'dst') + '/', source: join(tmp, 'src'), recurse: true });
    const changed = firstValueFrom(r.watch());
    fs.writeFileSync(join(tmp, 'real', 'sub', 'f'), 'y');
    await changed;
  }, 10_000);

  it('follows a source that appears late, or is replaced', async () => {
    const src = join(tmp, 'later', 'src');
    const r = file({ path: join(tmp, 'dst') + '/', source: src, recurse: true });
    const w = events(r);
    try {
      tree(src, { 'x/y': '1' });
      await w.next();
      w.drain();
      fs.rmSync(join(tmp, 'later'), { recursive: true });
      await w.next();
      tree(src, { 'p/q': '1' });
      await w.next();
      w.drain();
      fs.writeFileSync(join(src, 'p', 'q'), '2');
      await w.next();
    } finally {
      w.stop();
    }
  }, 15_000);
});

describe('file: temporary files left by a killed run', () => {
  /** A temp file named as writeFileAtomic names them, by pid `pid`, last changed `agoMs` before this process started. */
  function leftOver(name: string, pid: number, agoMs = 60_000): string {
    const p = join(tmp, `.${name}.rxmgmt-${pid}-7`);
    fs.writeFileSync(p, 'half');
    const t = new Date(Date.now() - process.uptime() * 1000 - agoMs);
    fs.utimesSync(p, t, t);
    return p;
  }

  it("removes the file's own left-overs from another process, older than this one, and nothing else", async () => {
    const stale = leftOver('f', 999_999);
    const staleLink = join(tmp, '.f.rxmgmt-999998-1');
    fs.symlinkSync('/etc/passwd', staleLink);
    const t = new Date(Date.now() - process.uptime() * 1000 - 60_000);
    fs.lutimesSync(staleLink, t, t);
    leftOver('g', 999_999); // another file's: not this resource's to remove
    fs.writeFileSync(join(tmp, '.f.rxmgmt-999997-1'), 'in flight'); // changed after this process started
    leftOver('f', process.pid); // this process's own: a write in flight
    fs.writeFileSync(join(tmp, '.f.rxmgmt-x-1'), 'not ours'); // not the pattern
    fs.mkdirSync(join(tmp, '.f.rxmgmt-999996-1')); // a directory is never one of ours
    const log = memoryLogger();
    await apply(file({ path: join(tmp, 'f'), content: 'x\n' }, log));
    const left = fs.readdirSync(tmp).sort();
    expect(left).toEqual(['.f.rxmgmt-999996-1', '.f.rxmgmt-999997-1', '.f.rxmgmt-x-1', `.f.rxmgmt-${process.pid}-7`, '.g.rxmgmt-999999-7', 'f'].sort());
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readFileSync('/etc/passwd', 'utf8').length).toBeGreaterThan(0); // the link removed, not its target
    expect(messages(log)).toContain(`info ${join(tmp, 'f')}: removed .f.rxmgmt-999999-7, a temporary file left by a killed run`);
  });

  it('leaves them alone in noop', async () => {
    const stale = leftOver('f', 999_999);
    await check(file({ path: join(tmp, 'f'), content: 'x\n' }));
    expect(fs.existsSync(stale)).toBe(true);
  });
});

describe('file: changes told to the sink (diffs)', () => {
  /** Runs a CheckApply with a sink and returns what it was told. */
  async function changesOf(r: Resource, doApply = true): Promise<Change[]> {
    const told: Change[] = [];
    await firstValueFrom(r.checkApply(doApply, false, (c) => told.push(c)));
    return told;
  }

  it('a new file: state, a diff from /dev/null, and its mode', async () => {
    const p = join(tmp, 'new');
    const told = await changesOf(file({ path: p, content: 'one\ntwo\n', mode: '0640' }));
    expect(told.map((c) => c.field)).toEqual(['state', 'content', 'mode']);
    expect(told[0]).toEqual({ field: 'state', from: 'absent', to: 'exists' });
    expect(told[1]!.diff).toContain(`--- /dev/null\n+++ ${p}\n@@ -0,0 +1,2 @@\n+one\n+two\n`);
    expect(told[2]).toEqual({ field: 'mode', to: '0640' });
  });

  it('content rewritten: a unified diff of the old and new text, in noop too, without changing anything', async () => {
    const p = join(tmp, 'conf');
    fs.writeFileSync(p, 'a\nb\nc\n');
    const r = file({ path: p, content: 'a\nB\nc\nd\n' });
    const noop = await changesOf(r, false);
    expect(fs.readFileSync(p, 'utf8')).toBe('a\nb\nc\n');
    expect(noop).toHaveLength(1);
    expect(noop[0]!.field).toBe('content');
    expect(noop[0]!.diff).toContain(`--- ${p}\n+++ ${p}\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n`);
    expect(await changesOf(r)).toEqual(noop);
    expect(await changesOf(r)).toEqual([]); // correct now: nothing to tell
  });

  it('binary content says so instead of a diff', async () => {
    const p = join(tmp, 'bin');
    fs.writeFileSync(p, Buffer.from([0, 1, 2, 255]));
    expect(await changesOf(file({ path: p, content: 'text\n' }))).toEqual([{ field: 'content', diff: 'binary content differs' }]);
  });

  it('mode, owner and group old -> new', async () => {
    const p = join(tmp, 'meta');
    fs.writeFileSync(p, 'x');
    fs.chmodSync(p, 0o600);
    const told = await changesOf(file({ path: p, mode: '0644' }));
    expect(told).toEqual([{ field: 'mode', from: '0600', to: '0644' }]);
    if (process.getuid?.() === 0) {
      fs.chownSync(p, 65534, 65534);
      expect(await changesOf(file({ path: p, owner: 'root', group: '0' }))).toEqual([
        { field: 'owner', from: '65534', to: 'root (0)' },
        { field: 'group', from: '65534', to: '0' },
      ]);
    }
  });

  it('state exists -> absent, and a replaced symlink with its target', async () => {
    const p = join(tmp, 'gone');
    fs.writeFileSync(p, 'x');
    expect(await changesOf(file({ path: p, state: 'absent' }))).toEqual([{ field: 'state', from: 'exists', to: 'absent' }]);
    fs.symlinkSync('/etc/hostname', p);
    const told = await changesOf(file({ path: p, content: 'mine\n', force: true }));
    expect(told.slice(0, 2)).toEqual([
      { field: 'type', from: 'symlink', to: 'file' },
      { field: 'symlink', from: '/etc/hostname' },
    ]);
    expect(told[2]!.field).toBe('content');
  });

  it('sensitive: only the fields, never values nor a diff, and the log holds no content', async () => {
    const p = join(tmp, 'secret');
    fs.writeFileSync(p, 'old-password\n');
    fs.chmodSync(p, 0o644);
    const log = memoryLogger();
    const told = await changesOf(file({ path: p, content: 'new-password\n', mode: '0600', sensitive: true }, log));
    expect(told).toEqual([{ field: 'content' }, { field: 'mode' }]);
    expect(log.lines.join('\n')).not.toMatch(/password/);
    expect(fs.readFileSync(p, 'utf8')).toBe('new-password\n');
  });

  it('a failed change is not reported as made', async () => {
    const told: Change[] = [];
    fs.writeFileSync(join(tmp, 'file'), '');
    const r = file({ path: join(tmp, 'file', 'below'), content: 'x' });
    await expect(firstValueFrom(r.checkApply(true, false, (c) => told.push(c)))).rejects.toThrow(/cannot/);
    expect(told).toEqual([]);
  });
});

describe('file: the quick path (synchronous calls in bounded slices)', () => {
  /** The first check in a directory asks whether it is local; this waits for the answer. */
  const knownLocal = async (dir: string) => {
    expect(await isLocalDir(dir)).toBe(true);
  };
  const mkfifo = async (p: string) => (await import('node:child_process')).execFileSync('mkfifo', [p]);

  beforeEach(() => {
    io.reads.length = 0;
    io.syncReads.length = 0;
  });

  it('checks, creates and rewrites a small file with synchronous calls once its directory is known to be local', async () => {
    await knownLocal(tmp);
    const p = join(tmp, 'f');
    const r = file({ path: p, content: 'hello\n', mode: '0640' });
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('hello\n');
    expect(modeOf(p)).toBe(0o640);
    expect(await check(r)).toBe(true);
    fs.writeFileSync(p, 'HELLO\n');
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('hello\n');
    expect(io.syncReads).toEqual([p, p]); // the check after the write, and the drifted one
    expect(io.reads).toEqual(io.syncReads);
    expect(fs.readdirSync(tmp)).toEqual(['f']); // no temporary file left
  });

  it('waits for its directory to be looked at (once), then takes the quick path; a missing directory takes the async one', async () => {
    const dir = join(tmp, 'new');
    fs.mkdirSync(dir);
    fs.writeFileSync(join(dir, 'a'), 'a');
    fs.writeFileSync(join(dir, 'b'), 'b');
    const results = await Promise.all(['a', 'b'].map((n) => check(file({ path: join(dir, n), content: n }))));
    expect(results).toEqual([true, true]);
    expect(io.syncReads).toEqual([join(dir, 'a'), join(dir, 'b')]);
    const below = join(tmp, 'missing', 'f');
    expect(await apply(file({ path: below, content: 'x' }))).toBe(false);
    expect(fs.readFileSync(below, 'utf8')).toBe('x');
  });

  it('applying, checks queued behind the directory wait for its file system and then its stale temps, and stay quick', async () => {
    const dir = join(tmp, 'fresh');
    fs.mkdirSync(dir);
    const names = ['a', 'b', 'c'];
    for (const n of names) fs.writeFileSync(join(dir, n), n);
    // All three queue while the directory's file system is asked about; the first of them then
    // starts its stale-temps scan, which the others meet too.
    const results = await Promise.all(names.map((n) => apply(file({ path: join(dir, n), content: n }))));
    expect(results).toEqual([true, true, true]);
    expect(io.syncReads).toEqual(names.map((n) => join(dir, n)));
    expect(io.reads).toEqual(io.syncReads);
  });

  it('compares bytes exactly without making them: ASCII, multi-byte text and a byte that differs at the end', async () => {
    await knownLocal(tmp);
    const p = join(tmp, 'f');
    const cases: Array<[string, string | Buffer, boolean]> = [
      ['hello\n', 'hello\n', true],
      ['hello\n', 'hellO\n', false],
      ['h\u00e9llo \u65e5\u672c\n', 'h\u00e9llo \u65e5\u672c\n', true],
      ['h\u00e9llo \u65e5\u672b\n', 'h\u00e9llo \u65e5\u672c\n', false], // the same size, the last character differs
      ['ab\u00e9', Buffer.from('abc\xa9', 'latin1'), false], // the same 4 bytes long, é's first byte differs
    ];
    for (const [wanted, there, same] of cases) {
      fs.writeFileSync(p, there);
      expect({ wanted, ok: await check(file({ path: p, content: wanted })) }).toEqual({ wanted, ok: same });
    }
    expect(io.syncReads).toEqual(cases.map(() => p));
    expect(io.reads).toEqual(io.syncReads);
  });

  it('reports what it changes as the async path does, and only the field when sensitive', async () => {
    await knownLocal(tmp);
    const p = join(tmp, 'f');
    fs.writeFileSync(p, 'old\n');
    const told: Change[] = [];
    expect(await firstValueFrom(file({ path: p, content: 'new\n' }).checkApply(false, false, (c) => told.push(c)))).toBe(false);
    expect(told).toEqual([{ field: 'content', diff: expect.stringContaining('-old\n+new\n') }]);
    told.length = 0;
    expect(await firstValueFrom(file({ path: p, content: 'new\n', sensitive: true }).checkApply(true, false, (c) => told.push(c)))).toBe(false);
    expect(told).toEqual([{ field: 'content' }]);
    expect(fs.readFileSync(p, 'utf8')).toBe('new\n');
  });

  it('never opens a fifo at the path: fails without force, replaces it with force', async () => {
    await knownLocal(tmp);
    const p = join(tmp, 'pipe');
    await mkfifo(p);
    const told: Change[] = [];
    const listened = (r: Resource, applying: boolean) => firstValueFrom(r.checkApply(applying, false, (c) => told.push(c)));
    await expect(listened(file({ path: p, content: 'x' }), true)).rejects.toThrow(/is a special file, not a regular file; set force: true/);
    expect(io.reads).toEqual([]);
    expect(await listened(file({ path: p, content: 'x', force: true }), true)).toBe(false);
    expect(io.reads).toEqual([]);
    expect(fs.lstatSync(p).isFile()).toBe(true);
    expect(fs.readFileSync(p, 'utf8')).toBe('x');
  });

  it('reads without blocking or following: a fifo or a too big file is not read, a symlink fails', async () => {
    const pipe = join(tmp, 'pipe');
    await mkfifo(pipe);
    expect(readSmallNoFollowSync(pipe, 100)).toBeUndefined(); // opened O_NONBLOCK, never read
    const big = join(tmp, 'big');
    fs.writeFileSync(big, 'x'.repeat(101));
    expect(readSmallNoFollowSync(big, 100)).toBeUndefined();
    expect(readSmallNoFollowSync(big, 101)).toEqual(Buffer.from('x'.repeat(101)));
    fs.symlinkSync(big, join(tmp, 'link'));
    expect(() => readSmallNoFollowSync(join(tmp, 'link'), 1000)).toThrow(/it is a symlink now, which is never followed/);
  });

  it('leaves a large file to the async path: large wanted content, or a large file there to diff', async () => {
    await knownLocal(tmp);
    const p = join(tmp, 'f');
    const large = 'x'.repeat(QUICK_MAX_BYTES + 1);
    fs.writeFileSync(p, large);
    expect(await check(file({ path: p, content: large }))).toBe(true);
    expect(io.reads).toEqual([p]);
    expect(io.syncReads).toEqual([]);
    const told: Change[] = [];
    expect(await firstValueFrom(file({ path: p, content: 'small' }).checkApply(false, false, (c) => told.push(c)))).toBe(false);
    expect(told).toEqual([{ field: 'content', diff: expect.stringContaining('+small') }]);
    expect(io.reads).toEqual([p, p]);
    expect(io.syncReads).toEqual([]);
  });

  it('runs at most one slice of checks at once and yields to the engine\'s scheduler for the rest', async () => {
    await knownLocal(tmp);
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const n = SLICE_JOBS * 2 + 5;
    const done: boolean[] = [];
    for (let i = 0; i < n; i++) {
      file({ path: join(tmp, `f${i}`), content: 'x' }, memoryLogger(), scheduler)
        .checkApply(false, false)
        .subscribe((ok) => done.push(ok));
    }
    // The first slice ran at once (a slow machine may end it early, by its time budget)...
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(done.length).toBeLessThanOrEqual(SLICE_JOBS);
    // ...and the others in the scheduler's tasks.
    scheduler.flush();
    expect(done).toEqual(Array.from({ length: n }, () => false));
    expect(fs.readdirSync(tmp)).toEqual([]); // noop
  });
});
