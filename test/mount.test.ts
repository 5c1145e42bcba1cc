// mount against a REAL systemd: rxmgmt runs inside the systemd sandbox (its own mount namespace,
// systemd and overlay root with its own /etc/fstab), mounts a tmpfs through a systemd mount unit,
// remounts it when the options change, mounts it again when it is unmounted behind its back, and
// removes it. The host's mounts and fstab are never touched.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { VirtualTimeScheduler, asyncScheduler } from 'rxjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMeta, type ResourceSpec } from '../src/model/spec.js';
import { memoryLogger } from '../src/util/logger.js';
import { MOUNTINFO_POLL_MS, MountResource, mountKind, mountinfoChanges } from '../src/resources/mount.js';
import { fstabWith, mountUnitName, parseMountInfo, fstabEntryFor } from '../src/resources/mount/tables.js';
import type { ResourceEnv } from '../src/model/resource.js';
import { defaultRegistry } from '../src/resources/registry.js';
import { loadGraphFile } from '../src/yaml/parse.js';
import { describeSandbox, Sandbox } from './helpers/sandbox.js';
import { cliPath, repoRoot, waitFor } from './helpers/cli.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const POINT = '/mnt/rxmgmt-data';
const graphText = (size: string, state = 'exists') => `graph: mount
resources:
  file:
    - name: point
      path: ${POINT}/
      state: exists
  mount:
    - name: ${POINT}
      state: ${state}
      device: tmpfs
      type: tmpfs
      options:
        size: ${size}
        mode: "0755"
`;

