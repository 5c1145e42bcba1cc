// pkg against a REAL PackageKit: packagekitd is D-Bus activated inside the systemd sandbox
// (test/helpers/systemd-sandbox.sh), so every install lands on the sandbox's overlay, never on
// the host. The sandbox has no network: packages come from a local apt repository of .deb files
// downloaded on the host (`apt-get download`, or copied from $RXMGMT_DEB_DIR), plus two versions
// of a tiny package built here (for upgrades), indexed with dpkg-scanpackages. The resources are driven from the host over the sandbox's system bus.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asyncScheduler, filter, firstValueFrom, of, type Subscription } from 'rxjs';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMeta, type GraphSpec, type MetaParams, type ResourceSpec } from '../src/model/spec.js';
import { memoryLogger } from '../src/util/logger.js';
import { PkgResource, pkgKind } from '../src/resources/pkg.js';
import { fileKind } from '../src/resources/file.js';
import { svcKind } from '../src/resources/svc.js';
import type { Resource, ResourceEnv } from '../src/model/resource.js';
import type { Change } from '../src/model/events.js';
import { Registry } from '../src/model/registry.js';
import { defaultRegistry } from '../src/resources/registry.js';
import { loadGraphFile } from '../src/yaml/parse.js';
import { buildGraph } from '../src/graph/graph.js';
import { toDot } from '../src/graph/graphviz.js';
import { type SpecEvent, assembleGraphs } from '../src/loader/assemble.js';
import { describeSandbox, Sandbox } from './helpers/sandbox.js';
import { repoRoot, waitFor } from './helpers/cli.js';
import { itWithMgmtExamples, mgmtExample } from './helpers/mgmt-examples.js';

/** Small packages with no dependencies beyond what every Debian system has. */
const DEBS = ['hello', 'figlet', 'sl', 'tree'];
// Real daemons on a possibly busy 2-core machine: generous per-test deadlines (never asserted).
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const log = memoryLogger('debug');
const env: ResourceEnv = { hostname: 'sandbox', log, scheduler: asyncScheduler };
// The local repository is neither Debian's archive ("supported") nor has a "main" component ("free").
const LOCAL = { allowunsupported: true, allownonfree: true };

function spec(name: string, params: Record<string, unknown>, kind = 'pkg', meta: Partial<MetaParams> = {}): ResourceSpec {
  const defaults: Record<string, unknown> =
    kind === 'pkg' ? { state: 'installed', allowuntrusted: false, allownonfree: false, allowunsupported: false } : kind === 'svc' ? { session: false } : { state: 'exists', force: false };
  return { kind, name, meta: { ...defaultMeta, ...meta }, params: { ...defaults, ...params }, pos: { file: 'test', line: 1 } };
}
const pkg = (name: string, params: Record<string, unknown> = {}): PkgResource => pkgKind.create(spec(name, { ...LOCAL, ...params }), env) as PkgResource;
const check = (r: Resource, apply = true) => firstValueFrom(r.checkApply(apply, false));
const graphOf = (resources: ResourceSpec[]): GraphSpec => ({ graph: 'pkg-test', comment: '', source: 'test', collect: [], edges: [], resources });

/** Gets the .deb files into `dir`: from $RXMGMT_DEB_DIR when set, else `apt-get download` on the host. */
function fetchDebs(dir: string): void {
  const from = process.env.RXMGMT_DEB_DIR;
  if (from) {
    for (const f of readdirSync(from).filter((f) => f.endsWith('.deb'))) copyFileSync(join(from, f), join(dir, f));
  } else {
    const r = spawnSync('apt-get', ['download', ...DEBS], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`apt-get download ${DEBS.join(' ')} failed on the host (run apt-get update, or set RXMGMT_DEB_DIR to a dir holding them): ${r.stderr}`);
    }
  }
  for (const version of PROBE_VERSIONS) buildProbeDeb(dir, version);
  const have = readdirSync(dir).filter((f) => f.endsWith('.deb'));
  for (const p of DEBS) if (!have.some((f) => f.startsWith(`${p}_`))) throw new Error(`no ${p}_*.deb in ${dir}`);
  const idx = spawnSync('dpkg-scanpackages', ['.', '/dev/null'], { cwd: dir, encoding: 'utf8' });
  if (idx.status !== 0) throw new Error(`dpkg-scanpackages failed: ${idx.stderr}`);
  writeFileSync(join(dir, 'Packages'), idx.stdout);
}

