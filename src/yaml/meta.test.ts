import { describe, expect, it } from 'vitest';
import { defaultMeta } from '../model/spec.js';
import type { MetaParams } from '../model/spec.js';
import { noopKind } from '../resources/noop.js';
import { GraphFileError, parseGraph } from './parse.js';
import type { KindLookup, Problem } from './parse.js';

const registry: KindLookup = { get: (k) => (k === 'noop' ? noopKind : undefined), names: () => ['noop'] };

/** A graph with one noop whose meta block starts on line 5. */
const withMeta = (...lines: string[]): string =>
  ['graph: g', 'resources:', '  noop:', '  - name: n', '    meta:', ...lines.map((l) => `      ${l}`)].join('\n');

const metaOf = (...lines: string[]): MetaParams => parseGraph(withMeta(...lines), 'm.yaml', registry).resources[0]!.meta;

function problemsOf(...lines: string[]): Pick<Problem, 'line' | 'message'>[] {
  try {
    parseGraph(withMeta(...lines), 'm.yaml', registry);
  } catch (err) {
    expect(err).toBeInstanceOf(GraphFileError);
    return (err as GraphFileError).problems.map((p) => {
      expect(p.resource).toBe('noop[n]');
      return { line: p.line, message: p.message };
    });
  }
  return expect.fail('expected a GraphFileError');
}

describe('meta params', () => {
  it('default to defaultMeta itself, shared and frozen, which a resource setting some meta never changes', () => {
    const g = parseGraph(['graph: g', 'resources:', '  noop: [{name: a}, {name: b, meta: }, {name: c, meta: {noop: true, sema: [x]}}]'].join('\n'), 'm.yaml', registry);
    expect(g.resources[0]!.meta).toBe(defaultMeta);
    expect(g.resources[1]!.meta).toBe(defaultMeta);
    expect(g.resources[2]!.meta).toEqual({ ...defaultMeta, noop: true, sema: ['x'] });
    expect(defaultMeta).toMatchObject({ noop: false, sema: [] });
    expect(Object.isFrozen(defaultMeta) && Object.isFrozen(defaultMeta.sema)).toBe(true);
    expect(defaultMeta.autoedge && defaultMeta.autogroup).toBe(true);
  });

  it('reads every key rxmgmt implements', () => {
    expect(
      metaOf('autoedge: false', 'autogroup: no', 'noop: yes', 'retry: -1', 'delay: 5000', 'poll: 5', 'limit: 0.5', 'burst: 2', "sema: [a, 'b:2', 'x:y:3']", 'rewatch: true'),
    ).toEqual({ autoedge: false, autogroup: false, noop: true, retry: -1, delay: 5000, poll: 5, limit: 0.5, burst: 2, sema: ['a', 'b:2', 'x:y:3'], rewatch: true, reverse: false, hidden: false });
  });

  it("reads mgmt's infinite limit as rxmgmt's 0 (no limit)", () => {
    expect(metaOf('limit: .inf', 'burst: 0').limit).toBe(0);
    expect(metaOf('limit: +.inf').limit).toBe(0);
    expect(metaOf('limit: +Inf').limit).toBe(0);
    expect(metaOf('limit: 0', 'burst: 0').limit).toBe(0);
  });

  it('checks ranges and types, naming the key and its meaning', () => {
    expect(problemsOf('retry: -2', 'delay: 1.5', 'burst: x', 'limit: -1', 'noop: 1', 'rewatch: [true]')).toEqual([
      { line: 6, message: 'meta.retry is -2; expected an integer >= -1 (retries after a failure; -1 retries forever)' },
      { line: 7, message: 'meta.delay is a number (1.5); expected an integer >= 0 (milliseconds between retries)' },
      { line: 8, message: 'meta.burst is a string ("x"); expected an integer >= 0 (runs allowed at once under meta.limit)' },
      { line: 9, message: 'meta.limit is -1; expected a number >= 0 (CheckApply runs per second; 0 or .inf for no limit)' },
      { line: 10, message: 'meta.noop is a number (1); expected a boolean (true or false) (check only, change nothing)' },
      { line: 11, message: 'meta.rewatch is a list; expected a boolean (true or false) (restart a watch that completed)' },
    ]);
  });

  it("explains that mgmt's poll -1 (run once) is not supported", () => {
    expect(problemsOf('poll: -1')).toEqual([
      { line: 6, message: 'meta.poll is -1 (in mgmt: run once, never watch), which rxmgmt does not support; expected an integer >= 0 (seconds between polls; 0 watches for events)' },
    ]);
  });

  it('refuses durations longer than 10 years (and rates that slow), and accepts 10 years', () => {
    expect(problemsOf('delay: 315576000001', 'poll: 315576001', 'limit: 0.000000001', 'burst: 1')).toEqual([
      { line: 6, message: 'meta.delay is 315576000001 ms, longer than the longest duration rxmgmt waits, 315576000000 ms (10 years) (milliseconds between retries)' },
      { line: 7, message: 'meta.poll is 315576001 s, longer than the longest duration rxmgmt waits, 315576000 s (10 years) (seconds between polls; 0 watches for events)' },
      { line: 8, message: 'meta.limit is 1e-9 per second, one run every 1000000000 s, longer than the longest duration rxmgmt waits, 315576000 s (10 years) (CheckApply runs per second; 0 or .inf for no limit)' },
    ]);
    expect(metaOf('delay: 315576000000', 'poll: 315576000')).toMatchObject({ delay: 315576000000, poll: 315576000 });
  });

  it('refuses a rate limit with no burst, which could never run', () => {
    expect(problemsOf('limit: 0.2', 'burst: 0')).toEqual([
      { line: 6, message: 'meta.limit is 0.2 with meta.burst 0, so the resource could never run; expected meta.burst >= 1 (or meta.limit 0 or .inf for no limit)' },
    ]);
    expect(problemsOf('limit: 3')[0]!.line).toBe(6);
  });

  it('checks each semaphore, pointing at the bad item', () => {
    expect(problemsOf('sema:', '  - ok', "  - 'lock:0'")).toEqual([
      { line: 8, message: 'meta.sema item 2 is "lock:0"; expected "id" or "id:N" with N a positive integer (semaphores as id or id:N)' },
    ]);
    for (const bad of ["'5'", "'a:b'", "''", "':3'", "'x:'"]) expect(problemsOf(`sema: [${bad}]`)).toHaveLength(1);
    expect(problemsOf('sema: lock')[0]!.message).toBe('meta.sema is a string ("lock"); expected a list of strings (semaphores as id or id:N)');
  });

  it('names an unknown key, suggests one and lists the known ones', () => {
    expect(problemsOf('retyr: 3')).toEqual([
      { line: 6, message: 'meta key "retyr" is unknown (did you mean "retry"?); expected one of autoedge, autogroup, burst, delay, hidden, limit, noop, poll, retry, reverse, rewatch, sema' },
    ]);
  });

  it('refuses a meta block that is not a mapping', () => {
    const text = ['graph: g', 'resources:', '  noop:', '  - name: n', '    meta: [noop]'].join('\n');
    expect(() => parseGraph(text, 'm.yaml', registry)).toThrow('m.yaml:5: noop[n]: meta is a list; expected a mapping of meta params (autoedge, autogroup,');
  });
});

