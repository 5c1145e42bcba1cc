// A bad graph file at start-up: exit 1, stderr names the file, the line (and the resource), and
// nothing from the file is applied, not even its valid resources.
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lineOf, lines, readIfExists, runCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

/** A graph whose first resource is valid; `extra` lines follow it under `resources: file:`. */
function withValidResource(dir: string, ...extra: string[]): string {
  return lines(
    'graph: bad-file',
    'resources:',
    '  file:',
    '    - name: valid',
    `      path: ${dir}/valid`,
    '      content: "must not be written\\n"',
    ...extra,
  );
}

interface Case {
  title: string;
  text: (dir: string) => string;
  /** A text on the line the message must point at. */
  marker: string;
  /** Further things stderr must mention. */
  mentions: string[];
}

const cases: Case[] = [
  {
    title: 'an unknown field',
    text: (dir) => withValidResource(dir, '    - name: typo', `      path: ${dir}/typo`, '      contnet: "x"'),
    marker: 'contnet:',
    mentions: ['file[typo]', 'contnet'],
  },
  {
    title: 'a dangling edge',
    text: (dir) =>
      withValidResource(
        dir,
        'edges:',
        '  - name: to-nowhere',
        '    from: {kind: file, name: valid}',
        '    to: {kind: file, name: missing}',
      ),
    marker: 'to: {kind: file, name: missing}',
    mentions: ['edge[to-nowhere]', 'file[missing]'],
  },
  {
    title: 'an unknown resource kind',
    text: (dir) => withValidResource(dir, '  frobnicator:', '    - name: fr1', '      speed: 11'),
    marker: 'frobnicator:',
    mentions: ['frobnicator'],
  },
  {
    title: 'a YAML syntax error',
    text: (dir) => withValidResource(dir, '    - name: colon', `      path: ${dir}/a: b`),
    marker: `/a: b`,
    mentions: ['YAML'],
  },
  {
    title: 'an unterminated quote (reported where it opens, not where the parser gave up)',
    text: (dir) => withValidResource(dir, '    - name: quoted', `      path: ${dir}/quoted`, '      content: "never closed', '  noop:', '    - name: after'),
    marker: 'content: "never closed',
    mentions: ['the quoted string that starts here is never closed'],
  },
  {
    title: 'two resources managing one thing (a service by two of its names)',
    text: (dir) => withValidResource(dir, '  svc:', '    - name: web', '      state: running', '    - name: web.service', '      state: stopped'),
    marker: 'name: web.service',
    mentions: ['svc[web.service]: manages svc:web.service, as does svc[web] (', 'expected one resource per thing managed'],
  },
  {
    title: 'YAML aliases that expand without bound ("billion laughs")',
    text: (dir) => withValidResource(dir, ...laughs()),
    marker: 'l5: &l5',
    mentions: ['YAML aliases expand the document beyond'],
  },
];

/** A few hundred bytes whose aliases expand to 9^10 nodes; the l5 line takes them past the bound. */
function laughs(): string[] {
  const out = [`l0: &l0 [${Array(9).fill('"lol"').join(', ')}]`];
  for (let i = 1; i <= 9; i++) out.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
  return out;
}

describe('a bad graph file at start-up', () => {
  for (const c of cases) {
    it(`${c.title}: exits 1, names file, line and resource, applies nothing`, async () => {
      const yaml = box.path('bad.yaml');
      const text = c.text(box.dir);
      await writeFile(yaml, text);

      const res = await runCli(['run', '-f', yaml, '-t', '0']);

      expect(res.code, res.stderr).toBe(1);
      expect(res.stderr).toContain(`${yaml}:${lineOf(text, c.marker)}:`);
      for (const m of c.mentions) expect(res.stderr).toContain(m);
      expect(await readIfExists(box.path('valid'))).toBeUndefined();
      expect(res.stderr).not.toContain('changed');
    });
  }

  it('a cycle: exits 1, names file, line and the resources on the cycle, applies nothing', async () => {
    const yaml = box.path('cycle.yaml');
    const text = lines(
      'graph: cycle',
      'resources:',
      '  noop:',
      '    - name: outside',
      '  file:',
      '    - name: valid',
      `      path: ${box.dir}/valid`,
      '      content: "must not be written\\n"',
      '    - name: chicken',
      `      path: ${box.dir}/chicken`,
      '    - name: egg',
      `      path: ${box.dir}/egg`,
      'edges:',
      '  - {name: outside-valid, from: {kind: noop, name: outside}, to: {kind: file, name: valid}}',
      '  - {name: chicken-egg, from: {kind: file, name: chicken}, to: {kind: file, name: egg}}',
      '  - {name: egg-chicken, from: {kind: file, name: egg}, to: {kind: file, name: chicken}}',
    );
    await writeFile(yaml, text);

    const res = await runCli(['run', '-f', yaml, '-t', '0']);

    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain('cycle');
    expect(res.stderr).toContain('file[chicken]');
    expect(res.stderr).toContain('file[egg]');
    for (const f of ['valid', 'chicken', 'egg']) expect(await readIfExists(box.path(f))).toBeUndefined();
    // The message points into the file: at an edge or a resource on the cycle.
    const cycleLines = ['name: chicken-egg', 'name: egg-chicken', 'name: chicken', 'name: egg'].map((m) => lineOf(text, m));
    expect(res.stderr, 'the cycle error must name the graph file and the line of an edge or resource on the cycle').toMatch(
      new RegExp(`${escape(yaml)}:(${cycleLines.join('|')}):`),
    );
  });

  it('several problems are all reported, each with its line', async () => {
    const yaml = box.path('many.yaml');
    const text = withValidResource(
      box.dir,
      '    - name: one',
      `      path: ${box.dir}/one`,
      '      state: maybe',
      '    - name: two',
      `      path: ${box.dir}/two`,
      '      colour: blue',
    );
    await writeFile(yaml, text);
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain(`${yaml}:${lineOf(text, 'state: maybe')}: file[one]:`);
    expect(res.stderr).toContain(`${yaml}:${lineOf(text, 'colour: blue')}: file[two]:`);
    expect(await readIfExists(box.path('valid'))).toBeUndefined();
  });

  it('a missing graph file: exits 1 and names it', async () => {
    const yaml = box.path('does-not-exist.yaml');
    const res = await runCli(['run', '-f', yaml, '-t', '0']);
    expect(res.code, res.stderr).toBe(1);
    expect(res.stderr).toContain(yaml);
  });
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
