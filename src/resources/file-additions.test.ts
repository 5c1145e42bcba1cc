// file's symlink, fragments, purge and meta reverse, against real files in a fresh directory.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asyncScheduler, firstValueFrom } from 'rxjs';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMeta } from '../model/spec.js';
import type { ResourceSpec } from '../model/spec.js';
import { memoryLogger } from '../util/logger.js';
import { fileKind } from './file.js';
import type { Resource } from '../model/resource.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-file-add-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function spec(name: string, params: Record<string, unknown>, meta: Partial<ResourceSpec['meta']> = {}): ResourceSpec {
  const problem = fileKind.validate!(params);
  if (problem) throw new Error(problem);
  const withDefaults: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fileKind.fields)) if (field.default !== undefined) withDefaults[key] = field.default;
  return { kind: 'file', name, meta: { ...defaultMeta, ...meta }, params: { ...withDefaults, ...params }, pos: { file: 't.yaml', line: 1 } };
}
const make = (s: ResourceSpec, log = memoryLogger()): Resource => fileKind.create(s, { hostname: 't', log, scheduler: asyncScheduler });
const file = (params: Record<string, unknown>, log = memoryLogger()) => make(spec('f', params), log);
const apply = (r: Resource) => firstValueFrom(r.checkApply(true, false));
const check = (r: Resource) => firstValueFrom(r.checkApply(false, false));
const v = (params: Record<string, unknown>) => fileKind.validate!(params);

describe('file: symlink', () => {
  it('makes the path a link to source (relative or absolute, need not exist), then reports it correct', async () => {
    const p = join(tmp, 'link');
    const r = file({ path: p, symlink: true, source: '../elsewhere/target' });
    expect(await check(r)).toBe(false);
    expect(fs.existsSync(p)).toBe(false); // noop
    expect(await apply(r)).toBe(false);
    expect(fs.readlinkSync(p)).toBe('../elsewhere/target');
    expect(await apply(r)).toBe(true);
  });

  it('relinks a link with another target without force, never writing through it', async () => {
    const target = join(tmp, 'target');
    fs.writeFileSync(target, 'untouched');
    const p = join(tmp, 'link');
    fs.symlinkSync(target, p);
    expect(await apply(file({ path: p, symlink: true, source: '/etc/hostname' }))).toBe(false);
    expect(fs.readlinkSync(p)).toBe('/etc/hostname');
    expect(fs.readFileSync(target, 'utf8')).toBe('untouched');
  });

  it('replaces a file or a directory only with force', async () => {
    const p = join(tmp, 'x');
    fs.writeFileSync(p, 'file');
    await expect(apply(file({ path: p, symlink: true, source: '/tmp' }))).rejects.toThrow(`file ${p}: is a regular file, not a symlink; set force: true to replace it`);
    expect(await apply(file({ path: p, symlink: true, source: '/tmp', force: true }))).toBe(false);
    expect(fs.readlinkSync(p)).toBe('/tmp');
    const d = join(tmp, 'd');
    fs.mkdirSync(d);
    fs.writeFileSync(join(d, 'inside'), '');
    expect(await apply(file({ path: d, symlink: true, source: '/tmp', force: true }))).toBe(false);
    expect(fs.readlinkSync(d)).toBe('/tmp');
  });

  it('state absent removes the link, and a non-link only with force', async () => {
    const p = join(tmp, 'link');
    fs.symlinkSync('/nowhere', p);
    expect(await apply(file({ path: p, symlink: true, state: 'absent' }))).toBe(false);
    expect(fs.existsSync(p) || fs.lstatSync(p, { throwIfNoEntry: false }) !== undefined).toBe(false);
    fs.writeFileSync(p, 'a file');
    await expect(apply(file({ path: p, symlink: true, state: 'absent' }))).rejects.toThrow(/not a symlink; set force: true to remove it/);
    expect(fs.readFileSync(p, 'utf8')).toBe('a file');
  });

  it('refuses what cannot go with a link, at load', () => {
    expect(v({ path: '/x', symlink: true })).toBe('`symlink: true` makes the path a link to `source`, so it needs `source`');
    expect(v({ path: '/x', symlink: true, source: '/y', content: 'c' })).toMatch(/^give either `content` or `source`|^`symlink` cannot go with `content`/);
    expect(v({ path: '/x/', symlink: true, source: '/y' })).toMatch(/names a directory; a link is written without the "\/"/);
    expect(v({ path: '/x', symlink: true, source: '/y', mode: '0644' })).toMatch(/no permission bits/);
    expect(v({ path: '/x', symlink: true, source: 'relative/ok' })).toBeUndefined();
  });
});

