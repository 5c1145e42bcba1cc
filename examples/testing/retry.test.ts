// A resource that fails with `retry: 2, delay: 500` is tried three times, 500 ms apart, and the
// run exits (code 1, naming it) right after its last attempt.
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';
import { testGraph } from 'rxmgmt/testing';

const yaml = `
graph: migrate
resources:
  exec:
    - name: migrate
      cmd: /usr/local/bin/migrate
      meta:
        retry: 2
        delay: 500
`;

it('exits after the last of three attempts', () => {
  const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  ts.run(({ expectObservable }) => {
    const t = testGraph({
      scheduler: ts,
      yaml,
      convergedTimeout: 0,
      standIns: { 'exec[migrate]': { runs: ['10ms #'], error: 'exit status 3' } },
    });
    // Attempts at 0, 510 and 1020 (each fails after 10 ms, then 500 ms delay).
    expectObservable(t.checks('exec[migrate]')).toBe('c 509ms c 509ms c');
    // One run event for the whole CheckApply with its retries: failed at 1030.
    expectObservable(t.results('exec[migrate]')).toBe('1030ms f');
    expectObservable(t.exit$).toBe('1030ms (x|)', {
      x: { reason: 'converged', failed: ['exec[migrate]: exit status 3'], wouldChange: [], code: 1 },
    });
  });
});
