// Hostile and malformed graph files: each must end in a GraphFileError naming a line, quickly
// and without exhausting memory, and never in a crash.
import { describe, expect, it } from 'vitest';
import { noopKind } from '../resources/noop.js';
import { GraphFileError, loadGraphFile, parseGraph } from './parse.js';
import type { KindLookup, Problem } from './parse.js';
import { MAX_ALIAS_NODES, MAX_ALIASES } from './tree.js';

const registry: KindLookup = { get: (k) => (k === 'noop' ? noopKind : undefined), names: () => ['noop'] };
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

function problemsOf(text: string): Problem[] {
  try {
    parseGraph(text, 'g.yaml', registry);
  } catch (err) {
    expect(err).toBeInstanceOf(GraphFileError);
    return [...(err as GraphFileError).problems];
  }
  return expect.fail('expected a GraphFileError');
}

/** `levels` anchors, each a list of `width` aliases of the one before: width^levels nodes. */
function laughs(levels: number, width: number): string {
  const lines = ['graph: g', `l0: &l0 [${Array(width).fill('"lol"').join(', ')}]`];
  for (let i = 1; i <= levels; i++) lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
  return yaml(...lines);
}

describe('bounded YAML aliases', () => {
  it('refuses a billion laughs at the alias that expands too far, from a few hundred bytes', () => {
    const text = laughs(9, 9); // 9^10 nodes expanded
    expect(text.length).toBeLessThan(1000);
    const problems = problemsOf(text);
    expect(problems).toEqual([{ file: 'g.yaml', line: expect.any(Number), message: expect.stringContaining(`beyond ${MAX_ALIAS_NODES} nodes`) }]);
    // The aliases of l1..l5 add 9*10 + 9*91 + 9*820 + 9*7381 + 9*66430 = 674 658 nodes.
    expect(problems[0]!.line).toBe(7);
  });

  it('refuses more aliases than the bound, naming the line of the first one past it', () => {
    const text = yaml('graph: g', 'x: &x 1', 'many:', ...Array.from({ length: MAX_ALIASES + 1 }, () => '- *x'));
    expect(problemsOf(text)).toEqual([{ file: 'g.yaml', line: 4 + MAX_ALIASES, message: expect.stringContaining(`too many YAML aliases (more than ${MAX_ALIASES})`) }]);
  });

  it('still follows aliases that stay within the bounds', () => {
    const g = parseGraph(
      yaml('graph: g', 'resources:', '  noop:', '  - name: a', '    meta: &m {retry: 2, delay: 5}', '  - name: b', '    meta: *m'),
      'g.yaml',
      registry,
    );
    expect(g.resources.map((r) => [r.name, r.meta.retry, r.meta.delay])).toEqual([['a', 2, 5], ['b', 2, 5]]);
  });
});

/**
 * Malformed inputs of every sort seen in the parse tests and a few hostile ones. Each must give
 * a GraphFileError whose every problem names a line.
 */
