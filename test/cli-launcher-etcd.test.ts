// The bin's etcd snapshot (rxmgmt-etcd.blob) holds etcd3 and its gRPC stack, loaded at build time
// with its precompiled gRPC descriptor (scripts/etcd-proto.mjs): two hosts started through the bin
// share exports on a real etcd (test/etcd-proto.test.ts pins that the bundled client answers as
// the plain one does), and a GRPC_* variable, which grpc-js reads as it loads, still works.
import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { lines, repoRoot, useSandbox } from './helpers/cli.js';
import { describeEtcd, useEtcdPerTest } from './helpers/etcd.js';

const run = promisify(execFile);
const box = useSandbox();
const bin = join(repoRoot, 'dist', 'src', 'cli', 'rxmgmt');
/** The bin finds `node` on the PATH: this one, which built the blob. */
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, NO_COLOR: '1' };

/** Host `h` exports one file and collects every exported file into its own dir; it records rxmgmt's command line. */
function hostGraph(h: string): string {
  return lines(
    `graph: bin-${h}`,
    'resources:',
    '  file:',
    `    - name: "@@motd-${h}"`,
    `      path: /nowhere/motd-${h}`,
    `      content: "motd from ${h}\\n"`,
    '  exec:',
    '    - name: whoami',
    `      cmd: cat /proc/$PPID/cmdline > ${box.path(`cmdline-${h}`)}`,
    '      shell: /bin/sh',
    'collect:',
    '  - kind: file',
    `    pattern: ${box.path(h)}/`,
  );
}

describeEtcd('the bin on a real etcd', () => {
  const etcd = useEtcdPerTest();

  it('two hosts started from the snapshot collect each other\'s exports', { timeout: 120_000 }, async () => {
    const seeds = etcd().clientUrls.join(',');
    for (const h of ['a', 'b']) await writeFile(box.path(`${h}.yaml`), hostGraph(h));
    await Promise.all(
      ['a', 'b'].map((h) =>
        run(bin, ['run', '-f', box.path(`${h}.yaml`), '--hostname', `bin-${h}`, '--seeds', seeds, '--converged-timeout=2', '--log-level', 'warn'], {
          env,
          timeout: 90_000,
        }),
      ),
    );
    for (const h of ['a', 'b']) {
      expect((await readdir(box.path(h))).sort()).toEqual(['motd-a', 'motd-b']);
      expect(await readFile(box.path(h, h === 'a' ? 'motd-b' : 'motd-a'), 'utf8')).toBe(`motd from ${h === 'a' ? 'b' : 'a'}\n`);
      const argv = (await readFile(box.path(`cmdline-${h}`), 'utf8')).split('\0');
      // --seeds names etcd: the snapshot with the etcd client already loaded.
      expect(argv[argv.indexOf('--snapshot-blob') + 1]).toBe(join(repoRoot, 'dist', 'src', 'cli', 'rxmgmt-etcd.blob'));
    }
  });

  it('with a GRPC_* variable set, runs the plain bundle (same process), where grpc-js reads it', { timeout: 120_000 }, async () => {
    const seeds = etcd().clientUrls.join(',');
    await writeFile(box.path('t.yaml'), hostGraph('t'));
    const args = ['run', '-f', box.path('t.yaml'), '--hostname', 'bin-t', '--seeds', seeds, '--converged-timeout=1', '--log-level', 'warn'];
    const { stderr } = await run(bin, args, { env: { ...env, GRPC_VERBOSITY: 'DEBUG', GRPC_TRACE: 'channel' }, timeout: 90_000 });
    // grpc-js's own trace lines: it read both variables.
    expect(stderr).toMatch(/^D .* \| channel \| /m);
    const argv = (await readFile(box.path('cmdline-t'), 'utf8')).split('\0');
    expect(argv).not.toContain('--snapshot-blob');
    expect(argv).toContain(join(repoRoot, 'dist', 'src', 'cli', 'main.js'));
    expect(await readFile(box.path('t', 'motd-t'), 'utf8')).toBe('motd from t\n');
  });
});
