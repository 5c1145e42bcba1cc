// meta hidden: a resource that stays in the graph, edges and all, but never runs here.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { asyncScheduler } from 'rxjs';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/engine/engine.js';
import { buildGraph } from '../src/graph/graph.js';
import { defaultRegistry } from '../src/resources/registry.js';
import { memoryLogger } from '../src/util/logger.js';
import { parseGraph } from '../src/yaml/parse.js';
import { waitFor } from './helpers/cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rxmgmt-hidden-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const registry = defaultRegistry();
const env = { hostname: 'test', log: memoryLogger(), scheduler: asyncScheduler };

describe('meta hidden', () => {
  it('is never applied, and its children run as if it were OK', async () => {
    const yaml = [
      'graph: g',
      'resources:',
      '  line:',
      '  - name: off',
      `    file: ${dir}/a`,
      '    content: never written',
      '    meta: {hidden: true}',
      '  - name: after',
      `    file: ${dir}/b`,
      '    content: written',
      'edges:',
      '- name: e',
      '  from: {kind: line, name: off}',
      '  to: {kind: line, name: after}',
    ].join('\n');
    const graph = buildGraph(parseGraph(yaml, 'h.yaml', registry), registry, env);
    expect(graph.edges.map((e) => `${e.from} -> ${e.to}`)).toEqual(['line[off] -> line[after]']);
    const off = graph.vertices.get('line[off]')!;
    expect(off.manages).toBeUndefined();
    expect(off.fingerprint).toMatch(/^hidden:/);

    const engine = new Engine({ scheduler: asyncScheduler, log: memoryLogger(), noop: false });
    try {
      engine.apply(graph);
      await waitFor(() => existsSync(join(dir, 'b')), 'the child of the hidden resource to run');
      expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('written\n');
      await waitFor(() => engine.vertex('line[off]')?.state$.value === 'ok', 'the hidden resource to count as OK');
      expect(existsSync(join(dir, 'a'))).toBe(false);
    } finally {
      engine.dispose();
    }
  });
});
