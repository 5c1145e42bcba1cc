// blockTree reads a subset of YAML without js-yaml. Wherever it gives a tree, that tree must be
// the one the js-yaml path (parseTreeByEvents) builds, node for node and line for line; for
// everything else it must give up, so that js-yaml decides (and reports the errors).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mgmtExamplesDir } from '../../test/helpers/mgmt-examples.js';
import { seededEdits, yamlFilesUnder } from '../../test/helpers/yaml-corpus.js';
import { CORE_SCHEMA } from 'js-yaml';
import { blockTree, MAYBE_NOT_STRING } from './block-tree.js';
import { parseTreeByEvents } from './tree.js';

const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

/** Whether blockTree took `text`; when it did, its tree is the events path's. */
function takenAndAgrees(text: string): boolean {
  const fast = blockTree(text);
  if (fast === undefined) return false;
  expect(parseTreeByEvents(text, 'g.yaml'), `the events path's tree of ${JSON.stringify(text)}`).toEqual({ ok: true, root: fast });
  return true;
}

const taken: Record<string, string> = {
  'a generated file graph': yaml(
    'graph: bench',
    'resources:',
    '  file:',
    '    - name: f0',
    '      path: /tmp/bench/files/f0',
    '      content: "i am f0\\n"',
    '      state: exists',
    '    - name: f1',
    '      path: /tmp/bench/files/f1',
    '      content: "i am f1\\n"',
    '      state: exists',
  ),
  'a list at its key\'s indentation, meta below a compact mapping': yaml(
    'graph: g',
    'resources:',
    '  noop:',
    '  - name: a',
    '    meta:',
    '      retry: -1',
    '      delay: 0',
    '      limit: .inf',
    '      sema: []',
    '      noop: true',
    '  - name: b',
    '    meta: {}',
    'edges:',
    '- name: e1',
    '  from:',
    '    kind: noop',
    '    name: a',
    '  to:',
    '    kind: noop',
    '    name: b',
    '  notify: false',
  ),
  'keys without values, at the end and before others': yaml('graph: g', 'comment:', 'edges:', 'collect:'),
  'comments and blank lines anywhere': yaml(
    '# a graph',
    'graph: g # its name',
    '',
    'resources:   # the resources',
    '  # a comment at its own indentation',
    '      # and one deeper',
    '  noop:',
    '',
    '  - name: a    ',
    '# back at column 0',
    '  - name: "b" # quoted',
    "  - name: 'c'   # single-quoted",
  ),
  'scalars of every type and style': yaml(
    'graph: g',
    'x:',
    '  octal: 0741',
    '  hex: 0x1f',
    '  float: 1.5e3',
    '  neg: -1',
    '  inf: -.inf',
    '  nan: .nan',
    '  null1: ~',
    '  null2: null',
    '  yes: yes',
    '  bool: True',
    '  url: http://example.com:80/a#b',
    '  hash: a#b',
    '  flowish: a,b]c{d}',
    '  quoted: "tab\\t quote\\" slash\\/ backslash\\\\ unicode\\u00e9 nl\\n"',
    "  single: 'it''s ''here'' \\n stays'",
    '  empty1: ""',
    "  empty2: ''",
    '  unicode: héllo wörld',
    '  spaces: a  b   c',
    '  dashes: ---',
    '  colon: a:b',
    '  a.b/c-d_e: 2',
  ),
  'a document start and literal blocks': yaml(
    '# before the document',
    '--- # it starts',
    'graph: g',
    'resources:',
    '  file:',
    '  - name: f1',
    '    content: |',
    '      line one',
    '        indented more',
    '      # not a comment',
    '    mode: 0644',
    '  - name: f2',
    '    content: |-',
    '      stripped',
    '# a comment ends the block',
    '  - name: f3',
    '    content: |   # a comment on the header',
    '      last',
  ),
  'the same key with the same, longer, shorter, quoted and typed values, item after item': yaml(
    'graph: g',
    'items:',
    '  - state: exists',
    '    mode: 0644',
    '    on: true',
    '    gone: ~',
    '  - state: exists',
    '    mode: 0644',
    '    on: true',
    '    gone: ~',
    '  - state: exist',
    '    mode: 06440',
    '    on: truex',
    '    gone: ~~',
    '  - state: "exists"',
    '    mode: 0644 # a comment',
    '    on: True',
    '    gone:',
    '  - mode: 0644',
    '    state: exists',
    '    gone: null',
    '  - state: exists2',
    '    mode: 0644',
  ),
  'long keys and values, repeated values': yaml(
    'graph: g',
    `${'k'.repeat(900)}: ${'v'.repeat(5000)}`,
    'list:',
    '  - same value, more than 13 chars',
    '  - same value, more than 13 chars',
  ),
};

