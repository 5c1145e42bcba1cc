// user and group: load-time checks and autoedges on the host (nothing applied), and real
// useradd/usermod/userdel/groupadd/groupmod/groupdel in a private mount namespace whose /etc,
// /home and /var are copy-on-write overlays (test/helpers/namespace.ts): never on the host.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { asyncScheduler } from 'rxjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGraph } from '../src/graph/graph.js';
import { defaultRegistry } from '../src/resources/registry.js';
import { memoryLogger } from '../src/util/logger.js';
import { GraphFileError, parseGraph } from '../src/yaml/parse.js';
import { builtCli, describeNamespace, Isolated } from './helpers/namespace.js';
import { requireReal } from './helpers/sandbox.js';
import { repoRoot, waitFor } from './helpers/cli.js';
import { mgmtExamplesDir } from './helpers/mgmt-examples.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const registry = defaultRegistry();
const env = { hostname: 'test', log: memoryLogger(), scheduler: asyncScheduler };
/** mgmt's example graphs: in shared/ beside the repository, or where RXMGMT_MGMT_EXAMPLES says. */
const examples = join(mgmtExamplesDir, 'latest');

/** The problems a graph file is refused for, or [] when it loads and builds. */
function problems(yaml: string): string[] {
  try {
    buildGraph(parseGraph(yaml, 'test.yaml', registry), registry, env);
    return [];
  } catch (err) {
    if (err instanceof GraphFileError) return err.problems.map((p) => `line ${p.line}: ${p.message}`);
    return [(err as Error).message];
  }
}
const userGraph = (fields: string, name = 'alice') => `graph: g\nresources:\n  user:\n  - name: ${name}\n${fields}`;

