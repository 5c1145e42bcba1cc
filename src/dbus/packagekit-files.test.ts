import { describe, expect, it } from 'vitest';
import { fileIdentities, isOwnDirectory } from './packagekit-files.js';

// What PackageKit's GetFiles says for Debian's hello (dpkg -L order, directories included).
const hello = [
  '/.',
  '/usr',
  '/usr/bin',
  '/usr/bin/hello',
  '/usr/share',
  '/usr/share/doc',
  '/usr/share/doc/hello',
  '/usr/share/doc/hello/NEWS.gz',
  '/usr/share/doc/hello/copyright',
  '/usr/share/info',
  '/usr/share/info/hello.info.gz',
  '/usr/share/locale',
  '/usr/share/locale/de',
  '/usr/share/locale/de/LC_MESSAGES',
  '/usr/share/locale/de/LC_MESSAGES/hello.mo',
  '/usr/share/man',
  '/usr/share/man/man1',
  '/usr/share/man/man1/hello.1.gz',
];

describe('fileIdentities', () => {
  it('provides every file, and only the directories that are the package\'s own', () => {
    const ids = fileIdentities(hello);
    expect(ids).toContain('file:/usr/bin/hello');
    expect(ids).toContain('file:/usr/share/doc/hello/copyright');
    expect(ids).toContain('file:/usr/share/doc/hello/');
    expect(ids).toContain('file:/usr/share/locale/de/LC_MESSAGES/hello.mo');
    for (const shared of ['file:/', 'file:/usr/', 'file:/usr/bin/', 'file:/usr/share/', 'file:/usr/share/doc/', 'file:/usr/share/locale/de/', 'file:/usr/share/man/man1/']) {
      expect(ids, shared).not.toContain(shared);
    }
    // a directory is never also provided as a file
    expect(ids).not.toContain('file:/usr/share/doc/hello');
  });

  it('ties unit files and configuration directories to the package', () => {
    const ids = fileIdentities([
      '/etc',
      '/etc/drbd.conf',
      '/etc/drbd.d',
      '/etc/drbd.d/global_common.conf',
      '/lib',
      '/lib/systemd',
      '/lib/systemd/system',
      '/lib/systemd/system/drbd.service',
      '/etc/apt/sources.list.d/vendor.list',
    ]);
    expect(ids).toContain('file:/etc/drbd.conf');
    expect(ids).toContain('file:/etc/drbd.d/');
    expect(ids).toContain('file:/lib/systemd/system/drbd.service');
    expect(ids).not.toContain('file:/etc/');
    expect(ids).not.toContain('file:/lib/systemd/system/');
    expect(ids).not.toContain('file:/etc/apt/sources.list.d/');
  });
});

describe('isOwnDirectory', () => {
  it('knows widely shared directories', () => {
    for (const d of ['/etc', '/usr', '/usr/bin', '/usr/lib', '/var/lib', '/etc/default', '/usr/share/doc', '/usr/share/man', '/usr/share/man/man8', '/usr/lib/x86_64-linux-gnu', '/etc/systemd/system']) {
      expect(isOwnDirectory(d), d).toBe(false);
    }
    for (const d of ['/etc/nginx', '/etc/nginx/sites-available', '/usr/share/doc/nginx', '/var/lib/mysql', '/usr/lib/nginx', '/opt/vendor']) {
      expect(isOwnDirectory(d), d).toBe(true);
    }
  });
});