const leftToJsYaml: Record<string, string> = {
  'an empty file': '',
  'only comments': yaml('# nothing'),
  'an indented root': yaml('  graph: g'),
  'a list at the top': yaml('- a'),
  'a scalar at the top': yaml('just words'),
  'a tab': 'graph: g\nx:\t1\n',
  'CRLF line ends': 'graph: g\r\nx: 1\r\n',
  'a BOM': '\ufeffgraph: g\n',
  'a control character': 'graph: "g\x07"\n',
  'an emoji (surrogates)': yaml('graph: 😀'),
  'a second document': yaml('---', 'graph: g', '---', 'graph: h'),
  'a document marker after content': yaml('graph: g', '---'),
  'a document marker with content': yaml('--- graph: g'),
  'a literal block keeping its line breaks': yaml('graph: g', 'x: |+', '  text'),
  'a literal block with an indentation indicator': yaml('graph: g', 'x: |2', '   text'),
  'a literal block with a blank line': yaml('graph: g', 'x: |', '  a', '', '  b'),
  'an empty literal block': yaml('graph: g', 'x: |', 'y: 1'),
  'a literal block at the end without a line break': 'graph: g\nx: |\n  text',
  'a literal block indented less than its first line': yaml('graph: g', 'x:', '  y: |', '      a', '    b'),
  'a document end': yaml('graph: g', '...'),
  'a directive': yaml('%YAML 1.2', '---', 'graph: g'),
  'an anchor': yaml('graph: &a g'),
  'an alias': yaml('graph: g', 'x: *a'),
  'a tag': yaml('graph: !!str g'),
  'a folded block': yaml('graph: g', 'x: >', '  text'),
  'a flow list': yaml('graph: g', 'x: [a, b]'),
  'a flow mapping': yaml('graph: g', 'x: {a: 1}'),
  'a plain scalar over two lines': yaml('graph: g', 'x: a', '  b'),
  'a plain scalar after a blank line': yaml('graph: g', 'x: a', '', '  b'),
  'a quoted scalar over two lines': yaml('graph: "g', '  h"'),
  'a single-quoted scalar over two lines': yaml("graph: 'g", "  h'"),
  'something after a quoted scalar': yaml('graph: "g" h'),
  'a comment right after a quote': yaml('graph: "g"#c'),
  'a YAML escape JSON lacks': yaml('graph: "\\x41"'),
  'a surrogate escape': yaml('graph: "\\ud83d\\ude00"'),
  'a duplicate key': yaml('graph: g', 'graph: h'),
  'a number as a key': yaml('graph: g', '1: x'),
  'a boolean as a key': yaml('graph: g', 'true: x'),
  'null as a key': yaml('graph: g', 'null: x'),
  'a quoted key': yaml('"graph": g'),
  '__proto__ as a key': yaml('graph: g', '__proto__: x'),
  'a key with a space': yaml('graph: g', 'a b: x'),
  'a key too long for YAML': `graph: g\n${'k'.repeat(1200)}: 1\n`,
  'a colon in a plain value': yaml('graph: a: b'),
  'a colon at a plain value\'s end': yaml('graph: g:'),
  'a dash alone as a value': yaml('graph: -'),
  'an item below its dash': yaml('graph: g', 'x:', '-', '  a'),
  'a list in a list': yaml('graph: g', 'x:', '- - a'),
  'a key out of line': yaml('graph: g', 'x:', '  a: 1', ' b: 2'),
  'a key indented too far': yaml('graph: g', '  x: 1'),
  'a list item where a key belongs': yaml('graph: g', '- a'),
  'an item\'s key out of line': yaml('graph: g', 'x:', '- a: 1', '   b: 2'),
  'a value on the next line': yaml('graph: g', 'x:', '  words'),
  'an indicator starting a value': yaml('graph: @g'),
  'deep nesting': Array.from({ length: 40 }, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n') + ' v\n',
};

describe('blockTree', () => {
  it.each(Object.entries(taken))('takes %s, and builds what the events path builds', (_name, text) => {
    expect(takenAndAgrees(text)).toBe(true);
  });

  it.each(Object.entries(leftToJsYaml))('leaves %s to js-yaml', (_name, text) => {
    expect(blockTree(text)).toBeUndefined();
  });

  it('gives each node the line the events path gives it, a null value its key\'s', () => {
    const root = blockTree(taken['a list at its key\'s indentation, meta below a compact mapping']);
    expect(root?.kind === 'map' && root.entries.map((e) => [e.key, e.line, e.value.line])).toEqual([
      ['graph', 1, 1],
      ['resources', 2, 3],
      ['edges', 13, 14],
    ]);
    const nulls = blockTree(taken['keys without values, at the end and before others']);
    expect(nulls?.kind === 'map' && nulls.entries.map((e) => [e.key, e.value.line])).toEqual([['graph', 1], ['comment', 2], ['edges', 3], ['collect', 4]]);
  });

  it('asks the schema only about plain scalars that may not be strings', () => {
    const others = [...Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)), 'é', 'ß', '中'].filter((c) => !MAYBE_NOT_STRING.has(c.charCodeAt(0)));
    const endings = ['', 'x', '1', '0', 'rue', 'RUE', 'alse', 'ull', 'ULL', '.5', 'e3', '1e3', 'inf', 'nan', 'x1f', 'o17', '~'];
    const notStrings = others.flatMap((c) => endings.map((e) => c + e)).filter((s) => typeof CORE_SCHEMA.resolveImplicitScalarTag(s).value !== 'string');
    expect(notStrings).toEqual([]);
    expect(['~', 'null', 'true', 'False', '-1', '+2', '0x1f', '.5', '.inf', '.nan'].filter((s) => !MAYBE_NOT_STRING.has(s.charCodeAt(0)))).toEqual([]);
  });

  it('reads every example graph it takes as the events path does', () => {
    const dirs = [join(import.meta.dirname, '../../examples'), ...(existsSync(mgmtExamplesDir) ? [mgmtExamplesDir] : [])];
    const files = dirs.flatMap(yamlFilesUnder);
    const read = files.filter((f) => takenAndAgrees(readFileSync(f, 'utf8')));
    // Not vacuous: most example graphs are in the subset.
    expect(read.length).toBeGreaterThan(files.length / 3);
  });

  it('agrees with the events path on thousands of small edits of a graph, or leaves them to it', () => {
    const seeds = Object.values(taken);
    const alphabet = ['\u2028', '\u00a0', '\t', '\r', '%', '@', '`', '?', '<<', '\\"', '\\u0041', '\\x41', '\\/', '|+', '>', '...', 'true', 'null', '&a ', '*a', '|', '|-', '---', ' ', '  ', ':', ': ', '-', '- ', '#', ' #', '"', "'", '\n', '\n  ', 'a', '1', '[', ']', '{', '}', '|', '&', '*', '!', '\\', '~', ',', '.', 'é'];
    let agreed = 0;
    for (const text of seededEdits(seeds, alphabet, 4000)) if (takenAndAgrees(text)) agreed++;
    expect(agreed).toBeGreaterThan(800); // edits it took (about a third), not only ones it left alone
  });
});
