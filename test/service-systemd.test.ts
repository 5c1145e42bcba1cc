// contrib/systemd/rxmgmt.service, unchanged, under a REAL systemd booted in the shared sandbox:
// start, reload on a graph change and on `systemctl reload` (SIGHUP), and a stop that drains.
// Also svc's change reports through --diff, against the same systemd.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { cliPath, lines, repoRoot, runCli, waitFor } from './helpers/cli.js';
import { Sandbox, describeSandbox } from './helpers/sandbox.js';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });
const WAIT = { timeoutMs: 60_000, intervalMs: 100 };

describeSandbox('rxmgmt.service on a real systemd', {}, () => {
  let sb: Sandbox;
  /** Inside the sandbox; seen from here through its root. */
  const DATA = '/var/lib/rxmgmt-test';
  const host = (p: string) => join(sb.root, p);
  const read = async (p: string) => readFile(host(p), 'utf8').catch(() => undefined);
  const journal = async () => (await sb.exec(['journalctl', '-u', 'rxmgmt', '--no-pager', '-o', 'cat'])).stdout;
  const describe = async () => `systemctl status:\n${(await sb.exec(['systemctl', 'status', '--no-pager', '-l', 'rxmgmt'])).stdout}\njournal:\n${await journal()}`;

  /** waitFor, failing with the unit's status and journal. */
  const until = async (pred: () => Promise<boolean>, what: string) => {
    try {
      await waitFor(pred, what, WAIT);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${await describe()}`, { cause: e });
    }
  };

  const graph = (content: string, extra: string[] = []) =>
    writeFileSync(
      host('/etc/rxmgmt/graph.yaml'),
      lines('graph: service', 'resources:', '  file:', '    - name: motd', `      path: ${DATA}/motd`, `      content: "${content}\\n"`, ...extra),
    );

  beforeAll(async () => {
    sb = await Sandbox.start();
    // The shipped unit, unchanged; /usr/local/bin/rxmgmt runs this checkout's CLI on this Node (22+).
    copyFileSync(join(repoRoot, 'contrib/systemd/rxmgmt.service'), host('/etc/systemd/system/rxmgmt.service'));
    mkdirSync(host('/usr/local/bin'), { recursive: true });
    writeFileSync(host('/usr/local/bin/rxmgmt'), `#!/bin/sh\nexec ${process.execPath} ${cliPath} "$@"\n`);
    chmodSync(host('/usr/local/bin/rxmgmt'), 0o755);
    mkdirSync(host('/etc/rxmgmt'), { recursive: true });
    mkdirSync(host(DATA), { recursive: true });
    writeFileSync(host('/etc/systemd/system/rx-sleep.service'), '[Service]\nExecStart=/bin/sleep infinity\n');
    await sb.sh('systemctl daemon-reload');
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('passes systemd-analyze verify', async () => {
    const r = await sb.exec(['systemd-analyze', 'verify', '/etc/systemd/system/rxmgmt.service']);
    expect(r.stderr.split('\n').filter((l) => l.includes('rxmgmt.service'))).toEqual([]);
  });

  it('starts, applies the graph and follows changes of the graph file', async () => {
    graph('one');
    await sb.sh('systemctl start rxmgmt');
    await until(async () => (await read(`${DATA}/motd`)) === 'one\n', 'the graph applied by the service');
    expect(await sb.systemctl('is-active', 'rxmgmt')).toBe('active');
    graph('two');
    await until(async () => (await read(`${DATA}/motd`)) === 'two\n', 'the changed graph applied');
    const j = await journal();
    expect(j).toContain('graph "service": 1 resources');
  });

  it('systemctl reload re-reads the graph (SIGHUP), also with --no-watch', async () => {
    writeFileSync(host('/etc/default/rxmgmt'), 'RXMGMT_OPTS=--no-watch\n');
    const starts = async () => (await journal()).split('\n').filter((l) => l.includes('graph "service"')).length;
    const before = await starts();
    await sb.sh('systemctl restart rxmgmt');
    await until(async () => (await starts()) > before, 'the restarted service up with its graph');
    graph('three');
    await sb.sh('systemctl reload rxmgmt');
    await until(async () => (await read(`${DATA}/motd`)) === 'three\n', 'the graph re-read on reload');
    expect(await journal()).toContain('SIGHUP: re-reading /etc/rxmgmt/graph.yaml');
    expect(await sb.systemctl('is-active', 'rxmgmt')).toBe('active');
  });

  it('systemctl stop drains: the CheckApply in flight finishes before the service is stopped', async () => {
    const log = `${DATA}/exec.log`;
    graph('three', [
      '  exec:',
      '    - name: slow',
      `      cmd: echo start >> ${log}; while [ ! -e ${DATA}/gate ]; do sleep 0.05; done; echo end >> ${log}`,
      '      shell: /bin/sh',
    ]);
    await sb.sh('systemctl reload rxmgmt');
    await until(async () => (await read(log)) === 'start\n', 'the exec started');
    await sb.sh('systemctl stop --no-block rxmgmt');
    await until(async () => (await sb.systemctl('show', '-P', 'ActiveState', 'rxmgmt')) === 'deactivating', 'the stop under way');
    expect(await read(log)).toBe('start\n'); // still running: not killed by the stop
    writeFileSync(host(`${DATA}/gate`), '');
    await until(async () => (await sb.systemctl('show', '-P', 'ActiveState', 'rxmgmt')) === 'inactive', 'the service stopped');
    expect(await read(log)).toBe('start\nend\n');
    expect(await sb.systemctl('show', '-P', 'Result', 'rxmgmt')).toBe('success');
    const j = await journal();
    expect(j).toContain('signal: draining');
    expect(j).toMatch(/recap: ok \d+, changed \d+, failed 0, skipped 0, in /);
  });

  it('svc reports its changes: --diff shows state old -> new', async () => {
    // (Applied first: a unit that is not loaded makes svc's watch fire on every check today.)
    const yaml = (state: string) => {
      const path = join(sb.bind, `svc-${state}.yaml`);
      writeFileSync(path, lines('graph: svc', 'resources:', '  svc:', '    - name: rx-sleep', `      state: ${state}`));
      return path;
    };
    const env = { DBUS_SYSTEM_BUS_ADDRESS: sb.busAddress };
    const applied = await runCli(['run', '-f', yaml('running'), '-t', '0', '--diff'], { env, timeoutMs: 60_000 });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout.split('\n')).toEqual(['svc[rx-sleep]: changed', '  state: inactive -> running', '']);
    expect(await sb.systemctl('is-active', 'rx-sleep')).toBe('active');
    const noop = await runCli(['run', '-f', yaml('stopped'), '-t', '0', '--noop', '--diff'], { env, timeoutMs: 60_000 });
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.stdout.split('\n')).toEqual(['svc[rx-sleep]: would change', '  state: active -> stopped', '']);
    expect(await sb.systemctl('is-active', 'rx-sleep')).toBe('active');
  });
});