/** A package of our own, in two versions, so that `state: newest` has an upgrade to make. */
const PROBE = 'rxmgmt-probe';
const PROBE_VERSIONS = ['1.0-1', '2.0-1'];

/** Builds `rxmgmt-probe_<version>_all.deb` into `dir` with dpkg-deb: one file, no dependencies. */
function buildProbeDeb(dir: string, version: string): void {
  const root = mkdtempSync(join(tmpdir(), 'rxmgmt-probe-'));
  try {
    mkdirSync(join(root, 'DEBIAN'));
    mkdirSync(join(root, 'usr/share/rxmgmt-probe'), { recursive: true });
    writeFileSync(join(root, 'usr/share/rxmgmt-probe/VERSION'), `${version}\n`);
    const control = [
      `Package: ${PROBE}`,
      `Version: ${version}`,
      'Architecture: all',
      'Maintainer: rxmgmt tests <tests@rxmgmt.invalid>',
      'Description: test package for rxmgmt upgrades',
      '',
    ].join('\n');
    writeFileSync(join(root, 'DEBIAN/control'), control);
    const r = spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, join(dir, `${PROBE}_${version}_all.deb`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dpkg-deb --build ${PROBE} ${version} failed: ${r.stderr}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

describeSandbox('pkg on a real PackageKit', { packagekit: true }, () => {
  let sb: Sandbox;
  let repo: string;
  let restoreBus: (() => void) | undefined;
  const subs: Subscription[] = [];
  const installed = async (name: string) => (await sb.exec(['dpkg-query', '-W', '-f=${Status}', name])).stdout.includes('install ok installed');

  beforeAll(async () => {
    sb = await Sandbox.start();
    restoreBus = sb.useAsSystemBus();
    repo = join(sb.bind, 'repo');
    mkdirSync(repo);
    fetchDebs(repo);
    // Inside the sandbox (its own mount and network namespaces): only the local repository,
    // and a default route on lo, so that PackageKit thinks it is online: offline, it defers the
    // UpdatesChanged that apt's hook asks for until the network comes back.
    await sb.sh(
      [
        'rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*',
        `echo "deb [trusted=yes] file:${repo} ./" > /etc/apt/sources.list.d/rxmgmt-local.list`,
        'apt-get update -q >/dev/null',
        'ip route add default dev lo',
      ].join(' && '),
    );
  }, 120_000);

  afterAll(async () => {
    for (const s of subs) s.unsubscribe();
    restoreBus?.();
    await sb?.stop();
  }, 120_000);

  it('resolves an installed package as installed (apt data "auto:"/"manual:", mgmt issue #988)', async () => {
    expect(await installed('bash')).toBe(true);
    expect(await check(pkg('bash'), false)).toBe(true);
    expect(await check(pkg('bash', { state: 'newest' }), false)).toBe(true);
    expect(pkg('bash').transactions).toEqual([]);
  });

  it('installs and removes a package from the local repository; noop changes nothing', async () => {
    const r = pkg('hello');
    const would: Change[] = [];
    expect(await firstValueFrom(r.checkApply(false, false, (c) => would.push(c)))).toBe(false);
    expect(would).toEqual([{ field: 'state', from: 'hello: absent', to: 'hello: 2.10-3' }]);
    expect(await installed('hello')).toBe(false);
    expect(await check(r)).toBe(false);
    expect(await installed('hello')).toBe(true);
    expect(r.transactions).toEqual([{ method: 'InstallPackages', packageIds: [expect.stringMatching(/^hello;2\.10-3;amd64;/)] }]);
    expect(await check(r)).toBe(true);

    const gone = pkg('hello', { state: 'uninstalled' });
    expect(await check(gone)).toBe(false);
    expect(await installed('hello')).toBe(false);
    expect(gone.transactions.map((t) => t.method)).toEqual(['RemovePackages']);
    expect(await check(gone)).toBe(true);
  });

  it('fails naming a package that does not exist', async () => {
    await expect(check(pkg('rxmgmt-no-such-package'))).rejects.toThrow(/pkg\[rxmgmt-no-such-package\]: package "rxmgmt-no-such-package" not found/);
  });

  it('installs an exact version, and names the versions on offer when the one asked for is not', async () => {
    const r = pkg('tree', { state: '2.1.0-1' });
    expect(await check(r)).toBe(false);
    expect(await installed('tree')).toBe(true);
    expect(await check(r)).toBe(true);
    await expect(check(pkg('tree', { state: '9.9-9' }))).rejects.toThrow(/version "9\.9-9" of "tree" is not available \(PackageKit offers: 2\.1\.0-1\)/);
  });

  it('upgrades an older installed version to the newest (UpdatePackages); noop only reports it', async () => {
    const version = async () => (await sb.exec(['dpkg-query', '-W', '-f=${Version}', PROBE])).stdout;
    // The older version straight from its .deb: PackageKit's apt backend only offers the
    // candidate (newest) version of a package, so `state: 1.0-1` cannot install it.
    await sb.sh(`dpkg -i ${join(repo, `${PROBE}_1.0-1_all.deb`)} >/dev/null`);
    expect(await version()).toBe('1.0-1');
    await expect(check(pkg(PROBE, { state: '1.0-1' }), false)).resolves.toBe(true);
    const r = pkg(PROBE, { state: 'newest' });
    expect(await check(r, false)).toBe(false);
    expect(await version()).toBe('1.0-1');
    expect(await check(r)).toBe(false);
    expect(await version()).toBe('2.0-1');
    expect(r.transactions).toEqual([{ method: 'UpdatePackages', packageIds: [expect.stringMatching(/^rxmgmt-probe;2\.0-1;/)] }]);
    expect(await check(r)).toBe(true);
    expect(await check(pkg(PROBE, { state: 'installed' }), false)).toBe(true);
  });

  it('says which filter hides a package from outside the distribution', async () => {
    await expect(check(pkg('figlet', { allowunsupported: false, allownonfree: false }), false)).rejects.toThrow(/allowunsupported: true/);
  });

  it('turns a PackageKit ErrorCode into a clear failure', async () => {
    // bash needs libtinfo6, and dependents are never removed along (allow_deps false)
    const err = await check(pkg('libtinfo6', { state: 'uninstalled' })).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^pkg\[libtinfo6\]: PackageKit RemovePackages failed: [a-z-]+/);
    expect(await installed('libtinfo6')).toBe(true);
  });

  it('autogroups three packages into one vertex that runs ONE transaction', async () => {
    const registry = new Registry([pkgKind, fileKind, svcKind]);
    const graph = buildGraph(graphOf(['hello', 'figlet', 'sl'].map((n) => spec(n, LOCAL))), registry, env);
    expect([...graph.vertices.keys()]).toEqual(['pkg[hello,figlet,sl]']);
    expect(log.lines).toContainEqual(expect.stringContaining('autogroup: pkg[hello], pkg[figlet], pkg[sl] -> pkg[hello,figlet,sl]'));
    expect(toDot(graph)).toContain('hello,figlet,sl');
    const group = graph.vertices.get('pkg[hello,figlet,sl]') as PkgResource;
    expect(await check(group)).toBe(false);
    expect(group.transactions).toHaveLength(1);
    expect(group.transactions[0]!.method).toBe('InstallPackages');
    expect(group.transactions[0]!.packageIds.map((id) => id.split(';')[0]).sort()).toEqual(['figlet', 'hello', 'sl']);
    for (const n of ['hello', 'figlet', 'sl']) expect(await installed(n)).toBe(true);
    expect(await check(group)).toBe(true);
    expect(group.transactions).toHaveLength(1);
  });

  it('comes before file resources in its own directories and the svc whose unit file it ships', async () => {
    expect(await installed('hello')).toBe(true); // by the autogroup test
    const registry = new Registry([pkgKind, fileKind, svcKind]);
    // Through the engine's assembly: pkg's prepare() asks PackageKit for the files, then the build.
    const ev = await firstValueFrom(
      assembleGraphs(
        of<SpecEvent>({
          kind: 'spec',
          spec: graphOf([
            spec('hello', LOCAL, 'pkg', { autogroup: false }),
            // a file hello owns that no guess covers: only GetFiles can tie it to the package
            spec('hello-bin', { path: '/usr/bin/hello', mode: '0755' }, 'file'),
            spec('note', { path: '/usr/share/doc/hello/rxmgmt-note', content: 'hi\n' }, 'file'),
            spec('unrelated', { path: '/etc/rxmgmt-unrelated.conf', content: 'x\n' }, 'file'),
            spec('packagekit', LOCAL, 'pkg', { autogroup: false }),
            spec('packagekit', { state: 'running' }, 'svc'),
            // not installed: its files are not known yet (apt), its likely directories are
            spec('rxmgmt-later', LOCAL, 'pkg', { autogroup: false }),
            spec('later-conf', { path: '/etc/rxmgmt-later/later.conf', content: 'x\n' }, 'file'),
            spec('rxmgmt-later', { state: 'running' }, 'svc'),
          ]),
        }),
        { registry, build: (s) => buildGraph(s, registry, env), log, env },
      ).pipe(filter((e) => e.kind !== 'loading')),
    );
    if (ev.kind !== 'graph') throw new Error(`no graph: ${ev.kind === 'error' ? ev.error.message : ev.kind}`);
    const edges = ev.graph.edges.map((e) => `${e.from} -> ${e.to}`);
    expect(log.lines.filter((l) => l.includes('cannot ask PackageKit'))).toEqual([]);
    expect(edges).toContain('pkg[hello] -> file[hello-bin]');
    expect(edges).toContain('pkg[hello] -> file[note]');
    expect(edges).toContain('pkg[packagekit] -> svc[packagekit]');
    expect(edges.filter((e) => e.endsWith('file[unrelated]'))).toEqual([]);
    expect(edges).toContain('pkg[rxmgmt-later] -> file[later-conf]');
    expect(edges).toContain('pkg[rxmgmt-later] -> svc[rxmgmt-later]');
  });

  it('notices a package removed by apt behind its back, and installs it again', async () => {
    const r = pkg('hello');
    expect(await check(r)).toBe(true);
    let events = 0;
    subs.push(r.watch().subscribe({ next: () => events++ }));
    // The watch's match rule may still be on its way: repeat the outside change until seen.
    await waitFor(
      async () => {
        if (events > 0) return true;
        await sb.sh('if dpkg -s hello >/dev/null 2>&1; then apt-get remove -y -q hello >/dev/null; else apt-get install -y -q hello >/dev/null; fi');
        return false;
      },
      'the watch to report the change made by apt (UpdatesChanged)',
      { timeoutMs: 90_000, intervalMs: 5_000 },
    );
    await sb.sh('dpkg -s hello >/dev/null 2>&1 && apt-get remove -y -q hello >/dev/null || true');
    expect(await installed('hello')).toBe(false);
    expect(await check(r)).toBe(false);
    expect(await installed('hello')).toBe(true);
  });
});

describe('pkg without a daemon', () => {
  const noFiles = { autoedge: false };
  const mk = (name: string, params: Record<string, unknown> = {}, meta: Partial<MetaParams> = noFiles) =>
    pkgKind.create(spec(name, { ...LOCAL, ...params }, 'pkg', meta), env) as PkgResource;

  it('groups packages with the same kind of change, flags and meta params', () => {
    expect(mk('a').groupKey()).toBe(mk('b', { state: '1.0-1' }).groupKey()); // both install
    expect(mk('a').groupKey()).not.toBe(mk('b', { state: 'uninstalled' }).groupKey());
    expect(mk('a').groupKey()).not.toBe(mk('b', { state: 'newest' }).groupKey());
    expect(mk('a').groupKey()).not.toBe(mk('b', { allowuntrusted: true }).groupKey());
    expect(mk('a').groupKey()).not.toBe(mk('b', {}, { ...noFiles, noop: true }).groupKey());
  });

  it('makes one resource named after its members, with their wants', () => {
    const g = pkgKind.group!([mk('a'), mk('b'), mk('c', { state: '2.0' })], env) as PkgResource;
    expect(g.kind).toBe('pkg');
    expect(g.name).toBe('a,b,c');
    expect(g.wants.map((w) => `${w.name}=${w.state}`)).toEqual(['a=installed', 'b=installed', 'c=2.0']);
    expect(g.groupKey()).toBe(mk('x').groupKey());
  });

  it('without PackageKit: a warning, and the graph builds with what a package usually owns', async () => {
    const saved = process.env.DBUS_SYSTEM_BUS_ADDRESS;
    process.env.DBUS_SYSTEM_BUS_ADDRESS = 'unix:path=/nonexistent/rxmgmt-pkg-test-bus';
    try {
      const warn = memoryLogger();
      const quiet: ResourceEnv = { ...env, log: warn };
      const specs = [spec('hello', LOCAL, 'pkg', { autogroup: false }), spec('note', { path: '/usr/share/doc/hello/note', content: 'hi\n' }, 'file')];
      await pkgKind.prepare!(specs.filter((s) => s.kind === 'pkg'), quiet);
      expect(warn.lines).toContainEqual(expect.stringContaining('cannot ask PackageKit which files hello own (no file autoedges for them)'));
      const graph = buildGraph(graphOf(specs), new Registry([pkgKind, fileKind]), quiet);
      expect(graph.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual(['pkg[hello] -> file[note]']);
    } finally {
      if (saved === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
      else process.env.DBUS_SYSTEM_BUS_ADDRESS = saved;
    }
  });

  it('says at debug level when a resource of its name gets no edge from it', () => {
    const debug = memoryLogger('debug');
    const quiet: ResourceEnv = { ...env, log: debug };
    const specs = [spec('demo-app', LOCAL, 'pkg', { autogroup: false }), spec('demo-app', { path: '/srv/demo-app.txt', content: 'x\n' }, 'file')];
    const graph = buildGraph(graphOf(specs), new Registry([pkgKind, fileKind]), quiet);
    expect(graph.edges).toEqual([]);
    pkgKind.built!(graph, quiet);
    expect(debug.lines.filter((l) => l.includes('share a name'))).toEqual([
      expect.stringContaining('pkg[demo-app] and file[demo-app] share a name, but no automatic edge joins them; write an edge if one must come first'),
    ]);
  });

  it('rejects a bad name or state when the graph loads', () => {
    expect(() => mk('no spaces')).toThrow(/is not a package name/);
    expect(() => mk('ok', { state: 'a;b' })).toThrow(/`state` must be installed, uninstalled, newest or a version/);
  });

  itWithMgmtExamples("loads examples/pkg.yaml and mgmt's pkg graphs", async () => {
    for (const file of [join(repoRoot, 'examples/pkg.yaml'), mgmtExample('latest/autogroup1.yaml')]) {
      const g = await loadGraphFile(file, defaultRegistry());
      expect(g.resources.filter((r) => r.kind === 'pkg').length).toBeGreaterThanOrEqual(3);
    }
  });
});
