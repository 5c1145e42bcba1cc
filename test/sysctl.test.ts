// sysctl: load-time checks on the host (nothing applied), then real /proc/sys writes in a private
// network namespace (net.* parameters are per namespace) with its own mount namespace (overlays
// over /etc, so the default sysctl.d file is written there): never the host's kernel settings.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asyncScheduler } from 'rxjs';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGraph } from '../src/graph/graph.js';
import { defaultRegistry } from '../src/resources/registry.js';
import { memoryLogger } from '../src/util/logger.js';
import { GraphFileError, parseGraph } from '../src/yaml/parse.js';
import { builtCli, describeNamespace, Isolated } from './helpers/namespace.js';
import { repoRoot, waitFor } from './helpers/cli.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const registry = defaultRegistry();
const env = { hostname: 'test', log: memoryLogger(), scheduler: asyncScheduler };

function problems(name: string, fields: string): string[] {
  try {
    buildGraph(parseGraph(`graph: g\nresources:\n  sysctl:\n  - name: ${name}\n${fields}`, 't.yaml', registry), registry, env);
    return [];
  } catch (err) {
    return err instanceof GraphFileError ? err.problems.map((p) => `line ${p.line}: ${p.message}`) : [(err as Error).message];
  }
}

describe('sysctl at load time', () => {
  it('refuses bad names and fields with a clear error', () => {
    expect(problems('net.ipv4.ip_forward', '    value: 1\n')).toEqual([]);
    expect(problems('net/ipv4/ip_forward', '    value: 1\n')).toEqual([expect.stringMatching(/contains "\/"; use the dotted form/)]);
    expect(problems('net..ip_forward', '    value: 1\n')).toEqual([expect.stringMatching(/empty part/)]);
    expect(problems('net.ipv4.ip_forward', '    value: " 1"\n')).toEqual([expect.stringMatching(/leading or trailing whitespace/)]);
    expect(problems('net.ipv4.ip_forward', '    value: 1\n    runtime: false\n    persist: false\n')).toEqual([expect.stringMatching(/nothing to do/)]);
    expect(problems('net.ipv4.ip_forward', '    value: 1\n    path: /etc/sysctl.d/x\n')).toEqual([expect.stringMatching(/must end in \.conf/)]);
    expect(problems('net.ipv4.ip_forward', '    value: 1\n    path: x.conf\n')).toEqual([expect.stringMatching(/`path` must be absolute/)]);
    expect(problems('net.ipv4.ip_forward', '    valeu: 1\n')).toContainEqual(expect.stringMatching(/line 5: field "valeu" is not a sysctl field.*value/));
  });

  it('manages the parameter and its file, and comes after the file\'s directory', () => {
    const spec = parseGraph(
      'graph: g\nresources:\n  file:\n  - name: d\n    path: /etc/sysctl.d/\n  sysctl:\n  - name: vm.swappiness\n    value: 10\n  - name: kernel.pid_max\n    value: 65536\n    persist: false\n',
      't.yaml',
      registry,
    );
    const g = buildGraph(spec, registry, env);
    expect(g.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual(['file[d] -> sysctl[vm.swappiness]']);
    expect(g.vertices.get('sysctl[vm.swappiness]')!.manages!()).toEqual(['sysctl:vm.swappiness', 'file:/etc/sysctl.d/99-vm.swappiness.conf']);
    expect(g.vertices.get('sysctl[kernel.pid_max]')!.manages!()).toEqual(['sysctl:kernel.pid_max']);
  });
});

describeNamespace('sysctl on a real kernel (private network and mount namespaces)', () => {
  let ns: Isolated;
  let dir: string;
  const hostForward = () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  let hostBefore: string;
  const inside = async (key: string) => (await ns.run(`cat /proc/sys/${key.replaceAll('.', '/')}`)).trim();

  beforeAll(async () => {
    hostBefore = hostForward();
    dir = mkdtempSync(join(tmpdir(), 'rxmgmt-sysctl-'));
    ns = await Isolated.start({ net: true });
  });
  afterAll(async () => {
    await ns?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // The host's own value never moved.
    expect(hostForward()).toBe(hostBefore);
  });

  it('sets the running value and persists it; noop changes neither', async () => {
    const conf = join(dir, '99-forward.conf');
    const r = { kind: 'sysctl', name: 'net.ipv4.ip_forward', params: { value: '1', path: conf }, key: 'fwd' };
    expect(await inside('net.ipv4.ip_forward')).toBe('0'); // a new namespace starts at 0
    const noop = await ns.check(r, false);
    expect(noop.result).toBe(false);
    expect(noop.changes).toEqual([
      { field: 'value', from: '0', to: '1' },
      { field: 'persist', from: 'absent', to: conf, diff: expect.stringContaining('+net.ipv4.ip_forward = 1') },
    ]);
    expect(await inside('net.ipv4.ip_forward')).toBe('0');
    expect((await ns.sh(`test -e ${conf}`)).code).not.toBe(0);

    expect((await ns.again('fwd')).result).toBe(false);
    expect(await inside('net.ipv4.ip_forward')).toBe('1');
    expect(readFileSync(conf, 'utf8')).toBe('net.ipv4.ip_forward = 1\n');
    expect(statSync(conf).mode & 0o7777).toBe(0o644);
    expect(hostForward()).toBe(hostBefore);
    expect((await ns.again('fwd')).result).toBe(true);

    await ns.run(`echo 0 > /proc/sys/net/ipv4/ip_forward && echo '# edited' >> ${conf}`);
    const drift = await ns.again('fwd');
    expect(drift.changes.map((c) => [c.field, c.from])).toEqual([
      ['value', '0'],
      ['persist', undefined],
    ]);
    expect(await inside('net.ipv4.ip_forward')).toBe('1');
    expect(readFileSync(conf, 'utf8')).toBe('net.ipv4.ip_forward = 1\n');
  });

  it('compares values with several numbers whatever the whitespace (procfs shows tabs)', async () => {
    const r = { kind: 'sysctl', name: 'net.ipv4.ip_local_port_range', params: { value: '20000 30000', persist: false } };
    expect((await ns.check(r)).result).toBe(false);
    expect(await inside('net.ipv4.ip_local_port_range')).toBe('20000\t30000');
    expect((await ns.check(r)).result).toBe(true);
  });

  it('runtime false only writes the file; persist false only the running value', async () => {
    const conf = join(dir, 'only-file.conf');
    await ns.check({ kind: 'sysctl', name: 'net.ipv4.tcp_syncookies', params: { value: '0', runtime: false, path: conf } });
    expect(readFileSync(conf, 'utf8')).toBe('net.ipv4.tcp_syncookies = 0\n');
    expect(await inside('net.ipv4.tcp_syncookies')).toBe('1');
    const r = await ns.check({ kind: 'sysctl', name: 'net.ipv4.tcp_syncookies', params: { value: '2', persist: false } });
    expect(r.changes).toEqual([{ field: 'value', from: '1', to: '2' }]);
    expect(await inside('net.ipv4.tcp_syncookies')).toBe('2');
  });

  it('says what is wrong: an unknown parameter, a refused value, a link in the way', async () => {
    await expect(ns.check({ kind: 'sysctl', name: 'net.ipv4.rx_no_such', params: { value: '1', persist: false } })).rejects.toThrow(
      /sysctl\[net\.ipv4\.rx_no_such\]: this kernel has no parameter net\.ipv4\.rx_no_such \(no \/proc\/sys\/net\/ipv4\/rx_no_such\)/,
    );
    await expect(ns.check({ kind: 'sysctl', name: 'net.ipv4.ip_forward', params: { value: 'yes', persist: false } })).rejects.toThrow(
      /cannot set it: the kernel refused the value "yes"/,
    );
    const link = join(dir, 'link.conf');
    await ns.run(`ln -s /etc/hostname ${link}`);
    await expect(ns.check({ kind: 'sysctl', name: 'net.ipv4.ip_forward', params: { value: '1', runtime: false, path: link } })).rejects.toThrow(
      /link\.conf is a symbolic link; it is never written through/,
    );
  });

  it('its watch sees a value changed behind its back (poll) and an edited file (inotify)', async () => {
    await ns.sysctlPoll(50);
    const conf = join(dir, 'watched.conf');
    await ns.check({ kind: 'sysctl', name: 'net.ipv4.ip_default_ttl', params: { value: '99', path: conf } });
    await ns.watch('w', { kind: 'sysctl', name: 'net.ipv4.ip_default_ttl', params: { value: '99', path: conf } });
    try {
      const wakesOn = async (script: string) => {
        const before = (await ns.events('w')).count;
        await ns.run(script);
        await waitFor(async () => (await ns.events('w')).count > before, `the sysctl watch to see \`${script}\``, { timeoutMs: 20_000 });
      };
      // The poll's first reading is its baseline, and it may come after a first write: write
      // alternating values until the watch reports one (each later write is a change it must see).
      let n = 0;
      const before = (await ns.events('w')).count;
      await waitFor(
        async () => {
          if ((await ns.events('w')).count > before) return true;
          await ns.run(`echo ${60 + (n++ % 2)} > /proc/sys/net/ipv4/ip_default_ttl`);
          return false;
        },
        'the sysctl poll to see the value change',
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      await wakesOn(`echo 'net.ipv4.ip_default_ttl = 1' > ${conf}`);
      expect((await ns.events('w')).error).toBeUndefined();
    } finally {
      await ns.unwatch('w');
    }
  });

  it('runs examples/sysctl.yaml with the built CLI (default sysctl.d path, in the /etc overlay) to convergence', async () => {
    const file = join(repoRoot, 'examples', 'sysctl.yaml');
    const run = await ns.sh(`"${process.execPath}" "${builtCli}" run -f "${file}" -t 0 2>&1`);
    expect(run.code, run.stdout).toBe(0);
    expect(await inside('net.ipv4.ip_forward')).toBe('1');
    expect(await ns.run('cat /etc/sysctl.d/99-net.ipv4.ip_forward.conf')).toBe('net.ipv4.ip_forward = 1\n');
    const noop = await ns.sh(`"${process.execPath}" "${builtCli}" run -f "${file}" -t 0 --noop 2>&1`);
    expect(noop.code, noop.stdout).toBe(0);
    expect(noop.stdout).not.toMatch(/would(?! change 0,)/);
    expect(hostForward()).toBe(hostBefore);
  });
});
