// Faults on a real etcd: nothing at the seeds, a member killed in a 3-member cluster, quorum
// lost and regained, a lease lost under a running host.

import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/util/logger.js';
import { type EtcdWorld, type EtcdWorldOptions, connectEtcdWorld } from '../../src/world/etcd.js';
import type { ExportedResource, WorldStatus } from '../../src/world/world.js';
import { type EtcdCluster, describeEtcd, freePort, startEtcd, waitFor } from '../helpers/etcd.js';
import { Recorder } from './contract.js';

let namespaces = 0;
const freshNamespace = () => `/rxmgmt-faults-${process.pid}-${++namespaces}`;
const logs = new Map<string, ReturnType<typeof memoryLogger>>();

describeEtcd('etcd World faults', () => {
  it('rejects with a clear error naming the seeds when nothing answers at start-up', async () => {
    const seeds = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    const err = await connectEtcdWorld({ host: 'a', seeds, log: memoryLogger(), startupTimeoutMs: 1500, requestTimeoutMs: 500 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain(`cannot reach etcd at ${seeds.join(', ')}`);
    expect(err!.message).toMatch(/within 1500 ms/);
  });

  describe('on a 3-member cluster', () => {
    let etcd: EtcdCluster;
    const worlds: EtcdWorld[] = [];
    const recorders: Recorder<unknown>[] = [];
    const open = async (host: string, namespace: string, extra: Partial<EtcdWorldOptions> = {}): Promise<EtcdWorld> => {
      const log = memoryLogger();
      logs.set(`${namespace}:${host}`, log);
      const w = await connectEtcdWorld({
        host,
        seeds: etcd.clientUrls,
        log,
        namespace,
        startupTimeoutMs: 15_000,
        leaseTtlSeconds: 2,
        requestTimeoutMs: 2000,
        probeIntervalMs: 250,
        outageGraceMs: 4000,
        maxBackoffMs: 1000,
        ...extra,
      });
      worlds.push(w);
      return w;
    };
    const record = <T>(o: import('rxjs').Observable<T>): Recorder<T> => {
      const r = new Recorder(o);
      recorders.push(r as Recorder<unknown>);
      return r;
    };

    beforeAll(async () => {
      etcd = await startEtcd(3);
    }, 60_000);
    afterAll(async () => {
      await etcd?.stop();
    });
    afterEach(async () => {
      for (const r of recorders.splice(0)) r.stop();
      await Promise.all(worlds.splice(0).map((w) => w.close()));
      for (const m of etcd.members) m.start(); // whatever a test killed comes back
      await etcd.waitHealthy();
    }, 60_000);

    /** Retries a write until it lands (it is refused while the World is down). */
    const persist = async (op: () => Promise<void>) =>
      waitFor(
        () => op().then(() => true),
        'a write to land',
        { timeoutMs: 30_000, intervalMs: 100 },
      );

    it('survives the leader being killed without missing an update', async () => {
      const ns = freshNamespace();
      const a = await open('a', ns);
      // Every revision is to be seen, so b delivers each change on its own (no coalescing).
      const b = await open('b', ns, { collectCoalesceMs: 0 });
      const seen = record(b.collect(['file']));
      const statusB = record(b.status());
      const counter = (i: number) => [
        { kind: 'file', name: 'counter', params: { i } },
        { kind: 'file', name: 'twin', params: { i } },
      ];
      const N = 30;
      for (let i = 1; i <= N; i++) {
        if (i === 11) await (await etcd.leader()).kill();
        await persist(() => a.setExports(counter(i)));
      }
      await waitFor(() => seen.last?.[0]?.params.i === N, `b to see update ${N}`, { timeoutMs: 30_000 });
      const values = seen.values
        .filter((l) => l.length > 0)
        .map((l: ExportedResource[]) => {
          expect(l.map((r) => r.params.i)).toEqual([l[0]!.params.i, l[0]!.params.i]); // atomic: both or neither
          return l[0]!.params.i as number;
        });
      const diag = `statuses of b: ${statusB.values.join(',')}; values seen: ${values.join(',')}\nlog of b:\n${logs.get(`${ns}:b`)!.lines.join('\n')}\nlog of a:\n${logs.get(`${ns}:a`)!.lines.join('\n')}`;
      expect(statusB.values, diag).toEqual(['up']); // one dead member is not an outage
      expect(values, diag).toEqual(Array.from({ length: N }, (_, k) => k + 1)); // every revision, in order
    }, 60_000);

    it('quorum lost: down, last lists kept, then resynchronised with leases re-created', async () => {
      const ns = freshNamespace();
      const a = await open('a', ns);
      const b = await open('b', ns);
      await a.setExports([{ kind: 'file', name: 'f', params: { content: 'before' } }]);
      await a.setConverged(true);
      const sa = record(a.status());
      const sb = record(b.status());
      const col = record(b.collect(['file']));
      const conv = record(b.hostsConverged());
      await waitFor(() => col.last?.[0]?.params.content === 'before', 'the export');
      await waitFor(() => conv.last?.get('a') === true, 'a converged');
      const emitted = col.values.length;

      const [m0, m1] = etcd.members;
      await Promise.all([m0!.kill(), m1!.kill()]);
      await waitFor(() => sa.last === 'down' && sb.last === 'down', 'both Worlds down', { timeoutMs: 30_000 });
      await expect(a.setExports([{ kind: 'file', name: 'f', params: { content: 'during' } }])).rejects.toThrow(/World is down/);
      // Stay down longer than twice the 2 s lease TTL, so the client declares the leases lost.
      await new Promise((r) => setTimeout(r, 5000));
      expect(col.values.length).toBe(emitted);
      expect(col.last?.[0]?.params.content).toBe('before');
      expect(conv.last?.get('a')).toBe(true);

      m0!.start();
      m1!.start();
      await etcd.waitHealthy();
      await waitFor(() => sa.last === 'up' && sb.last === 'up', 'both Worlds up again', { timeoutMs: 30_000 });
      await waitFor(() => col.last?.[0]?.params.content === 'during', 'the change made during the outage', { timeoutMs: 30_000 });
      await waitFor(() => conv.last?.get('a') === true && conv.last?.get('b') === false, 'both hosts live again');
      expect(col.values.filter((l) => l.length !== 1)).toEqual([]);
      const statuses: WorldStatus[] = ['up', 'down', 'up'];
      expect(sa.values).toEqual(statuses);
      expect(sb.values).toEqual(statuses);
      const logA = logs.get(`${ns}:a`)!.lines.join('\n');
      expect(logA).toMatch(/warn world: etcd at .* is unreachable or without quorum .*keeping the last known state/);
      expect(logA).toMatch(/info world: etcd is back: resynchronised/);

      // After the outage: a change by b reaches a.
      const ca = record(a.collect(['file']));
      await b.setExports([{ kind: 'file', name: 'g', params: { content: 'after' } }]);
      await waitFor(() => ca.last?.length === 2, 'b’s export after the outage');
      // The new leases work: a host closing still disappears.
      const convA = record(a.hostsConverged());
      await b.close();
      await waitFor(() => convA.last?.size === 1 && convA.last.has('a'), 'b gone');
    }, 90_000);

    it('re-creates a lease revoked under a running host', async () => {
      const ns = freshNamespace();
      const a = await open('a', ns);
      const b = await open('b', ns);
      await a.setConverged(true);
      const conv = record(b.hostsConverged());
      await waitFor(() => conv.last?.get('a') === true, 'a converged');
      const raw = new Etcd3({ hosts: etcd.clientUrls });
      try {
        const kv = (await raw.get(`${ns}/converged/a`).exec()).kvs[0]!;
        await raw.leaseClient.leaseRevoke({ ID: kv.lease });
        await waitFor(() => conv.values.some((m) => !m.has('a')), 'the entry to go with the revoked lease');
        await waitFor(() => conv.last?.get('a') === true, 'the entry to come back under a new lease');
        const again = (await raw.get(`${ns}/converged/a`).exec()).kvs[0]!;
        expect(again.lease).not.toBe(kv.lease);
        expect(logs.get(`${ns}:a`)!.lines.join('\n')).toMatch(/lease of host "a" lost/);
      } finally {
        raw.close();
      }
    }, 30_000);
  });
});
