// SIGINT/SIGTERM as a stop request: the first one drains, a second SIGINT aborts at once.
import { Observable } from 'rxjs';

export function stopSignals(onAbort: () => void): Observable<NodeJS.Signals> {
  return new Observable<NodeJS.Signals>((subscriber) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping && signal === 'SIGINT') return onAbort();
      stopping = true;
      subscriber.next(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  });
}
