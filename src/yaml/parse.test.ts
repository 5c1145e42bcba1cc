import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultMeta } from '../model/spec.js';
import type { ResourceKind } from '../model/resource.js';
import { noopKind } from '../resources/noop.js';
import { GraphFileError, loadGraphFile, parseGraph } from './parse.js';
import type { KindLookup, Problem } from './parse.js';

// Small kinds of our own, so these tests do not depend on the real resource kinds.
const unused = (): never => {
  throw new Error('not used by the parser');
};

const fileKind: ResourceKind = {
  kind: 'file',
  doc: 'test file',
  fields: {
    path: { type: 'string', required: true, doc: 'absolute path' },
    content: { type: 'string', doc: 'what the file holds' },
    state: { type: 'string', enum: ['exists', 'absent'], default: 'exists', doc: 'exists or absent' },
    mode: { type: 'string', doc: 'octal mode' },
    owner: { type: 'string', doc: 'user name or uid' },
    force: { type: 'boolean', default: false, doc: 'replace what is in the way' },
  },
  validate: (p) => (String(p.path).endsWith('/') && p.content !== undefined ? 'a directory (path ending in /) cannot have content' : undefined),
  create: unused,
};

const typesKind: ResourceKind = {
  kind: 'types',
  doc: 'one field of each type',
  fields: {
    s: { type: 'string', doc: 'a string' },
    i: { type: 'integer', doc: 'an integer' },
    n: { type: 'number', doc: 'a number' },
    b: { type: 'boolean', doc: 'a boolean' },
    l: { type: 'string[]', doc: 'a list' },
    m: { type: 'map', doc: 'a map' },
    d: { type: 'string[]', default: ['x'], doc: 'a list with a default' },
  },
  create: unused,
};

const lookupOf = (kinds: ResourceKind[]): KindLookup => ({
  get: (k) => kinds.find((x) => x.kind === k),
  names: () => kinds.map((k) => k.kind).sort(),
});
const registry = lookupOf([noopKind, fileKind, typesKind]);

/** Numbered lines make the expected line numbers easy to read off. */
const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

function problemsOf(text: string, source = 'g.yaml'): Problem[] {
  try {
    parseGraph(text, source, registry);
  } catch (err) {
    expect(err).toBeInstanceOf(GraphFileError);
    return [...(err as GraphFileError).problems];
  }
  return expect.fail('expected a GraphFileError');
}

/** The formatted lines of the error, which is what users see. */
function messagesOf(text: string): string[] {
  try {
    parseGraph(text, 'g.yaml', registry);
  } catch (err) {
    expect(err).toBeInstanceOf(GraphFileError);
    return (err as Error).message.split('\n');
  }
  return expect.fail('expected a GraphFileError');
}

