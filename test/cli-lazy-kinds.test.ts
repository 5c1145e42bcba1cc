// The built CLI loads a resource kind's code only when the graph file names the kind: a graph
// of files loads neither the other kinds nor D-Bus; a graph naming svc loads svc's chunk.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, runCli, useSandbox } from './helpers/cli.js';
import { moduleLog } from './helpers/module-log.js';

const box = useSandbox();

/** The URLs of the modules `args` loads. */
async function loadedBy(args: string[]): Promise<{ code: number | null; stderr: string; loaded: string[] }> {
  const log = await moduleLog(box.path(`loaded-${args[0]}.txt`), box.path('hook.mjs'));
  const res = await runCli(args, { env: log.env });
  return { code: res.code, stderr: res.stderr, loaded: await log.loaded() };
}

const chunksOf = (loaded: string[], kinds: RegExp) => loaded.filter((u) => new RegExp(`/src/cli/chunks/(${kinds.source})-\\w+\\.js$`).test(u));

describe('resource kinds load on demand', () => {
  it('a graph of files loads the file kind and no other kind, nor dbus-next', async () => {
    const graph = box.path('files.yaml');
    await writeFile(graph, lines('graph: files', 'resources:', '  file:', '    - name: f', `      path: ${box.path('f.txt')}`, '      content: "x\\n"'));
    const { code, stderr, loaded } = await loadedBy(['run', '-f', graph, '-t', '0', '--no-watch']);
    expect(code, stderr).toBe(0);
    expect(await readFile(box.path('f.txt'), 'utf8')).toBe('x\n');
    expect(chunksOf(loaded, /file/).length, loaded.join('\n')).toBe(1);
    expect(chunksOf(loaded, /svc|pkg|exec|user|group|line|sysctl|hostname|cron|mount|kv|msg|timer|noop/)).toEqual([]);
    expect(loaded.filter((u) => u.includes('dbus-next'))).toEqual([]);
  });

  it('check of a graph naming svc loads svc (and validates its fields), and still not pkg', async () => {
    const graph = box.path('svc.yaml');
    await writeFile(graph, lines('graph: svc', 'resources:', '  svc:', '    - name: nginx', '      state: runing'));
    const { code, stderr, loaded } = await loadedBy(['check', '-f', graph]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${graph}:5:`);
    expect(stderr).toContain('runing');
    expect(chunksOf(loaded, /svc/).length, loaded.join('\n')).toBe(1);
    expect(chunksOf(loaded, /pkg|file/)).toEqual([]);
  });
});
