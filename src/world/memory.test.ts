import { describe, expect, it } from 'vitest';
import { Recorder, worldContract } from '../../test/world/contract.js';
import { MemoryStore, memoryWorld } from './memory.js';
import { WorldDownError } from './world.js';

worldContract('memory', async () => {
  const store = new MemoryStore();
  return {
    open: async (host) => memoryWorld(host, store),
    outage: async () => store.setOnline(false),
    recover: async () => store.setOnline(true),
    dispose: async () => undefined,
  };
});

describe('memory World', () => {
  it('needs no store for a single host, and emits synchronously', async () => {
    const w = memoryWorld('solo');
    const rec = new Recorder(w.collect(['file']));
    await w.setExports([{ kind: 'file', name: 'f', params: { content: 'x' } }]);
    expect(rec.values.map((l) => l.length)).toEqual([0, 1]);
    expect(Object.fromEntries(new Recorder(w.hostsConverged()).last!)).toEqual({ solo: false });
    await w.close();
  });

  it('refuses a second World for the same host on one store, and allows it after close', async () => {
    const store = new MemoryStore();
    const a = memoryWorld('a', store);
    expect(() => memoryWorld('a', store)).toThrow(/already has an open World/);
    await a.close();
    await memoryWorld('a', store).close();
  });

  it('rejects writes while offline with WorldDownError and applies the latest on recovery', async () => {
    const store = new MemoryStore();
    const a = memoryWorld('a', store);
    store.setOnline(false);
    await expect(a.setExports([{ kind: 'file', name: 'one', params: {} }])).rejects.toBeInstanceOf(WorldDownError);
    await expect(a.setExports([{ kind: 'file', name: 'two', params: {} }])).rejects.toThrow(/written when it resynchronises/);
    await expect(a.setConverged(true)).rejects.toBeInstanceOf(WorldDownError);
    expect(store.snapshot.exports.size).toBe(0);
    store.setOnline(true);
    expect([...store.snapshot.exports.values()].map((r) => r.name)).toEqual(['two']);
    expect(store.snapshot.converged.get('a')).toBe(true);
    await a.close();
  });

  it('is connecting on an offline store until it comes back', async () => {
    const store = new MemoryStore();
    store.setOnline(false);
    const a = memoryWorld('a', store);
    const status = new Recorder(a.status());
    expect(status.values).toEqual(['connecting']);
    store.setOnline(true);
    expect(status.values).toEqual(['connecting', 'up']);
    await a.close();
  });
});