describe('parseGraph: a valid graph', () => {
  const text = yaml(
    'graph: mygraph', //                            1
    'comment: two files and a noop', //             2
    'resources:', //                                3
    '  noop:', //                                   4
    '  - name: n1', //                              5
    '  file:', //                                   6
    '  - name: f1', //                              7
    '    path: /tmp/x/f1', //                       8
    '    content: |', //                            9
    '      hello', //                               10
    '  - name: "@@f2"', //                          11
    '    path: /tmp/x/f2', //                       12
    '    state: absent', //                         13
    '    force: true', //                           14
    '    meta: {noop: true, retry: 3}', //          15
    'edges:', //                                    16
    '- name: e1', //                                17
    '  from: {kind: noop, name: n1}', //            18
    '  to: {kind: file, name: f1}', //              19
    '- name: e2', //                                20
    '  from: {kind: file, name: f1}', //            21
    '  to: {kind: file, name: "@@f2"}', //          22
    '  notify: true', //                            23
    'collect:', //                                  24
    '- kind: file', //                              25
    '  pattern: /tmp/x/', //                        26
    '- kind: noop', //                              27
  );
  const g = parseGraph(text, 'g.yaml', registry);

  it('reads the top level', () => {
    expect(g.graph).toBe('mygraph');
    expect(g.comment).toBe('two files and a noop');
    expect(g.source).toBe('g.yaml');
  });

  it('reads resources in file order with their list item line', () => {
    expect(g.resources.map((r) => [r.kind, r.name, r.pos.line])).toEqual([
      ['noop', 'n1', 5],
      ['file', 'f1', 7],
      ['file', '@@f2', 11],
    ]);
    expect(g.resources[1]!.pos.file).toBe('g.yaml');
  });

  it('applies schema defaults and leaves fields without a default absent', () => {
    expect(g.resources[0]!.params).toEqual({ comment: '' });
    expect(g.resources[1]!.params).toEqual({ path: '/tmp/x/f1', content: 'hello\n', state: 'exists', force: false });
    expect(g.resources[2]!.params).toEqual({ path: '/tmp/x/f2', state: 'absent', force: true });
    expect('mode' in g.resources[1]!.params).toBe(false);
  });

  it('fills meta from defaultMeta, keeping what was given', () => {
    expect(g.resources[0]!.meta).toEqual(defaultMeta);
    expect(g.resources[2]!.meta).toEqual({ ...defaultMeta, noop: true, retry: 3 });
  });

  it('reads edges, with notify false unless given', () => {
    expect(g.edges).toEqual([
      { name: 'e1', from: { kind: 'noop', name: 'n1' }, to: { kind: 'file', name: 'f1' }, notify: false, pos: { file: 'g.yaml', line: 17 } },
      { name: 'e2', from: { kind: 'file', name: 'f1' }, to: { kind: 'file', name: '@@f2' }, notify: true, pos: { file: 'g.yaml', line: 20 } },
    ]);
  });

  it('reads collect, with an empty pattern unless given', () => {
    expect(g.collect).toEqual([
      { kind: 'file', pattern: '/tmp/x/', pos: { file: 'g.yaml', line: 25 } },
      { kind: 'noop', pattern: '', pos: { file: 'g.yaml', line: 27 } },
    ]);
  });

  it('accepts a minimal graph, and keys without a value as empty', () => {
    const m = parseGraph(yaml('---', 'graph: g', 'comment:', 'resources:', 'edges:', 'collect:'), 'm.yaml', registry);
    expect(m).toEqual({ graph: 'g', comment: '', resources: [], edges: [], collect: [], source: 'm.yaml' });
    expect(parseGraph(yaml('graph: g', 'resources:', '  noop:', 'edges: []'), 'm.yaml', registry).resources).toEqual([]);
  });

  it('treats an explicit null field as absent', () => {
    const m = parseGraph(yaml('graph: g', 'resources:', '  file:', '  - name: f', '    path: /p', '    content:', '    state: ~'), 'm.yaml', registry);
    expect(m.resources[0]!.params).toEqual({ path: '/p', state: 'exists', force: false });
  });
});

describe('parseGraph: field types', () => {
  const one = (...fields: string[]) => yaml('graph: g', 'resources:', '  types:', '  - name: t', ...fields.map((f) => `    ${f}`));
  const params = (...fields: string[]) => parseGraph(one(...fields), 't.yaml', registry).resources[0]!.params;

  it('reads any scalar for a string field as the text written', () => {
    expect(params('s: 0741')).toMatchObject({ s: '0741' });
    expect(params('s: 1.50')).toMatchObject({ s: '1.50' });
    expect(params('s: true')).toMatchObject({ s: 'true' });
    expect(params("s: '0614'")).toMatchObject({ s: '0614' });
    expect(params('s: ""')).toMatchObject({ s: '' });
  });

  it('reads each type', () => {
    expect(params('i: -3', 'n: 0.25', 'b: false', 'l: [a, 2, "c"]', 'm: {A: x, B: 1, C: true}')).toEqual({
      i: -3,
      n: 0.25,
      b: false,
      l: ['a', '2', 'c'],
      m: { A: 'x', B: '1', C: 'true' },
      d: ['x'],
    });
  });

  it("accepts mgmt's YAML 1.1 words for booleans, unquoted only", () => {
    expect(params('b: yes').b).toBe(true);
    expect(params('b: Off').b).toBe(false);
    expect(problemsOf(one("b: 'yes'"))[0]!.message).toBe('field "b" is a string ("yes"); expected a boolean (true or false) (a boolean)');
  });

  it('gives each resource its own copy of a default', () => {
    const g = parseGraph(yaml('graph: g', 'resources:', '  types:', '  - name: a', '  - name: b'), 't.yaml', registry);
    expect(g.resources[0]!.params.d).not.toBe(g.resources[1]!.params.d);
  });

  it('names the field, what was found and what was expected', () => {
    expect(messagesOf(one('s: [a]', 'i: 1.5', 'n: "3"', 'b: maybe', 'l: x', 'm: [a]'))).toEqual([
      'g.yaml:5: types[t]: field "s" is a list; expected a string (a string)',
      'g.yaml:6: types[t]: field "i" is a number (1.5); expected an integer (an integer)',
      'g.yaml:7: types[t]: field "n" is a string ("3"); expected a number (a number)',
      'g.yaml:8: types[t]: field "b" is a string ("maybe"); expected a boolean (true or false) (a boolean)',
      'g.yaml:9: types[t]: field "l" is a string ("x"); expected a list of strings (a list)',
      'g.yaml:10: types[t]: field "m" is a list; expected a mapping of names to strings (a map)',
    ]);
  });

  it('points at the bad item of a list or map', () => {
    const p = problemsOf(one('l:', '  - ok', '  - {x: 1}', 'm:', '  A: ok', '  B: [1]'));
    expect(p.map((x) => [x.line, x.message])).toEqual([
      [7, 'field "l" item 2 is a mapping; expected a string (a list)'],
      [10, 'field "m" key "B" is a list; expected a string (a map)'],
    ]);
  });

  it('refuses numbers YAML 1.1 and 1.2 read differently, and non-finite numbers', () => {
    const p = problemsOf(one('i: 0741', 'n: .nan'));
    expect(p[0]!.message).toMatch(/^field "i" is 0741, which YAML 1.1 \(mgmt\) reads as octal and YAML 1.2 as decimal; expected an integer/);
    expect(p[1]!.message).toBe('field "n" is a number (.nan); expected a finite number (a number)');
  });
});

