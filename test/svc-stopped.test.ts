// `state: stopped` on a service that is already stopped must converge at once: `rxmgmt run -t 0`
// exits 0 and leaves the unit alone (it used to hang after the "graph ..." line). Runs the BUILT
// CLI (`npm run build` first) against a REAL systemd booted in the project's sandbox.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { describeSandbox, Sandbox } from './helpers/sandbox.js';
import { lines, runCli, startCli, useSandbox } from './helpers/cli.js';

// Real daemons on a possibly busy 2-core machine: generous deadlines (never asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });
const EXIT_MS = 60_000;
const WAIT = { timeoutMs: 60_000, intervalMs: 200 };

describeSandbox('svc state: stopped on a unit that is already stopped (real systemd, built CLI)', {}, () => {
  let sb: Sandbox;
  const box = useSandbox();


  beforeAll(async () => {
    sb = await Sandbox.start();
    sb.writeUnit('rx-idle.service', '[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n');
    sb.writeUnit('rx-once.service', '[Service]\nType=oneshot\nExecStart=/bin/true\n');
    sb.writeUnit('rx-up.service', '[Service]\nExecStart=/bin/sleep infinity\n');
    await sb.sh('systemctl daemon-reload && systemctl start rx-up');
  });

  afterAll(async () => {
    await sb?.stop();
  });

  const onSandboxBus = () => ({ env: { DBUS_SYSTEM_BUS_ADDRESS: sb.busAddress } });

  /** Writes a graph of one svc resource; returns the file. */
  function graph(unit: string, params: string[]): string {
    const yaml = box.path('g.yaml');
    writeFileSync(yaml, lines('graph: svc-stopped', 'resources:', '  svc:', `    - name: ${unit}`, ...params.map((p) => `      ${p}`)));
    return yaml;
  }

  /** Runs `rxmgmt run -f g.yaml -t 0 ...flags` on the sandbox's system bus. */
  async function converge(params: string[], unit: string, flags: string[] = []) {
    return runCli(['run', '-f', graph(unit, params), '-t', '0', ...flags], { ...onSandboxBus(), timeoutMs: EXIT_MS });
  }

  for (const flags of [[], ['--noop']]) {
    const how = flags.length ? ' with --noop' : '';

    it(`exits 0 for an inactive simple service${how}, which stays inactive`, async () => {
      const res = await converge(['state: stopped'], 'rx-idle', flags);
      expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
      expect(await sb.systemctl('is-active', 'rx-idle')).toBe('inactive');
    });

    it(`exits 0 for an inactive, disabled service with startup: disabled${how}`, async () => {
      const res = await converge(['state: stopped', 'startup: disabled'], 'rx-idle', flags);
      expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
      expect(await sb.systemctl('is-active', 'rx-idle')).toBe('inactive');
      expect(await sb.systemctl('is-enabled', 'rx-idle')).toBe('disabled');
    });

    it(`exits 0 for an inactive oneshot (static) service${how}`, async () => {
      const res = await converge(['state: stopped', 'startup: disabled'], 'rx-once', flags);
      expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
      expect(await sb.systemctl('is-active', 'rx-once')).toBe('inactive');
    });

    it(`exits 0 for a service that does not exist${how}: stopped and disabled are satisfied`, async () => {
      const res = await converge(['state: stopped', 'startup: disabled'], 'rx-nowhere', flags);
      expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
      expect(await sb.systemctl('is-active', 'rx-nowhere')).toBe('inactive');
    });

    it(`exits 0 for state: running on a service that is already running${how}`, async () => {
      const pid = await sb.systemctl('show', '-P', 'MainPID', 'rx-up');
      const res = await converge(['state: running'], 'rx-up', flags);
      expect({ code: res.code, stderr: res.stderr }).toMatchObject({ code: 0 });
      expect(await sb.systemctl('is-active', 'rx-up')).toBe('active');
      expect(await sb.systemctl('show', '-P', 'MainPID', 'rx-up')).toBe(pid);
    });
  }

  it('stays converged on a stopped service, and stops it again when it is started behind its back', async () => {
    // Started by someone else from the not-loaded state: seen as its ActiveState changing,
    // without the UnitNew / UnitRemoved the watch ignores.
    const status = box.path('converged');
    const mgmt = startCli(['run', '-f', graph('rx-idle', ['state: stopped']), '-t', '0', '--converged-timeout-no-exit', '--converged-status-file', status], onSandboxBus());
    const converged = () => readFileSync(status, 'utf8') === 'true\n';
    await mgmt.waitFor(converged, 'the graph to converge (status file "true")', WAIT);
    await sb.sh('systemctl start rx-idle');
    await mgmt.waitFor(async () => (await sb.systemctl('is-active', 'rx-idle')) === 'inactive' && converged(), 'rx-idle to be stopped again and the graph to converge', WAIT);
    expect(mgmt.stderr).toMatch(/svc\[rx-idle\]: stop rx-idle\.service/);
    mgmt.signal('SIGINT');
    expect((await mgmt.waitForExit(EXIT_MS)).code).toBe(0);
  });
});
