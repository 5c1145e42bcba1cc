// SIGHUP: re-read the graph file now (what `systemctl reload rxmgmt` sends), also with
// --no-watch. Without a graph file it is logged and ignored, never Node's default (exit).
// Installed before the graph file is first read, so a SIGHUP before that needs no action
// (main.ts ignores it until then).
import { EMPTY, type Observable, Subject, catchError, defer, map, of, startWith, switchMap } from 'rxjs';
import type { SpecEvent } from '../loader/assemble.js';
import type { Registry } from '../model/registry.js';
import type { Logger } from '../util/logger.js';
import { loadGraphFile } from '../yaml/parse.js';

export interface ReloadSignal {
  /** `loading` then the spec (or why it is bad) after each SIGHUP; nothing without a file. */
  reloads$: Observable<SpecEvent>;
  dispose(): void;
}

export function installReloadSignal(file: string | undefined, registry: Registry, log: Logger): ReloadSignal {
  const hup$ = new Subject<void>();
  const handler = () => {
    if (file) log.info(`SIGHUP: re-reading ${file}`);
    else log.info('SIGHUP: no graph file to re-read');
    hup$.next();
  };
  process.on('SIGHUP', handler);
  const reloads$ = !file
    ? EMPTY
    : hup$.pipe(
        // A newer SIGHUP supersedes a read still in progress.
        switchMap(() =>
          defer(() => loadGraphFile(file, registry)).pipe(
            map((spec): SpecEvent => ({ kind: 'spec', spec })),
            catchError((error: Error) => of<SpecEvent>({ kind: 'error', error })),
            startWith<SpecEvent>({ kind: 'loading' }),
          ),
        ),
      );
  return {
    reloads$,
    dispose: () => {
      process.off('SIGHUP', handler);
      hup$.complete();
    },
  };
}
