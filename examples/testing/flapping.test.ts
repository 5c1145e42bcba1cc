// A file that keeps drifting never lets the graph converge; once it stops, the countdown runs.
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';
import { testGraph } from 'rxmgmt/testing';

const yaml = `
graph: flap
resources:
  file:
    - name: motd
      path: /etc/motd
      content: "welcome\\n"
`;

it('converges 25 ms after the last drift, not before', () => {
  const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  ts.run(({ expectObservable }) => {
    const t = testGraph({
      scheduler: ts,
      yaml,
      convergedTimeout: 0.025,
      // Something rewrites /etc/motd every 10 ms until frame 50; each repair is instant.
      standIns: { 'file[motd]': { watch: '10ms x 9ms x 9ms x 9ms x 9ms x', runs: ['o', 'c'] } },
    });
    expectObservable(t.checks('file[motd]')).toBe('c 9ms c 9ms c 9ms c 9ms c 9ms c');
    // Not converged (f) from the start; converged (t) 25 ms after the repair at 50.
    expectObservable(t.converged$).toBe('f 74ms t', { t: true, f: false });
    expectObservable(t.exit$).toBe('75ms (x|)', { x: { reason: 'converged', failed: [], wouldChange: [], code: 0 } });
  });
});
