// SIGINT/SIGTERM as a stop request: the first one drains, a second SIGINT aborts at once.
import { type Observable, Subject } from 'rxjs';

export interface StopSignals {
  /** Emits the first SIGINT or SIGTERM. */
  stop$: Observable<NodeJS.Signals>;
  /** A stop was asked for already (during start-up, before anyone listened to `stop$`). */
  readonly stopped: boolean;
  /** Removes the handlers (after the run). */
  dispose(): void;
}

/**
 * Installs the handlers now and keeps them for the whole run, so that a second SIGINT still
 * finds `onAbort` after the first one has ended the race that started the drain.
 */
export function installStopSignals(onAbort: () => void): StopSignals {
  const stop$ = new Subject<NodeJS.Signals>();
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping && signal === 'SIGINT') return onAbort();
    stopping = true;
    stop$.next(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stop$: stop$.asObservable(),
    get stopped() {
      return stopping;
    },
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      stop$.complete();
    },
  };
}
