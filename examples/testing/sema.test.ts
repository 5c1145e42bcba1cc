// `sema: [db:1]` lets one migration at a time touch the database, whatever the edges say.
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';
import { testGraph } from 'rxmgmt/testing';

const yaml = `
graph: migrations
resources:
  exec:
    - name: users
      cmd: /usr/local/bin/migrate users
      meta: {sema: ["db:1"]}
    - name: orders
      cmd: /usr/local/bin/migrate orders
      meta: {sema: ["db:1"]}
`;

it('runs the two migrations one after the other', () => {
  const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  ts.run(({ expectObservable }) => {
    const t = testGraph({
      scheduler: ts,
      yaml,
      convergedTimeout: 0,
      standIns: { 'exec[users]': { runs: ['100ms c'] }, 'exec[orders]': { runs: ['100ms c'] } },
    });
    // No edge between them, yet the second starts only when the first is done (which one goes
    // first is the engine's choice: here orders).
    expectObservable(t.checks('exec[orders]')).toBe('c');
    expectObservable(t.checks('exec[users]')).toBe('100ms c');
    expectObservable(t.results('exec[users]')).toBe('200ms c');
    expectObservable(t.exit$).toBe('200ms (x|)', { x: { reason: 'converged', failed: [], wouldChange: [], code: 0 } });
  });
});
