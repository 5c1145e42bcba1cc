// A plain block file's resources are read while its tree is (block-tree.ts hands each kind's
// items to the ResourceReader); any other file's from the finished tree. Both must give the same
// specs and the same problems, line for line: here every text is also read the other way, by
// appending a comment with a tab (outside the block subset, so js-yaml reads it; it changes
// no line and no value).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../model/registry.js';
import { defaultRegistry } from '../resources/registry.js';
import { mgmtExamplesDir } from '../../test/helpers/mgmt-examples.js';
import { seededEdits, yamlFilesUnder } from '../../test/helpers/yaml-corpus.js';
import { blockTree } from './block-tree.js';
import { ProblemLog } from './errors.js';
import { kindsListed, parseGraph } from './parse.js';
import { ResourceReader } from './resources.js';

const registry = defaultRegistry();

const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;
const byEvents = (text: string): string => `${text}${text.endsWith('\n') ? '' : '\n'}#\t\n`;

/** What parseGraph gives: the spec, or the error's message (every problem, with its line). */
function outcome(text: string): unknown {
  try {
    return parseGraph(text, 'g.yaml', registry);
  } catch (err) {
    return (err as Error).message;
  }
}

const graphs: Record<string, string> = {
  'files, noops and an edge': yaml(
    'graph: g',
    'resources:',
    '  file:',
    '  - name: f1',
    '    path: /tmp/f1',
    '    content: "one\\n"',
    '  - name: f2',
    '    path: /tmp/f2/',
    '    meta:',
    '      retry: 2',
    '  noop:',
    '  - name: n1',
    'edges:',
    '- name: e1',
    '  from:',
    '    kind: noop',
    '    name: n1',
    '  to:',
    '    kind: file',
    '    name: f1',
  ),
  'every kind of problem a resource can have': yaml(
    'graph: g',
    'resources:',
    '  file:',
    '  - name: f1',
    '    path: relative',
    '  - name: f1',
    '    path: /tmp/again',
    '  - path: /tmp/nameless',
    '  - name: ""',
    '  - just a word',
    '  - name: f3',
    '    pth: /tmp/typo',
    '  - name: f4',
    '    path: /tmp/f4',
    '    state: gone',
    '    mode: 999',
    '  - name: f5',
    '    path: /tmp/f5',
    '    meta:',
    '      retyr: 1',
    '      delay: -1',
    '  - name: f6',
    '    path: /tmp/f6',
    '    recurse: maybe',
    '  filez:',
    '  - name: x',
    '  noop:',
    '    name: not a list',
    'edges:',
    '- name: e1',
    '  from:',
    '    kind: file',
    '    name: f1',
    '  to:',
    '    kind: file',
    '    name: missing',
    '- name: e2',
    '  from:',
    '    kind: filez',
    '    name: x',
    '  to:',
    '    kind: file',
    '    name: f4',
  ),
  'a kind listed twice in the file\'s order, and an empty list': yaml(
    'graph: g',
    'resources:',
    '  noop:',
    '  - name: a',
    '  file:',
    '  exec:',
    '  - name: e',
    '    cmd: "true"',
  ),
};

describe('resources read while the tree is read', () => {
  it.each(Object.entries(graphs))('%s: the same specs and problems as from the finished tree', (_name, text) => {
    expect(blockTree(text), 'the block walk takes the text').toBeDefined();
    expect(blockTree(byEvents(text)), 'the tab sends it to js-yaml').toBeUndefined();
    expect(outcome(text)).toEqual(outcome(byEvents(text)));
  });

  it('hands each item of a loaded kind to the reader and keeps it out of the tree', () => {
    const log = new ProblemLog('g.yaml');
    const reader = new ResourceReader(registry, log);
    const asked: string[] = [];
    const root = blockTree(graphs['files, noops and an edge'], (kind) => (asked.push(kind), reader.list(kind)));
    expect(asked).toEqual(['file', 'noop']);
    const section = root?.kind === 'map' ? root.entries.find((e) => e.key === 'resources')?.value : undefined;
    const lists = section?.kind === 'map' ? section.entries.map((e) => [e.key, e.value.kind === 'seq' ? e.value.items.length : e.value.kind]) : [];
    expect(lists).toEqual([['file', 0], ['noop', 0]]);
    expect(reader.section(root?.kind === 'map' ? root.entries[1] : undefined).map((r) => `${r.kind}[${r.name}]:${r.pos.line}`)).toEqual(['file[f1]:4', 'file[f2]:7', 'noop[n1]:12']);
  });

  it('leaves a kind that is not loaded in the tree, for the reading after the kinds are loaded', () => {
    const log = new ProblemLog('g.yaml');
    const reader = new ResourceReader(new Registry(), log);
    const root = blockTree(graphs['files, noops and an edge'], (kind) => reader.list(kind));
    const section = root?.kind === 'map' ? root.entries[1].value : undefined;
    expect(section?.kind === 'map' && section.entries.map((e) => (e.value.kind === 'seq' ? e.value.items.length : -1))).toEqual([2, 1]);
  });

  it('reads every example graph as from the finished tree', () => {
    const dirs = [join(import.meta.dirname, '../../examples'), ...(existsSync(mgmtExamplesDir) ? [mgmtExamplesDir] : [])];
    const files = dirs.flatMap(yamlFilesUnder).filter((f) => blockTree(readFileSync(f, 'utf8')) !== undefined);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(outcome(text), f).toEqual(outcome(byEvents(text)));
    }
  });

  it('agrees with the finished tree on 1 500 small edits of a graph', () => {
    const seeds = Object.values(graphs);
    const alphabet = ['\n', '\n  ', '- ', ': ', 'name: ', 'path: /x', 'f1', '""', 'noop', 'file', ' ', '  ', '#', 'meta:', '\n    retry: 1', 'x', '1', '~'];
    let streamed = 0;
    for (const text of seededEdits(seeds, alphabet, 1500)) {
      if (blockTree(text) === undefined) continue;
      streamed++;
      expect(outcome(text), JSON.stringify(text)).toEqual(outcome(byEvents(text)));
    }
    expect(streamed).toBeGreaterThan(300); // edits the block walk took, not only ones it left alone
  });
});

describe('kindsListed', () => {
  it('guesses the kinds under resources: from the lines alone', () => {
    expect(kindsListed(graphs['files, noops and an edge'])).toEqual(['file', 'noop']);
    expect(kindsListed(yaml('graph: g', 'resources:', '    # a comment', '    exec:', '    - name: a', '    svc:'))).toEqual(['exec', 'svc']);
    expect(kindsListed(yaml('graph: g'))).toEqual([]);
    expect(kindsListed(yaml('resources:', '', '  file:', '  - name: a', '    meta:', '  noop: []', 'edges:', '  exec:'))).toEqual(['file', 'noop']);
    expect(kindsListed(yaml('graph: g', 'resources:'))).toEqual([]);
  });
});
