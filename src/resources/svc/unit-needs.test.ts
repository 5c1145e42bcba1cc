// svc's autoedges from its unit file: the parser, the bounded read, and the edges buildGraph
// adds from a unit file in a temp dir (SVC_PATHS pointed at it: nothing of the host's is read).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncScheduler } from 'rxjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGraph } from '../../graph/graph.js';
import { memoryLogger } from '../../util/logger.js';
import { parseGraph } from '../../yaml/parse.js';
import { defaultRegistry } from '../registry.js';
import { SVC_PATHS } from '../svc.js';
import { readUnitFile, unitNeeds } from './unit-needs.js';

describe('unitNeeds', () => {
  it('reads User=, Group=, SupplementaryGroups=, RequiresMountsFor= and WorkingDirectory= as systemd does', () => {
    const text = [
      '[Unit]',
      'Description=app # User=not-this',
      'RequiresMountsFor=/srv/data/ "/var/lib/app"',
      'RequiresMountsFor=/mnt/%i',
      '[Service]',
      '# User=commented',
      'User=first',
      'User = app',
      'Group=app',
      'SupplementaryGroups=log \\',
      '  audio',
      'WorkingDirectory=-/srv/app/',
      '[Install]',
      'User=ignored',
    ].join('\n');
    expect(unitNeeds(text)).toEqual({
      users: ['app'],
      groups: ['app', 'log', 'audio'],
      paths: ['/srv/data', '/var/lib/app', '/srv/app'],
      workingDirectory: '/srv/app',
    });
  });

  it('leaves out dynamic users, reset lists, home and specifier paths, and numbers stay numbers', () => {
    expect(unitNeeds('[Service]\nDynamicUser=yes\nUser=app\nGroup=app\nSupplementaryGroups=log\n')).toEqual({ users: [], groups: ['log'], paths: [] });
    expect(unitNeeds('[Unit]\nRequiresMountsFor=/a\nRequiresMountsFor=\n[Service]\nWorkingDirectory=~\nUser=1500\nGroup=%U\n')).toEqual({ users: ['1500'], groups: [], paths: [] });
    expect(unitNeeds('')).toEqual({ users: [], groups: [], paths: [] });
  });
});

describe('readUnitFile', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'rx-unit-'));
    for (const d of ['etc', 'lib']) mkdirSync(join(tmp, d));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const dirs = () => [join(tmp, 'etc'), join(tmp, 'lib')];

  it('takes the first directory that has the unit, and a template for an instance', () => {
    writeFileSync(join(tmp, 'lib', 'a.service'), 'lib');
    expect(readUnitFile(dirs(), 'a.service')).toBe('lib');
    writeFileSync(join(tmp, 'etc', 'a.service'), 'etc');
    expect(readUnitFile(dirs(), 'a.service')).toBe('etc');
    writeFileSync(join(tmp, 'lib', 'getty@.service'), 'template');
    expect(readUnitFile(dirs(), 'getty@tty1.service')).toBe('template');
    expect(readUnitFile(dirs(), 'none.service')).toBeUndefined();
  });

  it('gives nothing for a masked unit or a FIFO, without blocking', () => {
    symlinkSync('/dev/null', join(tmp, 'etc', 'masked.service'));
    writeFileSync(join(tmp, 'lib', 'masked.service'), '[Service]\nUser=app\n');
    expect(readUnitFile(dirs(), 'masked.service')).toBeUndefined();
    execFileSync('mkfifo', [join(tmp, 'etc', 'fifo.service')]);
    expect(readUnitFile(dirs(), 'fifo.service')).toBeUndefined();
  });
});

describe('svc autoedges from its unit file', () => {
  const registry = defaultRegistry();
  const env = { hostname: 'test', log: memoryLogger(), scheduler: asyncScheduler };
  const saved = SVC_PATHS.unitDirs;
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'rx-svc-edges-'));
    SVC_PATHS.unitDirs = [tmp];
  });
  afterAll(() => {
    SVC_PATHS.unitDirs = saved;
    rmSync(tmp, { recursive: true, force: true });
  });

  it('puts a service after the users, groups, mounts and working directory its unit file names', () => {
    writeFileSync(
      join(tmp, 'app.service'),
      '[Unit]\nRequiresMountsFor=/srv/data/db\n[Service]\nUser=app\nGroup=2100\nSupplementaryGroups=log\nWorkingDirectory=/srv/app\nExecStart=/bin/true\n',
    );
    const yaml = [
      'graph: g',
      'resources:',
      '  user:',
      '  - name: app',
      '  group:',
      '  - name: appgroup',
      '    gid: 2100',
      '  - name: log',
      '  - name: unrelated',
      '  mount:',
      '  - name: /srv/data',
      '    state: exists',
      '    device: /dev/vdb1',
      '    type: ext4',
      '  - name: /srv/data/db',
      '    state: exists',
      '    device: /dev/vdb2',
      '    type: ext4',
      '  file:',
      '  - name: workdir',
      '    path: /srv/app/',
      '  svc:',
      '  - name: app',
      '    state: running',
      '  - name: other',
      '    state: running',
    ].join('\n');
    const g = buildGraph(parseGraph(yaml, 'test.yaml', registry), registry, env);
    const into = (key: string) => g.edges.filter((e) => e.to === key).map((e) => e.from).sort();
    // Every mount on the way to a RequiresMountsFor path, as systemd has it; a unit file
    // not on disk (svc[other]) names nothing.
    expect(into('svc[app]')).toEqual(['file[workdir]', 'group[appgroup]', 'group[log]', 'mount[/srv/data/db]', 'mount[/srv/data]', 'user[app]']);
    expect(into('svc[other]')).toEqual([]);
  });
});
