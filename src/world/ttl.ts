// Exports with a lifetime: with a TTL, the exports of a host that has not been seen for that
// long are no longer collected (Puppet's node-ttl). "Seen" is the host's live entry in the
// World (its converged key, held by its lease): a host that dies or is cut off loses it when
// its lease runs out, and the clock starts then. The clock runs only while this collector's
// own World is up, and restarts from zero after an outage: a collector cut off from etcd
// learns nothing about the others, so a partition alone never expires anyone.
import { EMPTY, type Observable, type SchedulerLike, combineLatest, concat, distinctUntilChanged, of, switchMap } from 'rxjs';
import { longTimer } from '../../operators/long-timer.js';
import { type ExportedResource, type World, sameExports } from './world.js';

/**
 * `world.collect(kinds)` without the exports of hosts that have not been live for `ttlMs`
 * (scheduler time). Emits nothing while the World is not up (the last list stands).
 */
export function collectLive(world: World, kinds: readonly string[], ttlMs: number, scheduler: SchedulerLike): Observable<ExportedResource[]> {
  const goneSince = new Map<string, number>();
  return combineLatest([world.collect(kinds), world.hostsConverged(), world.status()]).pipe(
    switchMap(([list, live, status]) => {
      if (status !== 'up') {
        goneSince.clear();
        return EMPTY;
      }
      const now = scheduler.now();
      const exporters = new Set(list.map((r) => r.host));
      for (const host of [...goneSince.keys()]) if (live.has(host) || !exporters.has(host)) goneSince.delete(host);
      for (const host of exporters) if (!live.has(host) && !goneSince.has(host)) goneSince.set(host, now);
      const step = (): Observable<ExportedResource[]> => {
        const at = scheduler.now();
        const expired = new Set([...goneSince].filter(([, since]) => at - since >= ttlMs).map(([h]) => h));
        const waits = [...goneSince.values()].map((since) => since + ttlMs - at).filter((w) => w > 0);
        const kept = expired.size ? list.filter((r) => !expired.has(r.host)) : list;
        return waits.length === 0 ? of(kept) : concat(of(kept), longTimer(Math.min(...waits), scheduler).pipe(switchMap(step)));
      };
      return step();
    }),
    distinctUntilChanged(sameExports),
  );
}
