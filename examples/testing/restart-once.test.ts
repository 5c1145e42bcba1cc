// The config file and the unit file change in the same frame: the service restarts once, after
// both are written, not once per file.
import { fileURLToPath } from 'node:url';
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';
import { testGraph } from 'rxmgmt/testing';

const file = fileURLToPath(new URL('./web.yaml', import.meta.url));

it('restarts web exactly once when conf and unit drift together', () => {
  const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  ts.run(({ expectObservable }) => {
    const t = testGraph({
      scheduler: ts,
      file,
      convergedTimeout: 0.1,
      standIns: {
        // Both drift at frame 10; writing conf takes 2 ms, the unit file 5 ms.
        'file[conf]': { watch: '10ms x', runs: ['o', '2ms c'] },
        'file[unit]': { watch: '10ms x', runs: ['o', '5ms c'] },
        'svc[web]': { runs: ['o', '30ms c'] }, // a restart takes 30 ms
      },
    });
    // Checked at start (c), then one run with the refresh (r) once both files are written.
    expectObservable(t.checks('svc[web]')).toBe('c 14ms r');
    expectObservable(t.results('svc[web]')).toBe('o 44ms c');
    // Converged 100 ms after the restart ended.
    expectObservable(t.exit$).toBe('145ms (x|)', { x: { reason: 'converged', failed: [], wouldChange: [], code: 0 } });
  });
});
