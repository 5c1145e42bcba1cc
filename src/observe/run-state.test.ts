// The recap's model, fed a fake stream of engine events: how each resource is counted, and the
// verdict that may (or may not) say everything is in its desired state.
import { describe, expect, it } from 'vitest';
import type { RunReport } from '../engine/runner.js';
import type { EngineEvent, RunResult, VertexState } from '../model/events.js';
import type { Graph } from '../model/graph.js';
import type { Resource } from '../model/resource.js';
import { summaryLine, verdict } from './recap.js';
import { RunState } from './run-state.js';

const graph = (...keys: string[]): Graph => ({
  name: 'g',
  vertices: new Map(keys.map((k) => [k, { kind: k.slice(0, k.indexOf('[')), name: k.slice(k.indexOf('[') + 1, -1) } as Resource])),
  edges: [],
});
const ref = (key: string) => ({ key, kind: key.slice(0, key.indexOf('[')), name: key.slice(key.indexOf('[') + 1, -1) });
const state = (key: string, s: VertexState, at = 0): EngineEvent => ({ type: 'state', ...ref(key), state: s, at });
const run = (key: string, result: RunResult, error?: string): EngineEvent => ({
  type: 'run',
  ...ref(key),
  apply: result !== 'would-change',
  result,
  startedAt: 0,
  durationMs: 5,
  changes: result === 'changed' || result === 'would-change' ? [{ field: 'content' }] : [],
  error,
});
const report = (over: Partial<RunReport> = {}): RunReport => ({ reason: 'converged', failed: [], wouldChange: [], ...over });

describe('RunState', () => {
  it('counts ok, changed, failed and skipped over the whole run', () => {
    const s = new RunState();
    s.setGraph(graph('file[a]', 'file[b]', 'file[c]', 'msg[d]'));
    for (const e of [
      state('file[a]', 'running'), run('file[a]', 'ok'), state('file[a]', 'ok'),
      state('file[b]', 'running'), run('file[b]', 'changed'), state('file[b]', 'ok'),
      // b drifts and is repaired: still "changed" once, two runs.
      state('file[b]', 'pending'), state('file[b]', 'running'), run('file[b]', 'ok'), state('file[b]', 'ok'),
      state('file[c]', 'running'), run('file[c]', 'failed', 'EACCES'), state('file[c]', 'failed'),
      // msg[d] waits behind c: never runs.
    ]) s.onEvent(e);
    expect(s.summary()).toEqual({ ok: 1, changed: 1, failed: 1, skipped: 1, resources: 4 });
    expect(s.records.get('file[b]')).toMatchObject({ runs: 2, changedRuns: 1, totalMs: 10, changes: [{ field: 'content' }] });
    expect(s.records.get('file[c]')).toMatchObject({ lastError: 'EACCES', state: 'failed' });
    expect(s.anyChange).toBe(true);
  });

  it('a failure then a success is not counted failed; a success clears the error', () => {
    const s = new RunState();
    s.setGraph(graph('file[a]'));
    for (const e of [run('file[a]', 'failed', 'boom'), state('file[a]', 'failed'), state('file[a]', 'pending'), run('file[a]', 'changed'), state('file[a]', 'ok')]) s.onEvent(e);
    expect(s.summary()).toMatchObject({ changed: 1, failed: 0 });
    expect(s.records.get('file[a]')!.lastError).toBeUndefined();
  });

  it('keeps pending changes under noop until a check finds the resource right', () => {
    const s = new RunState();
    s.setGraph(graph('file[a]'));
    s.onEvent(run('file[a]', 'would-change'));
    expect(s.records.get('file[a]')!.pending).toEqual([{ field: 'content' }]);
    s.onEvent(run('file[a]', 'ok'));
    expect(s.records.get('file[a]')!.pending).toEqual([]);
  });

  it('keeps the last N events only when asked', () => {
    const off = new RunState();
    off.onEvent(state('file[a]', 'running'));
    expect(off.records.get('file[a]')!.recent).toBeUndefined();
    const on = new RunState({ history: 2 });
    for (const s of ['running', 'ok', 'pending'] as const) on.onEvent(state('file[a]', s));
    expect(on.records.get('file[a]')!.recent!.map((e) => (e as { state: string }).state)).toEqual(['ok', 'pending']);
  });
});

describe('the recap lines', () => {
  const summary = { ok: 2, changed: 1, failed: 0, skipped: 0, resources: 3 };

  it('formats the summary, with "would change" under noop', () => {
    expect(summaryLine({ report: report(), summary, noop: false, elapsedMs: 1234 })).toBe('ok 2, changed 1, failed 0, skipped 0, in 1.23 s');
    expect(summaryLine({ report: report(), summary, noop: true, elapsedMs: 50 })).toBe('ok 2, would change 1, failed 0, skipped 0, in 0.05 s');
  });

  it('never says "everything is in its desired state" after a failure, a skip, a noop change or without converging', () => {
    const desired = 'converged: everything is in its desired state';
    expect(verdict({ report: report(), summary, noop: false, elapsedMs: 0 })).toBe(desired);
    expect(verdict({ report: report({ failed: ['file[x]: boom'] }), summary: { ...summary, failed: 1 }, noop: false, elapsedMs: 0 })).toBeUndefined();
    expect(verdict({ report: report(), summary: { ...summary, failed: 1 }, noop: false, elapsedMs: 0 })).toBeUndefined();
    expect(verdict({ report: report(), summary: { ...summary, skipped: 2 }, noop: false, elapsedMs: 0 })).toBe('converged, but 2 resource(s) never ran');
    expect(verdict({ report: report({ wouldChange: ['file[a]'] }), summary, noop: true, elapsedMs: 0 })).toBe('noop: would change file[a]');
    expect(verdict({ report: report({ reason: 'signal' }), summary, noop: false, elapsedMs: 0 })).toBeUndefined();
  });
});
