// parseTree has two ways to a tree: from the events alone (plain files: no anchors, aliases,
// tags, complex, non-string or duplicate keys) and beside js-yaml's constructed values
// (everything else). Both must give the same nodes and lines.
import { describe, expect, it } from 'vitest';
import { parseTree } from './tree.js';
import type { TreeResult, YNode } from './tree.js';

const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

const rootOf = (r: TreeResult): YNode | undefined => {
  if (!r.ok) throw new Error(`unexpected error: ${r.message}`);
  return r.root;
};

/** The same document with one anchor added on a scalar, which sends it down the constructor's path. */
const viaConstructor = (text: string): string => text.replace(/^(\w+): (\w+)$/m, '$1: &anchor $2');

describe('parseTree', () => {
  const doc = yaml(
    'graph: g', //              1
    'resources:', //            2
    '  file:', //               3
    '  - name: f1', //          4
    '    path: /tmp/a', //      5
    '    content: |', //        6
    '      two', //             7
    '      lines', //           8
    '    mode: 0741', //        9
    '    state:', //            10 (no value: the key's line)
    '  - {name: f2, force: yes}', // 11
    'edges: []', //             12
  );

  it('gives every node its line, and the key line to a value that has none', () => {
    const root = rootOf(parseTree(doc, 'g.yaml'));
    expect(root).toMatchObject({ kind: 'map', line: 1 });
    if (root?.kind !== 'map') return;
    expect(root.entries.map((e) => [e.key, e.line])).toEqual([['graph', 1], ['resources', 2], ['edges', 12]]);
    const files = root.entries[1]!.value;
    if (files.kind !== 'map') throw new Error('resources is a map');
    const list = files.entries[0]!.value;
    if (list.kind !== 'seq') throw new Error('file is a list');
    expect(list.items.map((i) => i.line)).toEqual([4, 11]);
    const f1 = list.items[0]!;
    if (f1.kind !== 'map') throw new Error('f1 is a map');
    expect(f1.entries.map((e) => [e.key, e.line, e.value.line])).toEqual([
      ['name', 4, 4],
      ['path', 5, 5],
      ['content', 6, 7],
      ['mode', 9, 9],
      ['state', 10, 10],
    ]);
    expect(f1.entries[2]!.value).toMatchObject({ kind: 'scalar', value: 'two\nlines\n', text: 'two\nlines\n', plain: false });
    expect(f1.entries[3]!.value).toMatchObject({ kind: 'scalar', value: 741, text: '0741', plain: true });
    expect(f1.entries[4]!.value).toMatchObject({ kind: 'scalar', value: null, text: '', plain: true });
  });

  it('builds the same tree without the constructor as with it', () => {
    const plain = rootOf(parseTree(doc, 'g.yaml'));
    const constructed = rootOf(parseTree(viaConstructor(doc), 'g.yaml'));
    expect(viaConstructor(doc)).toContain('&anchor');
    expect(constructed).toEqual(plain);
  });

  it('builds the whole tree when what needs the constructor comes last, after the events walked so far were let go', () => {
    const plain = rootOf(parseTree(doc, 'g.yaml'));
    if (plain?.kind !== 'map') throw new Error('root is a map');
    const tail = { key: 'tail', line: 13, value: { kind: 'scalar', line: 13, value: 'end', text: 'end', plain: true } };
    expect(rootOf(parseTree(`${doc}tail: &t end\n`, 'g.yaml'))).toEqual({ ...plain, entries: [...plain.entries, tail] });
  });

  it('counts lines the same with CRLF line ends and blank or comment lines', () => {
    const text = yaml('# head', '', 'a: 1', '', 'b:', '  # note', '  - x', '', '  - y').replace(/\n/g, '\r\n');
    const root = rootOf(parseTree(text, 'g.yaml'));
    expect(root).toMatchObject({ kind: 'map', line: 3 });
    if (root?.kind !== 'map') return;
    expect(root.entries.map((e) => e.line)).toEqual([3, 5]);
    const b = root.entries[1]!.value;
    expect(b.kind === 'seq' && b.items.map((i) => i.line)).toEqual([7, 9]);
    expect(rootOf(parseTree(viaConstructor(text), 'g.yaml'))).toEqual(root);
  });

  it('keys a mapping as the constructor does when a key is not a string', () => {
    // `1` stays "1"; `~` (null) becomes "null", which the events do not show, so it goes last
    // with the mapping's line, as a key the loader renamed.
    const root = rootOf(parseTree(yaml('m:', '  1: one', '  ~: none', '  z: last'), 'g.yaml'));
    const m = root?.kind === 'map' ? root.entries[0]!.value : undefined;
    expect(m?.kind === 'map' && m.entries.map((e) => [e.key, e.line])).toEqual([['1', 2], ['z', 4], ['null', 2]]);
  });

  it('reports duplicate keys, aliases and several documents as before', () => {
    expect(parseTree(yaml('a: 1', 'b: 2', 'a: 3'), 'g.yaml')).toEqual({ ok: false, line: 3, message: 'invalid YAML: duplicated mapping key' });
    expect(parseTree(yaml('a: 1', 'b: *nope'), 'g.yaml')).toMatchObject({ ok: false, line: 2 });
    expect(parseTree(yaml('a: 1', '---', '', 'b: 2'), 'g.yaml')).toEqual({ ok: false, line: 4, message: 'found 2 YAML documents; expected exactly one' });
  });

  it('gives an alias the line of the alias, and merged keys the line of the mapping', () => {
    const root = rootOf(parseTree(yaml('base: &b', '  x: 1', 'copy: *b', 'list:', '- *b'), 'g.yaml'));
    if (root?.kind !== 'map') throw new Error('root is a map');
    const copy = root.entries[1]!.value;
    expect(copy).toEqual({ kind: 'map', line: 3, entries: [{ key: 'x', line: 3, value: { kind: 'scalar', line: 3, value: 1, text: '1', plain: true } }] });
    const list = root.entries[2]!.value;
    expect(list.kind === 'seq' && list.items[0]!.line).toBe(5);
  });

  it('treats an empty file, a comment-only file and a null document as having no root', () => {
    for (const text of ['', '# nothing\n', '---\n', '~\n', 'null\n']) expect(parseTree(text, 'g.yaml')).toEqual({ ok: true, root: undefined });
  });
});
