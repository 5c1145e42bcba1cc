// What a collector takes from another host's export, and what it refuses.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NEVER, asyncScheduler, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Registry } from '../model/registry.js';
import type { ResourceKind } from '../model/resource.js';
import { type CollectSpec, defaultMeta } from '../model/spec.js';
import { defaultRegistry } from '../resources/registry.js';
import { memoryLogger } from '../util/logger.js';
import type { ExportedResource } from '../world/world.js';
import { parseGraph } from '../yaml/parse.js';
import { Collector, collectedSpecs } from './collected.js';

const registry = defaultRegistry();
const entry = (over: Partial<CollectSpec> = {}): CollectSpec => ({ kind: 'file', pattern: '/srv/in/', pos: { file: 'g.yaml', line: 1 }, ...over });
const exp = (name: string, params: Record<string, unknown>, host = 'evil', kind = 'file'): ExportedResource => ({
  host,
  kind,
  name,
  params,
  meta: { ...defaultMeta },
});
const none = { keys: new Set<string>(), manages: new Map<string, string>() };

function run(exports: ExportedResource[], collect: CollectSpec[] = [entry()], reg = registry, local = none) {
  const log = memoryLogger();
  const env = { hostname: 'me', log, scheduler: asyncScheduler };
  const specs = collectedSpecs(exports, collect, reg, local, log, env);
  return { specs, refused: log.lines.filter((l) => l.includes('collect: refusing')) };
}

describe('collectedSpecs: confinement of collected files', () => {
  it('places a plain file inside the pattern under its base name', () => {
    const { specs, refused } = run([exp('motd', { path: '/etc/motd', content: 'hi\n' })]);
    expect(refused).toEqual([]);
    expect(specs.map((s) => s.params.path)).toEqual(['/srv/in/motd']);
  });

  it.each([
    ['a path ending in ..', { path: '/tmp/../..', content: 'x' }, 'base name ".."'],
    ['a path ending in .', { path: '/tmp/.', content: 'x' }, 'base name "."'],
    ['an empty base name', { dirname: '/tmp/', basename: '', content: 'x' }, 'base name ""'],
    ['the root itself', { path: '/', content: 'x' }, 'base name ""'],
    ['a basename with a slash (through a symlink in the pattern)', { dirname: '/x/', basename: 'link/passwd', content: 'x' }, 'base name "link/passwd"'],
    ['a basename climbing out', { dirname: '/x/', basename: '../../etc/x', content: 'x' }, 'base name "../../etc/x"'],
    ['source', { path: '/x/copy', source: '/etc/shadow' }, 'it sets source'],
    ['a setuid mode', { path: '/x/sh', content: 'x', mode: '4755' }, 'setuid, setgid or sticky'],
    ['a setgid mode', { path: '/x/sh', content: 'x', mode: '2755' }, 'setuid, setgid or sticky'],
    ['a sticky mode', { path: '/x/d/', mode: '1777' }, 'setuid, setgid or sticky'],
    ['an owner', { path: '/x/f', content: 'x', owner: 'root' }, 'it sets owner'],
    ['a group', { path: '/x/f', content: 'x', group: 'shadow' }, 'it sets group'],
    ['an unknown field', { path: '/x/f', contnet: 'x' }, 'field "contnet" is not a file field'],
    ['a wrong type', { path: '/x/f', force: 'yes please' }, 'field "force" is a string'],
  ])('refuses %s, naming the host and the export', (_what, params, why) => {
    const { specs, refused } = run([exp('bad', params), exp('good', { path: '/a/good', content: 'ok' }, 'friend')]);
    expect(specs.map((s) => s.name)).toEqual(['good']);
    expect(refused).toEqual([expect.stringMatching(/^warn .*collect: refusing file\[bad\] from host evil: /)]);
    expect(refused[0]).toContain(why);
  });

  it('allows source, owner, group and the special bits only when the entry lists them', () => {
    const params = { path: '/x/f', source: '/srv/share/f', owner: 'root', group: 'root', mode: '4755' };
    expect(run([exp('f', params)], [entry({ allow: ['source', 'owner', 'group'] })]).refused).toEqual([
      expect.stringContaining('setuid, setgid or sticky'),
    ]);
    const { specs, refused } = run([exp('f', params)], [entry({ allow: ['source', 'owner', 'group', 'setuid'] })]);
    expect(refused).toEqual([]);
    expect(specs[0]!.params).toMatchObject({ path: '/srv/in/f', source: '/srv/share/f', owner: 'root', mode: '4755' });
  });

  it('refuses every file when the pattern leads through a symlink (a local user could point it at /etc)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rxmgmt-pattern-'));
    try {
      mkdirSync(join(dir, 'etc'));
      symlinkSync(join(dir, 'etc'), join(dir, 'drop'));
      const { specs, refused } = run([exp('passwd', { path: '/x/passwd', content: 'x' })], [entry({ pattern: `${join(dir, 'drop')}/sub/` })]);
      expect(specs).toEqual([]);
      expect(refused).toEqual([expect.stringContaining(`leads through a symlink to ${join(dir, 'etc', 'sub')}; give the real path`)]);
      expect(run([exp('passwd', { path: '/x/passwd', content: 'x' })], [entry({ pattern: `${join(dir, 'etc')}/sub/` })]).refused).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses every file when the entry has no pattern (it would land wherever the export says)', () => {
    const { specs, refused } = run([exp('shadow', { path: '/etc/shadow', content: 'x' })], [entry({ pattern: '' })]);
    expect(specs).toEqual([]);
    expect(refused).toEqual([expect.stringContaining('its collect entry has no pattern')]);
  });

  it('collects only the kinds an entry names', () => {
    const { specs } = run([exp('cmd', { cmd: 'rm -rf /' }, 'evil', 'exec'), exp('f', { path: '/x/f', content: '' })]);
    expect(specs.map((s) => `${s.kind}[${s.name}]`)).toEqual(['file[f]']);
  });

  it('refuses a resource whose name a local one has', () => {
    const { specs, refused } = run([exp('mine', { path: '/x/mine', content: '' })], [entry()], registry, {
      keys: new Set(['file[mine]']),
      manages: new Map(),
    });
    expect(specs).toEqual([]);
    expect(refused).toEqual([expect.stringContaining('a resource named file[mine] is already in the graph')]);
  });

  it('refuses a resource that would manage what a local one (or an earlier collected one) manages', () => {
    // A kind whose resources manage `thing:<target>`: the check goes through Resource.manages().
    const thingKind: ResourceKind = {
      kind: 'thing',
      doc: 'test kind',
      fields: { target: { type: 'string', doc: 'what it manages' } },
      create: (spec) => ({
        kind: 'thing',
        name: spec.name,
        meta: spec.meta,
        fingerprint: spec.name,
        watch: () => NEVER,
        checkApply: () => of(true),
        manages: () => [`thing:${String(spec.params.target)}`],
      }),
    };
    const reg = new Registry([thingKind]);
    const { specs, refused } = run(
      [exp('t1', { target: 'local' }, 'a', 'thing'), exp('t2', { target: 'x' }, 'a', 'thing'), exp('t3', { target: 'x' }, 'b', 'thing')],
      [entry({ kind: 'thing', pattern: '' })],
      reg,
      { keys: new Set(), manages: new Map([['thing:local', 'thing[l] of the graph file (g.yaml:3)']]) },
    );
    expect(specs.map((s) => s.name)).toEqual(['t2']);
    expect(refused).toEqual([
      expect.stringContaining('refusing thing[t1] from host a: it manages thing:local, as does thing[l] of the graph file (g.yaml:3)'),
      expect.stringContaining('refusing thing[t3] from host b: it manages thing:x, as does thing[t2] from host a'),
    ]);
  });
});

