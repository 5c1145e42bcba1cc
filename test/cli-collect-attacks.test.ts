// A hostile host on a real etcd tries to make a collector (rxmgmt as root) write outside its
// pattern, copy its secrets or plant setuid files: every attempt is refused, named in the log,
// and nothing of it is written; the honest export beside it still lands.
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { memoryLogger } from '../src/util/logger.js';
import { connectEtcdWorld } from '../src/world/etcd.js';
import { lines, readIfExists, runCli, useSandbox } from './helpers/cli.js';
import { describeEtcd, useEtcdPerTest } from './helpers/etcd.js';

const box = useSandbox();

describeEtcd('confined collection against a hostile host on a real etcd', () => {
  const etcd = useEtcdPerTest();

  it('refuses ../, a symlinked parent, source, setuid, and owner; the rest is collected', async () => {
    const pattern = box.path('in', 'sub');
    const outside = box.path('outside');
    await mkdir(pattern, { recursive: true });
    await mkdir(outside);
    // A symlink inside the pattern directory pointing out of it.
    await symlink(outside, box.path('in', 'sub', 'link'));
    const evil = await connectEtcdWorld({ host: 'evil', seeds: etcd().clientUrls, log: memoryLogger(), startupTimeoutMs: 10_000 });
    await evil.setExports([
      { kind: 'file', name: 'climb', params: { dirname: '/x/', basename: '../../outside/climbed', content: 'pwned\n' } },
      { kind: 'file', name: 'dotdot', params: { path: '/x/..', content: 'pwned\n' } },
      { kind: 'file', name: 'through-link', params: { dirname: '/x/', basename: 'link/planted', content: 'pwned\n' } },
      { kind: 'file', name: 'shadow', params: { path: '/x/shadow-copy', source: '/etc/shadow' } },
      { kind: 'file', name: 'suid', params: { path: '/x/suid-sh', content: '#!/bin/sh\n', mode: '4755' } },
      { kind: 'file', name: 'rooted', params: { path: '/x/rooted', content: 'x\n', owner: 'root' } },
      { kind: 'file', name: 'honest', params: { path: '/etc/motd', content: 'hello from evil\n' } },
    ]);
    await evil.close();

    await writeFile(
      box.path('c.yaml'),
      lines(
        'graph: collector',
        'resources:',
        '  file:',
        '    - name: mine',
        `      path: ${pattern}/mine`,
        '      content: "mine\\n"',
        'collect:',
        '  - kind: file',
        `    pattern: ${pattern}/`,
      ),
    );
    const r = await runCli(['run', '-f', box.path('c.yaml'), '--hostname', 'collector', '--seeds', etcd().clientUrls.join(','), '-t', '1'], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const refusals = r.stderr.split('\n').filter((l) => l.includes('collect: refusing'));
    for (const name of ['climb', 'dotdot', 'through-link', 'shadow', 'suid', 'rooted']) {
      expect(refusals).toContainEqual(expect.stringContaining(`refusing file[${name}] from host evil`));
    }
    expect(await readdir(outside)).toEqual([]);
    expect((await readdir(pattern)).sort()).toEqual(['link', 'mine', 'motd']);
    expect(await readIfExists(`${pattern}/motd`)).toBe('hello from evil\n');
    expect(await readIfExists(`${pattern}/mine`)).toBe('mine\n');
  }, 90_000);
});
