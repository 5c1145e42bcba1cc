import { describe, expect, it } from 'vitest';
import { describeJobResult, enablement, isTransient, serviceUnitName, unitObjectPath } from './systemd-names.js';

describe('serviceUnitName', () => {
  it('adds .service when it is missing and keeps it when present', () => {
    expect(serviceUnitName('nginx')).toBe('nginx.service');
    expect(serviceUnitName('nginx.service')).toBe('nginx.service');
    expect(serviceUnitName('getty@tty1')).toBe('getty@tty1.service');
    expect(serviceUnitName('systemd-journald')).toBe('systemd-journald.service');
  });
  it('rejects names systemd would reject', () => {
    for (const bad of ['', '.service', '/etc/foo', 'a b', '@foo', 'x'.repeat(300), 'évian']) {
      expect(serviceUnitName(bad), bad).toBeUndefined();
    }
  });
});

describe('unitObjectPath', () => {
  it('escapes like sd_bus_path_encode', () => {
    expect(unitObjectPath('dbus.service')).toBe('/org/freedesktop/systemd1/unit/dbus_2eservice');
    expect(unitObjectPath('getty@tty1.service')).toBe('/org/freedesktop/systemd1/unit/getty_40tty1_2eservice');
    expect(unitObjectPath('systemd-journald.service')).toBe('/org/freedesktop/systemd1/unit/systemd_2djournald_2eservice');
    expect(unitObjectPath('1foo.service')).toBe('/org/freedesktop/systemd1/unit/_31foo_2eservice');
    expect(unitObjectPath('a_b.service')).toBe('/org/freedesktop/systemd1/unit/a_5fb_2eservice');
  });
});

describe('states', () => {
  it('knows which active states are transient', () => {
    expect(['activating', 'deactivating', 'reloading'].filter((s) => !isTransient(s))).toEqual([]);
    expect(['active', 'inactive', 'failed', 'maintenance'].filter(isTransient)).toEqual([]);
  });
  it('folds unit file states', () => {
    expect(enablement('enabled')).toBe('enabled');
    expect(enablement('enabled-runtime')).toBe('enabled');
    expect(enablement('disabled')).toBe('disabled');
    expect(enablement('linked')).toBe('disabled');
    expect(enablement('masked')).toBe('masked');
    expect(enablement('static')).toBe('static');
    expect(enablement('')).toBe('missing');
    expect(enablement('bad')).toBe('missing');
  });
  it('describes job results', () => {
    expect(describeJobResult('done')).toBe('done');
    expect(describeJobResult('dependency')).toMatch(/depends on failed/);
    expect(describeJobResult('weird')).toBe('result "weird"');
  });
});
