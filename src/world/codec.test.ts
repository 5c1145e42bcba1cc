import { describe, expect, it } from 'vitest';
import { defaultMeta } from '../model/spec.js';
import { decodeConverged, decodeCurrent, decodeExport, encodeConverged, encodeCurrent, encodeExport, normalizeExports } from './etcd/codec.js';
import { KeyLayout, prefixEnd } from './etcd/keys.js';
import { canonicalJson } from './world.js';

describe('etcd key layout', () => {
  const keys = new KeyLayout('/rxmgmt');

  it('places exports, generations and converged entries as documented', () => {
    expect(keys.exportKey({ host: 'h1', kind: 'file', name: 'f1' }, 'g7')).toBe('/rxmgmt/exported/h1/g7/file/f1');
    expect(keys.exportKey({ host: 'h/1', kind: 'file', name: '/tmp/a b' }, 'g7')).toBe('/rxmgmt/exported/h%2F1/g7/file/%2Ftmp%2Fa%20b');
    expect(keys.currentKey('h1')).toBe('/rxmgmt/exported/h1/current');
    expect(keys.generationPrefix('h1', 'g7')).toBe('/rxmgmt/exported/h1/g7/');
    expect(keys.convergedKey('h1')).toBe('/rxmgmt/converged/h1');
    expect(keys.hostExports('h1')).toBe('/rxmgmt/exported/h1/');
    expect(new KeyLayout('/ns/').root).toBe('/ns/');
  });

  it('parses every key it makes, and nothing else', () => {
    const id = { host: 'a/b%c', kind: 'file', name: '/tmp/ü/%2F' };
    expect(keys.parse(keys.exportKey(id, 'g12'))).toEqual({ type: 'export', generation: 'g12', ...id });
    expect(keys.parse(keys.currentKey('x/y'))).toEqual({ type: 'current', host: 'x/y' });
    expect(keys.parse(keys.convergedKey('x/y'))).toEqual({ type: 'converged', host: 'x/y' });
    const foreign = [
      '/rxmgmt/exported/h/file/f', // layout version 1: no generation
      '/rxmgmt/exported/h/g1/file',
      '/rxmgmt/exported/h/g1/file/a/b',
      '/rxmgmt/exported/h/x1/file/f',
      '/rxmgmt/exported/h/current/x',
      '/rxmgmt/other/x',
      '/rxmgmt/converged/',
      '/rxmgmt/exported/h/g1/file/%E0%A4%A',
    ];
    for (const k of foreign) expect(keys.parse(k), k).toBeUndefined();
  });

  it('computes etcd range ends', () => {
    expect(prefixEnd('/a/').toString()).toBe('/a0');
    expect([...prefixEnd('\u00ff')]).toEqual([0xc3, 0xc0]);
  });
});

describe('value codec, version 1', () => {
  it('writes canonical JSON with a version field', () => {
    const [r] = normalizeExports('h', [{ kind: 'file', name: 'f', params: { z: 1, a: { y: 2, b: 3 } } }]);
    const text = encodeExport(r!);
    expect(JSON.parse(text)).toEqual({ version: 1, host: 'h', kind: 'file', name: 'f', params: { a: { b: 3, y: 2 }, z: 1 }, meta: { ...defaultMeta } });
    expect(text.indexOf('"a"')).toBeLessThan(text.indexOf('"z"'));
    expect(encodeConverged('h', true)).toBe('{"converged":true,"host":"h","version":1}');
  });

  it('reads back what it writes; the key decides the identity', () => {
    const [r] = normalizeExports('h', [{ kind: 'file', name: 'f', params: { p: [1, null] }, meta: { noop: true } }]);
    expect(decodeExport({ host: 'h', kind: 'file', name: 'f' }, encodeExport(r!))).toEqual(r);
    expect(decodeExport({ host: 'k', kind: 'file', name: 'g' }, encodeExport(r!)).host).toBe('k');
    expect(decodeConverged(encodeConverged('h', false))).toBe(false);
    expect(encodeCurrent('h', 'g42')).toBe('{"generation":"g42","host":"h","version":1}');
    expect(decodeCurrent(encodeCurrent('h', 'g42'))).toBe('g42');
    expect(() => decodeCurrent('{"version":1,"generation":"42"}')).toThrow(/generation/);
  });

  it('fills missing meta from the defaults and ignores unknown fields', () => {
    const r = decodeExport({ host: 'h', kind: 'noop', name: 'n' }, '{"version":1,"extra":true,"meta":{"retry":2}}');
    expect(r).toEqual({ host: 'h', kind: 'noop', name: 'n', params: {}, meta: { ...defaultMeta, retry: 2 } });
  });

  it('refuses other versions and malformed values', () => {
    expect(() => decodeExport({ host: 'h', kind: 'k', name: 'n' }, '{"version":2}')).toThrow(/unsupported version 2/);
    expect(() => decodeExport({ host: 'h', kind: 'k', name: 'n' }, '{"params":{}}')).toThrow(/unsupported version/);
    expect(() => decodeExport({ host: 'h', kind: 'k', name: 'n' }, 'nope')).toThrow();
    expect(() => decodeConverged('{"version":1,"converged":"yes"}')).toThrow(/boolean/);
  });

  it('canonicalJson sorts keys, drops undefined, refuses non-JSON', () => {
    expect(canonicalJson({ b: 1, a: undefined, c: [undefined, 2] })).toBe('{"b":1,"c":[null,2]}');
    expect(() => canonicalJson({ x: NaN })).toThrow(/not JSON/);
    expect(() => canonicalJson({ x: () => 1 })).toThrow(/not JSON: a function at x/);
    expect(() => canonicalJson({ m: new Map() })).toThrow(/Map at m/);
  });
});