describe('collect entries in YAML: allow and purge', () => {
  const graph = (collect: string) => `graph: g\ncollect:\n${collect}`;
  it('reads allow and purge', () => {
    const spec = parseGraph(graph('  - kind: file\n    pattern: /srv/in/\n    allow: [source, owner]\n    purge: true\n'), 'g.yaml', registry);
    expect(spec.collect).toEqual([expect.objectContaining({ kind: 'file', pattern: '/srv/in/', allow: ['source', 'owner'], purge: true })]);
  });
  it('refuses an unknown allow word and a purge that is not a boolean, naming the line', () => {
    expect(() => parseGraph(graph('  - kind: file\n    pattern: /srv/in/\n    allow: [sourec]\n    purge: maybe\n'), 'g.yaml', registry)).toThrow(
      /g\.yaml:5: collect\[#1\]: allow: "sourec" is not something a collect entry can allow \(did you mean "source"\?\)[^]*g\.yaml:6: collect\[#1\]: purge is a string/,
    );
  });
});

describe('Collector: incremental over versions of the collected list', () => {
  it('reads and places only the exports that changed; a refusal is logged once', () => {
    let created = 0;
    const countingKind: ResourceKind = {
      kind: 'thing',
      doc: 'test kind',
      fields: { v: { type: 'string', doc: 'a value' } },
      create: (spec) => {
        created++;
        return { kind: 'thing', name: spec.name, meta: spec.meta, fingerprint: spec.name, watch: () => NEVER, checkApply: () => of(true) };
      },
    };
    const log = memoryLogger();
    const c = new Collector([entry({ kind: 'thing', pattern: '' })], new Registry([countingKind]), none, log, { hostname: 'me', log, scheduler: asyncScheduler });
    const v1 = Array.from({ length: 100 }, (_, i) => exp(`t${i}`, { v: String(i) }, 'a', 'thing'));
    const bad = exp('bad', { nope: 'x' }, 'a', 'thing');
    expect(c.specs([...v1, bad])).toHaveLength(100);
    expect(created).toBe(100);
    // One export changes (a new object, as the World makes for a changed key); the rest are the same objects.
    const v2 = [...v1];
    v2[7] = exp('t7', { v: 'changed' }, 'a', 'thing');
    const specs = c.specs([...v2, bad]);
    expect(created).toBe(101);
    expect(specs[7]!.params).toEqual({ v: 'changed' });
    expect(log.lines.filter((l) => l.includes('refusing thing[bad]'))).toHaveLength(1);
  });
});
