// Compatibility with mgmt's own graphs (../shared/mgmt-examples, read in place, never copied;
// test/helpers/mgmt-examples.ts says where they are looked for and what happens without them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { ResourceKind } from '../model/resource.js';
import { noopKind } from '../resources/noop.js';
import { GraphFileError, parseGraph } from './parse.js';
import type { KindLookup } from './parse.js';
import { itWithMgmtExamples, mgmtExamplesDir as examplesDir } from '../../test/helpers/mgmt-examples.js';
import { yamlFilesUnder } from '../../test/helpers/yaml-corpus.js';

const unused = (): never => {
  throw new Error('not used by the parser');
};
const strings = (...names: string[]) => Object.fromEntries(names.map((n) => [n, { type: 'string' as const, doc: n }]));

// Stand-ins with mgmt's file and exec fields and no checks of their own, so that these tests
// put the parser alone on trial (the real kinds' checks are tested beside them).
const standInFile: ResourceKind = {
  kind: 'file',
  doc: 'stand-in',
  fields: {
    ...strings('path', 'dirname', 'basename', 'content', 'source', 'mode', 'owner', 'group'),
    state: { type: 'string', enum: ['exists', 'absent'], default: 'exists', doc: 'state' },
    recurse: { type: 'boolean', default: false, doc: 'recurse' },
    force: { type: 'boolean', default: false, doc: 'force' },
  },
  create: unused,
};
const standInExec: ResourceKind = {
  kind: 'exec',
  doc: 'stand-in',
  fields: {
    ...strings('cmd', 'shell', 'watchcmd', 'watchshell', 'ifcmd', 'ifshell', 'state'),
    timeout: { type: 'integer', doc: 'timeout' },
    pollint: { type: 'integer', doc: 'pollint' },
  },
  create: unused,
};
const standIns: KindLookup = {
  get: (k) => [noopKind, standInFile, standInExec].find((x) => x.kind === k),
  names: () => ['exec', 'file', 'noop'],
};


describe("mgmt's example graphs", () => {
  itWithMgmtExamples('each one parses, or fails with problems that all have a line', async () => {
    const { defaultRegistry } = await import('../resources/registry.js');
    const registry = defaultRegistry();
    const files = yamlFilesUnder(examplesDir);
    expect(files.length).toBeGreaterThan(50);
    for (const file of files) {
      try {
        parseGraph(readFileSync(file, 'utf8'), file, registry);
      } catch (err) {
        if (!(err instanceof GraphFileError)) throw new Error(`${file}: ${String(err)}`, { cause: err });
        for (const p of err.problems) expect(p.line, `${file}: ${err.message}`).toBeGreaterThan(0);
      }
    }
  });

  const mustParse = [
    'seed-2016/graph0.yaml',
    'seed-2016/graph10.yaml',
    'seed-2016/file1.yaml',
    'seed-2016/graph3a.yaml',
    'seed-2016/graph4.yaml',
    'seed-2016/autoedges1.yaml',
    'latest/exec3-sema.yaml',
    'latest/file3.yaml',
    'latest/limit1.yaml',
    'latest/poll1.yaml',
    'latest/retry1.yaml',
    'latest/noop2.yaml',
    'latest/etcd1a.yaml',
    'shell-tests-0.0.10/t2.yaml',
    'shell-tests-0.0.10/t3-a.yaml',
    'shell-tests-0.0.10/t6.yaml',
    'shell-tests-0.0.10/sema-1.yaml',
    'shell-tests-0.0.10/file-mode.yaml',
    'shell-tests-0.0.10/file-owner.yaml',
    'shell-tests-0.0.10/yaml-change1a.yaml',
  ];
  itWithMgmtExamples('the graphs of kinds we have parse without a problem', () => {
    for (const name of mustParse) {
      const file = join(examplesDir, name);
      expect(() => parseGraph(readFileSync(file, 'utf8'), file, standIns), name).not.toThrow();
    }
  });

  itWithMgmtExamples('keeps modes and owners as written', () => {
    const parse = (name: string) => parseGraph(readFileSync(join(examplesDir, name), 'utf8'), name, standIns);
    expect(parse('shell-tests-0.0.10/file-mode.yaml').resources.map((r) => r.params.mode)).toEqual([undefined, '0741', '0614']);
    expect(parse('shell-tests-0.0.10/file-owner.yaml').resources.map((r) => [r.params.owner, r.params.group])).toEqual([
      ['root', 'root'],
      ['1', '2'],
    ]);
    expect(parse('latest/exec3-sema.yaml').resources[0]!.meta.sema).toEqual(['mylock:1', 'otherlock:42']);
    expect(parse('latest/file3.yaml').resources[0]!.meta).toMatchObject({ limit: 0, burst: 0 });
  });

  // The file kind's fields that these use: source, recurse (file2, autoedges3) and content on a
  // directory (the autoedges ones), which mgmt ignores. They load with the real registry.
  const fileCompat = [
    'latest/file2.yaml',
    'latest/autoedges2.yaml',
    'latest/autoedges3.yaml',
    'seed-2016/autoedges1.yaml',
    'seed-2016/autoedges2.yaml',
    'seed-2016/autoedges3.yaml',
  ];
  itWithMgmtExamples('the graphs with source, recurse or content on a directory load with the real file kind', async () => {
    const { defaultRegistry } = await import('../resources/registry.js');
    const real = defaultRegistry();
    const registry: KindLookup = real;
    const { memoryLogger } = await import('../util/logger.js');
    const { asyncScheduler } = await import('rxjs');
    for (const name of fileCompat) {
      const file = join(examplesDir, name);
      const graph = (() => {
        try {
          return parseGraph(readFileSync(file, 'utf8'), file, registry);
        } catch (err) {
          throw new Error(`${name}: ${(err as Error).message}`, { cause: err });
        }
      })();
      const files = graph.resources.filter((r) => r.kind === 'file');
      expect(files.length, name).toBeGreaterThan(0);
      for (const spec of files) {
        // Creating the resource runs the same checks again and builds it; nothing is applied.
        const created = real.get('file')!.create(spec, { hostname: 'test', log: memoryLogger(), scheduler: asyncScheduler });
        expect(created.name).toBe(spec.name);
      }
    }
    const file2 = parseGraph(readFileSync(join(examplesDir, 'latest/file2.yaml'), 'utf8'), 'file2.yaml', registry);
    expect(file2.resources.find((r) => r.kind === 'file')!.params).toMatchObject({
      path: '/tmp/mgmt/hello/',
      source: '/var/lib/mgmt/files/some_dir/',
      recurse: true,
      force: true,
    });
  });

  itWithMgmtExamples('refuses what rxmgmt does not do, clearly', () => {
    const problems = (name: string) => {
      try {
        parseGraph(readFileSync(join(examplesDir, name), 'utf8'), name, standIns);
      } catch (err) {
        return (err as GraphFileError).problems.map((p) => p.message);
      }
      return [];
    };
    expect(problems('latest/virt1.yaml')).toEqual(['unknown resource kind "virt"; expected one of exec, file, noop']);
    expect(problems('latest/remote1.yaml')).toEqual([expect.stringMatching(/^top-level key "remote" is not supported by rxmgmt/)]);
  });
});
