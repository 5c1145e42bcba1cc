// Out of inotify watches for real: rxmgmt runs in a user namespace of its own whose
// max_inotify_watches is lowered to a handful (the host's limit is untouched: the namespace's
// count is its own), with files in more directories than it can watch. The directories it
// cannot watch are polled: drift there is still repaired, and the limit to raise is said once.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cliPath, useSandbox, waitFor } from './helpers/cli.js';

const box = useSandbox();

// Can this machine make a user namespace and lower its inotify limit?
const probe = spawnSync('unshare', ['-Ur', 'sh', '-c', 'echo 5 > /proc/sys/user/max_inotify_watches'], { encoding: 'utf8' });
const canLower = probe.status === 0;
if (!canLower && process.env.RXMGMT_REQUIRE_REAL === '1') {
  throw new Error(`cannot lower inotify limits in a user namespace (RXMGMT_REQUIRE_REAL=1): ${probe.stderr}`);
}

const DIRS = 12;

describe.skipIf(!canLower)('file: out of inotify watches', () => {
  it('polls the directories it cannot watch, repairs drift there, and says so once naming the sysctl', async () => {
    const lines = ['graph: limits', 'resources:', '  file:'];
    for (let i = 0; i < DIRS; i++) {
      mkdirSync(box.path(`d${i}`));
      lines.push(`    - name: f${i}`, `      path: ${box.path(`d${i}`, 'f')}`, `      content: "file ${i}\\n"`);
    }
    const yaml = box.path('limits.yaml');
    writeFileSync(yaml, lines.join('\n') + '\n');
    // Watches: "/", each ancestor of the box, the box (graph file and the d<i>), a few d<i>.
    const depth = box.dir.split('/').filter(Boolean).length;
    const limit = depth + 1 + 3;
    const child: ChildProcess = spawn(
      'unshare',
      ['-Ur', 'sh', '-c', `echo ${limit} > /proc/sys/user/max_inotify_watches && exec "$0" "$@"`, process.execPath, cliPath, 'run', '-f', yaml],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const context = () => `output:\n${stderr}`;
      const all = Array.from({ length: DIRS }, (_, i) => box.path(`d${i}`, 'f'));
      await waitFor(() => all.every((p) => existsSync(p)), 'every file created', { context });
      await waitFor(() => stderr.includes('raise fs.inotify.max_user_watches'), 'the fallback reported', { context });
      // The last directories are the ones left without a watch; drift in each is repaired.
      for (const i of [DIRS - 1, DIRS - 2, 0]) {
        const p = box.path(`d${i}`, 'f');
        unlinkSync(p);
        await waitFor(() => existsSync(p) && readFileSync(p, 'utf8') === `file ${i}\n`, `d${i}/f repaired`, { context });
        writeFileSync(p, 'tampered\n');
        await waitFor(() => readFileSync(p, 'utf8') === `file ${i}\n`, `d${i}/f rewritten`, { context });
      }
      const said = stderr.split('\n').filter((l) => l.includes('polling it every'));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/^warn +watch: cannot watch directory \/.* \(ENOSPC: System limit for number of file watchers reached\): polling it every 1 s instead, and any other directory that cannot be watched \(said once\); raise fs\.inotify\.max_user_watches \(sysctl\) for instant repairs$/);
      expect(stderr).not.toMatch(/watch .* failed|cannot watch directory .*: ENOSPC.*retry/);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    expect(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim()).not.toBe(String(limit)); // the host's own is untouched
  }, 60_000);
});