describe('parseGraph: resource problems', () => {
  const files = (...lines: string[]) => yaml('graph: g', 'resources:', '  file:', ...lines);

  it('names an unknown field, suggests the likely one and lists the kind fields', () => {
    expect(messagesOf(files('  - name: f1', '    path: /p', '    mdoe: 644'))).toEqual([
      'g.yaml:6: file[f1]: field "mdoe" is not a file field (did you mean "mode"?); expected one of content, force, mode, owner, path, state',
    ]);
  });

  it('names an unknown kind and lists the known kinds', () => {
    const p = problemsOf(yaml('graph: g', 'resources:', '  virt:', '  - name: vm1', '    cpus: 2', '  fiel:', '  - name: x'));
    expect(p.map((x) => [x.line, x.resource, x.message])).toEqual([
      [3, undefined, 'unknown resource kind "virt"; expected one of file, noop, types'],
      [6, undefined, 'unknown resource kind "fiel" (did you mean "file"?); expected one of file, noop, types'],
    ]);
  });

  it('lists the allowed values of an enum', () => {
    expect(messagesOf(files('  - name: f1', '    path: /p', '    state: present'))).toEqual([
      'g.yaml:6: file[f1]: field "state" is "present"; expected one of exists, absent',
    ]);
  });

  it('reports a missing required field at the resource', () => {
    expect(messagesOf(files('  - name: f1', '    content: x'))).toEqual([
      'g.yaml:4: file[f1]: field "path" is missing; expected a string (absolute path)',
    ]);
  });

  it("reports the kind's own validation at the resource, once the fields are well typed", () => {
    expect(messagesOf(files('  - name: d', '    path: /tmp/d/', '    content: x'))).toEqual([
      'g.yaml:4: file[d]: a directory (path ending in /) cannot have content',
    ]);
    expect(messagesOf(files('  - name: d', '    path: /tmp/d/', '    content: x', '    force: 3'))).toEqual([
      'g.yaml:7: file[d]: field "force" is a number (3); expected a boolean (true or false) (replace what is in the way)',
    ]);
  });

  it('reports a kind whose validation throws, instead of crashing', () => {
    const throwing: ResourceKind = { ...typesKind, kind: 'bad', validate: () => unused() };
    const text = yaml('graph: g', 'resources:', '  bad:', '  - name: b');
    expect(() => parseGraph(text, 'g.yaml', lookupOf([throwing]))).toThrow('g.yaml:4: bad[b]: bad validation failed: not used by the parser');
  });

  it('calls a resource without a usable name by its place in the list', () => {
    expect(messagesOf(files('  - name: ok', '    path: /a', '  - path: /b', '  - name: ""', '    path: /c', '  - name: [x]', '    path: /d'))).toEqual([
      'g.yaml:6: file[#2]: name is missing; expected a non-empty string',
      'g.yaml:7: file[#3]: name is an empty string; expected a non-empty string',
      'g.yaml:9: file[#4]: name is a list; expected a non-empty string',
    ]);
  });

  it('reports resources and kind lists that are not what they should be', () => {
    expect(messagesOf(yaml('graph: g', 'resources:', '  noop: {name: n}', '  file:', '  - just a string'))).toEqual([
      'g.yaml:3: resources.noop is a mapping; expected a list of noop resources',
      'g.yaml:5: file[#1]: resource is a string ("just a string"); expected a mapping with a name and the file fields',
    ]);
    expect(messagesOf(yaml('graph: g', 'resources: [file]'))).toEqual([
      'g.yaml:2: "resources" is a list; expected a mapping of resource kinds to lists of resources',
    ]);
  });

  it('points a duplicate at the second one and names the line of the first', () => {
    const p = problemsOf(files('  - name: f1', '    path: /a', '  - name: f2', '    path: /b', '  - name: f1', '    path: /c'));
    expect(p).toEqual([
      { file: 'g.yaml', line: 8, resource: 'file[f1]', message: 'duplicate resource: file[f1] is already defined on line 4; expected a unique name for each file' },
    ]);
  });

  it('allows the same name in different kinds', () => {
    const g = parseGraph(yaml('graph: g', 'resources:', '  noop: [{name: x}]', '  file: [{name: x, path: /x}]'), 'g.yaml', registry);
    expect(g.resources.map((r) => `${r.kind}[${r.name}]`)).toEqual(['noop[x]', 'file[x]']);
  });
});