describe('user and group at load time', () => {
  it('refuses bad fields with a clear error, and loads good ones', () => {
    expect(problems(userGraph('    uid: 1002\n    gid: 100\n    state: exists\n'))).toEqual([]);
    expect(problems(userGraph('    gid: 100\n    group: users\n'))).toEqual([expect.stringMatching(/either `gid` or `group`/)]);
    expect(problems(userGraph('    homedir: /home/alice\n'))).toEqual([expect.stringMatching(/`homedir` names a directory and must end in "\/"/)]);
    expect(problems(userGraph('    shell: bash\n'))).toEqual([expect.stringMatching(/`shell` must be an absolute path/)]);
    expect(problems(userGraph('    shell: "/bin/sh:x"\n'))).toEqual([expect.stringMatching(/must not contain ":"/)]);
    expect(problems(userGraph('    uid: -1\n'))).toEqual([expect.stringMatching(/`uid` must be an integer from 0/)]);
    expect(problems(userGraph('    group: users\n    groups: [users]\n'))).toEqual([expect.stringMatching(/primary group "users" must not be in `groups`/)]);
    expect(problems(userGraph('    groups: [alice]\n'))).toEqual([expect.stringMatching(/user's own name/)]);
    expect(problems(userGraph('    state: present\n'))).toEqual([expect.stringMatching(/line 5: field "state" is "present"; expected .*exists/)]);
    expect(problems(userGraph('    shel: /bin/sh\n'))).toEqual([expect.stringMatching(/line 5: field "shel" is not a user field.*shell/)]);
    expect(problems(userGraph('', '"bad name"'))).toEqual([expect.stringMatching(/user\[bad name\]: user "bad name" is not a valid name/)]);
    const group = (f: string) => `graph: g\nresources:\n  group:\n  - name: wheel\n${f}`;
    expect(problems(group('    gid: 10\n'))).toEqual([]);
    expect(problems(group('    gid: 1.5\n'))).toEqual([expect.stringMatching(/line 5: field "gid" .*integer/)]);
  });

  it('puts a user after its groups (by name and by gid), and says what it manages', () => {
    const spec = parseGraph(
      [
        'graph: g',
        'resources:',
        '  group:',
        '  - name: staff',
        '    gid: 5000',
        '  - name: devs',
        '  - name: old',
        '    state: absent',
        '  user:',
        '  - name: alice',
        '    gid: 5000',
        '    groups: [devs]',
        '  - name: bob',
        '    group: staff',
        '  - name: carol',
        '    state: absent',
        '    groups: [devs]',
        '    group: old',
      ].join('\n'),
      'test.yaml',
      registry,
    );
    const g = buildGraph(spec, registry, env);
    const edges = g.edges.map((e) => `${e.from} -> ${e.to}`).sort();
    // carol is removed before her primary group "old" (groupdel refuses it while she has it).
    expect(edges).toEqual(['group[devs] -> user[alice]', 'group[staff] -> user[alice]', 'group[staff] -> user[bob]', 'user[carol] -> group[old]']);
    expect(g.vertices.get('user[alice]')!.manages!()).toEqual(['user:alice']);
    expect(g.vertices.get('group[staff]')!.manages!()).toEqual(['group:staff', 'gid:5000']);
    const withUid = registry.get('user')!.create({ ...spec.resources.find((r) => r.name === 'alice')!, params: { uid: 1500, allowduplicateuid: false } }, env);
    expect(withUid.manages!()).toEqual(['user:alice', 'uid:1500']);
    expect(withUid.autoEdges!().provides).toEqual(['user:alice', 'uid:1500']);
  });

  it('puts a file after the user and group that own it (by name and by id), without a cycle', () => {
    const spec = parseGraph(
      [
        'graph: g',
        'resources:',
        '  group:',
        '  - name: web',
        '    gid: 5100',
        '  user:',
        '  - name: alice',
        '    uid: 1500',
        '    group: web',
        '    homedir: /home/alice/',
        '  - name: gone',
        '    state: absent',
        '  file:',
        '  - name: home',
        '    path: /home/alice/',
        '    owner: alice',
        '    group: web',
        '  - name: by-id',
        '    path: /srv/by-id',
        '    owner: "1500"',
        '    group: "5100"',
        '  - name: unknown-owner',
        '    path: /srv/other',
        '    owner: nobody',
        '  - name: leftover',
        '    path: /home/gone/notes',
        '    state: absent',
        '    owner: gone',
      ].join('\n'),
      'test.yaml',
      registry,
    );
    const edges = buildGraph(spec, registry, env).edges.map((e) => `${e.from} -> ${e.to}`).sort();
    // Each owner is its own parent; a user nobody declares adds nothing, and an absent file
    // has no owner to wait for. The user does not want its home, so the home after the user is no cycle.
    expect(edges).toEqual([
      'group[web] -> file[by-id]',
      'group[web] -> file[home]',
      'group[web] -> user[alice]',
      'user[alice] -> file[by-id]',
      'user[alice] -> file[home]',
    ]);
  });

});

describeNamespace('user and group on real shadow-utils (private mount namespace)', () => {
  let ns: Isolated;
  const passwd = async (name: string) => (await ns.sh(`grep '^${name}:' /etc/passwd`)).stdout.trim();
  const groupLine = async (name: string) => (await ns.sh(`grep '^${name}:' /etc/group`)).stdout.trim();

  beforeAll(async () => {
    ns = await Isolated.start();
  });
  afterAll(async () => {
    await ns?.stop();
  });

  it('creates a group, changes its gid, and deletes it; noop changes nothing', async () => {
    const g = { kind: 'group', name: 'rxstaff', params: { gid: 7100 }, key: 'rxstaff' };
    const noop = await ns.check(g, false);
    expect(noop.result).toBe(false);
    expect(noop.changes).toEqual([{ field: 'state', from: 'absent', to: 'exists' }, { field: 'gid', to: '7100' }]);
    expect(noop.log).toContainEqual(expect.stringMatching(/noop, would add group rxstaff/));
    expect(await groupLine('rxstaff')).toBe('');

    expect((await ns.check(g)).result).toBe(false);
    expect(await groupLine('rxstaff')).toBe('rxstaff:x:7100:');
    expect((await ns.again('rxstaff')).result).toBe(true);

    const moved = await ns.check({ kind: 'group', name: 'rxstaff', params: { gid: 7101 } });
    expect(moved.changes).toEqual([{ field: 'gid', from: '7100', to: '7101' }]);
    expect(await groupLine('rxstaff')).toBe('rxstaff:x:7101:');

    await expect(ns.check({ kind: 'group', name: 'rxother', params: { gid: 7101 } })).rejects.toThrow(/group\[rxother\]: gid 7101 already belongs to group "rxstaff"/);

    const gone = await ns.check({ kind: 'group', name: 'rxstaff', params: { state: 'absent' } });
    expect(gone.changes).toEqual([{ field: 'state', from: 'exists', to: 'absent' }]);
    expect(await groupLine('rxstaff')).toBe('');
  });

  it('creates a user with every field, then sees and repairs drift field by field', async () => {
    await ns.run('groupadd -g 7200 rxteam && groupadd rxdev && groupadd rxops');
    const want = { uid: 7201, group: 'rxteam', groups: ['rxops', 'rxdev'], homedir: '/home/rxalice/', shell: '/bin/bash' };
    const u = { kind: 'user', name: 'rxalice', params: want, key: 'rxalice' };

    const noop = await ns.check(u, false);
    expect(noop.result).toBe(false);
    expect(noop.changes[0]).toEqual({ field: 'state', from: 'absent', to: 'exists' });
    expect(noop.changes).toContainEqual({ field: 'groups', to: 'rxdev,rxops' });
    expect(await passwd('rxalice')).toBe('');

    expect((await ns.check(u)).result).toBe(false);
    expect(await passwd('rxalice')).toBe('rxalice:x:7201:7200::/home/rxalice:/bin/bash');
    expect(await groupLine('rxdev')).toMatch(/:rxalice$/);
    expect(await groupLine('rxops')).toMatch(/:rxalice$/);
    expect((await ns.sh('test -d /home/rxalice')).code).not.toBe(0); // home is recorded, not made
    expect((await ns.again('rxalice')).result).toBe(true);

    await ns.run('usermod -s /bin/sh rxalice && gpasswd -d rxalice rxops >/dev/null && usermod -d /srv/x rxalice');
    const fixed = await ns.again('rxalice', false);
    expect(fixed.changes).toEqual([
      { field: 'groups', from: 'rxdev', to: 'rxdev,rxops' },
      { field: 'homedir', from: '/srv/x', to: '/home/rxalice' },
      { field: 'shell', from: '/bin/sh', to: '/bin/bash' },
    ]);
    expect(await passwd('rxalice')).toBe('rxalice:x:7201:7200::/srv/x:/bin/sh'); // noop left it
    expect((await ns.again('rxalice')).result).toBe(false);
    expect(await passwd('rxalice')).toBe('rxalice:x:7201:7200::/home/rxalice:/bin/bash');
    expect(await groupLine('rxops')).toMatch(/:rxalice$/);

    const renumbered = await ns.check({ kind: 'user', name: 'rxalice', params: { uid: 7202, gid: 7200, groups: [] } });
    expect(renumbered.changes).toEqual([
      { field: 'uid', from: '7201', to: '7202' },
      { field: 'groups', from: 'rxdev,rxops', to: '' },
    ]);
    expect(await passwd('rxalice')).toMatch(/^rxalice:x:7202:7200:/);
    expect(await groupLine('rxdev')).toMatch(/^rxdev:x:\d+:$/);
  });

  it('refuses a uid another user has, unless allowduplicateuid', async () => {
    await ns.run('useradd -u 7300 rxfirst');
    await expect(ns.check({ kind: 'user', name: 'rxsecond', params: { uid: 7300 } })).rejects.toThrow(/user\[rxsecond\]: uid 7300 is already taken by user "rxfirst"/);
    expect(await passwd('rxsecond')).toBe('');
    expect((await ns.check({ kind: 'user', name: 'rxsecond', params: { uid: 7300, allowduplicateuid: true } })).result).toBe(false);
    expect(await passwd('rxsecond')).toMatch(/^rxsecond:x:7300:/);
  });

  it('fails with useradd\'s own words when a group is missing', async () => {
    await expect(ns.check({ kind: 'user', name: 'rxlost', params: { group: 'rxnosuchgroup' } })).rejects.toThrow(
      /user\[rxlost\]: `useradd --gid rxnosuchgroup rxlost` exited \d+: .*rxnosuchgroup/,
    );
  });

  it('deletes an absent user; reverse removes only a user it created', async () => {
    await ns.run('useradd rxold');
    const kept = await ns.check({ kind: 'user', name: 'rxold', params: { shell: '/bin/bash' }, key: 'rxold', meta: { reverse: true } });
    expect(kept.result).toBe(false);
    expect(await ns.reverse('rxold')).toEqual({ result: null });

    await ns.check({ kind: 'user', name: 'rxnew', params: {}, key: 'rxnew', meta: { reverse: true } });
    expect(await passwd('rxnew')).toMatch(/^rxnew:/);
    const undo = await ns.reverse('rxnew', false);
    expect(undo).toMatchObject({ result: false, changes: [{ field: 'state', from: 'exists', to: 'absent' }] });
    expect(await passwd('rxnew')).toMatch(/^rxnew:/); // noop
    expect(await ns.reverse('rxnew')).toMatchObject({ result: false, undo: { kind: 'user', name: 'rxnew' } });
    expect(await passwd('rxnew')).toBe('');

    const del = await ns.check({ kind: 'user', name: 'rxold', params: { state: 'absent' } });
    expect(del.changes).toEqual([{ field: 'state', from: 'exists', to: 'absent' }]);
    expect(await passwd('rxold')).toBe('');
    expect((await ns.check({ kind: 'user', name: 'rxold', params: { state: 'absent' } })).result).toBe(true);

    await ns.check({ kind: 'group', name: 'rxgone', params: {}, key: 'rxgone' });
    await ns.reverse('rxgone');
    expect(await groupLine('rxgone')).toBe('');
  });

  it('watches passwd, shadow and group: usermod, passwd -l and gpasswd each wake it', async () => {
    await ns.run('useradd rxwatched && groupadd rxwgroup');
    const r = { kind: 'user', name: 'rxwatched', params: { shell: '/bin/sh' } };
    await ns.watch('w', r);
    const wakesOn = async (script: string) => {
      const before = (await ns.events('w')).count;
      await ns.run(script);
      await waitFor(async () => (await ns.events('w')).count > before, `the user watch to see \`${script}\``, { timeoutMs: 20_000 });
    };
    try {
      await wakesOn('usermod -s /bin/bash rxwatched');
      await wakesOn('gpasswd -a rxwatched rxwgroup >/dev/null');
      await wakesOn('passwd -l rxwatched >/dev/null');
      expect((await ns.events('w')).error).toBeUndefined();
    } finally {
      await ns.unwatch('w');
    }
    await ns.watch('gw', { kind: 'group', name: 'rxwgroup' });
    try {
      await ns.run('groupmod -g 7400 rxwgroup');
      await waitFor(async () => (await ns.events('gw')).count > 0, 'the group watch to see groupmod', { timeoutMs: 20_000 });
    } finally {
      await ns.unwatch('gw');
    }
  });

  it('runs examples/user.yaml with the built CLI: groups first, converged, then nothing left to do', async () => {
    const file = join(repoRoot, 'examples', 'user.yaml');
    const first = await ns.sh(`"${process.execPath}" "${builtCli}" run -f "${file}" -t 0 2>&1`);
    expect(first.code, first.stdout).toBe(0);
    expect(first.stdout).toMatch(/add group deploy[\s\S]*add user deploy/);
    expect(await passwd('deploy')).toMatch(/^deploy:x:2001:2001::\/srv\/deploy:\/bin\/bash$/);
    expect(await groupLine('docker-users')).toMatch(/:deploy$/);
    const again = await ns.sh(`"${process.execPath}" "${builtCli}" run -f "${file}" -t 0 --noop 2>&1`);
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/recap: ok 3, would change 0, failed 0/);
    expect(again.stdout).not.toMatch(/would(?! change 0)/);
  });

  it('removes a user and its primary group in one graph: the user first, whatever the order written', async () => {
    await ns.run('useradd rxpair'); // with its own group rxpair (USERGROUPS_ENAB)
    expect(await groupLine('rxpair')).toMatch(/^rxpair:x:/);
    const yaml = 'graph: g\nresources:\n  group:\n  - name: rxpair\n    state: absent\n  user:\n  - name: rxpair\n    state: absent\n    group: rxpair\n';
    const file = join(await ns.run('mktemp -d').then((d) => d.trim()), 'pair.yaml');
    await ns.run(`printf '%s' '${yaml}' > ${file}`);
    const run = await ns.sh(`"${process.execPath}" "${builtCli}" run -f "${file}" -t 0 2>&1`);
    expect(run.code, run.stdout).toBe(0);
    // One edge, user -> group; userdel then takes the user's own group too (USERGROUPS_ENAB),
    // so the group finds nothing left to do. Run the other way round, groupdel would have failed.
    expect(run.stdout).toMatch(/2 resources, 1 edges[\s\S]*delete user rxpair/);
    expect(run.stdout).not.toMatch(/error|failed:|failed [1-9]/i);
    expect(await passwd('rxpair')).toBe('');
    expect(await groupLine('rxpair')).toBe('');
  });

  describe("mgmt's user1 and group1 example graphs", () => {
    const have = existsSync(examples);
    it.skipIf(!have && !requireReal)(`load and converge unchanged${have ? '' : ` (skipped: ${examples} not found)`}`, async () => {
      expect(existsSync(examples), `${examples} must exist (shared/ beside the repository)`).toBe(true);
      for (const [file, check] of [
        ['group1.yaml', async () => expect(await groupLine('testgroup')).toBe('testgroup:x:10000:')],
        ['user1.yaml', async () => expect(await passwd('testuser')).toMatch(/^testuser:x:1002:100:/)],
      ] as const) {
        const path = join(examples, file);
        const run = await ns.sh(`"${process.execPath}" "${builtCli}" run -f "${path}" -t 0 2>&1`);
        expect(run.code, `${file}: ${run.stdout}`).toBe(0);
        await check();
        const noop = await ns.sh(`"${process.execPath}" "${builtCli}" run -f "${path}" -t 0 --noop 2>&1`);
        expect(noop.stdout, file).not.toMatch(/would(?! change 0)/);
      }
    });

    it.skipIf(!have && !requireReal)('autoedges4: the groups come first, then the user is put in them', async () => {
      await ns.run('groupdel testgroup 2>/dev/null || true'); // group1.yaml's, which holds gid 10000
      const path = join(examples, 'autoedges4.yaml');
      const graph = buildGraph(parseGraph(readFileSync(path, 'utf8'), path, registry), registry, env);
      expect(graph.edges.map((e) => `${e.from} -> ${e.to}`).sort()).toEqual([
        'group[edgegroup2] -> user[edgeuser2]',
        'group[edgegroup3] -> user[edgeuser2]',
        'group[edgegroup] -> user[edgeuser2]',
      ]);
      const run = await ns.sh(`"${process.execPath}" "${builtCli}" run -f "${path}" -t 0 2>&1`);
      expect(run.code, run.stdout).toBe(0);
      expect(await groupLine('edgegroup')).toBe('edgegroup:x:10000:');
      expect(await passwd('edgeuser2')).toMatch(/^edgeuser2:x:\d+:10000:/);
      expect(await groupLine('edgegroup2')).toMatch(/:edgeuser2$/);
      expect(await groupLine('edgegroup3')).toMatch(/:edgeuser2$/);
      expect(await passwd('edgeuser')).toBe('');
    });
  });
});
