// cron against a REAL systemd: rxmgmt runs inside the systemd sandbox (its own systemd as PID 1
// on an overlay root), writes a timer unit, and the test sees the timer FIRE: the service it
// activates touches a marker in the directory shared with the sandbox.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMeta, type ResourceSpec } from '../src/model/spec.js';
import { asyncScheduler } from 'rxjs';
import { memoryLogger } from '../src/util/logger.js';
import { CronResource, cronKind } from '../src/resources/cron.js';
import { timerPath, timerUnitText, timerProblem } from '../src/resources/cron/timer-unit.js';
import type { ResourceEnv } from '../src/model/resource.js';
import { defaultRegistry } from '../src/resources/registry.js';
import { loadGraphFile } from '../src/yaml/parse.js';
import { describeSandbox, Sandbox } from './helpers/sandbox.js';
import { cliPath, repoRoot, waitFor } from './helpers/cli.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const env: ResourceEnv = { hostname: 'x', log: memoryLogger(), scheduler: asyncScheduler };
const defaults = { state: 'exists', startup: 'enabled', session: false, persistent: false, wakesystem: false, remainafterelapse: true };
const spec = (name: string, params: Record<string, unknown>): ResourceSpec => ({ kind: 'cron', name, meta: { ...defaultMeta }, params: { ...defaults, ...params }, pos: { file: 'test', line: 1 } });

