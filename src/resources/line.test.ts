// The line resource against real files in a fresh temporary directory per test, and in a real
// engine with its inotify watch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asyncScheduler, firstValueFrom } from 'rxjs';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMeta, type GraphSpec, type MetaParams, type ResourceSpec } from '../model/spec.js';
import type { Change } from '../model/events.js';
import type { Resource } from '../model/resource.js';
import { memoryLogger } from '../util/logger.js';
import { Engine } from '../engine/engine.js';
import { buildGraph } from '../graph/graph.js';
import { GraphFileError, parseGraph } from '../yaml/parse.js';
import { defaultRegistry } from './registry.js';
import { NEW_FILE_MODE, lineKind } from './line.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-line-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const log = memoryLogger();
const env = { hostname: 'test', log, scheduler: asyncScheduler };

function spec(params: Record<string, unknown>, meta: Partial<MetaParams> = {}, name = 'l'): ResourceSpec {
  return { kind: 'line', name, meta: { ...defaultMeta, ...meta }, params: { state: 'exists', content: '', trim: false, ...params }, pos: { file: 'test.yaml', line: 1 } };
}
const line = (params: Record<string, unknown>, meta: Partial<MetaParams> = {}, name = 'l'): Resource => lineKind.create(spec(params, meta, name), env);

/** One CheckApply, with the changes it reported. */
async function run(r: Resource, apply = true): Promise<{ ok: boolean; changes: Change[] }> {
  const changes: Change[] = [];
  const ok = await firstValueFrom(r.checkApply(apply, false, (c) => changes.push(c)));
  return { ok, changes };
}
const read = (p: string) => fs.readFileSync(p, 'utf8');