describe("mgmt meta params rxmgmt does not implement", () => {
  it('accepts them at the value where they have no effect', () => {
    expect(metaOf('hidden: false', 'realize: false', 'reset: false', 'retryreset: no', 'reverse: false', 'timeout: 0', 'export: []', 'async:', 'dollar: true')).toEqual(defaultMeta);
  });

  it('refuses any other value as not supported by rxmgmt', () => {
    expect(problemsOf('hidden: 3', 'export: [h1]', 'timeout: 100', 'async: false', 'realize: true')).toEqual([
      { line: 6, message: 'meta.hidden is a number (3); expected a boolean (true or false) (keep the resource in the graph but never run it)' },
      { line: 7, message: 'meta.export is not supported by rxmgmt (in mgmt it exports to named hosts; rxmgmt exports resources named @@name); expected it left out or set to []' },
      { line: 8, message: 'meta.timeout is not supported by rxmgmt (in mgmt it times out a CheckApply); expected it left out or set to 0' },
      { line: 9, message: 'meta.async is not supported by rxmgmt (in mgmt it lets a CheckApply run on through a graph swap); expected it left out' },
      { line: 10, message: 'meta.realize is not supported by rxmgmt (in mgmt it would make a graph swap wait until the resource has run once, but mgmt does not implement it either); expected it left out or set to false' },
    ]);
  });

  it('still checks their type', () => {
    expect(problemsOf("retryreset: 'yes'", 'dollar: 2')).toEqual([
      { line: 6, message: 'meta.retryreset is a string ("yes"); expected a boolean (true or false)' },
      { line: 7, message: 'meta.dollar is a number (2); expected a boolean (true or false)' },
    ]);
  });
});
