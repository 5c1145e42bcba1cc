// hostname against a REAL systemd-hostnamed: it is D-Bus activated inside the systemd sandbox,
// which has its own UTS namespace and overlay root, so the host's names never change. The
// resource is driven from here over the sandbox's system bus; mgmt's example graph runs through
// the CLI inside the sandbox.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asyncScheduler, firstValueFrom, type Subscription } from 'rxjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultMeta, type ResourceSpec } from '../src/model/spec.js';
import type { Change } from '../src/model/events.js';
import { memoryLogger } from '../src/util/logger.js';
import { hostnameKind } from '../src/resources/hostname.js';
import type { Resource, ResourceEnv } from '../src/model/resource.js';
import { defaultRegistry } from '../src/resources/registry.js';
import { loadGraphFile } from '../src/yaml/parse.js';
import { describeSandbox, Sandbox } from './helpers/sandbox.js';
import { cliPath, repoRoot, waitFor } from './helpers/cli.js';
import { mgmtExamplesDir } from './helpers/mgmt-examples.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const log = memoryLogger('debug');
const env: ResourceEnv = { hostname: 'sandbox', log, scheduler: asyncScheduler };
const spec = (name: string, params: Record<string, unknown>): ResourceSpec => ({ kind: 'hostname', name, meta: { ...defaultMeta }, params, pos: { file: 'test', line: 1 } });
const make = (name: string, params: Record<string, unknown>) => hostnameKind.create(spec(name, params), env);
const check = (r: Resource, apply = true, changes?: Change[]) => firstValueFrom(r.checkApply(apply, false, changes ? (c) => changes.push(c) : undefined));
/** mgmt's example graphs (test/helpers/mgmt-examples.ts says where). */
const MGMT_EXAMPLE = join(mgmtExamplesDir, 'latest', 'hostname.yaml');

describeSandbox('hostname on a real systemd-hostnamed', {}, () => {
  let sb: Sandbox;
  let restoreBus: (() => void) | undefined;
  const subs: Subscription[] = [];
  const names = async () => ({
    transient: (await sb.sh('cat /proc/sys/kernel/hostname')).trim(),
    static: (await sb.sh('cat /etc/hostname 2>/dev/null || true')).trim(),
    pretty: (await sb.sh('hostnamectl --pretty 2>/dev/null || true')).trim(),
  });

  beforeAll(async () => {
    sb = await Sandbox.start();
    restoreBus = sb.useAsSystemBus();
  });

  afterAll(async () => {
    for (const s of subs) s.unsubscribe();
    restoreBus?.();
    await sb?.stop();
  });

  it('noop reports each name it would set and changes nothing; apply sets them through hostnamed', async () => {
    const before = await names();
    const r = make('web', { pretty_hostname: 'Web Server 1', hostname: 'web1.example.com' });
    const would: Change[] = [];
    expect(await check(r, false, would)).toBe(false);
    expect(would.map((c) => c.field)).toEqual(['pretty_hostname', 'static_hostname', 'transient_hostname']);
    expect(would[1]).toEqual({ field: 'static_hostname', from: before.static, to: 'web1.example.com' });
    expect(await names()).toEqual(before);

    const done: Change[] = [];
    expect(await check(r, true, done)).toBe(false);
    // hostnamed sets the kernel's name to the new static one itself: nothing left to do for it.
    expect(done.map((c) => `${c.field}=${c.to}`)).toEqual(['pretty_hostname=Web Server 1', 'static_hostname=web1.example.com']);
    expect(await names()).toEqual({ transient: 'web1.example.com', static: 'web1.example.com', pretty: 'Web Server 1' });
    expect(await check(r)).toBe(true);
  });

  it('fails clearly when hostnamed keeps the static name over a transient one', async () => {
    await expect(check(make('t', { static_hostname: '', transient_hostname: 'other-name' }))).rejects.toThrow(
      /accepted the transient host name "other-name" but reports "web1\.example\.com" \(the static host name "web1\.example\.com" takes precedence/,
    );
  });

  it('a name given as "" is left alone', async () => {
    const r = make('only-pretty', { hostname: 'ignored-here', static_hostname: '', transient_hostname: '', pretty_hostname: 'Only Pretty' });
    const changes: Change[] = [];
    expect(await check(r, true, changes)).toBe(false);
    expect(changes.map((c) => c.field)).toEqual(['pretty_hostname']);
    expect((await names()).static).toBe('web1.example.com');
  });

  it('sees a name changed behind its back (PropertiesChanged) and sets it again', async () => {
    const r = make('web', { hostname: 'web2' });
    expect(await check(r)).toBe(false);
    let events = 0;
    subs.push(r.watch().subscribe({ next: () => events++ }));
    // The watch's match rule may still be on its way: repeat the outside change until seen.
    await waitFor(
      async () => {
        if (events > 0) return true;
        await sb.sh('hostnamectl set-hostname --static intruder');
        return false;
      },
      'the watch to report hostnamectl set-hostname',
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );
    expect((await names()).static).toBe('intruder');
    expect(await check(r)).toBe(false);
    expect((await names()).static).toBe('web2');
  });

  it("mgmt's hostname example graph loads and converges (rxmgmt run inside the sandbox)", async () => {
    if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    const r = await sb.exec([process.execPath, cliPath, 'run', '-t', '1', '-f', MGMT_EXAMPLE], 110_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('hostname[Hostname Watcher @ TestHost]: set the static host name');
    expect(await names()).toEqual({ transient: 'test.hostname.example.com', static: 'test.hostname.example.com', pretty: 'test.hostname.example.com' });
    const again = await sb.exec([process.execPath, cliPath, 'run', '-t', '1', '-f', MGMT_EXAMPLE], 110_000);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('set the');
  });
});

describe('hostname without a daemon', () => {
  it('falls back as mgmt does: hostname, else the name, for every name not given', () => {
    expect((make('box1', {}) as unknown as { want: object }).want).toEqual({ pretty: 'box1', static: 'box1', transient: 'box1' });
    expect((make('x', { hostname: 'h1', pretty_hostname: 'P' }) as unknown as { want: object }).want).toEqual({ pretty: 'P', static: 'h1', transient: 'h1' });
    expect(make('x', {}).manages!()).toEqual(['hostname:']);
  });

  it('refuses at load time what hostnamed would refuse, saying where it came from', () => {
    expect(() => make('Hostname Watcher', {})).toThrow(/the resource name \(no `hostname` given\) gives the static host name "Hostname Watcher", which is not a valid host name/);
    expect(hostnameKind.validate!({ static_hostname: 'bad_name' })).toMatch(/`static_hostname` gives the static host name "bad_name"/);
    expect(hostnameKind.validate!({ pretty_hostname: '', static_hostname: '', transient_hostname: '' })).toMatch(/nothing to manage/);
    expect(hostnameKind.validate!({ hostname: 'a'.repeat(65) })).toMatch(/64 characters at most/);
    expect(hostnameKind.validate!({ static_hostname: 'a1', transient_hostname: 'b1' })).toMatch(/the transient host name "b1" differs from the static one "a1"/);
  });

  it("loads mgmt's example graph and examples/hostname.yaml", async () => {
    for (const file of [MGMT_EXAMPLE, join(repoRoot, 'examples/hostname.yaml')]) {
      const g = await loadGraphFile(file, defaultRegistry());
      expect(g.resources.map((r) => r.kind)).toContain('hostname');
    }
  });
});
