// The file resource against real files in a fresh temporary directory per test.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asyncScheduler, firstValueFrom } from 'rxjs';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMeta } from '../graph/spec.js';
import { memoryLogger } from '../util/logger.js';
import { fileKind } from './file.js';
import type { Resource } from './resource.js';

let tmp: string;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-file-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Validates params, applies the schema's defaults and creates the resource, as the engine does. */
function file(params: Record<string, unknown>, log = memoryLogger()): Resource {
  const problem = fileKind.validate!(params);
  if (problem) throw new Error(problem);
  const withDefaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fileKind.fields)) {
    if (field.default !== undefined) withDefaults[key] = field.default;
  }
  const spec = { kind: 'file', name: 'f', meta: { ...defaultMeta }, params: { ...withDefaults, ...params }, pos: { file: 'test.yaml', line: 1 } };
  return fileKind.create(spec, { hostname: 'test', log, scheduler: asyncScheduler });
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

  it('rejects content for a directory', () => {
    expect(v({ path: '/tmp/d/', content: 'x' })).toMatch(/names a directory/);
    expect(v({ dirname: '/tmp', basename: 'd/', content: 'x' })).toMatch(/names a directory/);
  });

  it('checks that mode is octal digits', () => {
    expect(v({ path: '/a', mode: '0644' })).toBeUndefined();
    expect(v({ path: '/a', mode: '741' })).toBeUndefined();
    expect(v({ path: '/a', mode: '0648' })).toMatch(/octal digits/);
    expect(v({ path: '/a', mode: 'rw-r--r--' })).toMatch(/octal digits/);
  });

  it('rejects an unknown state', () => {
    expect(v({ path: '/a', state: 'present' })).toMatch(/"exists" or "absent"/);
  });

  it('documents every field', () => {
    for (const [name, field] of Object.entries(fileKind.fields)) expect(field.doc, name).not.toBe('');
    expect(fileKind.fields.state!.default).toBe('exists');
    expect(fileKind.fields.force!.default).toBe(false);
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
    expect(log.lines).toEqual([
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
  it('provides its path and wants its parent directories, nearest first', () => {
    expect(file({ path: '/etc/ssh/sshd_config' }).autoEdges!()).toEqual({
      provides: ['file:/etc/ssh/sshd_config'],
      wants: [['file:/etc/ssh/', 'file:/etc/', 'file:/']],
    });
    expect(file({ dirname: '/etc/', basename: 'ssh/' }).autoEdges!()).toEqual({
      provides: ['file:/etc/ssh/'],
      wants: [['file:/etc/', 'file:/']],
    });
  });

  it('fingerprints the resolved desired state', () => {
    const a = file({ path: '/tmp/x/../f', content: 'x', mode: '644' });
    const b = file({ dirname: '/tmp', basename: 'f', content: 'x', mode: '0644' });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(JSON.parse(a.fingerprint)).toEqual({
      path: '/tmp/f', state: 'exists', content: 'x', mode: '0644', owner: null, group: null, force: false,
    });
    expect(file({ path: '/tmp/f', content: 'y' }).fingerprint).not.toBe(a.fingerprint);
  });
});

describe('file: watch', () => {
  it('emits when the file is deleted, and again when it is rewritten', async () => {
    const p = join(tmp, 'f');
    const r = file({ path: p, content: 'x' });
    await apply(r);
    const deleted = firstValueFrom(r.watch());
    fs.unlinkSync(p);
    await deleted;
    const rewritten = firstValueFrom(r.watch());
    expect(await apply(r)).toBe(false);
    await rewritten;
  }, 10_000);
});