describeSandbox('cron on a real systemd', {}, () => {
  let sb: Sandbox;
  let marker: string;
  const graph = (body: string) => {
    const file = join(sb.bind, 'cron.yaml');
    writeFileSync(file, body);
    return file;
  };
  const run = (file: string, ...flags: string[]) => sb.exec([process.execPath, cliPath, 'run', '-t', '1', ...flags, '-f', file], 150_000);
  const tickGraph = () => `graph: cron
resources:
  file:
    - name: tick-service
      path: /etc/systemd/system/rxmgmt-tick.service
      content: |
        [Service]
        Type=oneshot
        ExecStart=/usr/bin/touch ${marker}
  cron:
    - name: rxmgmt-tick
      trigger: OnActiveSec
      time: 2s
      accuracysec: 1s
      description: rxmgmt test tick
`;

  beforeAll(async () => {
    if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    sb = await Sandbox.start();
    marker = join(sb.bind, 'fired');
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('noop writes nothing and says what it would do', async () => {
    const r = await run(graph(tickGraph()), '--noop');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cron[rxmgmt-tick]: noop, would write /etc/systemd/system/rxmgmt-tick.timer');
    expect(r.stderr).toContain('cron[rxmgmt-tick]: noop, would start rxmgmt-tick.timer');
    expect((await sb.exec(['test', '-e', '/etc/systemd/system/rxmgmt-tick.timer'])).code).toBe(1);
  });

  it('writes the timer after the service it activates, enables and starts it, and the timer fires', async () => {
    const r = await run(graph(tickGraph()));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    const service = lines.findIndex((l) => l.startsWith('info  file[tick-service]: changed'));
    const started = lines.findIndex((l) => l.includes('cron[rxmgmt-tick]: start rxmgmt-tick.timer'));
    expect(service, r.stderr).toBeGreaterThanOrEqual(0);
    expect(started, r.stderr).toBeGreaterThan(service);
    expect(await sb.sh('cat /etc/systemd/system/rxmgmt-tick.timer')).toContain('[Timer]\nOnActiveSec=2s\nAccuracySec=1s\n');
    expect((await sb.exec(['systemctl', 'is-enabled', 'rxmgmt-tick.timer'])).stdout.trim()).toBe('enabled');
    await waitFor(() => existsSync(marker), `the timer to fire (${marker} touched by rxmgmt-tick.service)`, { timeoutMs: 60_000, intervalMs: 200 });
    expect((await sb.exec(['systemctl', 'show', '-p', 'Result', '--value', 'rxmgmt-tick.service'])).stdout.trim()).toBe('success');

    const again = await run(graph(tickGraph()));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('cron[rxmgmt-tick]: changed');
  });

  it('state absent stops, disables and removes the timer', async () => {
    const r = await run(graph('graph: cron\nresources:\n  cron:\n    - name: rxmgmt-tick\n      state: absent\n'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cron[rxmgmt-tick]: remove /etc/systemd/system/rxmgmt-tick.timer');
    expect((await sb.exec(['test', '-e', '/etc/systemd/system/rxmgmt-tick.timer'])).code).toBe(1);
    expect((await sb.exec(['systemctl', 'is-active', 'rxmgmt-tick.timer'])).stdout.trim()).toBe('inactive');
  });

  it('fails clearly when the unit it activates does not exist', async () => {
    const r = await run(graph('graph: cron\nresources:\n  cron:\n    - name: rxmgmt-orphan\n      trigger: OnCalendar\n      time: daily\n'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cron[rxmgmt-orphan]: rxmgmt-orphan.timer activates rxmgmt-orphan.service, which does not exist (no unit file)');
  });
});

describe('cron without a daemon', () => {
  it('writes mgmt\'s fields as a timer unit', () => {
    const r = cronKind.create(spec('backup', { trigger: 'OnCalendar', time: 'Mon *-*-* 02:00', unit: 'db-backup.service', persistent: true, remainafterelapse: false, randomizeddelaysec: '10min' }), env) as CronResource;
    expect(r.path).toBe('/etc/systemd/system/backup.timer');
    expect(timerUnitText(r.want, 'cron[backup]')).toBe(
      [
        '# Managed by rxmgmt (cron[backup]): edits are overwritten.',
        '[Unit]',
        'Description=timer generated by rxmgmt for db-backup.service',
        '',
        '[Timer]',
        'OnCalendar=Mon *-*-* 02:00',
        'RandomizedDelaySec=10min',
        'Unit=db-backup.service',
        'Persistent=true',
        'RemainAfterElapse=false',
        '',
        '[Install]',
        'WantedBy=timers.target',
        '',
      ].join('\n'),
    );
    expect(r.manages()).toEqual(['cron:backup.timer', 'file:/etc/systemd/system/backup.timer']);
    expect(r.autoEdges().wants).toContainEqual(['file:/etc/systemd/system/db-backup.service']);
    expect(r.autoEdges().provides).toEqual(['file:/etc/systemd/system/backup.timer']);
  });

  it("puts a session timer in the user's own unit directory", () => {
    expect(timerPath({ timer: 'sync.timer', session: true }, '/home/ann')).toBe('/home/ann/.config/systemd/user/sync.timer');
    const r = cronKind.create(spec('sync', { trigger: 'OnUnitActiveSec', time: '15min', session: true }), env) as CronResource;
    expect(r.manages()[0]).toBe('cron:user:sync.timer');
    expect(r.autoEdges().wants).toEqual([]);
  });

  it('reversed() is the timer removed', () => {
    const r = cronKind.create(spec('backup', { trigger: 'OnCalendar', time: 'daily' }), env) as CronResource;
    const undo = r.reversed() as CronResource;
    expect(undo.want.state).toBe('absent');
    expect(undo.path).toBe(r.path);
    expect(undo.reversed()).toBeUndefined();
  });

  it('refuses bad fields when the graph loads, saying which and why', () => {
    const bad = (params: Record<string, unknown>) => () => cronKind.create(spec('t', params), env);
    expect(bad({ trigger: 'OnCalendar' })).toThrow(/cron\[t\]: `trigger` and `time` must be set together/);
    expect(bad({ trigger: 'OnActiveSec', time: 'tomorrow' })).toThrow(/`time` "tomorrow" is not a time span for OnActiveSec/);
    expect(bad({ trigger: 'OnCalendar', time: 'daily\nExecStart=/bin/evil' })).toThrow(/`time` must be one line/);
    expect(bad({ trigger: 'OnCalendar', time: 'daily', unit: 'not a unit' })).toThrow(/`unit` "not a unit" is not a unit name/);
    expect(() => cronKind.create(spec('no/slash', { trigger: 'OnCalendar', time: 'daily' }), env)).toThrow(/is not a timer name/);
    expect(timerProblem({ ...(cronKind.create(spec('t', { trigger: 'OnBootSec', time: '1h 30min' }), env) as CronResource).want })).toBeUndefined();
    expect(cronKind.create(spec('t', { state: 'absent' }), env)).toBeInstanceOf(CronResource);
  });

  it('loads examples/cron.yaml', async () => {
    const g = await loadGraphFile(join(repoRoot, 'examples/cron.yaml'), defaultRegistry());
    expect(g.resources.map((r) => r.kind)).toContain('cron');
  });
});
