// kv on the in-process World: set, delete, mapped per host, skiplessthan, noop, watch.
import { asyncScheduler, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ResourceEnv } from '../model/resource.js';
import { defaultMeta } from '../model/spec.js';
import { memoryLogger } from '../util/logger.js';
import { MemoryStore, memoryWorld } from '../world/memory.js';
import { kvKind } from './kv.js';

function host(name: string, store: MemoryStore): ResourceEnv {
  return { hostname: name, log: memoryLogger(), scheduler: asyncScheduler, world: memoryWorld(name, store) };
}
const kv = (env: ResourceEnv, params: Record<string, unknown>, name = 'k') =>
  kvKind.create({ kind: 'kv', name, params: { mapped: false, skiplessthan: false, skipcmpstyle: 0, ...params }, meta: { ...defaultMeta }, pos: { file: 't', line: 1 } }, env);
const run = (r: ReturnType<typeof kv>, apply = true, refresh = false) => firstValueFrom(r.checkApply(apply, refresh));

describe('kv', () => {
  it('sets a global key (the name when key is absent), then finds it right; every host sees it', async () => {
    const store = new MemoryStore();
    const a = host('a', store);
    const b = host('b', store);
    const r = kv(a, { value: 'world' }, 'hello');
    expect(await run(r)).toBe(false);
    expect(await run(r)).toBe(true);
    expect(await firstValueFrom(b.world!.strValues('hello'))).toBe('world');
  });

  it('without a value deletes the key; noop changes nothing', async () => {
    const store = new MemoryStore();
    const a = host('a', store);
    await a.world!.strSet('gone', 'x');
    const r = kv(a, { key: 'gone' });
    expect(await run(r, false)).toBe(false);
    expect(await firstValueFrom(a.world!.strValues('gone'))).toBe('x');
    expect(await run(r)).toBe(false);
    expect(await firstValueFrom(a.world!.strValues('gone'))).toBeUndefined();
    expect(await run(r)).toBe(true);
  });

  it('mapped: each host writes its own value under the key', async () => {
    const store = new MemoryStore();
    const [a, b] = [host('a', store), host('b', store)];
    await run(kv(a, { key: 'ip', value: '10.0.0.1', mapped: true }));
    await run(kv(b, { key: 'ip', value: '10.0.0.2', mapped: true }));
    expect([...(await firstValueFrom(a.world!.strMapValues('ip')))]).toEqual([
      ['a', '10.0.0.1'],
      ['b', '10.0.0.2'],
    ]);
    expect(await firstValueFrom(a.world!.strValues('ip'))).toBeUndefined();
  });

  it('skiplessthan leaves a greater value (integers, or strings with skipcmpstyle 1), but a refresh sets it', async () => {
    const store = new MemoryStore();
    const a = host('a', store);
    await a.world!.strSet('stage', '10');
    const r = kv(a, { key: 'stage', value: '9', skiplessthan: true });
    expect(await run(r)).toBe(true); // 9 < 10 as integers
    expect(await run(kv(a, { key: 'stage', value: '9', skiplessthan: true, skipcmpstyle: 1 }))).toBe(false); // "9" > "10" as strings
    expect(await firstValueFrom(a.world!.strValues('stage'))).toBe('9');
    await a.world!.strSet('stage', '10');
    expect(await run(r, true, true)).toBe(false);
    expect(await firstValueFrom(a.world!.strValues('stage'))).toBe('9');
    await a.world!.strSet('stage', 'garbage');
    expect(await run(r)).toBe(false); // an unreadable integer is overwritten
  });

  it('refuses bad fields at load: skipcmpstyle other than 0 or 1, a non-integer value compared as an integer', () => {
    expect(kvKind.validate!({ skipcmpstyle: 2 })).toMatch(/skipcmpstyle/);
    expect(kvKind.validate!({ value: 'abc', skiplessthan: true, skipcmpstyle: 0 })).toMatch(/not an integer/);
    expect(kvKind.validate!({ value: 'abc', skiplessthan: true, skipcmpstyle: 1 })).toBeUndefined();
  });

  it('watch emits when another host changes the key, not for the value it starts with', async () => {
    const store = new MemoryStore();
    const [a, b] = [host('a', store), host('b', store)];
    await a.world!.strSet('w', 'first');
    const r = kv(a, { key: 'w', value: 'first' });
    const events = lastValueFrom(r.watch().pipe(take(2), toArray()));
    await b.world!.strSet('w', 'second');
    await b.world!.strSet('w', undefined);
    expect(await events).toHaveLength(2);
  });

  it('fails its check, naming the key, when there is no World', async () => {
    const r = kv({ hostname: 'a', log: memoryLogger(), scheduler: asyncScheduler }, { key: 'x', value: 'y' });
    await expect(run(r)).rejects.toThrow('kv[k]: no World to keep key "x" in');
  });
});
