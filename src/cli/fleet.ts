// Distributed converged exit: publish this host's converged state to the World and say when
// every live host (this one included) is converged.
import { EMPTY, type Observable, catchError, combineLatest, concatMap, defer, ignoreElements, map, merge, shareReplay } from 'rxjs';
import type { Logger } from '../util/logger.js';
import type { World } from '../world/world.js';

export function fleetVerdict(world: World, log: Logger): (local$: Observable<boolean>) => Observable<boolean> {
  return (converged$) => {
    // One converger for both uses: each subscription to it follows every vertex (~130 B each).
    const local$ = converged$.pipe(shareReplay({ bufferSize: 1, refCount: true }));
    const publish$ = local$.pipe(
      concatMap((c) =>
        defer(() => world.setConverged(c)).pipe(
          catchError((e: Error) => {
            log.warn(`converged state: ${e.message}`);
            return EMPTY;
          }),
        ),
      ),
      ignoreElements(),
    );
    // Our own entry must read back true: then every other host can see it too.
    const verdict$ = combineLatest([local$, world.hostsConverged(), world.status()]).pipe(
      map(([local, hosts, status]) => local && status === 'up' && hosts.get(world.host) === true && [...hosts.values()].every(Boolean)),
    );
    return merge(publish$, verdict$);
  };
}