describe('file: fragments', () => {
  it('assembles the content from files and a directory\'s files by name, following changes', async () => {
    const head = join(tmp, 'head');
    const dir = join(tmp, 'conf.d');
    fs.writeFileSync(head, '# head\n');
    fs.mkdirSync(dir);
    fs.writeFileSync(join(dir, '20-b'), 'b\n');
    fs.writeFileSync(join(dir, '10-a'), 'a\n');
    fs.mkdirSync(join(dir, 'sub')); // skipped, as mgmt does
    const p = join(tmp, 'out');
    const r = file({ path: p, fragments: [head, dir + '/'] });
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('# head\na\nb\n');
    expect(await apply(r)).toBe(true);
    fs.writeFileSync(join(dir, '15-mid'), 'mid\n');
    expect(await apply(r)).toBe(false);
    expect(fs.readFileSync(p, 'utf8')).toBe('# head\na\nmid\nb\n');
  });

  it('fails naming a missing fragment, changing nothing', async () => {
    const p = join(tmp, 'out');
    await expect(apply(file({ path: p, fragments: [join(tmp, 'missing')] }))).rejects.toThrow(`file ${p}: fragment ${join(tmp, 'missing')} does not exist`);
    expect(fs.existsSync(p)).toBe(false);
  });

  it('wants the resources of its fragments, and watches them', async () => {
    const dir = join(tmp, 'parts');
    fs.mkdirSync(dir);
    const r = file({ path: join(tmp, 'out'), fragments: [join(tmp, 'one'), dir + '/'] });
    expect(r.autoEdges!().wants).toEqual(expect.arrayContaining([[`file:${join(tmp, 'one')}`], [`file:${dir}/`]]));
    let events = 0;
    const sub = r.watch().subscribe(() => events++);
    await new Promise((res) => setTimeout(res, 50));
    fs.writeFileSync(join(dir, 'new'), 'x');
    for (let i = 0; i < 200 && events === 0; i++) await new Promise((res) => setTimeout(res, 10));
    sub.unsubscribe();
    expect(events).toBeGreaterThan(0);
  });

  it('refuses fragments with content or source, on a directory, relative, or holding the file itself', () => {
    expect(v({ path: '/x', fragments: ['/a'], content: 'c' })).toMatch(/only one of `content`, `source` and `fragments`/);
    expect(v({ path: '/x/', fragments: ['/a'] })).toMatch(/names a directory/);
    expect(v({ path: '/x', fragments: ['a'] })).toBe('`fragments` entries must be absolute paths, got "a"');
    expect(v({ path: '/d/x', fragments: ['/d/'] })).toBe('the file is inside its own fragment "/d/": it would read itself');
  });
});

