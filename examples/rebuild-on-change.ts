// Compose rxmgmt's operators into a pipeline of your own: rebuild whenever a directory
// changes, one build at a time (a burst of saves makes ONE more build, not a queue), and stop
// once everything has been quiet for two seconds.
//
//   npm run build && node dist/examples/rebuild-on-change.js ./some/dir
import { watch } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BehaviorSubject, Observable, defer, map, of, tap } from 'rxjs';
import { coalesce, converged } from 'rxmgmt/operators';

const dir = process.argv[2] ?? '.';

/** Each change as a one-element list of names, so that a fold can union them. */
const changes$ = new Observable<string[]>((subscriber) => {
  const watcher = watch(dir, (_event, name) => subscriber.next([String(name)]));
  return () => watcher.close();
});

const busy$ = new BehaviorSubject(false);

async function build(files: string[]): Promise<void> {
  busy$.next(true);
  console.log(`building after changes to ${files.join(', ')}`);
  await sleep(300); // stands in for the real build
  busy$.next(false);
}

const builds = changes$
  .pipe(
    tap(() => busy$.next(true)), // busy from the change until its build is done
    coalesce((files) => defer(() => build(files)), (a, b) => [...new Set([...a, ...b])]),
  )
  .subscribe();

of(busy$.pipe(map((busy) => !busy)))
  .pipe(converged(2000))
  .subscribe(() => {
    console.log('quiet for 2 s, stopping');
    builds.unsubscribe();
  });
