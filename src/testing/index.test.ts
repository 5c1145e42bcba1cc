// The testing module itself: stand-ins, defaults, errors, and the observations it exposes.
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { stateLetters, testGraph } from './index.js';

const fresh = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
const chain = yaml(
  'graph: chain',
  'resources:',
  '  noop:',
  '  - name: a',
  '  exec:',
  '  - name: b',
  '    cmd: /bin/false',
  'edges:',
  '  - {name: ab, from: {kind: noop, name: a}, to: {kind: exec, name: b}, notify: true}',
);

describe('testGraph', () => {
  it('defaults every resource to already ok and instant', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      const t = testGraph({ scheduler: ts, yaml: chain, convergedTimeout: 0.005 });
      expect(t.keys).toEqual(['noop[a]', 'exec[b]']);
      expectObservable(t.checks('noop[a]')).toBe('c');
      expectObservable(t.checks('exec[b]')).toBe('c');
      expectObservable(t.results('exec[b]')).toBe('o');
      expectObservable(t.states('exec[b]')).toBe('(ro)', stateLetters);
      expectObservable(t.converged$).toBe('f 4ms t', { t: true, f: false });
      expectObservable(t.exit$).toBe('5ms (x|)', { x: { reason: 'converged', failed: [], wouldChange: [], code: 0 } });
    });
  });

  it('runs stand-ins: a change delivers a refresh through a notify edge, a failure fails', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      const t = testGraph({
        scheduler: ts,
        yaml: chain,
        convergedTimeout: 0,
        standIns: { 'noop[a]': { runs: ['3ms c'] }, 'exec[b]': { runs: ['2ms #'], error: 'exit status 1' } },
      });
      expectObservable(t.checks('exec[b]')).toBe('3ms r');
      expectObservable(t.refreshes('exec[b]')).toBe('3ms r');
      expectObservable(t.results('noop[a]')).toBe('3ms c');
      expectObservable(t.results('exec[b]')).toBe('5ms f');
      expectObservable(t.exit$).toBe('5ms (x|)', { x: { reason: 'converged', failed: ['exec[b]: exit status 1'], wouldChange: [], code: 1 } });
    });
  });

  it('refuses stand-ins for keys the graph does not have, naming its keys', () => {
    const ts = fresh();
    ts.run(() => {
      expect(() => testGraph({ scheduler: ts, yaml: chain, standIns: { 'exec[c]': {} } })).toThrow(
        'testGraph: a stand-in for "exec[c]", which is not a resource of the graph; expected one of noop[a], exec[b]',
      );
      expect(() => testGraph({ scheduler: ts, yaml: chain, standIns: { 'exec[b]': { runs: ['x'] } } })).toThrow(/runs\[0\] is "x"; expected one o/);
      expect(() => testGraph({ scheduler: ts, yaml: chain }).checks('noop[z]')).toThrow('"noop[z]" is not a resource of the graph; expected one of noop[a], exec[b]');
    });
  });

  it('throws the file:line error run would print for a bad graph', () => {
    const ts = fresh();
    ts.run(() => {
      expect(() => testGraph({ scheduler: ts, yaml: yaml('graph: g', 'resources:', '  noop:', '  - name: a', '    colour: red') })).toThrow(
        /^<yaml>:5: noop\[a\]: field "colour" is not a noop field/,
      );
    });
  });

  it('a broken swap is reported and the running graph kept; noop reports would-change; a stop drains', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      const t = testGraph({
        scheduler: ts,
        yaml: chain,
        noop: true,
        swaps: [{ at: 10, yaml: 'graph: g\nresources: [\n' }],
        stopAt: 30,
        standIns: { 'exec[b]': { runs: ['c'], watch: '20ms x' } },
      });
      expectObservable(t.results('exec[b]')).toBe('w 19ms w');
      expectObservable(t.exit$).toBe('30ms (x|)', { x: { reason: 'signal', failed: [], wouldChange: ['exec[b]'], code: 0 } });
      ts.flush();
      expect(t.log.filter((l) => l.includes('<swap at 10>:'))).toEqual([expect.stringMatching(/^error <swap at 10>:\d+: invalid YAML: .*\nkeeping the running graph$/s)]);
    });
  });

  it('a swap adds and removes resources; stand-ins may name keys only a later version has', () => {
    const ts = fresh();
    ts.run(({ expectObservable }) => {
      const v2 = chain.replace('  - name: a\n', '  - name: a\n  - name: z\n');
      const t = testGraph({ scheduler: ts, yaml: chain, convergedTimeout: 0.02, swaps: [{ at: 10, yaml: v2 }], standIns: { 'noop[z]': { runs: ['5ms o'] } } });
      expectObservable(t.checks('noop[z]')).toBe('10ms c');
      expectObservable(t.checks('noop[a]')).toBe('c');
      expectObservable(t.exit$).toBe('35ms (x|)', { x: { reason: 'converged', failed: [], wouldChange: [], code: 0 } });
    });
  });
});
