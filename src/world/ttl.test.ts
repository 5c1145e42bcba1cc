// Exports with a lifetime, in virtual time on the in-process World.
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { MemoryStore, memoryWorld } from './memory.js';
import { collectLive } from './ttl.js';

const TTL = 10_000;

function setup() {
  const scheduler = new VirtualTimeScheduler();
  const store = new MemoryStore();
  const me = memoryWorld('me', store);
  const gone = memoryWorld('gone', store);
  const seen: string[][] = [];
  const sub = collectLive(me, ['noop'], TTL, scheduler).subscribe((l) => seen.push(l.map((r) => `${r.host}/${r.name}`)));
  /** Runs virtual time up to `ms` (a no-op action there moves the clock even when nothing else is due). */
  const until = (ms: number) => {
    scheduler.schedule(() => undefined, ms - scheduler.now());
    scheduler.maxFrames = ms;
    scheduler.flush();
  };
  return { scheduler, store, me, gone, seen, sub, until };
}

describe('collectLive: exports of a host not seen for the TTL are dropped', () => {
  it('keeps a gone host\'s exports for the TTL, then drops them; they come back when it does', async () => {
    const { store, me, gone, seen, sub, until } = setup();
    await gone.setExports([{ kind: 'noop', name: 'n', params: {} }]);
    expect(seen.at(-1)).toEqual(['gone/n']);
    await gone.close(); // its live entry goes; its exports stay in the store
    until(TTL - 1);
    expect(seen.at(-1)).toEqual(['gone/n']);
    until(TTL);
    expect(seen.at(-1)).toEqual([]);
    const back = memoryWorld('gone', store); // the host restarts
    await back.setExports([{ kind: 'noop', name: 'n', params: {} }]);
    expect(seen.at(-1)).toEqual(['gone/n']);
    sub.unsubscribe();
    await Promise.all([me.close(), back.close()]);
  });

  it('a partition alone expires nobody: the clock stops while this World is down and restarts after', async () => {
    const { store, me, gone, seen, sub, until } = setup();
    await gone.setExports([{ kind: 'noop', name: 'n', params: {} }]);
    await gone.close();
    until(TTL / 2);
    store.setOnline(false);
    until(3 * TTL);
    expect(seen.at(-1)).toEqual(['gone/n']);
    store.setOnline(true); // the clock starts again from here
    until(3 * TTL + TTL - 1);
    expect(seen.at(-1)).toEqual(['gone/n']);
    until(4 * TTL);
    expect(seen.at(-1)).toEqual([]);
    sub.unsubscribe();
    await me.close();
  });
});
