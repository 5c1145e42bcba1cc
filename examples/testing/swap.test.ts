// Saving a new version of the graph during the converged countdown restarts the countdown; the
// resources it did not change are left alone.
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';
import { testGraph } from 'rxmgmt/testing';

const v1 = `
graph: site
resources:
  file:
    - name: motd
      path: /etc/motd
      content: "welcome\\n"
`;
const v2 = `${v1}    - name: issue
      path: /etc/issue
      content: "hello\\n"
`;

it('restarts the countdown at the swap', () => {
  const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  ts.run(({ expectObservable }) => {
    const t = testGraph({
      scheduler: ts,
      yaml: v1,
      convergedTimeout: 0.1,
      swaps: [{ at: 50, yaml: v2 }], // v1 alone would converge at 100
      standIns: { 'file[issue]': { runs: ['5ms c'] } },
    });
    expectObservable(t.checks('file[motd]')).toBe('c'); // unchanged: never re-run
    expectObservable(t.checks('file[issue]')).toBe('50ms c');
    // The new file is written at 55; converged 100 ms later.
    expectObservable(t.exit$).toBe('155ms (x|)', { x: { reason: 'converged', failed: [], wouldChange: [], code: 0 } });
  });
});