describe('parseGraph: the file as a whole', () => {
  it('collects every problem of the file, sorted by line, one per line of the message', () => {
    const text = yaml(
      'graph: g', //                                 1
      'resources:', //                               2
      '  file:', //                                  3
      '  - name: f1', //                             4
      '    path: /a', //                             5
      '    mdoe: 1', //                              6
      '  - name: f2', //                             7
      '    state: gone', //                          8
      'edges:', //                                   9
      '- name: e1', //                               10
      '  from: {kind: file, name: f1}', //           11
      '  to: {kind: file, name: f9}', //             12
      'extra: 1', //                                 13
    );
    const err = (() => {
      try {
        parseGraph(text, 'g.yaml', registry);
      } catch (e) {
        return e as GraphFileError;
      }
      return expect.fail('expected a GraphFileError');
    })();
    expect(err.problems.map((p) => p.line)).toEqual([6, 7, 8, 12, 13]);
    expect(err.message).toBe(
      [
        'g.yaml:6: file[f1]: field "mdoe" is not a file field (did you mean "mode"?); expected one of content, force, mode, owner, path, state',
        'g.yaml:7: file[f2]: field "path" is missing; expected a string (absolute path)',
        'g.yaml:8: file[f2]: field "state" is "gone"; expected one of exists, absent',
        'g.yaml:12: edge[e1]: to file[f9] is not a resource in this graph; expected the kind and name of a resource under resources',
        'g.yaml:13: top-level key "extra" is unknown; expected one of graph, comment, resources, edges, collect',
      ].join('\n'),
    );
    expect(err.name).toBe('GraphFileError');
  });

  it('requires a non-empty graph name', () => {
    expect(messagesOf(yaml('resources:', '  noop: [{name: n}]'))).toEqual([
      'g.yaml:1: top-level key "graph" is missing; expected the graph\'s name, a non-empty string',
    ]);
    expect(messagesOf(yaml('comment: c', 'graph: ""'))).toEqual(['g.yaml:2: "graph" is an empty string; expected a non-empty string']);
    expect(messagesOf(yaml('graph: {a: 1}'))).toEqual(['g.yaml:1: "graph" is a mapping; expected a non-empty string']);
  });

  it('names an unknown top-level key, suggests one, and lists the allowed ones', () => {
    expect(messagesOf(yaml('graph: g', 'resource:', '  noop: []'))).toEqual([
      'g.yaml:2: top-level key "resource" is unknown (did you mean "resources"?); expected one of graph, comment, resources, edges, collect',
    ]);
  });

  it("refuses mgmt's remote key as not supported by rxmgmt", () => {
    expect(messagesOf(yaml('graph: g', 'remote: ssh://root@host:22'))).toEqual([
      'g.yaml:2: top-level key "remote" is not supported by rxmgmt (in mgmt it runs the graph on another host over SSH); expected one of graph, comment, resources, edges, collect',
    ]);
  });

  it('explains an empty file and a document that is not a mapping', () => {
    const empty = 'g.yaml:1: the file has no graph in it; expected a mapping with top-level keys graph, comment, resources, edges, collect';
    expect(messagesOf('')).toEqual([empty]);
    expect(messagesOf('# only a comment\n')).toEqual([empty]);
    expect(messagesOf('---\n')).toEqual([empty]);
    expect(messagesOf(yaml('# a list', '- graph: g'))).toEqual([
      'g.yaml:2: the document is a list; expected a mapping with top-level keys graph, comment, resources, edges, collect',
    ]);
    expect(messagesOf('just words\n')[0]).toMatch(/^g\.yaml:1: the document is a string \("just words"\); expected a mapping/);
  });

  it('gives the line of a YAML syntax error', () => {
    expect(problemsOf(yaml('graph: g', 'resources:', '  file:', '  - name: [f1', '    path: /a'))).toEqual([
      { file: 'g.yaml', line: 5, message: expect.stringMatching(/^invalid YAML: /) },
    ]);
    expect(messagesOf(yaml('graph: g', 'comment: a', 'graph: h'))).toEqual(['g.yaml:3: invalid YAML: duplicated mapping key']);
  });

  it('refuses several YAML documents in one file', () => {
    expect(messagesOf(yaml('graph: a', '---', 'graph: b'))).toEqual(['g.yaml:3: found 2 YAML documents; expected exactly one']);
  });

  it('does not trip over keys that name Object.prototype members', () => {
    const p = problemsOf(yaml('graph: g', 'constructor: 1', 'resources:', '  toString:', '  - name: x', '  file:', '  - name: f', '    path: /f', '    __proto__: 1', '    meta: {constructor: 1}'));
    expect(p.map((x) => x.line)).toEqual([2, 4, 9, 10]);
  });

  it('follows YAML anchors and aliases', () => {
    const g = parseGraph(yaml('graph: g', 'resources:', '  file:', '  - name: a', '    path: &p /same', '  - name: b', '    path: *p'), 'g.yaml', registry);
    expect(g.resources.map((r) => r.params.path)).toEqual(['/same', '/same']);
  });
});

