// The example kind of docs/writing-a-resource.md (examples/resources/textline.ts), tested as the
// guide says a kind should be: its field checks, its CheckApply on real files (noop included),
// its watch against real edits, and the real engine repairing drift through it.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { asyncScheduler, firstValueFrom, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { textlineKind } from '../examples/resources/textline.js';
import { Engine } from '../src/engine/engine.js';
import { buildGraph } from '../src/graph/graph.js';
import { Registry } from '../src/model/registry.js';
import type { Change } from '../src/model/events.js';
import type { Resource, ResourceEnv } from '../src/model/resource.js';
import { defaultMeta } from '../src/model/spec.js';
import { builtinKinds } from '../src/resources/registry.js';
import { memoryLogger } from '../src/util/logger.js';
import { parseGraph } from '../src/yaml/parse.js';
import { lines, useSandbox, waitFor } from './helpers/cli.js';

const box = useSandbox();
const log = memoryLogger();
const env: ResourceEnv = { hostname: 'test', log, scheduler: asyncScheduler };

function line(params: Record<string, unknown>): Resource {
  return textlineKind.create({ kind: 'textline', name: 'l', meta: { ...defaultMeta }, params: { state: 'present', ...params }, pos: { file: 'test', line: 1 } }, env);
}
const readIfPresent = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
const run = (r: Resource, apply = true, changes?: (c: Change) => void) => firstValueFrom(r.checkApply(apply, false, changes));

describe('line (the example kind)', () => {
  it('refuses a relative path or a line with a newline, naming the field', () => {
    expect(textlineKind.validate!({ path: 'etc/motd', line: 'x' })).toBe('`path` must be an absolute path, got "etc/motd"');
    expect(() => line({ path: '/etc/motd', line: 'a\nb' })).toThrow('textline[l]: `line` must be one line (no newline in it)');
  });

  it('adds a missing line, keeps the rest and the mode, and is then satisfied', async () => {
    const path = box.path('motd');
    writeFileSync(path, 'welcome\n');
    chmodSync(path, 0o600);
    const r = line({ path, line: 'Managed by rxmgmt' });
    expect(await run(r)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('welcome\nManaged by rxmgmt\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(await run(r)).toBe(true);
  });

  it('in noop reports the change and changes nothing', async () => {
    const path = box.path('motd');
    writeFileSync(path, 'welcome\n');
    const changes: Change[] = [];
    expect(await run(line({ path, line: 'x' }), false, (c) => changes.push(c))).toBe(false);
    expect(changes).toEqual([{ field: 'line', from: 'absent', to: 'present' }]);
    expect(readFileSync(path, 'utf8')).toBe('welcome\n');
  });

  it('removes the line with state absent, and its reversal undoes a present one', async () => {
    const path = box.path('motd');
    writeFileSync(path, 'a\nx\nb\n');
    expect(await run(line({ path, line: 'x', state: 'absent' }))).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('a\nb\n');
    const added = line({ path, line: 'y' });
    expect(await run(added)).toBe(false);
    expect(await run(added.reversed!()!)).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe('a\nb\n');
  });

  it('watch emits when someone else edits the file', async () => {
    const path = box.path('motd');
    writeFileSync(path, 'a\n');
    const r = line({ path, line: 'x' });
    // firstValueFrom subscribes now; the watch is installed when subscribe returns.
    const edited = firstValueFrom(r.watch().pipe(timeout({ first: 10_000, with: () => Promise.reject(new Error('no watch event for an edit of the file')) })));
    writeFileSync(path, 'b\n');
    await expect(edited).resolves.toBeUndefined();
  });

  it('registered beside the built-in kinds, is applied and repaired by the real engine', async () => {
    const dir = box.path('etc');
    const path = `${dir}/motd`;
    const yaml = lines(
      'graph: motd',
      'resources:',
      '  file:',
      '    - name: etc',
      `      path: ${dir}/`,
      '      state: exists',
      '  textline:',
      '    - name: banner',
      `      path: ${path}`,
      '      line: "Managed by rxmgmt"',
    );
    const registry = new Registry([...builtinKinds(), textlineKind]);
    const graph = buildGraph(parseGraph(yaml, 'motd.yaml', registry), registry, env);
    // The automatic edge from the directory to the line (its `wants`): the directory comes first.
    expect(graph.edges).toContainEqual(expect.objectContaining({ from: 'file[etc]', to: 'textline[banner]', auto: true }));
    const engine = new Engine({ scheduler: asyncScheduler, log, noop: false });
    try {
      engine.apply(graph);
      await waitFor(() => readIfPresent(path) === 'Managed by rxmgmt\n', 'the engine to create the directory and add the line');
      writeFileSync(path, 'someone else was here\n');
      await waitFor(() => readIfPresent(path) === 'someone else was here\nManaged by rxmgmt\n', 'the engine to add the line again after an edit');
    } finally {
      engine.dispose();
    }
  });
});