describe('line', () => {
  it('appends a line to a file, keeping the rest, its mode and owner; a new inode (atomic rewrite)', async () => {
    const f = join(tmp, 'sshd_config');
    fs.writeFileSync(f, 'Port 22\nUsePAM yes'); // no final newline
    fs.chmodSync(f, 0o640);
    const ino = fs.statSync(f).ino;
    const r = line({ file: f, content: 'PermitRootLogin no' });

    const noop = await run(r, false);
    expect(noop.ok).toBe(false);
    expect(read(f)).toBe('Port 22\nUsePAM yes');
    expect(noop.changes).toEqual([{ field: 'state', from: 'absent', to: 'exists', diff: expect.stringContaining('+PermitRootLogin no') }]);

    expect((await run(r)).ok).toBe(false);
    expect(read(f)).toBe('Port 22\nUsePAM yes\nPermitRootLogin no\n');
    expect(fs.statSync(f).mode & 0o7777).toBe(0o640);
    expect(fs.statSync(f).ino).not.toBe(ino);
    expect(fs.readdirSync(tmp)).toEqual(['sshd_config']); // no temp file left
    expect((await run(r)).ok).toBe(true);
  });

  it('creates a missing file with mode 0600, as mgmt does; a missing directory is a clear error', async () => {
    const f = join(tmp, 'new.conf');
    expect((await run(line({ file: f, content: 'a=1' }))).ok).toBe(false);
    expect(read(f)).toBe('a=1\n');
    expect(fs.statSync(f).mode & 0o7777).toBe(NEW_FILE_MODE);
    await expect(run(line({ file: join(tmp, 'nodir', 'x.conf'), content: 'a' }))).rejects.toThrow(/line\[l\]: cannot write .*nodir\/x\.conf: its directory .*nodir does not exist/);
    expect((await run(line({ file: join(tmp, 'gone'), state: 'absent', content: 'a' }))).ok).toBe(true);
    expect(fs.existsSync(join(tmp, 'gone'))).toBe(false);
  });

  it('takes out every occurrence of a block of lines, leaving other lines byte for byte', async () => {
    const f = join(tmp, 'hosts');
    fs.writeFileSync(f, '127.0.0.1 localhost\r\n# rx\n10.0.0.1 a\n# rx\n10.0.0.1 a\n# rx\n');
    const r = line({ file: f, state: 'absent', content: '# rx\n10.0.0.1 a\n' });
    const { ok, changes } = await run(r);
    expect(ok).toBe(false);
    expect(read(f)).toBe('127.0.0.1 localhost\r\n# rx\n');
    expect(changes[0]).toMatchObject({ field: 'state', from: 'exists', to: 'absent' });
    expect((await run(r)).ok).toBe(true);
  });

  it('trims content when asked, and an empty content is nothing to do', async () => {
    const f = join(tmp, 'f');
    fs.writeFileSync(f, 'x = 1\n');
    expect((await run(line({ file: f, content: '   x = 1  ', trim: true }))).ok).toBe(true);
    expect((await run(line({ file: f, content: '   x = 1  ' }))).ok).toBe(false);
    expect(read(f)).toBe('x = 1\n   x = 1  \n');
    expect((await run(line({ file: f, content: '  ', trim: true }))).ok).toBe(true);
  });

  it('keeps bytes that are not UTF-8 as they are', async () => {
    const f = join(tmp, 'latin1');
    fs.writeFileSync(f, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in latin1
    await run(line({ file: f, content: 'naïve' }));
    expect(fs.readFileSync(f)).toEqual(Buffer.concat([Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), Buffer.from('naïve\n')]));
    expect((await run(line({ file: f, content: 'naïve' }))).ok).toBe(true);
  });

  it('never edits through a symbolic link, nor anything but a regular file', async () => {
    const target = join(tmp, 'target');
    fs.writeFileSync(target, 'a\n');
    fs.symlinkSync(target, join(tmp, 'link'));
    await expect(run(line({ file: join(tmp, 'link'), content: 'b' }))).rejects.toThrow(/link is a symbolic link; a line never edits through one/);
    expect(read(target)).toBe('a\n');
    expect(fs.lstatSync(join(tmp, 'link')).isSymbolicLink()).toBe(true);
    await expect(run(line({ file: tmp, content: 'b' }))).rejects.toThrow(/is a directory, not a regular file/);
  });

  it('serializes lines of one file: none is lost when they run at once', async () => {
    const f = join(tmp, 'many');
    fs.writeFileSync(f, '');
    const rs = Array.from({ length: 20 }, (_, i) => line({ file: f, content: `line ${i}` }, {}, `l${i}`));
    await Promise.all(rs.map((r) => run(r)));
    expect(read(f).split('\n').filter(Boolean).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `line ${i}`).sort());
  });

  it('reverse takes out a line it added, and leaves one that was there before', async () => {
    const f = join(tmp, 'rev');
    fs.writeFileSync(f, 'old\n');
    const kept = line({ file: f, content: 'old' }, { reverse: true });
    await run(kept);
    expect(kept.reversed!()).toBeUndefined();
    const added = line({ file: f, content: 'new' }, { reverse: true });
    expect(added.reversed!()).toBeUndefined(); // not run yet: nothing to undo
    await run(added);
    const undo = added.reversed!()!;
    expect(undo.meta.reverse).toBe(false);
    expect((await run(undo)).ok).toBe(false);
    expect(read(f)).toBe('old\n');
  });

  it('refuses bad fields when the graph loads, naming the line', () => {
    const registry = defaultRegistry();
    const problems = (fields: string) => {
      try {
        buildGraph(parseGraph(`graph: g\nresources:\n  line:\n  - name: l\n${fields}`, 't.yaml', registry), registry, env);
        return [];
      } catch (err) {
        return err instanceof GraphFileError ? err.problems.map((p) => `line ${p.line}: ${p.message}`) : [(err as Error).message];
      }
    };
    expect(problems('    file: /etc/x\n    content: a\n')).toEqual([]);
    expect(problems('    content: a\n')).toEqual([expect.stringMatching(/file/)]);
    expect(problems('    file: etc/x\n')).toEqual([expect.stringMatching(/`file` must be an absolute path/)]);
    expect(problems('    file: /etc/x/\n')).toEqual([expect.stringMatching(/must not end in "\/"/)]);
    expect(problems('    file: ~bob/x\n')).toEqual([expect.stringMatching(/only "~\/" .* is expanded/)]);
    expect(problems('    file: /etc/x\n    state: gone\n')).toEqual([expect.stringMatching(/line 6: field "state" is "gone"/)]);
  });

  it('comes after the file resource of its file and its nearest managed directory', () => {
    const registry = defaultRegistry();
    const graph = parseGraph(
      ['graph: g', 'resources:', '  file:', '  - name: dir', '    path: /etc/app/', '  - name: conf', '    path: /etc/app/a.conf', '  line:', '  - name: l', '    file: /etc/app/a.conf', '    content: x', '  - name: other', '    file: /etc/app/b.conf', '    content: y'].join('\n'),
      't.yaml',
      registry,
    );
    const edges = buildGraph(graph, registry, env).edges.map((e) => `${e.from} -> ${e.to}`).sort();
    expect(edges).toEqual(['file[conf] -> line[l]', 'file[dir] -> file[conf]', 'file[dir] -> line[l]', 'file[dir] -> line[other]']);
    expect(line({ file: '/etc/app/a.conf', content: 'x\n' }).manages!()).toEqual(['line:/etc/app/a.conf:x']);
  });

  it('in a real engine, puts the line back when something takes it out', async () => {
    const f = join(tmp, 'watched');
    fs.writeFileSync(f, 'a\n');
    const registry = defaultRegistry();
    const graph: GraphSpec = { graph: 'g', comment: '', source: 'test', collect: [], edges: [], resources: [spec({ file: f, content: 'keep me' }, {}, 'w')] };
    const engine = new Engine({ scheduler: asyncScheduler, log: memoryLogger(), noop: false });
    const until = async (what: string, cond: () => boolean) => {
      for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(cond(), what).toBe(true);
    };
    try {
      engine.apply(buildGraph(graph, registry, env));
      await until('the line to be added', () => read(f) === 'a\nkeep me\n');
      fs.writeFileSync(f, 'a\nb\n'); // in place: an inotify change event
      await until('the line to be put back', () => read(f) === 'a\nb\nkeep me\n');
    } finally {
      engine.dispose();
    }
  });
});