describe('parseGraph: edges', () => {
  const withEdges = (...lines: string[]) =>
    yaml('graph: g', 'resources:', '  noop:', '  - name: a', '  - name: b', '  virt:', '  - name: vm', 'edges:', ...lines);
  const edgeProblems = (...lines: string[]) => problemsOf(withEdges(...lines)).filter((p) => p.line > 7);

  it('names the edge and the missing resource of a dangling edge', () => {
    expect(edgeProblems('- name: e1', '  from: {kind: noop, name: a}', '  to:', '    kind: noop', '    name: zz')).toEqual([
      { file: 'g.yaml', line: 11, resource: 'edge[e1]', message: 'to noop[zz] is not a resource in this graph; expected the kind and name of a resource under resources' },
    ]);
  });

  it('accepts edges to resources of an unknown kind, which is reported once on its own', () => {
    const p = problemsOf(withEdges('- name: e1', '  from: {kind: noop, name: a}', '  to: {kind: virt, name: vm}'));
    expect(p.map((x) => x.line)).toEqual([6]);
  });

  it('refuses an edge from a resource to itself', () => {
    expect(edgeProblems('- name: loop', '  from: {kind: noop, name: a}', '  to: {kind: noop, name: a}')).toEqual([
      { file: 'g.yaml', line: 9, resource: 'edge[loop]', message: 'from and to are both noop[a]; expected two different resources' },
    ]);
  });

  it('refuses a second edge of the same name, naming the first one line', () => {
    const p = edgeProblems('- name: e', '  from: {kind: noop, name: a}', '  to: {kind: noop, name: b}', '- name: e', '  from: {kind: noop, name: b}', '  to: {kind: noop, name: a}');
    expect(p).toEqual([
      { file: 'g.yaml', line: 12, resource: 'edge[e]', message: 'duplicate edge name: edge[e] is already defined on line 9; expected a unique name for each edge' },
    ]);
  });

  it('requires a name, from and to with kind and name', () => {
    const p = edgeProblems('- from: {kind: noop}', '  to: [noop, b]', '  nofity: true');
    expect(p.map((x) => [x.line, x.resource, x.message])).toEqual([
      [9, 'edge[#1]', 'name is missing; expected a non-empty string'],
      [9, 'edge[#1]', 'from.name is missing; expected a non-empty string'],
      [10, 'edge[#1]', 'to is a list; expected a mapping with kind and name of a resource under resources'],
      [11, 'edge[#1]', 'key "nofity" is not an edge key (did you mean "notify"?); expected one of name, from, to, notify'],
    ]);
  });

  it('checks notify and the keys of an endpoint', () => {
    const p = edgeProblems('- name: e', '  from: {kind: noop, name: a, host: h}', '  to: {kind: noop, name: b}', '  notify: sometimes');
    expect(p.map((x) => [x.line, x.message])).toEqual([
      [10, 'key "from.host" is not allowed; expected kind and name'],
      [12, 'notify is a string ("sometimes"); expected a boolean (true or false) (send a refresh to "to" when "from" changed something)'],
    ]);
  });

  it("matches edge kinds case-insensitively, as mgmt does", () => {
    const g = parseGraph(yaml('graph: g', 'resources:', '  noop: [{name: a}, {name: b}]', 'edges:', '- {name: e, from: {kind: Noop, name: a}, to: {kind: NOOP, name: b}}'), 'g.yaml', registry);
    expect(g.edges[0]).toMatchObject({ from: { kind: 'noop', name: 'a' }, to: { kind: 'noop', name: 'b' } });
  });

  it('refuses edges that are not a list of mappings', () => {
    expect(messagesOf(yaml('graph: g', 'edges: {name: e}'))).toEqual(['g.yaml:2: "edges" is a mapping; expected a list of edges']);
    expect(messagesOf(yaml('graph: g', 'edges:', '- e1'))).toEqual(['g.yaml:3: edge[#1]: edge is a string ("e1"); expected a mapping with name, from, to, notify']);
  });
});

