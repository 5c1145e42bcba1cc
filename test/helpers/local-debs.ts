// Tiny Debian packages built here with dpkg-deb, and a local apt repository of them, for tests
// that install packages through a real PackageKit inside the systemd sandbox.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface DebSpec {
  name: string;
  version: string;
  /** Path inside the package (absolute) -> content; a path ending in "/" is an empty directory. */
  files: Record<string, string>;
}

/** Builds `<name>_<version>_all.deb` into `dir`: no dependencies, no maintainer scripts. */
export function buildDeb(dir: string, deb: DebSpec): string {
  const root = mkdtempSync(join(tmpdir(), `rxmgmt-deb-${deb.name}-`));
  try {
    mkdirSync(join(root, 'DEBIAN'));
    for (const [path, content] of Object.entries(deb.files)) {
      if (path.endsWith('/')) {
        mkdirSync(join(root, path), { recursive: true });
        continue;
      }
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    const control = [
      `Package: ${deb.name}`,
      `Version: ${deb.version}`,
      'Architecture: all',
      'Maintainer: rxmgmt tests <tests@rxmgmt.invalid>',
      `Description: test package ${deb.name} for rxmgmt`,
      '',
    ].join('\n');
    writeFileSync(join(root, 'DEBIAN/control'), control);
    const out = join(dir, `${deb.name}_${deb.version}_all.deb`);
    const r = spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dpkg-deb --build ${deb.name} ${deb.version} failed: ${r.stderr}`);
    return out;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Writes the `Packages` index of the .deb files in `dir` (dpkg-scanpackages). */
export function indexRepo(dir: string): void {
  const idx = spawnSync('dpkg-scanpackages', ['.', '/dev/null'], { cwd: dir, encoding: 'utf8' });
  if (idx.status !== 0) throw new Error(`dpkg-scanpackages failed: ${idx.stderr}`);
  writeFileSync(join(dir, 'Packages'), idx.stdout);
}

/**
 * Inside the sandbox: apt sees only the local repository at `dir`, and a default route on lo
 * makes PackageKit think it is online (offline, it defers UpdatesChanged).
 */
export const useOnlyLocalRepo = (dir: string): string =>
  [
    'rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*',
    `echo "deb [trusted=yes] file:${dir} ./" > /etc/apt/sources.list.d/rxmgmt-local.list`,
    'apt-get update -q >/dev/null',
    'ip route add default dev lo',
  ].join(' && ');
