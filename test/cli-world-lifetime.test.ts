// Exports with a lifetime on a real etcd: a withdrawn host's files leave every collector's
// graph and are deleted only where the collect entry says purge: true; a host that restarts
// re-publishes; an etcd outage alone deletes nothing.
import { writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { lines, readIfExists, runCli, startCli, useSandbox } from './helpers/cli.js';
import { describeEtcd, useEtcdPerTest } from './helpers/etcd.js';

const box = useSandbox();

const exporter = (content: string) =>
  lines('graph: x', 'resources:', '  file:', '    - name: "@@px"', '      path: /anywhere/px', `      content: "${content}\\n"`);
const collector = (name: string, purge: boolean) =>
  lines(
    `graph: ${name}`,
    'resources:',
    '  noop:',
    `    - name: ${name}-own`,
    'collect:',
    '  - kind: file',
    `    pattern: ${box.path(name)}/`,
    `    purge: ${purge}`,
  );

describeEtcd('exports with a lifetime on a real etcd', () => {
  const etcd = useEtcdPerTest();

  it('world withdraw: collectors stop managing, purge: true deletes, purge: false keeps; a restarted host re-publishes', async () => {
    const seeds = etcd().clientUrls.join(',');
    await writeFile(box.path('x.yaml'), exporter('from x'));
    await writeFile(box.path('p.yaml'), collector('p', true));
    await writeFile(box.path('k.yaml'), collector('k', false));
    const x = await runCli(['run', '-f', box.path('x.yaml'), '--hostname', 'x', '--seeds', seeds, '-t', '0'], { timeoutMs: 60_000 });
    expect(x.code, x.stderr).toBe(0);
    const p = startCli(['run', '-f', box.path('p.yaml'), '--hostname', 'p', '--seeds', seeds]);
    const k = startCli(['run', '-f', box.path('k.yaml'), '--hostname', 'k', '--seeds', seeds]);
    for (const [c, name] of [[p, 'p'], [k, 'k']] as const) {
      await c.waitFor(async () => (await readIfExists(box.path(name, 'px'))) === 'from x\n', `${name} to collect px`, { timeoutMs: 30_000 });
    }

    const w = await runCli(['world', 'withdraw', '--host', 'x', '--seeds', seeds], { timeoutMs: 30_000 });
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toContain('host "x": exports withdrawn (2 keys deleted)');
    await p.waitFor(async () => (await readIfExists(box.path('p', 'px'))) === undefined, 'p to purge px', { timeoutMs: 30_000 });
    await p.waitForLog('collect: file[px] (from host x) was withdrawn: purging');
    await k.waitForLog(/graph "k": 1 resources?/, { timeoutMs: 30_000 });
    expect(await readIfExists(box.path('k', 'px'))).toBe('from x\n');

    // x comes back: it publishes again, and both collect again.
    await writeFile(box.path('x.yaml'), exporter('x again'));
    const again = await runCli(['run', '-f', box.path('x.yaml'), '--hostname', 'x', '--seeds', seeds, '-t', '0'], { timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(0);
    for (const [c, name] of [[p, 'p'], [k, 'k']] as const) {
      await c.waitFor(async () => (await readIfExists(box.path(name, 'px'))) === 'x again\n', `${name} to collect px again`, { timeoutMs: 30_000 });
    }
    for (const c of [p, k]) c.signal('SIGINT');
    for (const c of [p, k]) expect((await c.waitForExit()).code).toBe(0);
  }, 150_000);

  it('an etcd outage deletes nothing, even with purge: true: collected files stay managed and stay after resync', async () => {
    const seeds = etcd().clientUrls.join(',');
    await writeFile(box.path('x.yaml'), exporter('from x'));
    await writeFile(box.path('p.yaml'), collector('p', true));
    const x = await runCli(['run', '-f', box.path('x.yaml'), '--hostname', 'x', '--seeds', seeds, '-t', '0'], { timeoutMs: 60_000 });
    expect(x.code, x.stderr).toBe(0);
    const p = startCli(['run', '-f', box.path('p.yaml'), '--hostname', 'p', '--seeds', seeds]);
    const px = box.path('p', 'px');
    await p.waitFor(async () => (await readIfExists(px)) === 'from x\n', 'p to collect px', { timeoutMs: 30_000 });

    await etcd().members[0]!.kill();
    await p.waitForLog(/etcd at .* is unreachable/, { timeoutMs: 30_000 });
    // Still managed during the outage: a drift is repaired, not purged.
    await writeFile(px, 'drift\n');
    await p.waitFor(async () => (await readIfExists(px)) === 'from x\n', 'px repaired during the outage');
    etcd().members[0]!.start();
    await p.waitForLog('etcd is back: resynchronised', { timeoutMs: 60_000 });
    await writeFile(px, 'drift again\n');
    await p.waitFor(async () => (await readIfExists(px)) === 'from x\n', 'px repaired after the resync');
    expect(p.stderr).not.toContain('purging');
    p.signal('SIGINT');
    expect((await p.waitForExit()).code).toBe(0);
  }, 150_000);

  it('--export-ttl: a host gone for the TTL is no longer collected (and purged); one that comes back is collected again', async () => {
    const seeds = etcd().clientUrls.join(',');
    await writeFile(box.path('x.yaml'), exporter('from x'));
    await writeFile(box.path('p.yaml'), collector('p', true));
    const p = startCli(['run', '-f', box.path('p.yaml'), '--hostname', 'p', '--seeds', seeds, '--export-ttl', '2']);
    await p.waitForLog('joined etcd at', { timeoutMs: 30_000 });
    // x runs until it has converged, then exits: its live entry goes with its lease, its exports stay in etcd.
    const x = await runCli(['run', '-f', box.path('x.yaml'), '--hostname', 'x', '--seeds', seeds, '-t', '1'], { timeoutMs: 60_000 });
    expect(x.code, x.stderr).toBe(0);
    const px = box.path('p', 'px');
    await p.waitFor(async () => (await readIfExists(px)) === undefined && p.stderr.includes('was withdrawn: purging'), 'p to expire and purge px', {
      timeoutMs: 30_000,
    });
    expect(p.stderr).toContain('collect: file[px] (from host x) was withdrawn: purging');
    const back = startCli(['run', '-f', box.path('x.yaml'), '--hostname', 'x', '--seeds', seeds]);
    await p.waitFor(async () => (await readIfExists(px)) === 'from x\n', 'px collected again while x is live', { timeoutMs: 30_000 });
    for (const c of [p, back]) c.signal('SIGINT');
    for (const c of [p, back]) {
      const r = await c.waitForExit();
      expect(r.code, `${r.signal ?? ''}\n${r.stderr}`).toBe(0);
    }
  }, 150_000);
});
