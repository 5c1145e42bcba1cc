// svc against a REAL systemd, booted in the project's sandbox (test/helpers/systemd-sandbox.sh),
// driven from the host over the sandbox's system bus (DBUS_SYSTEM_BUS_ADDRESS).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asyncScheduler, firstValueFrom, type Subscription } from 'rxjs';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMeta, type ResourceSpec } from '../src/model/spec.js';
import { memoryLogger } from '../src/util/logger.js';
import { svcKind } from '../src/resources/svc.js';
import { type Resource, type ResourceEnv, WATCH_READY } from '../src/model/resource.js';
import { Engine } from '../src/engine/engine.js';
import { buildGraph } from '../src/graph/graph.js';
import { Registry } from '../src/model/registry.js';
import { defaultRegistry } from '../src/resources/registry.js';
import { loadGraphFile } from '../src/yaml/parse.js';
import { describeSandbox, requireReal, Sandbox } from './helpers/sandbox.js';
import { repoRoot, waitFor } from './helpers/cli.js';
import { itWithMgmtExamples, mgmtExample } from './helpers/mgmt-examples.js';

// Real daemons on a possibly busy 2-core machine: generous per-test deadlines (never asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const log = memoryLogger('debug');
const env: ResourceEnv = { hostname: 'sandbox', log, scheduler: asyncScheduler };
const WAIT = { timeoutMs: 60_000, intervalMs: 100 };

function svc(name: string, params: Record<string, unknown>): Resource {
  const spec: ResourceSpec = { kind: 'svc', name, meta: { ...defaultMeta }, params: { session: false, ...params }, pos: { file: 'test', line: 1 } };
  return svcKind.create(spec, env);
}

const check = (r: Resource, apply = true, refresh = false) => firstValueFrom(r.checkApply(apply, refresh));

