// The World contract: one suite, run against every backend (memory in src/world/memory.test.ts,
// etcd in test/world/etcd-contract.test.ts). A backend supplies a harness whose worlds share
// one state; `outage`/`recover`, when given, make that shared state unavailable and back.

import type { Observable, Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultMeta } from '../../src/model/spec.js';
import type { ExportInput, ExportedResource, World } from '../../src/world/world.js';
import { waitFor } from '../helpers/etcd.js';

export interface WorldHarness {
  /** Opens host `host` on the harness's shared state; resolves once it is up. */
  open(host: string): Promise<World>;
  /** Makes the shared state unavailable (every World should go down). */
  outage?(): Promise<void>;
  /** Makes it available again. */
  recover?(): Promise<void>;
  dispose(): Promise<void>;
}

/** Every value an observable emitted, for assertions. */
export class Recorder<T> {
  readonly values: T[] = [];
  completed = false;
  private readonly sub: Subscription;
  constructor(obs: Observable<T>) {
    this.sub = obs.subscribe({ next: (v) => this.values.push(v), complete: () => (this.completed = true) });
  }
  get last(): T | undefined {
    return this.values[this.values.length - 1];
  }
  stop(): void {
    this.sub.unsubscribe();
  }
}

const file = (name: string, content: string): ExportInput => ({
  kind: 'file',
  name,
  params: { path: `/tmp/mgmt/${name}`, content, state: 'exists' },
});

const names = (list: readonly ExportedResource[] | undefined): string[] =>
  (list ?? []).map((r) => `${r.host}:${r.kind}[${r.name}]`);