const corpus: Record<string, string> = {
  'billion laughs': laughs(9, 9),
  'wide laughs': laughs(3, 200),
  'unterminated flow list': yaml('graph: g', 'resources:', '  noop:', '  - name: [a'),
  'unterminated quote': yaml('graph: g', 'comment: "never closed', 'resources:'),
  'duplicate key': yaml('graph: g', 'graph: h'),
  'tab indentation': 'graph: g\nresources:\n\tnoop: []\n',
  'two documents': yaml('graph: a', '---', 'graph: b'),
  'a list at the top': yaml('- a', '- b'),
  'a scalar at the top': 'just words\n',
  'deep nesting': `graph: g\nx: ${'['.repeat(5000)}${']'.repeat(5000)}\n`,
  'undefined alias': yaml('graph: g', 'x: *nowhere'),
  'unknown tag': yaml('graph: g', 'x: !!js/function "f"'),
  'bad merge': yaml('graph: g', 'x: {<<: 1}'),
  'unknown top-level key': yaml('graph: g', 'resorces: {}'),
  'missing graph name': yaml('comment: c'),
  'resource without a name': yaml('graph: g', 'resources:', '  noop:', '  - {}'),
  'unknown kind': yaml('graph: g', 'resources:', '  virt:', '  - name: vm'),
  'dangling edge': yaml('graph: g', 'edges:', '  - {name: e, from: {kind: noop, name: a}, to: {kind: noop, name: b}}'),
  'NUL in text': 'graph: g\x00\n',
  'control character': 'graph: "g\x07"\nx: \x01\n',
  'huge key': `graph: g\n${'k'.repeat(200_000)}: 1\n`,
  'many keys': yaml('graph: g', ...Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`)),
};

describe('the corpus of malformed graph files', () => {
  it.each(Object.entries(corpus))('%s: a GraphFileError with a line', (_name, text) => {
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.filter((p) => p.file !== 'g.yaml' || !Number.isInteger(p.line) || p.line < 1)).toEqual([]);
  });
});

describe('an unterminated quote', () => {
  it('is reported at the line where the quote opens, not where the parser gave up', () => {
    expect(problemsOf(yaml('graph: g', 'comment: "never closed', 'resources:', '  noop:', '  - name: a'))).toEqual([
      { file: 'g.yaml', line: 2, message: expect.stringMatching(/^invalid YAML: the quoted string that starts here is never closed \(the parser stopped at line 3: .*\); expected a closing "$/) },
    ]);
    expect(problemsOf(yaml('graph: g', 'resources:', '  noop:', "  - name: 'a", '  - name: b'))[0]).toMatchObject({ line: 4, message: expect.stringContaining("expected a closing '") });
    expect(problemsOf('graph: g\ncomment: "to the end\n')[0]).toMatchObject({ line: 2 });
  });

  it('leaves quoted strings that span lines, escaped quotes and other errors alone', () => {
    const g = parseGraph(yaml('graph: g', 'comment: "two', '  lines \\" and \'one\'"', 'resources:', '  noop:', "  - name: 'it''s'"), 'g.yaml', registry);
    expect([g.comment, g.resources[0]!.name]).toEqual(['two lines " and \'one\'', "it's"]);
    expect(problemsOf(yaml('graph: "g"', 'comment: c', 'graph: h'))).toEqual([{ file: 'g.yaml', line: 3, message: 'invalid YAML: duplicated mapping key' }]);
  });
});

describe('names and text that cannot be used', () => {
  it('refuses a NUL character in a name, saying where', () => {
    expect(problemsOf(yaml('graph: g', 'resources:', '  noop:', '  - name: "a\\0b"'))).toEqual([
      { file: 'g.yaml', line: 4, resource: 'noop[#1]', message: 'name contains a NUL character (at character 2); expected a name without NUL' },
    ]);
    expect(problemsOf(yaml('graph: "g\\0"'))[0]).toMatchObject({ line: 1, message: expect.stringContaining('"graph" contains a NUL character') });
  });

  it('escapes control characters of names in the message, one line per problem', () => {
    let message = '';
    try {
      parseGraph(yaml('graph: g', 'resources:', '  noop:', '  - name: "a\\nb\\e[2J"', '    bogus: 1'), 'g.yaml', registry);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual([expect.stringMatching(/^g\.yaml:5: noop\[a\\x0ab\\x1b\[2J\]: field "bogus" is not a noop field/)]);
  });
});

describe('a graph file that is not UTF-8', () => {
  it('is refused at the line and byte offset of the first bad byte, never read with U+FFFD', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'rxmgmt-utf8-'));
    try {
      const path = join(dir, 'latin1.yaml');
      // "café" in Latin-1 (0xe9), then an overlong "/" (0xc0 0xaf) that must not pass either.
      await writeFile(path, Buffer.concat([Buffer.from('graph: g\ncomment: caf'), Buffer.from([0xe9]), Buffer.from('\nx: \xc0\xaf\n', 'latin1')]));
      await expect(loadGraphFile(path, registry)).rejects.toMatchObject({
        problems: [{ file: path, line: 2, message: 'the file is not valid UTF-8: byte offset 21 (column 13) starts "e9 0a 78 3a"; expected UTF-8 text (convert it with iconv -t UTF-8)' }],
      });
      await writeFile(path, Buffer.from('graph: g\nx: "\xc0\xaf"\n', 'latin1'));
      await expect(loadGraphFile(path, registry)).rejects.toMatchObject({ problems: [{ line: 2, message: expect.stringContaining('byte offset 13 ') }] });
      // Valid UTF-8, including a real U+FFFD and 4-byte characters, is read as is.
      await writeFile(path, 'graph: g\ncomment: "caf\u00e9 \ufffd \u{1f600}"\n');
      expect((await loadGraphFile(path, registry)).comment).toBe('caf\u00e9 \ufffd \u{1f600}');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