describeSandbox('svc on a real systemd', {}, () => {
  let sb: Sandbox;
  let restoreBus: (() => void) | undefined;
  const subs: Subscription[] = [];

  const unitDir = () => join(sb.root, 'etc/systemd/system');
  const writeUnit = (name: string, text: string) => writeFileSync(join(unitDir(), name), text);
  const mainPid = async (unit: string) => Number(await sb.systemctl('show', '-P', 'MainPID', unit));

  beforeAll(async () => {
    sb = await Sandbox.start();
    restoreBus = sb.useAsSystemBus();
    writeUnit('rx-sleep.service', '[Unit]\nDescription=rxmgmt test\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n');
    writeUnit('rx-fail.service', '[Service]\nType=oneshot\nExecStart=/bin/false\n');
    writeUnit('rx-slow.service', '[Service]\nExecStartPre=/bin/sleep 2\nExecStart=/bin/sleep infinity\n');
    writeUnit('rx-watched.service', '[Service]\nExecStart=/bin/sleep infinity\n');
    await sb.sh('systemctl daemon-reload');
  }, 120_000);

  afterAll(async () => {
    for (const s of subs) s.unsubscribe();
    restoreBus?.();
    await sb?.stop();
  }, 120_000);

  it('starts a stopped service, and in noop only says it would', async () => {
    const r = svc('rx-sleep', { state: 'running' });
    expect(await check(r, false)).toBe(false);
    expect(await sb.systemctl('is-active', 'rx-sleep')).toBe('inactive');
    expect(log.lines).toContainEqual(expect.stringMatching(/noop, would start rx-sleep\.service/));
    expect(await check(r)).toBe(false);
    expect(await sb.systemctl('is-active', 'rx-sleep')).toBe('active');
    expect(await check(r)).toBe(true);
  });

  it('enables (name with .service) and checks startup as well as the state', async () => {
    const r = svc('rx-sleep.service', { state: 'running', startup: 'enabled' });
    expect(await sb.systemctl('is-enabled', 'rx-sleep')).toBe('disabled');
    expect(await check(r)).toBe(false);
    expect(await sb.systemctl('is-enabled', 'rx-sleep')).toBe('enabled');
    expect(await check(r)).toBe(true);
  });

  it('stops and disables', async () => {
    const r = svc('rx-sleep', { state: 'stopped', startup: 'disabled' });
    expect(await check(r)).toBe(false);
    expect(await sb.systemctl('is-active', 'rx-sleep')).toBe('inactive');
    expect(await sb.systemctl('is-enabled', 'rx-sleep')).toBe('disabled');
    expect(await check(r)).toBe(true);
  });

  it('restarts on refresh: the main PID changes', async () => {
    const r = svc('rx-sleep', { state: 'running' });
    await check(r);
    const before = await mainPid('rx-sleep');
    expect(before).toBeGreaterThan(0);
    expect(await check(r, false, true)).toBe(false); // noop: would restart
    expect(await mainPid('rx-sleep')).toBe(before);
    expect(await check(r, true, true)).toBe(false);
    const after = await mainPid('rx-sleep');
    expect(after).toBeGreaterThan(0);
    expect(after).not.toBe(before);
  });

  it('reports a service that fails to start as a failure with systemd\'s result', async () => {
    const r = svc('rx-fail', { state: 'running' });
    const err = await check(r).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/svc\[rx-fail\]: start rx-fail\.service failed/);
    expect(err!.message).toMatch(/job result "failed"/);
    expect(err!.message).toMatch(/unit result "exit-code"/);
    expect(err!.message).toMatch(/exit status 1/);
  });

  it('waits out a transient state (activating) instead of deciding on it', async () => {
    await sb.sh('systemctl start --no-block rx-slow');
    expect(await sb.systemctl('is-active', 'rx-slow')).toBe('activating');
    const r = svc('rx-slow', { state: 'running' });
    expect(await check(r)).toBe(true); // it became active by itself: nothing to do
    expect(await sb.systemctl('is-active', 'rx-slow')).toBe('active');
  });

  it('notices a service stopped behind its back and starts it again (real engine)', async () => {
    const registry = new Registry([svcKind]);
    const spec = {
      graph: 'svc-test',
      comment: '',
      source: 'test',
      collect: [],
      edges: [],
      resources: [{ kind: 'svc', name: 'rx-watched', meta: { ...defaultMeta }, params: { state: 'running', session: false }, pos: { file: 'test', line: 1 } }],
    };
    const engine = new Engine({ scheduler: asyncScheduler, log, noop: false });
    try {
      engine.apply(buildGraph(spec, registry, env));
      await waitFor(async () => (await sb.systemctl('is-active', 'rx-watched')) === 'active', 'the engine to start rx-watched', WAIT);
      const vertex = engine.vertex('svc[rx-watched]')!;
      await waitFor(() => vertex.state$.value === 'ok', 'svc[rx-watched] to be ok', WAIT);
      const pid = await mainPid('rx-watched');
      const runs = vertex.runs;
      await sb.sh('systemctl stop rx-watched');
      await waitFor(async () => (await mainPid('rx-watched')) > 0 && (await mainPid('rx-watched')) !== pid, 'rx-watched to be started again', WAIT);
      expect(await sb.systemctl('is-active', 'rx-watched')).toBe('active');
      expect(vertex.runs).toBeGreaterThan(runs);
    } finally {
      engine.dispose();
    }
  });

  it("manages the user's own services on the session bus (session: true)", async (ctx) => {
    // The user instance is started by the SANDBOX's systemd (`systemctl start user@0.service`
    // run inside it through the sandbox script), never on the host; its bus is reachable from
    // here through /proc.
    // The user bus comes from dbus-user-session (its dbus.socket for systemd --user).
    if (!existsSync('/usr/lib/systemd/user/dbus.socket')) {
      const why = 'dbus-user-session is not installed (no user bus for systemd --user)';
      if (requireReal) throw new Error(`RXMGMT_REQUIRE_REAL=1 but ${why}`);
      console.warn(`SKIPPING the session-bus svc test: ${why}`);
      ctx.skip();
    }
    mkdirSync(join(sb.root, 'etc/systemd/user'), { recursive: true });
    writeFileSync(join(sb.root, 'etc/systemd/user/rx-user.service'), '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=default.target\n');
    await sb.sh('systemctl start user@0.service');
    const savedSession = process.env.DBUS_SESSION_BUS_ADDRESS;
    process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${sb.root}/run/user/0/bus`;
    const userctl = async (...args: string[]) =>
      (await sb.exec(['env', 'XDG_RUNTIME_DIR=/run/user/0', 'systemctl', '--user', ...args])).stdout.trim();
    try {
      const r = svc('rx-user', { state: 'running', startup: 'enabled', session: true });
      expect(await check(r)).toBe(false);
      expect(await userctl('is-active', 'rx-user')).toBe('active');
      expect(await userctl('is-enabled', 'rx-user')).toBe('enabled');
      expect(await check(r)).toBe(true);
      expect(await sb.systemctl('is-active', 'rx-user')).not.toBe('active'); // not a system unit
    } finally {
      if (savedSession === undefined) delete process.env.DBUS_SESSION_BUS_ADDRESS;
      else process.env.DBUS_SESSION_BUS_ADDRESS = savedSession;
    }
  });

  it('says WATCH_READY once its D-Bus matches and Subscribe are in place: a change right after it is seen', async () => {
    writeUnit('rx-ready.service', '[Service]\nExecStart=/bin/sleep infinity\n');
    await sb.sh('systemctl daemon-reload');
    const r = svc('rx-ready', { state: 'stopped' });
    expect(r.watchAnnouncesReady).toBe(true);
    const seen: string[] = [];
    const sub = r.watch().subscribe({ next: (e) => seen.push(e === WATCH_READY ? 'ready' : 'change') });
    try {
      await waitFor(() => seen.includes('ready'), 'the watch to say it is ready', WAIT);
      expect(seen).toEqual(['ready']);
      // One change, made once right after readiness, never repeated: it must be reported.
      await sb.systemctl('start', 'rx-ready');
      await waitFor(() => seen.includes('change'), 'the watch to report a start made right after it was ready', WAIT);
      expect(seen[0]).toBe('ready');
    } finally {
      sub.unsubscribe();
      await sb.systemctl('stop', 'rx-ready');
    }
  });

  it('watches a unit that does not exist yet until it appears', async () => {
    const r = svc('rx-later', { state: 'running', startup: 'enabled' });
    await expect(check(r)).rejects.toThrow(/rx-later\.service does not exist/);
    let events = 0;
    subs.push(r.watch().subscribe({ next: (e) => e !== WATCH_READY && events++ }));
    writeUnit('rx-later.service', '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n');
    // The watch's match rules may still be on their way to the bus: reload until it reports.
    await waitFor(
      async () => {
        if (events > 0) return true;
        await sb.sh('systemctl daemon-reload');
        return false;
      },
      'the watch to report the new unit',
      { ...WAIT, intervalMs: 1000 },
    );
    expect(await check(r)).toBe(false);
    expect(await sb.systemctl('is-active', 'rx-later')).toBe('active');
    expect(await sb.systemctl('is-enabled', 'rx-later')).toBe('enabled');
  });
});

describe('svc without a daemon', () => {
  it('wants the unit files so that file resources (and packages) come first', () => {
    const r = svc('nginx', { state: 'running' });
    const wants = r.autoEdges!().wants;
    // one group each: a file in /etc AND a package's file under /lib both become parents
    expect(wants).toContainEqual(['file:/etc/systemd/system/nginx.service']);
    expect(wants).toContainEqual(['file:/usr/lib/systemd/system/nginx.service']);
    expect(wants).toContainEqual(['file:/lib/systemd/system/nginx.service']);
    expect(r.autoEdges!().provides).toEqual(['svc:nginx.service']);
  });

  it('rejects a name that cannot be a service', () => {
    expect(() => svc('../etc/passwd', {})).toThrow(/svc\[\.\.\/etc\/passwd\]: .* is not a valid service name/);
  });

  itWithMgmtExamples('loads examples/svc.yaml and mgmt\'s svc graphs', async () => {
    for (const file of [join(repoRoot, 'examples/svc.yaml'), mgmtExample('latest/svc1.yaml')]) {
      const g = await loadGraphFile(file, defaultRegistry());
      expect(g.resources.map((r) => [r.kind, r.params.state]), file).toContainEqual(['svc', 'running']);
    }
  });
});
