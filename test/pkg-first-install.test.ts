// A first deployment on a fresh machine, for real: rxmgmt runs INSIDE the systemd sandbox (its
// own systemd, D-Bus, PackageKit and overlay root), from a state where the package is not
// installed. The package `demo-app` ships `demo.service` (a name that differs from its own) and
// /usr/share/demo-app/index.html and an empty /etc/demo/; the graph manages that file and one
// in /etc/demo/, and runs the service. The order
// is read from rxmgmt's own log, one process writing lines as things happen: the install ends
// strictly before the file is written and before the service is started.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeSandbox, Sandbox } from './helpers/sandbox.js';
import { cliPath } from './helpers/cli.js';
import { buildDeb, indexRepo, useOnlyLocalRepo } from './helpers/local-debs.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 180_000 });

const PAGE = '/usr/share/demo-app/index.html';
const GRAPH = `graph: first-install
resources:
  pkg:
    - name: demo-app
      allowunsupported: true
      allownonfree: true
  file:
    - name: index
      path: ${PAGE}
      content: |
        managed by rxmgmt
    - name: conf
      path: /etc/demo/demo.conf
      content: |
        port = 8080
  svc:
    - name: demo
      state: running
`;

describeSandbox('pkg autoedges before the first install (real PackageKit and systemd)', { packagekit: true }, () => {
  let sb: Sandbox;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run \`npm run build\` first`);
    sb = await Sandbox.start();
    dir = join(sb.bind, 'repo');
    mkdirSync(dir);
    buildDeb(dir, {
      name: 'demo-app',
      version: '1.0-1',
      files: {
        '/usr/lib/systemd/system/demo.service': '[Unit]\nDescription=demo app\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n',
        [PAGE]: 'shipped by the package\n',
        '/etc/demo/': '',
      },
    });
    indexRepo(dir);
    await sb.sh(useOnlyLocalRepo(dir));
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('installs before writing the file under the package and before starting its service', async () => {
    expect((await sb.exec(['dpkg-query', '-W', '-f=${Status}', 'demo-app'])).stdout).not.toContain('install ok installed');
    const graph = join(sb.bind, 'first-install.yaml');
    const dot = join(sb.bind, 'first-install.dot');
    writeFileSync(graph, GRAPH);
    const r = await sb.exec([process.execPath, cliPath, 'run', '--log-level=debug', '-t', '1', '--graphviz', dot, '-f', graph], 280_000);
    const lines = r.stderr.split('\n');
    const context = `rxmgmt exited ${r.code}; its log:\n${r.stderr}`;
    expect(r.code, context).toBe(0);

    // The file list came from the downloaded archive, so the edges were right on the first build.
    expect(lines.filter((l) => l.includes('files of demo-app known from its downloaded archive')), context).toHaveLength(1);
    const edges = readFileSync(dot, 'utf8');
    expect(edges).toContain('"pkg[demo-app]" -> "file[index]"');
    expect(edges).toContain('"pkg[demo-app]" -> "svc[demo]"');
    // /etc/demo/ is shipped empty: it is the package's own directory all the same.
    expect(edges).toContain('"pkg[demo-app]" -> "file[conf]"');

    const at = (pattern: RegExp, what: string) => {
      const i = lines.findIndex((l) => pattern.test(l));
      expect(i, `no log line for ${what} (${pattern}); ${context}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const installed = at(/^info\s+pkg\[demo-app\]: changed$/, 'the install finished');
    const written = at(/^info\s+file\[index\]: .*\/usr\/share\/demo-app\/index\.html: /, 'the file written');
    const started = at(/^info\s+svc\[demo\]: start demo\.service/, 'the service started');
    expect(at(/pkg\[demo-app\]: transaction InstallPackages/, 'the install transaction')).toBeLessThan(installed);
    expect(installed, context).toBeLessThan(written);
    expect(installed, context).toBeLessThan(started);

    // After the transaction the graph was prepared and built again (now from the installed
    // package's files), without the graph file being saved again: the edges stayed.
    expect(lines.filter((l) => l.includes('files of demo-app known from its installed package')), context).toHaveLength(1);
    expect(lines.filter((l) => /graph "first-install": 4 resources, 3 edges/.test(l)).length, context).toBeGreaterThanOrEqual(2);

    // Nothing overwrote the managed file afterwards, and the service runs.
    expect(await sb.sh(`cat ${PAGE}`)).toBe('managed by rxmgmt\n');
    expect((await sb.exec(['systemctl', 'is-active', 'demo.service'])).stdout.trim()).toBe('active');
  });
});