describe('parseGraph: collect', () => {
  it('requires a registered kind and a string pattern', () => {
    const p = problemsOf(yaml('graph: g', 'collect:', '- kind: virt', '- pattern: /x/', '- kind: file', '  pattern: [a]', '  patern: /x/', '- nope'));
    expect(p.map((x) => [x.line, x.resource, x.message])).toEqual([
      [3, 'collect[#1]', 'kind "virt" is not a known resource kind; expected one of file, noop, types'],
      [4, 'collect[#2]', 'kind is missing; expected the resource kind to collect'],
      [6, 'collect[#3]', 'pattern is a list; expected a string'],
      [7, 'collect[#3]', 'key "patern" is not a collect key (did you mean "pattern"?); expected one of kind, pattern, allow, purge'],
      [8, 'collect[#4]', 'collect entry is a string ("nope"); expected a mapping with kind and pattern'],
    ]);
  });

  it('refuses collect that is not a list', () => {
    expect(messagesOf(yaml('graph: g', 'collect: file'))).toEqual(['g.yaml:2: "collect" is a string ("file"); expected a list of {kind, pattern}']);
  });
});

describe('loadGraphFile', () => {
  it('reads and parses a file, naming it in the result', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rxmgmt-yaml-'));
    try {
      const path = join(dir, 'g.yaml');
      await writeFile(path, yaml('graph: g', 'resources:', '  noop: [{name: n}]'));
      const g = await loadGraphFile(path, registry);
      expect(g.source).toBe(path);
      expect(g.resources[0]!.pos).toEqual({ file: path, line: 3 });

      await writeFile(path, yaml('graph: g', 'resources:', '  noop: [{name: n, colour: red}]'));
      await expect(loadGraphFile(path, registry)).rejects.toThrow(`${path}:3: noop[n]: field "colour" is not a noop field`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('turns a missing file into a GraphFileError', async () => {
    const err = await loadGraphFile('/nonexistent/rxmgmt/g.yaml', registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphFileError);
    expect((err as GraphFileError).problems).toEqual([
      { file: '/nonexistent/rxmgmt/g.yaml', line: 0, message: 'cannot read the graph file: no such file; expected a readable YAML file' },
    ]);
    expect((err as Error).message).toBe('/nonexistent/rxmgmt/g.yaml: cannot read the graph file: no such file; expected a readable YAML file');
  });
});

describe('did-you-mean hints', () => {
  it('suggest near misses only', () => {
    const hint = (field: string) => problemsOf(yaml('graph: g', 'resources:', '  file:', '  - name: f', '    path: /p', `    ${field}: x`))[0]!.message;
    expect(hint('contnet')).toContain('(did you mean "content"?)');
    expect(hint('onwer')).toContain('(did you mean "owner"?)');
    expect(hint('source')).not.toContain('did you mean');
    expect(hint('recurse')).not.toContain('did you mean');
  });
});
