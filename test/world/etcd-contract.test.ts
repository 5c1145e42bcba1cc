// The World contract on a real single-member etcd, plus what only etcd has: lease expiry of
// a host that dies, and the documented key layout and value format read back raw.

import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/util/logger.js';
import { type EtcdWorld, connectEtcdWorld } from '../../src/world/etcd.js';
import { normalizeExports } from '../../src/world/etcd/codec.js';
import type { ExportedResource, World } from '../../src/world/world.js';
import { type EtcdCluster, describeEtcd, startEtcd, waitFor } from '../helpers/etcd.js';
import { Recorder, worldContract } from './contract.js';

let namespaces = 0;
const freshNamespace = () => `/rxmgmt-test-${process.pid}-${++namespaces}`;

describeEtcd('etcd World', () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcd(1);
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  const connect = (host: string, namespace: string, log = memoryLogger(), maxTxnOps?: number, collectCoalesceMs?: number): Promise<EtcdWorld> =>
    connectEtcdWorld({
      maxTxnOps,
      collectCoalesceMs,
      host,
      seeds: etcd.clientUrls,
      log,
      namespace,
      startupTimeoutMs: 10_000,
      leaseTtlSeconds: 2,
      requestTimeoutMs: 1500,
      probeIntervalMs: 200,
      maxBackoffMs: 1000,
    });

  worldContract('etcd', async () => {
    const namespace = freshNamespace();
    return {
      open: (host) => connect(host, namespace),
      outage: async () => {
        await etcd.members[0]!.kill();
      },
      recover: async () => {
        etcd.members[0]!.start();
        await etcd.waitHealthy();
      },
      dispose: async () => undefined,
    };
  });

  describe('etcd only', () => {
    const worlds: World[] = [];
    const open = async (host: string, namespace: string, log = memoryLogger(), maxTxnOps?: number, collectCoalesceMs?: number) => {
      const w = await connect(host, namespace, log, maxTxnOps, collectCoalesceMs);
      worlds.push(w);
      return w;
    };
    afterAll(async () => {
      await Promise.all(worlds.map((w) => w.close()));
    });

    it('a host that dies without closing disappears when its lease expires', async () => {
      const ns = freshNamespace();
      const a = await open('a', ns);
      const b = await open('b', ns);
      const conv = new Recorder(a.hostsConverged());
      await waitFor(() => conv.last?.size === 2, 'two live hosts');
      await b.setExports([{ kind: 'file', name: 'f', params: {} }]);
      await b.crash();
      // Still listed right after the crash (nobody revoked the lease) ...
      expect(conv.last?.has('b')).toBe(true);
      // ... and gone once the 2 s lease has expired.
      await waitFor(() => conv.last?.size === 1 && conv.last.has('a'), 'b to expire');
      const col = new Recorder(a.collect(['file']));
      expect(col.last?.map((r) => r.name)).toEqual(['f']); // exports are not leased
      conv.stop();
      col.stop();
    });

    it('stores the documented key layout (version 2) and version-1 JSON values', async () => {
      const ns = freshNamespace();
      const a = await open('host/1', ns);
      await a.setExports([{ kind: 'file', name: '/tmp/x y', params: { content: 'c', mode: '0644' }, meta: { retry: 1 } }]);
      await a.setConverged(true);
      const raw = new Etcd3({ hosts: etcd.clientUrls });
      try {
        const all = await raw.getAll().prefix(`${ns}/`).strings();
        const current = JSON.parse(all[`${ns}/exported/host%2F1/current`]!) as { generation: string };
        expect(current).toEqual({ version: 1, host: 'host/1', generation: expect.stringMatching(/^g\d+$/) });
        const key = `${ns}/exported/host%2F1/${current.generation}/file/%2Ftmp%2Fx%20y`;
        expect(Object.keys(all).sort()).toEqual([`${ns}/converged/host%2F1`, `${ns}/exported/host%2F1/current`, key]);
        expect(JSON.parse(all[key]!)).toEqual({
          version: 1,
          host: 'host/1',
          kind: 'file',
          name: '/tmp/x y',
          params: { content: 'c', mode: '0644' },
          meta: expect.objectContaining({ retry: 1, noop: false }),
        });
        expect(JSON.parse(all[`${ns}/converged/host%2F1`]!)).toEqual({ version: 1, host: 'host/1', converged: true });
        // The converged entry is held by a lease; exports are not.
        const conv = await raw.get(`${ns}/converged/host%2F1`).exec();
        expect(conv.kvs[0]!.lease).not.toBe('0');
        const exp = await raw.getAll().prefix(`${ns}/exported/`).exec();
        expect(exp.kvs.map((kv) => kv.lease)).toEqual(['0', '0']);

        // Another implementation writing the same format is collected, from its current
        // generation only; other versions are skipped with a warning.
        const log = memoryLogger();
        const b = await open('b', ns, log);
        const col = new Recorder(b.collect(['file', 'exec']));
        await raw.put(`${ns}/exported/other/g5/exec/e1`).value('{"version":1,"params":{"cmd":"true"}}');
        await raw.put(`${ns}/exported/other/g4/exec/old`).value('{"version":1,"params":{"cmd":"true"}}');
        await raw.put(`${ns}/exported/other/g5/exec/e2`).value('{"version":2,"params":{}}');
        await raw.put(`${ns}/exported/other/current`).value('{"version":1,"host":"other","generation":"g5"}');
        await waitFor(() => col.last?.length === 2, 'the foreign export');
        expect(col.last!.map((r) => `${r.host}:${r.kind}[${r.name}]`)).toEqual(['host/1:file[/tmp/x y]', 'other:exec[e1]']);
        await waitFor(() => log.lines.some((l) => /ignoring .*e2: unsupported version 2/.test(l)), 'the warning');
        col.stop();
      } finally {
        raw.close();
      }
    });

    it('a change bigger than one transaction reaches collectors whole: never a mix', async () => {
      const ns = freshNamespace();
      const log = memoryLogger('debug');
      const a = await open('a', ns, log, 4);
      const b = await open('b', ns);
      const f = (n: string, c: string) => ({ kind: 'file', name: n, params: { content: c } });
      const col = new Recorder(b.collect(['file']));
      const sets = [
        [f('1', 'x'), f('2', 'x')], // fits in one transaction
        Array.from({ length: 15 }, (_, i) => f(`n${i}`, 'y')), // 15 puts: four transactions, then one
        Array.from({ length: 15 }, (_, i) => f(`n${i}`, i < 10 ? 'y' : 'z')), // 5 changes in place: a new generation
        [f('1', 'x')],
      ];
      const seen = (list: readonly ExportedResource[] | undefined) => JSON.stringify((list ?? []).map((r) => [r.name, r.params.content]));
      const expected = sets.map((s) => seen(normalizeExports('a', s)));
      for (const [i, set] of sets.entries()) {
        await a.setExports(set);
        await waitFor(() => seen(col.last) === expected[i], `set ${i} at the collector`);
      }
      // Every list the collector ever saw is one of the sets, whole.
      const lists = col.values.map(seen).filter((l) => l !== '[]');
      for (const l of lists) expect(expected).toContain(l);
      expect(log.lines).toContainEqual(expect.stringMatching(/writing 15 exports as a new generation in 4 transactions/));
      // Nothing is left of the older generations.
      const raw = new Etcd3({ hosts: etcd.clientUrls });
      try {
        const keys = Object.keys(await raw.getAll().prefix(`${ns}/exported/a/`).strings());
        expect(keys.filter((k) => !k.endsWith('/current'))).toHaveLength(1);
      } finally {
        raw.close();
      }
      col.stop();
    });

    it('a generation left half-written (a writer that died) is never collected, and is cleaned up', async () => {
      const ns = freshNamespace();
      const a = await open('a', ns);
      const b = await open('b', ns);
      const col = new Recorder(b.collect(['file']));
      await a.setExports([{ kind: 'file', name: 'kept', params: {} }]);
      await waitFor(() => col.last?.length === 1, 'the first export');
      const raw = new Etcd3({ hosts: etcd.clientUrls });
      try {
        await raw.put(`${ns}/exported/a/g1/file/half`).value('{"version":1,"params":{}}');
        await a.setExports([{ kind: 'file', name: 'kept', params: {} }, { kind: 'file', name: 'new', params: {} }]);
        await waitFor(() => col.last?.length === 2, 'the second list');
        expect(col.values.flat().map((r) => r.name)).not.toContain('half');
        const keys = Object.keys(await raw.getAll().prefix(`${ns}/exported/a/g1/`).strings());
        expect(keys).toEqual([]);
      } finally {
        raw.close();
      }
      col.stop();
    });

    it('a resync re-reads everything but keeps the object of every unchanged export (collectors recognise them by identity)', async () => {
      const ns = freshNamespace();
      const a = await open('a', ns);
      const b = await open('b', ns);
      const raw = new Etcd3({ hosts: etcd.clientUrls });
      try {
        await b.setExports([
          { kind: 'file', name: 'kept', params: { content: 'x' } },
          { kind: 'file', name: 'other', params: { content: 'y' } },
        ]);
        const col = new Recorder(a.collect(['file']));
        await waitFor(() => col.last?.length === 2, 'both exports collected');
        const before = col.last!;
        // Deleting a's converged entry makes its next probe resynchronise: everything re-read.
        const resynced = new Recorder(a.status());
        await raw.delete().key(`${ns}/converged/a`).exec();
        await waitFor(async () => (await raw.get(`${ns}/converged/a`).string()) !== null, 'a to write its converged entry again');
        await b.setExports([
          { kind: 'file', name: 'kept', params: { content: 'x' } },
          { kind: 'file', name: 'other', params: { content: 'changed' } },
        ]);
        await waitFor(() => col.last?.find((r) => r.name === 'other')?.params.content === 'changed', 'the change collected');
        const after = col.last!;
        expect(after.find((r) => r.name === 'kept')).toBe(before.find((r) => r.name === 'kept'));
        expect(after.find((r) => r.name === 'other')).not.toBe(before.find((r) => r.name === 'other'));
        expect(resynced.values).not.toContain('down'); // a resync, not an outage
        col.stop();
        resynced.stop();
      } finally {
        raw.close();
      }
    });

    it('delivers a burst of changes as whole lists, the last one included, at most one per window and one more', async () => {
      const ns = freshNamespace();
      const windowMs = 300;
      const a = await open('a', ns);
      const b = await open('b', ns, memoryLogger(), undefined, windowMs);
      const seen = new Recorder(b.collect(['file']));
      const pair = (i: number) => [
        { kind: 'file', name: 'counter', params: { i } },
        { kind: 'file', name: 'twin', params: { i } },
      ];
      const N = 20;
      const start = performance.now();
      for (let i = 1; i <= N; i++) await a.setExports(pair(i));
      await waitFor(() => seen.last?.[0]?.params.i === N, `b to see change ${N}`);
      const elapsedMs = performance.now() - start;
      const lists = seen.values.filter((l) => l.length > 0);
      const values = lists.map((l) => l.map((r) => r.params.i));
      for (const v of values) expect(v).toEqual([v[0], v[0]]); // each host's change whole: both or neither
      const firsts = values.map((v) => v[0] as number);
      expect(firsts).toEqual([...firsts].sort((x, y) => x - y)); // in order, never an older state after a newer
      expect(new Set(firsts).size).toBe(firsts.length); // never the same list twice
      // Leading and trailing throttle: the first at once, then at most one per window.
      expect(lists.length).toBeLessThanOrEqual(2 + Math.ceil(elapsedMs / windowMs));
      seen.stop();
    });

    it('writes only what changed, in one revision per setExports', async () => {
      const ns = freshNamespace();
      const a = await open('a', ns);
      const raw = new Etcd3({ hosts: etcd.clientUrls });
      try {
        const f = (n: string, c: string) => ({ kind: 'file', name: n, params: { content: c } });
        await a.setExports([f('1', 'a'), f('2', 'a'), f('3', 'a')]);
        const before = await raw.getAll().prefix(`${ns}/exported/`).exec();
        await a.setExports([f('1', 'a'), f('2', 'b'), f('4', 'a')]);
        const after = await raw.getAll().prefix(`${ns}/exported/`).exec();
        const mod = (res: typeof after, name: string) => res.kvs.find((kv) => kv.key.toString().endsWith(`/${name}`))?.mod_revision;
        expect(mod(after, '1')).toBe(mod(before, '1')); // unchanged: not rewritten
        expect(mod(after, '2')).toBe(mod(after, '4')); // one transaction
        expect(mod(after, '3')).toBeUndefined();
      } finally {
        raw.close();
      }
    });
  });
});
