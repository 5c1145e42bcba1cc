// The command line's registry loads a kind's module only when a graph file names the kind, and
// then behaves as the registry with every kind loaded: same kinds, same errors, same graphs.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceKind } from '../model/resource.js';
import { GraphFileError, loadGraphFile } from '../yaml/parse.js';
import { lazyBuiltinRegistry } from './kinds.js';
import { LazyRegistry } from './lazy-registry.js';
import { builtinKinds, defaultRegistry } from './registry.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rxmgmt-kinds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function graphFile(name: string, ...lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, lines.join('\n') + '\n');
  return path;
}

const loaded = (r: LazyRegistry): string[] => r.names().filter((n) => r.get(n) !== undefined);

describe('lazyBuiltinRegistry', () => {
  it('knows every built-in kind by name, and each loads as the very kind registry.ts lists', async () => {
    const lazy = lazyBuiltinRegistry();
    const eager = builtinKinds();
    expect(lazy.names()).toEqual(defaultRegistry().names());
    expect(loaded(lazy)).toEqual([]);
    await lazy.load(lazy.names());
    for (const kind of eager) expect(lazy.get(kind.kind), kind.kind).toBe(kind);
  });

  it('loads the kinds a graph file names (resources and collect, any case) and no other', async () => {
    const registry = lazyBuiltinRegistry();
    const path = await graphFile(
      'some.yaml',
      'graph: some',
      'resources:',
      '  msg:',
      '    - name: m',
      '      body: hi',
      '  noop:',
      '    - name: n',
      'collect:',
      '  - kind: FILE',
      '    pattern: /tmp/collected/',
    );
    const spec = await loadGraphFile(path, registry);
    expect(spec.resources.map((r) => `${r.kind}[${r.name}]`)).toEqual(['msg[m]', 'noop[n]']);
    expect(spec.collect.map((c) => c.kind)).toEqual(['file']);
    expect(loaded(registry)).toEqual(['file', 'msg', 'noop']);
  });

  it('reports an unknown kind with its file and line, listing every kind it could load', async () => {
    const registry = lazyBuiltinRegistry();
    const path = await graphFile('bad.yaml', 'graph: bad', 'resources:', '  noop:', '    - name: n', '  svcc:', '    - name: x');
    const err = await loadGraphFile(path, registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphFileError);
    expect((err as GraphFileError).problems).toEqual([
      { file: path, line: 5, message: expect.stringContaining(`unknown resource kind "svcc" (did you mean "svc"?); expected one of ${defaultRegistry().names().join(', ')}`) as string },
    ]);
  });

  it('checks the fields of a lazily loaded kind as the eager registry does', async () => {
    const path = await graphFile('fields.yaml', 'graph: f', 'resources:', '  timer:', '    - name: t', '      interval: soon');
    const lazyErr = await loadGraphFile(path, lazyBuiltinRegistry()).catch((e: unknown) => e);
    const eagerErr = await loadGraphFile(path, defaultRegistry()).catch((e: unknown) => e);
    expect(lazyErr).toBeInstanceOf(GraphFileError);
    expect((lazyErr as Error).message).toBe((eagerErr as Error).message);
  });
});

describe('LazyRegistry', () => {
  const kind = (name: string): ResourceKind => ({ kind: name, doc: name, fields: {}, create: () => { throw new Error('not built here'); } });

  it('loads a kind once however many loads ask for it at the same time', async () => {
    let calls = 0;
    const registry = new LazyRegistry({ a: async () => (calls++, kind('a')) });
    await Promise.all([registry.load(['a', 'a']), registry.load(['a'])]);
    await registry.load(['a']);
    expect(calls).toBe(1);
    expect(registry.get('a')?.kind).toBe('a');
  });

  it('refuses a module that gives another kind than its name, and tries a failed load again', async () => {
    let attempt = 0;
    const registry = new LazyRegistry({ a: async () => kind(++attempt === 1 ? 'b' : 'a') });
    await expect(registry.load(['a'])).rejects.toThrow('the module of resource kind "a" gave kind "b"');
    expect(registry.get('a')).toBeUndefined();
    await registry.load(['a']);
    expect(registry.get('a')?.kind).toBe('a');
  });

  it('skips names it does not know (the validator reports them)', async () => {
    const registry = new LazyRegistry({ a: async () => kind('a') });
    await registry.load(['zzz']);
    expect(registry.names()).toEqual(['a']);
    expect(registry.get('zzz')).toBeUndefined();
  });
});
