import { describe, expect, it } from 'vitest';
import {
  Filter,
  TransactionFlag,
  bitfield,
  bitsOf,
  dataSaysInstalled,
  errorName,
  exitName,
  infoName,
  parsePackageId,
  roleName,
  rowIsInstalled,
} from './packagekit-enums.js';

describe('bitfields', () => {
  it('are 1 << enum value, as the brief and PackageKit say', () => {
    expect(bitfield([Filter.installed])).toBe(1n << 2n);
    expect(bitfield([Filter.newest])).toBe(1n << 16n);
    expect(bitfield([Filter.arch])).toBe(1n << 18n);
    expect(bitfield([TransactionFlag.onlyTrusted])).toBe(1n << 1n);
    expect(bitfield([TransactionFlag.simulate])).toBe(1n << 2n);
    expect(bitfield([Filter.arch, Filter.newest, Filter.installed])).toBe(0x50004n);
    expect(bitfield([])).toBe(0n);
  });
  it('round-trip', () => {
    expect(bitsOf(bitfield([Filter.free, Filter.supported, Filter.arch]))).toEqual([8, 12, 18]);
  });
});

describe('enum names', () => {
  it('are plain indexes (not bitfields)', () => {
    expect(infoName(1)).toBe('installed');
    expect(infoName(2)).toBe('available');
    expect(exitName(1)).toBe('success');
    expect(exitName(2)).toBe('failed');
    expect(errorName(8)).toBe('package-not-found');
    expect(errorName(13)).toBe('dep-resolution-failed');
    expect(errorName(20)).toBe('cannot-remove-system-package');
    expect(roleName(11)).toBe('install-packages');
    expect(roleName(14)).toBe('remove-packages');
    expect(roleName(17)).toBe('resolve');
    expect(roleName(22)).toBe('update-packages');
    expect(errorName(999)).toBe('#999');
  });
});

describe('package ids', () => {
  it('split into name;version;arch;data', () => {
    expect(parsePackageId('hello;2.10-3;amd64;manual:debian-stable-main')).toEqual({
      id: 'hello;2.10-3;amd64;manual:debian-stable-main',
      name: 'hello',
      version: '2.10-3',
      arch: 'amd64',
      data: 'manual:debian-stable-main',
    });
    expect(parsePackageId('tzdata;2024a-0+deb12u1;all;debian-bookworm-updates')?.arch).toBe('all');
    expect(parsePackageId('broken')).toBeUndefined();
    expect(parsePackageId(';1;amd64;x')).toBeUndefined();
  });
});

describe('installed detection (mgmt issue #988)', () => {
  it('trusts the info enum first', () => {
    // apt: installed packages carry auto:/manual: data, and info 1
    expect(rowIsInstalled(1, 'auto:debian-stable-main')).toBe(true);
    expect(rowIsInstalled(1, 'manual:local')).toBe(true);
    // dnf: installed:<repo>
    expect(rowIsInstalled(1, 'installed:anaconda')).toBe(true);
    // available, whatever the data says
    expect(rowIsInstalled(2, 'debian-stable-main')).toBe(false);
    expect(rowIsInstalled(2, 'installed')).toBe(false);
    // collection installed
    expect(rowIsInstalled(16, '')).toBe(true);
  });
  it('falls back to the data field only when info is unknown', () => {
    expect(rowIsInstalled(0, 'installed')).toBe(true);
    expect(rowIsInstalled(0, 'auto:local')).toBe(true);
    expect(rowIsInstalled(0, 'manual:debian-stable-main')).toBe(true);
    expect(rowIsInstalled(0, 'debian-stable-main')).toBe(false);
    expect(rowIsInstalled(0, 'local')).toBe(false);
  });
  it('reads the data field like the backends write it', () => {
    expect(dataSaysInstalled('installed')).toBe(true);
    expect(dataSaysInstalled('installed:fedora')).toBe(true);
    expect(dataSaysInstalled('auto:x')).toBe(true);
    expect(dataSaysInstalled('manual:x')).toBe(true);
    expect(dataSaysInstalled('automatic')).toBe(false);
    expect(dataSaysInstalled('')).toBe(false);
  });
});