export function worldContract(backend: string, makeHarness: () => Promise<WorldHarness>, timeoutMs = 20_000): void {
  describe(`World contract: ${backend}`, () => {
    let harness: WorldHarness;
    const opened: World[] = [];
    const recorders: Recorder<unknown>[] = [];

    const open = async (host: string): Promise<World> => {
      const w = await harness.open(host);
      opened.push(w);
      return w;
    };
    const record = <T>(obs: Observable<T>): Recorder<T> => {
      const r = new Recorder(obs);
      recorders.push(r as Recorder<unknown>);
      return r;
    };
    const until = <T>(cond: () => T, what: string) => waitFor(cond, what, { timeoutMs });

    beforeEach(async () => {
      harness = await makeHarness();
    });
    afterEach(async () => {
      for (const r of recorders.splice(0)) r.stop();
      await Promise.all(opened.splice(0).map((w) => w.close().catch(() => undefined)));
      await harness.dispose();
    });

    it('every host collects every host’s exports, its own included', async () => {
      const hosts = ['a', 'b', 'c'];
      const worlds = await Promise.all(hosts.map(open));
      const recs = worlds.map((w) => record(w.collect(['file'])));
      await Promise.all(worlds.map((w) => w.setExports([file(`f-${w.host}`, `from ${w.host}`)])));
      const want = ['a:file[f-a]', 'b:file[f-b]', 'c:file[f-c]'];
      for (const r of recs) await until(() => names(r.last).join() === want.join(), `every host to see ${want}`);
      const seen = recs[1]!.last!;
      expect(seen[0]).toEqual({
        host: 'a',
        kind: 'file',
        name: 'f-a',
        params: { path: '/tmp/mgmt/f-a', content: 'from a', state: 'exists' },
        meta: { ...defaultMeta },
      });
    });

    it('emits the current list on subscribe', async () => {
      const a = await open('a');
      const b = await open('b');
      await a.setExports([file('x', '1')]);
      const early = record(b.collect(['file']));
      await until(() => early.last?.length === 1, 'b to have collected x');
      const late = record(b.collect(['file']));
      expect(names(late.values[0])).toEqual(['a:file[x]']);
    });

    it('replaces a host’s exports atomically and withdraws the ones left out', async () => {
      const a = await open('a');
      const b = await open('b');
      const rec = record(b.collect(['file']));
      await a.setExports([file('f1', '1'), file('f2', '2'), file('f3', '3')]);
      await until(() => rec.last?.length === 3, 'the first set');
      await a.setExports([file('f2', '2 changed'), file('f4', '4')]);
      await until(() => names(rec.last).join() === 'a:file[f2],a:file[f4]', 'the replacement');
      const before = 'a:file[f1],a:file[f2],a:file[f3]';
      const after = 'a:file[f2],a:file[f4]';
      for (const list of rec.values) expect(['', before, after]).toContain(names(list).join());
      expect(rec.last!.find((r) => r.name === 'f2')!.params.content).toBe('2 changed');
      await a.setExports([]);
      await until(() => rec.last?.length === 0, 'everything withdrawn');
    });

    it('updates collectors live when a host changes an export', async () => {
      const a = await open('a');
      const b = await open('b');
      const rec = record(b.collect(['file']));
      await a.setExports([file('f1', 'v1')]);
      await until(() => rec.last?.[0]?.params.content === 'v1', 'v1');
      await a.setExports([file('f1', 'v2')]);
      await until(() => rec.last?.[0]?.params.content === 'v2', 'v2');
      await a.setExports([file('f1', 'v2')]); // no change: no new emission
      await b.setExports([file('g1', 'from b')]);
      await until(() => rec.last?.length === 2, 'b’s own export');
      const contents = rec.values.map((l) => l.map((r) => r.params.content).join());
      expect(contents.filter((c) => c === 'v2')).toHaveLength(1);
    });

    it('filters by kind', async () => {
      const a = await open('a');
      const b = await open('b');
      await a.setExports([
        file('f1', '1'),
        { kind: 'exec', name: 'e1', params: { cmd: 'true' }, meta: { retry: 3 } },
        { kind: 'noop', name: 'n1', params: {} },
      ]);
      const files = record(b.collect(['file']));
      const both = record(b.collect(['exec', 'file']));
      const none = record(b.collect([]));
      await until(() => both.last?.length === 2, 'file and exec');
      expect(names(files.last)).toEqual(['a:file[f1]']);
      expect(names(both.last)).toEqual(['a:exec[e1]', 'a:file[f1]']);
      expect(both.last![0]!.meta).toEqual({ ...defaultMeta, retry: 3 });
      expect(none.values).toEqual([[]]);
    });

    it('keeps names with slashes, spaces, percent signs and unicode intact', async () => {
      const a = await open('a/b c');
      const b = await open('b');
      const name = '/tmp/dir one/ü%2F..';
      await a.setExports([{ kind: 'file', name, params: { path: name, nested: { list: [1, 'two', null, true] } } }]);
      const rec = record(b.collect(['file']));
      await until(() => rec.last?.length === 1, 'the export');
      expect(rec.last![0]).toMatchObject({ host: 'a/b c', name, params: { path: name, nested: { list: [1, 'two', null, true] } } });
    });

    it('rejects invalid exports and writes nothing', async () => {
      const a = await open('a');
      await a.setExports([file('keep', 'k')]);
      await expect(a.setExports([file('f', '1'), file('f', '2')])).rejects.toThrow(/listed twice/);
      await expect(a.setExports([{ kind: 'file', name: 'f', params: { big: 1n } }])).rejects.toThrow(/not JSON/);
      await expect(a.setExports([{ kind: 'file', name: 'f', params: { when: new Date() } }])).rejects.toThrow(/not JSON/);
      await expect(a.setExports([{ ...file('f', '1'), host: 'other' }])).rejects.toThrow(/other/);
      await expect(a.setExports([{ kind: 'file', name: '', params: {} }])).rejects.toThrow(/empty name/);
      const rec = record(a.collect(['file']));
      await until(() => rec.last?.length === 1, 'the first export');
      expect(names(rec.last)).toEqual(['a:file[keep]']);
    });

    it('keeps a host’s exports after it closes', async () => {
      const a = await open('a');
      const b = await open('b');
      await a.setExports([file('f1', '1')]);
      const rec = record(b.collect(['file']));
      await until(() => rec.last?.length === 1, 'the export');
      await a.close();
      await expect(a.setExports([])).rejects.toThrow(/closed/);
      const c = await open('c');
      const rc = record(c.collect(['file']));
      await until(() => rc.last?.length === 1, 'a’s export to outlive a');
      expect(rec.last).toHaveLength(1);
    });

    it('lists every live host’s converged state; a closed host disappears', async () => {
      const [a, b, c] = [await open('a'), await open('b'), await open('c')];
      const rec = record(a.hostsConverged());
      const snapshot = () => Object.fromEntries(rec.last ?? []);
      await until(() => rec.last?.size === 3, 'three hosts');
      expect(snapshot()).toEqual({ a: false, b: false, c: false });
      await a.setConverged(true);
      await c.setConverged(true);
      await until(() => snapshot().a === true && snapshot().c === true, 'a and c converged');
      expect(snapshot()).toEqual({ a: true, b: false, c: true });
      await c.close();
      await until(() => rec.last?.size === 2, 'c to disappear');
      expect(snapshot()).toEqual({ a: true, b: false });
      const rb = record(b.hostsConverged());
      await b.setConverged(true);
      await until(() => rb.last?.get('b') === true, 'b converged');
      expect([...rb.last!.keys()]).toEqual(['a', 'b']);
    });

    it('is up once opened, and its streams complete on close', async () => {
      const a = await open('a');
      const status = record(a.status());
      const col = record(a.collect(['file']));
      const conv = record(a.hostsConverged());
      expect(status.values).toEqual(['up']);
      await a.close();
      expect(status.completed && col.completed && conv.completed).toBe(true);
      await a.close(); // idempotent
    });

    it('during an outage: down, keeps the last lists, then resynchronises', async (ctx) => {
      if (!harness.outage || !harness.recover) return ctx.skip();
      const a = await open('a');
      const b = await open('b');
      await a.setExports([file('f1', 'before')]);
      await a.setConverged(true);
      const sa = record(a.status());
      const sb = record(b.status());
      const rec = record(b.collect(['file']));
      const conv = record(b.hostsConverged());
      await until(() => rec.last?.[0]?.params.content === 'before', 'the export');
      await until(() => conv.last?.get('a') === true, 'a converged');
      const emitted = rec.values.length;

      await harness.outage();
      await until(() => sa.last === 'down' && sb.last === 'down', 'both down');
      // A change made during the outage is kept and written on resync.
      await a.setExports([file('f1', 'during')]).catch(() => undefined);
      expect(rec.values.length).toBe(emitted); // the last known list stands
      expect(rec.last?.[0]?.params.content).toBe('before');

      await harness.recover();
      await until(() => sa.last === 'up' && sb.last === 'up', 'both up again');
      await until(() => rec.last?.[0]?.params.content === 'during', 'the change made during the outage');
      await until(() => conv.last?.get('a') === true && conv.last?.get('b') === false, 'converged entries back');
      expect(rec.values.every((l) => l.length === 1)).toBe(true); // never an empty list
      expect(sa.values).toEqual(['up', 'down', 'up']);
      // And after it: live again.
      await b.setExports([file('g', 'after')]);
      const ra = record(a.collect(['file']));
      await until(() => ra.last?.length === 2, 'a change after the outage');
    });
  
    it('kv strings: a global key every host sees and writes, mapped keys one value per host', async () => {
      const a = await open('a');
      const b = await open('b');
      const g = record(b.strValues('greeting'));
      await a.strSet('greeting', 'hello');
      await until(() => g.last === 'hello', 'b to see the global key');
      await b.strSet('greeting', undefined);
      await until(() => g.last === undefined && g.values.length >= 3, 'the key deleted');
      expect(g.values).toEqual([undefined, 'hello', undefined]);
      const m = record(a.strMapValues('ip'));
      await a.strMapSet('ip', '10.0.0.1');
      await b.strMapSet('ip', '10.0.0.2');
      await until(() => m.last?.size === 2, 'both hosts in the mapped key');
      expect([...m.last!]).toEqual([
        ['a', '10.0.0.1'],
        ['b', '10.0.0.2'],
      ]);
      await b.strMapSet('ip', undefined);
      await until(() => m.last?.size === 1, 'b gone from the mapped key');
      expect(await new Promise((r) => a.strValues('ip').subscribe(r).unsubscribe())).toBeUndefined();
    });
  });
}
