// The rough edges a first deployment hits (issue 17): flags that were silently ignored or
// accepted, output files whose directory is missing, a typo in a pkg state, Node warnings.
// Each runs the built CLI (`npm run build` first) as a real process.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lines, readIfExists, runCli, startCli, useSandbox } from './helpers/cli.js';
import { Sandbox, describeSandbox } from './helpers/sandbox.js';

const box = useSandbox();

/** A graph with one file resource, whose existence tells whether anything was applied. */
async function fileGraph(): Promise<{ yaml: string; target: string }> {
  const yaml = box.path('g.yaml');
  const target = box.path('applied');
  await writeFile(yaml, lines('graph: first', 'resources:', '  file:', '    - name: f', `      path: ${target}`, '      content: "x"'));
  return { yaml, target };
}

describe('rxmgmt run: usage errors', () => {
  it('refuses --graphviz-filter without --graphviz (exit 2), applying nothing', async () => {
    const { yaml, target } = await fileGraph();
    const res = await runCli(['run', '-f', yaml, '-t', '0', '--graphviz-filter', 'dot']);
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain('--graphviz-filter renders the DOT file of --graphviz FILE: give --graphviz too');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses an empty --hostname (exit 2), applying nothing', async () => {
    const { yaml, target } = await fileGraph();
    for (const args of [['--hostname='], ['--hostname', ' ']]) {
      const res = await runCli(['run', '-f', yaml, '-t', '0', ...args]);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(/--hostname: expected a host name .*, got " ?"/);
    }
    expect(existsSync(target)).toBe(false);
  });
});

describe('rxmgmt run: output files', () => {
  it('writes --converged-status-file at start-up (false) even with -t -1', async () => {
    const { yaml, target } = await fileGraph();
    const status = box.path('status');
    const mgmt = startCli(['run', '-f', yaml, '-t', '-1', '--converged-status-file', status]);
    await mgmt.waitFor(() => existsSync(target), 'the file resource to be applied');
    expect(await readFile(status, 'utf8')).toBe('false\n');
    mgmt.signal('SIGTERM');
    const res = await mgmt.waitForExit();
    expect(res.code, res.stderr).toBe(0);
  });

  it('ends the status file with true after a converged exit', async () => {
    const { yaml } = await fileGraph();
    const status = box.path('status');
    const res = await runCli(['run', '-f', yaml, '-t', '0', '--converged-status-file', status]);
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(status, 'utf8')).toBe('true\n');
  });

  for (const flag of ['--converged-status-file', '--graphviz']) {
    it(`fails at start-up (exit 1, nothing applied) when the directory of ${flag} is missing`, async () => {
      const { yaml, target } = await fileGraph();
      const out = box.path('no-such-dir', 'out');
      const res = await runCli(['run', '-f', yaml, '-t', '0', flag, out]);
      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).toContain(`rxmgmt: ${flag}: the directory ${box.path('no-such-dir')} of ${out} does not exist`);
      expect(res.stderr).toContain('nothing was applied');
      expect(existsSync(target)).toBe(false);
      expect(await readIfExists(out)).toBeUndefined();
    });
  }
});

describe('rxmgmt run: pkg state typos', () => {
  it('answers `state: latest` with a did-you-mean, not a version lookup', async () => {
    const yaml = box.path('pkg.yaml');
    await writeFile(yaml, lines('graph: typo', 'resources:', '  pkg:', '    - name: hello', '      state: latest'));
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain(`${yaml}:4: pkg[hello]: \`state\` "latest" is not a state (did you mean "newest"?)`);
    expect(res.stderr).toContain('nothing was applied');
  });
});

describeSandbox('rxmgmt run with svc and pkg on a real systemd and PackageKit', { packagekit: true }, () => {
  let sb: Sandbox;

  const units = Array.from({ length: 12 }, (_, i) => `rx-first-${i}.service`);

  beforeAll(async () => {
    sb = await Sandbox.start();
    // Enough services to pass Node's 10 listeners per emitter if each added its own.
    for (const u of units) writeFileSync(join(sb.root, 'etc/systemd/system', u), '[Service]\nExecStart=/bin/sleep infinity\n');
    await sb.sh(`systemctl daemon-reload && systemctl start ${units.join(' ')}`);
  }, 120_000);

  afterAll(async () => {
    await sb?.stop();
  }, 120_000);

  it('prints no Node warning (one D-Bus message listener per connection, however many resources)', async () => {
    const yaml = box.path('daemons.yaml');
    const services = units.flatMap((u) => [`    - name: ${u}`, '      state: running']);
    await writeFile(yaml, lines('graph: daemons', 'resources:', '  svc:', ...services, '  pkg:', '    - name: bash', '      state: installed'));
    const res = await runCli(['run', '-f', yaml, '-t', '0', '--noop'], { env: { DBUS_SYSTEM_BUS_ADDRESS: sb.busAddress }, timeoutMs: 120_000 });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('converged: everything is in its desired state');
    expect(res.stderr.split('\n').filter((l) => /Warning/.test(l))).toEqual([]);
  }, 180_000);
});