describeSandbox('mount on a real systemd', {}, () => {
  let sb: Sandbox;
  const graph = (body: string) => {
    const file = join(sb.bind, 'mount.yaml');
    writeFileSync(file, body);
    return file;
  };
  const cli = (file: string, ...flags: string[]) => [process.execPath, cliPath, 'run', ...flags, '-f', file];
  const run = (file: string, ...flags: string[]) => sb.exec(cli(file, '-t', '1', ...flags), 150_000);
  const findmnt = async () => (await sb.exec(['findmnt', '-n', '-o', 'FSTYPE,OPTIONS', POINT])).stdout.trim();
  const fstab = () => sb.sh('cat /etc/fstab');

  beforeAll(async () => {
    if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    sb = await Sandbox.start();
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('noop changes nothing and says what it would do', async () => {
    const before = await fstab();
    const r = await run(graph(graphText('16m')), '--noop');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`mount[${POINT}]: noop, would add the /etc/fstab entry for ${POINT}: tmpfs ${POINT} tmpfs size=16m,mode=0755 0 0`);
    expect(r.stderr).toContain(`mount[${POINT}]: noop, would mount tmpfs (tmpfs) at ${POINT}`);
    expect(await fstab()).toBe(before);
    expect(await findmnt()).toBe('');
  });

  it('mounts after its mount point exists, with the fstab entry in step; a second run changes nothing', async () => {
    const r = await run(graph(graphText('16m')));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const dir = lines.findIndex((l) => l.startsWith('info  file[point]: changed'));
    const mounted = lines.findIndex((l) => l.includes(`mount[${POINT}]: mount tmpfs (tmpfs) at ${POINT}`));
    expect(dir, r.stderr).toBeGreaterThanOrEqual(0);
    expect(mounted, r.stderr).toBeGreaterThan(dir);
    expect(await findmnt()).toMatch(/^tmpfs\s+rw,.*size=16384k,mode=755/);
    expect((await fstab()).split('\n')).toContain(`tmpfs ${POINT} tmpfs size=16m,mode=0755 0 0`);
    expect((await sb.exec(['systemctl', 'is-active', mountUnitName(POINT)])).stdout.trim()).toBe('active');

    const again = await run(graph(graphText('16m')));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain(`mount[${POINT}]: changed`);
  });

  it('remounts with new options, rewriting its fstab entry in place', async () => {
    const r = await run(graph(graphText('32m')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`mount[${POINT}]: rewrite the /etc/fstab entry for ${POINT}: tmpfs ${POINT} tmpfs size=32m,mode=0755 0 0`);
    expect(r.stderr).toContain(`mount[${POINT}]: remount ${POINT} with size=32m,mode=0755`);
    expect(await findmnt()).toMatch(/size=32768k/);
    expect((await fstab()).split('\n').filter((l) => l.includes(POINT))).toEqual([`tmpfs ${POINT} tmpfs size=32m,mode=0755 0 0`]);
  });

  it('sees an unmount behind its back and mounts again', async () => {
    const log = join(sb.bind, 'drift.log');
    const pidFile = join(sb.bind, 'drift.pid');
    const file = graph(graphText('32m'));
    const cmd = cli(file, '--log-level', 'debug').map((a) => `'${a}'`).join(' ');
    const running = sb.exec(['bash', '-c', `echo $$ > ${pidFile}; exec ${cmd} 2> ${log}`], 150_000);
    try {
      const logText = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
      await waitFor(() => logText().includes('graph "mount"'), 'rxmgmt to load the graph', { timeoutMs: 60_000, context: logText });
      // Its first check finds everything in place; then unmount, until the watch notices.
      await waitFor(
        async () => {
          if (logText().includes(`mount[${POINT}]: mount tmpfs (tmpfs) at ${POINT}`)) return true;
          await sb.exec(['umount', POINT]);
          return false;
        },
        'rxmgmt to mount it again after `umount`',
        { timeoutMs: 60_000, intervalMs: 1_000, context: logText },
      );
      await waitFor(async () => /size=32768k/.test(await findmnt()), `${POINT} to be mounted again`, { timeoutMs: 30_000, context: logText });
    } finally {
      const pid = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').trim() : '';
      if (/^\d+$/.test(pid)) await sb.exec(['kill', pid]);
      await running;
    }
  });

  it('state absent unmounts and removes the fstab entry', async () => {
    const r = await run(graph(graphText('32m', 'absent')));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`mount[${POINT}]: unmount tmpfs (tmpfs) from ${POINT}`);
    expect(await findmnt()).toBe('');
    expect(await fstab()).not.toContain(POINT);
  });
});

describe('mount without a daemon', () => {
  const env: ResourceEnv = { hostname: 'x', log: memoryLogger(), scheduler: asyncScheduler };
  const spec = (name: string, params: Record<string, unknown>): ResourceSpec => ({
    kind: 'mount',
    name,
    meta: { ...defaultMeta },
    params: { options: { defaults: '' }, freq: 0, passno: 0, ...params },
    pos: { file: 'test', line: 1 },
  });

  it("keeps fstab's other lines as they are and replaces the mount point's entry in place", () => {
    const text = '# static table\nUUID=abc / ext4 errors=remount-ro 0 1\n/dev/sdb1  /srv  xfs  defaults  0  2\n/dev/sdc1 /srv xfs ro 0 0\n';
    const entry = { device: '/dev/sdd1', point: '/srv', type: 'ext4', options: 'noatime', freq: 0, passno: 2 };
    expect(fstabWith(text, '/srv', entry)).toBe('# static table\nUUID=abc / ext4 errors=remount-ro 0 1\n/dev/sdd1 /srv ext4 noatime 0 2\n');
    expect(fstabWith(text, '/srv', undefined)).toBe('# static table\nUUID=abc / ext4 errors=remount-ro 0 1\n');
    expect(fstabWith('', '/mnt/a b', { ...entry, point: '/mnt/a b' })).toBe('/dev/sdd1 /mnt/a\\040b ext4 noatime 0 2\n');
    expect(fstabEntryFor('/dev/x /mnt/a\\040b tmpfs defaults 0 0\n', '/mnt/a b')?.device).toBe('/dev/x');
  });

  it('names mount units as systemd-escape --path does, and reads mountinfo', () => {
    expect(mountUnitName('/mnt/rxmgmt-data')).toBe('mnt-rxmgmt\\x2ddata.mount');
    expect(mountUnitName('/srv/.hidden/a b')).toBe('srv-.hidden-a\\x20b.mount');
    expect(mountUnitName('/.hidden')).toBe('\\x2ehidden.mount');
    const info = '36 35 98:0 / /mnt/a\\040b rw,noatime master:1 - tmpfs tmpfs rw,size=16384k\n';
    expect(parseMountInfo(info)).toEqual([{ point: '/mnt/a b', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'noatime', 'rw', 'size=16384k'] }]);
  });

  it('polls mountinfo on the scheduler it is given, and emits only when its own line changes', async () => {
    const scheduler = new VirtualTimeScheduler();
    const line = (opts: string) => `40 30 0:50 / /mnt/data rw,relatime - tmpfs tmpfs ${opts}\n`;
    const other = '41 30 0:51 / /mnt/other rw - tmpfs tmpfs rw\n';
    let table = line('rw,size=16384k');
    let reads = 0;
    const seen: number[] = [];
    const sub = mountinfoChanges('/mnt/data', scheduler, async () => {
      reads++;
      return table;
    }).subscribe(() => seen.push(scheduler.now()));
    const advanceTo = async (ms: number) => {
      scheduler.maxFrames = ms;
      scheduler.flush();
      for (let i = 0; i < 5; i++) await Promise.resolve(); // the reads resolve
    };
    await advanceTo(MOUNTINFO_POLL_MS); // baseline
    table = line('rw,size=16384k') + other; // another mount point: not ours
    await advanceTo(2 * MOUNTINFO_POLL_MS);
    table = line('rw,size=32768k'); // remounted
    await advanceTo(3 * MOUNTINFO_POLL_MS);
    table = ''; // unmounted
    await advanceTo(4 * MOUNTINFO_POLL_MS);
    await advanceTo(5 * MOUNTINFO_POLL_MS);
    sub.unsubscribe();
    expect(reads).toBe(5);
    expect(seen).toEqual([3 * MOUNTINFO_POLL_MS, 4 * MOUNTINFO_POLL_MS]);
  });

  it('comes after its mount point directory and manages mount:<point>', () => {
    const r = mountKind.create(spec('/mnt/data', { state: 'exists', device: '/var/images/data.img', type: 'tmpfs' }), env) as MountResource;
    expect(r.manages()).toEqual(['mount:/mnt/data']);
    expect(r.autoEdges().wants).toEqual([['file:/mnt/data/'], ['file:/mnt/', 'file:/'], ['file:/var/images/data.img']]);
    expect(r.unit).toBe('mnt-data.mount');
    const undo = r.reversed() as MountResource;
    expect(undo.want.state).toBe('absent');
    expect(undo.reversed()).toBeUndefined();
  });

  it('refuses bad fields when the graph loads', () => {
    const bad = (name: string, params: Record<string, unknown>) => () => mountKind.create(spec(name, params), env);
    expect(bad('relative/x', { state: 'absent' })).toThrow(/"relative\/x" is not a mount point/);
    expect(bad('/mnt//x', { state: 'absent' })).toThrow(/without "\/\/"/);
    expect(bad('/mnt/x', { state: 'exists', type: 'tmpfs' })).toThrow(/`device` must be set/);
    expect(bad('/mnt/x', { state: 'exists', device: 'tmpfs', type: 'nosuchfs' })).toThrow(/`type` "nosuchfs" is not a file system this kernel knows/);
    expect(bad('/mnt/x', { state: 'exists', device: 'tmpfs', type: 'tmpfs', options: { 'a b': '' } })).toThrow(/is not a mount option/);
    expect(bad('/mnt/x', { state: 'exists', device: 'tmpfs', type: 'tmpfs', freq: -1 })).toThrow(/`freq` must be an integer >= 0/);
  });

  it('loads examples/mount.yaml', async () => {
    const g = await loadGraphFile(join(repoRoot, 'examples/mount.yaml'), defaultRegistry());
    expect(g.resources.map((r) => r.kind)).toContain('mount');
  });
});
