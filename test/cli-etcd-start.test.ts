// `rxmgmt run --etcd-start`: rxmgmt starts its own etcd member (data under --state-dir),
// restarts it when it dies, and stops it at exit.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { lines, readIfExists, runCli, startCli, useSandbox } from './helpers/cli.js';
import { describeEtcd, freePort } from './helpers/etcd.js';

const box = useSandbox();

const graph = (dir: string) =>
  lines(
    'graph: solo',
    'resources:',
    '  file:',
    '    - name: "@@greeting"',
    '      path: /anywhere/greeting',
    '      content: "hello through my own etcd\\n"',
    'collect:',
    '  - kind: file',
    `    pattern: ${dir}/`,
  );

async function urls(): Promise<string[]> {
  const [c, p] = [await freePort(), await freePort()];
  return ['--etcd-client-url', `http://127.0.0.1:${c}`, '--etcd-peer-url', `http://127.0.0.1:${p}`];
}

const pidOf = (stderr: string): number => Number(/started etcd member "[^"]+" \(pid (\d+)\)/.exec(stderr)?.[1]);

describeEtcd('--etcd-start: a supervised local etcd member', () => {
  it('starts a member under the state dir, exports and collects through it, and stops it at exit', async () => {
    await writeFile(box.path('g.yaml'), graph(box.path('in')));
    const r = await runCli(['run', '-f', box.path('g.yaml'), '--hostname', 'solo', '--etcd-start', '--state-dir', box.path('state'), ...(await urls()), '-t', '1'], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await readIfExists(box.path('in', 'greeting'))).toBe('hello through my own etcd\n');
    expect(existsSync(box.path('state', 'etcd', 'data', 'member'))).toBe(true);
    const pid = pidOf(r.stderr);
    expect(pid).toBeGreaterThan(0);
    expect(r.stderr).toContain(`stopped etcd member (pid ${pid})`);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  }, 90_000);

  it('restarts the member when it dies, and stops the new one at exit', async () => {
    await writeFile(box.path('g.yaml'), graph(box.path('in')));
    const p = startCli(['run', '-f', box.path('g.yaml'), '--hostname', 'solo', '--etcd-start', '--state-dir', box.path('state'), ...(await urls())]);
    await p.waitFor(async () => (await readIfExists(box.path('in', 'greeting'))) !== undefined, 'the collected file', { timeoutMs: 30_000 });
    const first = pidOf(p.stderr);
    process.kill(first, 'SIGKILL');
    await p.waitForLog(`etcd member (pid ${first}) exited (SIGKILL): restarting it`, { timeoutMs: 30_000 });
    await p.waitFor(() => /started etcd member[^\n]*\n[^]*started etcd member/.test(p.stderr), 'a second member start', { timeoutMs: 30_000 });
    const second = Number([...p.stderr.matchAll(/started etcd member "[^"]+" \(pid (\d+)\)/g)].at(-1)![1]);
    expect(second).not.toBe(first);
    p.signal('SIGINT');
    expect((await p.waitForExit(30_000)).code).toBe(0);
    expect(existsSync(`/proc/${second}`)).toBe(false);
  }, 120_000);

  it('three hosts each start one member of a new three-member cluster and share it', async () => {
    const names = ['m1', 'm2', 'm3'];
    const ports = await Promise.all(names.map(async () => [await freePort(), await freePort()] as const));
    const cluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]![1]}`).join(',');
    const seeds = ports.map(([c]) => `http://127.0.0.1:${c}`).join(',');
    const runs = names.map(async (n, i) => {
      await writeFile(box.path(`${n}.yaml`), graph(box.path(n)).replace('"@@greeting"', `"@@greeting-${n}"`).replace('/anywhere/greeting', `/anywhere/greeting-${n}`));
      return runCli(
        ['run', '-f', box.path(`${n}.yaml`), '--hostname', n, '--etcd-start', '--state-dir', box.path(`state-${n}`),
          '--etcd-client-url', `http://127.0.0.1:${ports[i]![0]}`, '--etcd-peer-url', `http://127.0.0.1:${ports[i]![1]}`,
          '--etcd-initial-cluster', cluster, '--seeds', seeds, '-t', '2'],
        { timeoutMs: 90_000 },
      );
    });
    const results = await Promise.all(runs);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    for (const n of names) {
      for (const m of names) expect(await readIfExists(box.path(n, `greeting-${m}`))).toBe('hello through my own etcd\n');
    }
  }, 120_000);
});
