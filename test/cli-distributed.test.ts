// mgmt's t3 and live export changes: several rxmgmt processes sharing one real etcd.
import { readdir, writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { lines, readIfExists, replaceAtomically, runCli, startCli, useSandbox } from './helpers/cli.js';
import { describeEtcd, useEtcdPerTest } from './helpers/etcd.js';

const box = useSandbox();

/** Host `h`: two local files, two exported ones, and it collects every exported file into its dir. */
function hostGraph(dir: string, h: string, motd = `motd from ${h}`): string {
  return lines(
    `graph: t3-${h}`,
    'resources:',
    '  file:',
    `    - name: f1${h}`,
    `      path: ${dir}/${h}/f1${h}`,
    '      content: "i am f1\\n"',
    `    - name: f2${h}`,
    `      path: ${dir}/${h}/f2${h}`,
    '      content: "i am f2\\n"',
    `    - name: "@@f3${h}"`,
    `      path: /nowhere/f3${h}`,
    `      content: "${motd}\\n"`,
    `    - name: "@@f4${h}"`,
    `      path: /nowhere/f4${h}`,
    `      content: "i am f4, exported from host ${h}\\n"`,
    'collect:',
    '  - kind: file',
    `    pattern: ${dir}/${h}/`,
  );
}

describeEtcd('distributed mode on a real etcd', () => {
  // A fresh etcd per test: exports outlive their host's process, so tests must not share one.
  const etcd = useEtcdPerTest();

  it('t3: three hosts converge together, each with its own files and every exported one', async () => {
    const seeds = etcd().clientUrls.join(',');
    const hosts = ['a', 'b', 'c'];
    for (const h of hosts) await writeFile(box.path(`${h}.yaml`), hostGraph(box.dir, h));
    // Each exits by itself once all three have been converged for 2 s.
    const results = await Promise.all(
      hosts.map((h) =>
        runCli(['run', '-f', box.path(`${h}.yaml`), '--hostname', `t3-${h}`, '--seeds', seeds, '--converged-timeout=2'], {
          timeoutMs: 90_000,
        }),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const exported = hosts.flatMap((h) => [`f3${h}`, `f4${h}`]);
    for (const h of hosts) {
      expect((await readdir(box.path(h))).sort()).toEqual([`f1${h}`, `f2${h}`, ...exported].sort());
      expect(await readIfExists(box.path(h, 'f3b'))).toBe('motd from b\n');
    }
  }, 120_000);

  it('a live change of an export reaches the other host; a withdrawn export leaves its vertex (the file stays)', async () => {
    const seeds = etcd().clientUrls.join(',');
    for (const h of ['x', 'y']) await writeFile(box.path(`${h}.yaml`), hostGraph(box.dir, h));
    const x = startCli(['run', '-f', box.path('x.yaml'), '--hostname', 'live-x', '--seeds', seeds]);
    const y = startCli(['run', '-f', box.path('y.yaml'), '--hostname', 'live-y', '--seeds', seeds]);
    const yCopy = box.path('y', 'f3x');
    await y.waitFor(async () => (await readIfExists(yCopy)) === 'motd from x\n', "y to collect x's f3x", { timeoutMs: 30_000 });

    await replaceAtomically(box.path('x.yaml'), hostGraph(box.dir, 'x', 'a new motd'));
    await y.waitFor(async () => (await readIfExists(yCopy)) === 'a new motd\n', 'the new content at y', { timeoutMs: 30_000 });

    // x withdraws f3x: y drops the vertex, so a later drift of that file is no longer repaired.
    const withdrawn = hostGraph(box.dir, 'x').split('\n');
    const at = withdrawn.findIndex((l) => l.includes('"@@f3x"'));
    withdrawn.splice(at, 3);
    await replaceAtomically(box.path('x.yaml'), withdrawn.join('\n'));
    await y.waitForLog(/graph "t3-y": 5 resources/, { timeoutMs: 30_000 });
    expect(await readIfExists(yCopy)).toBe('a new motd\n');
    await writeFile(yCopy, 'drifted\n');
    // A managed file would be back at once; f4x (still exported) still is:
    await writeFile(box.path('y', 'f4x'), 'drifted\n');
    await y.waitFor(async () => (await readIfExists(box.path('y', 'f4x'))) === 'i am f4, exported from host x\n', 'f4x repaired at y');
    expect(await readIfExists(yCopy)).toBe('drifted\n');

    for (const p of [x, y]) p.signal('SIGINT');
    for (const p of [x, y]) expect((await p.waitForExit()).code).toBe(0);
  }, 120_000);

  it('a host exits only when every live host has converged: a fast host waits for a slow one', async () => {
    const seeds = etcd().clientUrls.join(',');
    const marker = box.path('slow-done');
    await writeFile(box.path('fast.yaml'), lines('graph: fast', 'resources:', '  noop:', '    - name: nothing-to-do'));
    await writeFile(
      box.path('slow.yaml'),
      lines('graph: slow', 'resources:', '  exec:', '    - name: slow', `      cmd: sleep 3; touch ${marker}`, '      shell: /bin/sh'),
    );
    const slow = startCli(['run', '-f', box.path('slow.yaml'), '--hostname', 'slow', '--seeds', seeds, '-t', '1']);
    await slow.waitForLog('graph "slow"');
    const fast = await runCli(['run', '-f', box.path('fast.yaml'), '--hostname', 'fast', '--seeds', seeds, '-t', '1'], { timeoutMs: 60_000 });
    expect(fast.code, fast.stderr).toBe(0);
    // The fast host was converged long before; it could only exit once the slow one was too.
    expect(await readIfExists(marker)).toBe('');
    expect((await slow.waitForExit(30_000)).code).toBe(0);
  }, 90_000);

  it('--converged-timeout-no-exit with --converged-status-file records the state and keeps running', async () => {
    const seeds = etcd().clientUrls.join(',');
    const status = box.path('converged');
    const file = box.path('watched');
    await writeFile(box.path('s.yaml'), lines('graph: s', 'resources:', '  file:', '    - name: w', `      path: ${file}`, '      content: "x\\n"'));
    const p = startCli(['run', '-f', box.path('s.yaml'), '--seeds', seeds, '-t', '1', '--converged-timeout-no-exit', '--converged-status-file', status]);
    await p.waitFor(async () => (await readIfExists(status)) === 'true\n', 'the status file to say true', { timeoutMs: 30_000 });
    expect(p.alive).toBe(true);
    p.signal('SIGINT');
    expect((await p.waitForExit()).code).toBe(0);
  }, 90_000);

  it('an etcd outage while running: the local graph keeps repairing, the outage is reported, and it resynchronises', async () => {
    const seeds = etcd().clientUrls.join(',');
    await writeFile(box.path('o.yaml'), hostGraph(box.dir, 'o'));
    const p = startCli(['run', '-f', box.path('o.yaml'), '--hostname', 'outage', '--seeds', seeds]);
    const collected = box.path('o', 'f3o');
    await p.waitFor(async () => (await readIfExists(collected)) === 'motd from o\n', 'the collected f3o');

    await etcd().members[0]!.kill();
    await p.waitForLog(/etcd .*(down|unreachable|lost)|outage/i, { timeoutMs: 30_000 });
    // Local work goes on, on the last known collected resources too.
    await writeFile(box.path('o', 'f1o'), 'drift\n');
    await writeFile(collected, 'drift\n');
    await p.waitFor(async () => (await readIfExists(box.path('o', 'f1o'))) === 'i am f1\n', 'f1o repaired during the outage');
    await p.waitFor(async () => (await readIfExists(collected)) === 'motd from o\n', 'f3o repaired during the outage');

    etcd().members[0]!.start();
    await p.waitForLog('etcd is back: resynchronised', { timeoutMs: 60_000 });
    p.signal('SIGINT');
    expect((await p.waitForExit()).code).toBe(0);
  }, 120_000);

  it('etcd unreachable at start-up: the local graph is applied at once, the host joins when etcd comes up', async () => {
    const seeds = etcd().clientUrls.join(',');
    await etcd().members[0]!.kill();
    await writeFile(box.path('u.yaml'), hostGraph(box.dir, 'u'));
    const p = startCli(['run', '-f', box.path('u.yaml'), '--hostname', 'early', '--seeds', seeds]);
    await p.waitForLog(/etcd at .* is not reachable yet/, { timeoutMs: 30_000 });
    await p.waitFor(async () => (await readIfExists(box.path('u', 'f1u'))) === 'i am f1\n', 'the local f1u applied before etcd is up');
    expect(await readIfExists(box.path('u', 'f3u'))).toBeUndefined();
    etcd().members[0]!.start();
    await p.waitForLog('joined etcd at', { timeoutMs: 60_000 });
    // Its exports were kept and written on joining; now it collects them like any host.
    await p.waitFor(async () => (await readIfExists(box.path('u', 'f3u'))) === 'motd from u\n', 'the collected f3u once joined', { timeoutMs: 30_000 });
    p.signal('SIGINT');
    expect((await p.waitForExit()).code).toBe(0);
  }, 120_000);

  it('hosts without -t or with --converged-timeout-no-exit publish their converged state: a -t host does not wait for them forever', async () => {
    const seeds = etcd().clientUrls.join(',');
    await writeFile(box.path('n.yaml'), lines('graph: n', 'resources:', '  noop:', '    - name: idle'));
    const forever = startCli(['run', '-f', box.path('n.yaml'), '--hostname', 'no-t', '--seeds', seeds]);
    const noExit = startCli(['run', '-f', box.path('n.yaml'), '--hostname', 'no-exit', '--seeds', seeds, '-t', '1', '--converged-timeout-no-exit']);
    for (const p of [forever, noExit]) await p.waitForLog('joined etcd at', { timeoutMs: 30_000 });
    const r = await runCli(['run', '-f', box.path('n.yaml'), '--hostname', 'with-t', '--seeds', seeds, '-t', '1'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('converged: draining');
    expect(forever.alive && noExit.alive).toBe(true);
    for (const p of [forever, noExit]) p.signal('SIGINT');
    for (const p of [forever, noExit]) expect((await p.waitForExit()).code).toBe(0);
  }, 120_000);
});