describe('file: purge', () => {
  /** A graph's file specs, prepared by the kind as the loader does, then created. */
  async function graph(...specs: ResourceSpec[]): Promise<Resource[]> {
    await fileKind.prepare!(specs, { hostname: 't', log: memoryLogger(), scheduler: asyncScheduler });
    return specs.map((s) => make(s));
  }

  it('removes what no file resource of the graph declares, keeping declared entries and their parents', async () => {
    const d = join(tmp, 'managed');
    fs.mkdirSync(join(d, 'keep', 'deep'), { recursive: true });
    fs.writeFileSync(join(d, 'stray'), '');
    fs.mkdirSync(join(d, 'old', 'tree'), { recursive: true });
    fs.writeFileSync(join(d, 'keep', 'deep', 'declared'), '');
    fs.writeFileSync(join(d, 'keep', 'also-stray'), '');
    fs.writeFileSync(join(d, 'conf'), '');
    const [purger, ...others] = await graph(
      spec('purger', { path: d + '/', recurse: true, purge: true }),
      spec('declared', { path: join(d, 'keep', 'deep', 'declared'), content: '' }),
      spec('conf', { path: join(d, 'conf') }),
    );
    expect(await check(purger!)).toBe(false);
    expect(fs.existsSync(join(d, 'stray'))).toBe(true); // noop
    expect(await apply(purger!)).toBe(false);
    const left: string[] = [];
    const walk = (p: string, rel: string) => {
      for (const n of fs.readdirSync(p).sort()) {
        left.push(rel + n);
        if (fs.lstatSync(join(p, n)).isDirectory()) walk(join(p, n), rel + n + '/');
      }
    };
    walk(d, '');
    expect(left).toEqual(['conf', 'keep', 'keep/deep', 'keep/deep/declared']);
    expect(await apply(purger!)).toBe(true);
    expect(others).toHaveLength(2);
  });

  it('with a source: mirrors it, and removes what neither the source nor the graph has', async () => {
    const src = join(tmp, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(join(src, 'a'), 'A');
    const d = join(tmp, 'dst');
    fs.mkdirSync(d);
    fs.writeFileSync(join(d, 'extra'), '');
    fs.writeFileSync(join(d, 'declared'), '');
    const [purger] = await graph(spec('p', { path: d + '/', source: src + '/', recurse: true, purge: true }), spec('decl', { path: join(d, 'declared') }));
    await apply(purger!);
    expect(fs.readdirSync(d).sort()).toEqual(['a', 'declared']);
  });

  it('leaves the tree of a declared mirror or purge below it alone', async () => {
    const d = join(tmp, 'top');
    fs.mkdirSync(join(d, 'sub'), { recursive: true });
    fs.writeFileSync(join(d, 'sub', 'managed-by-sub'), '');
    const [top] = await graph(spec('top', { path: d + '/', recurse: true, purge: true }), spec('sub', { path: join(d, 'sub') + '/', recurse: true, purge: true }));
    await apply(top!);
    expect(fs.readdirSync(join(d, 'sub'))).toEqual(['managed-by-sub']);
  });

  it('refuses to purge blind: built without the kind\'s prepare, it fails and removes nothing', async () => {
    const d = join(tmp, 'blind');
    fs.mkdirSync(d);
    fs.writeFileSync(join(d, 'x'), '');
    const r = file({ path: d + '/', recurse: true, purge: true });
    await expect(apply(r)).rejects.toThrow(/purge needs to know the graph's other file resources.*nothing removed/);
    expect(fs.readdirSync(d)).toEqual(['x']);
  });

  it('refuses purge on a file, without recurse, or with content', () => {
    expect(v({ path: '/x', purge: true })).toMatch(/names a file; end the path in "\/"/);
    expect(v({ path: '/x/', purge: true })).toBe('`purge` needs `recurse: true` (as in mgmt): it works on the whole tree below the directory');
  });
});

describe('file: meta reverse', () => {
  const reversing = (params: Record<string, unknown>) => make(spec('r', params, { reverse: true }));

  it('a file it created is removed by its reversal', async () => {
    const p = join(tmp, 'created');
    const r = reversing({ path: p, content: 'new\n' });
    await apply(r);
    const undo = r.reversed!()!;
    expect(undo.meta.reverse).toBe(false);
    expect(await apply(undo)).toBe(false);
    expect(fs.existsSync(p)).toBe(false);
  });

  it('a file it rewrote gets its old content and mode back', async () => {
    const p = join(tmp, 'existing');
    fs.writeFileSync(p, 'original\n');
    fs.chmodSync(p, 0o640);
    const r = reversing({ path: p, content: 'managed\n', mode: '0600' });
    await apply(r);
    expect(fs.readFileSync(p, 'utf8')).toBe('managed\n');
    await apply(r.reversed!()!);
    expect(fs.readFileSync(p, 'utf8')).toBe('original\n');
    expect(fs.statSync(p).mode & 0o7777).toBe(0o640);
  });

  it('a file it removed comes back; a link it created goes; nothing to undo when it never applied', async () => {
    const p = join(tmp, 'removed');
    fs.writeFileSync(p, 'keep me\n');
    const r = reversing({ path: p, state: 'absent' });
    expect(r.reversed!()).toBeUndefined(); // not applied yet in this process
    await apply(r);
    expect(fs.existsSync(p)).toBe(false);
    await apply(r.reversed!()!);
    expect(fs.readFileSync(p, 'utf8')).toBe('keep me\n');
    const l = join(tmp, 'link');
    const link = reversing({ path: l, symlink: true, source: '/etc' });
    await apply(link);
    await apply(link.reversed!()!);
    expect(fs.lstatSync(l, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('a directory it created is removed only if empty', async () => {
    const d = join(tmp, 'newdir');
    const r = reversing({ path: d + '/' });
    await apply(r);
    fs.writeFileSync(join(d, 'someone-elses'), '');
    await expect(apply(r.reversed!()!)).rejects.toThrow(/not empty; set force: true/);
    expect(fs.existsSync(join(d, 'someone-elses'))).toBe(true);
  });
});

describe('file: purge and atomic writes', () => {
  it('never removes a temporary file of an atomic write, in flight or left over', async () => {
    const d = join(tmp, 'p');
    fs.mkdirSync(d);
    fs.writeFileSync(join(d, `.index.html.rxmgmt-${process.pid}-3`), 'in flight');
    fs.writeFileSync(join(d, 'stray'), '');
    const s = spec('p', { path: d + '/', recurse: true, purge: true });
    await fileKind.prepare!([s], { hostname: 't', log: memoryLogger(), scheduler: asyncScheduler });
    await apply(make(s));
    expect(fs.readdirSync(d)).toEqual([`.index.html.rxmgmt-${process.pid}-3`]);
  });
});
