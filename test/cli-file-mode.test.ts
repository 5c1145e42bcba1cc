// mgmt's shell tests file-mode and file-owner: permission bits and owners are applied exactly,
// and (while running) drift in them is repaired.
import { readFileSync } from 'node:fs';
import { chmod, chown, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { lines, runCli, startCli, useSandbox } from './helpers/cli.js';

const box = useSandbox();

/** name -> id from /etc/passwd or /etc/group. */
function ids(table: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(table, 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !out.has(name)) out.set(name, Number(id));
  }
  return out;
}
const users = ids('/etc/passwd');
const groups = ids('/etc/group');
const isRoot = process.getuid?.() === 0;

// Someone other than root, by name and by number, whatever this machine calls them.
const userName = ['nobody', 'daemon'].find((n) => users.has(n));
const groupName = ['nogroup', 'nobody', 'daemon'].find((n) => groups.has(n));
const otherUid = [...users.values()].find((id) => id !== 0 && id !== users.get(userName ?? ''));
const otherGid = [...groups.values()].find((id) => id !== 0 && id !== groups.get(groupName ?? ''));
const canChown = isRoot && userName !== undefined && groupName !== undefined && otherUid !== undefined && otherGid !== undefined;

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;

describe('file-mode', () => {
  it('applies mode 741 (quoted), 614 (unquoted), 0640 (unquoted, leading zero) and fixes a wrong mode', async () => {
    const yaml = box.path('modes.yaml');
    await writeFile(box.path('existing'), 'old\n', { mode: 0o666 });
    await chmod(box.path('existing'), 0o666);
    await writeFile(
      yaml,
      lines(
        'graph: modes',
        'resources:',
        '  file:',
        '    - name: m741',
        `      path: ${box.dir}/m741`,
        '      content: "seven four one\\n"',
        '      mode: "741"',
        '    - name: m614',
        `      path: ${box.dir}/m614`,
        '      content: "six one four\\n"',
        '      mode: 614',
        '    - name: m640',
        `      path: ${box.dir}/m640`,
        '      content: "six four zero\\n"',
        '      mode: 0640',
        '    - name: existing',
        `      path: ${box.dir}/existing`,
        '      mode: "600"',
        '    - name: dir750',
        `      path: ${box.dir}/dir750/`,
        '      mode: "750"',
      ),
    );

    const res = await runCli(['run', '-f', yaml, '-t', '0', '--no-watch']);

    expect(res.code, res.stderr).toBe(0);
    expect((await modeOf(box.path('m741'))).toString(8)).toBe('741');
    expect((await modeOf(box.path('m614'))).toString(8)).toBe('614');
    expect((await modeOf(box.path('m640'))).toString(8)).toBe('640');
    expect((await modeOf(box.path('existing'))).toString(8)).toBe('600');
    expect((await modeOf(box.path('dir750'))).toString(8)).toBe('750');
    expect((await stat(box.path('dir750'))).isDirectory()).toBe(true);
    // A resource without content leaves the content alone.
    expect(readFileSync(box.path('existing'), 'utf8')).toBe('old\n');
  });

  it('repairs a chmod while running', async () => {
    const yaml = box.path('modes.yaml');
    const f = box.path('m741');
    await writeFile(yaml, lines('graph: modes', 'resources:', '  file:', '    - name: m741', `      path: ${f}`, '      content: "x"', '      mode: "741"'));
    const mgmt = startCli(['run', '-f', yaml]);
    await mgmt.waitFor(async () => (await modeOf(f)) === 0o741, 'm741 to get mode 741');
    await chmod(f, 0o777);
    await mgmt.waitFor(async () => (await modeOf(f)) === 0o741, 'the chmod 777 to be undone');
    mgmt.signal('SIGINT');
    expect((await mgmt.waitForExit()).code).toBe(0);
  });
});

describe.skipIf(!canChown)('file-owner (as root)', () => {
  it(`applies owner/group by name (${userName}:${groupName}) and by number (${otherUid}:${otherGid})`, async () => {
    const yaml = box.path('owners.yaml');
    await writeFile(box.path('mine'), 'already here\n'); // owned by root: must be given away
    await writeFile(
      yaml,
      lines(
        'graph: owners',
        'resources:',
        '  file:',
        '    - name: by-name',
        `      path: ${box.dir}/by-name`,
        '      content: "named\\n"',
        `      owner: ${userName}`,
        `      group: ${groupName}`,
        '      mode: "640"',
        '    - name: by-number',
        `      path: ${box.dir}/by-number`,
        '      content: "numbered\\n"',
        `      owner: ${otherUid}`,
        `      group: ${otherGid}`,
        '    - name: mine',
        `      path: ${box.dir}/mine`,
        `      owner: "${userName}"`,
        '    - name: a-dir',
        `      path: ${box.dir}/a-dir/`,
        `      group: ${groupName}`,
      ),
    );

    const res = await runCli(['run', '-f', yaml, '-t', '0', '--no-watch']);

    expect(res.code, res.stderr).toBe(0);
    const byName = await stat(box.path('by-name'));
    expect([byName.uid, byName.gid]).toEqual([users.get(userName!), groups.get(groupName!)]);
    expect((byName.mode & 0o7777).toString(8)).toBe('640');
    const byNumber = await stat(box.path('by-number'));
    expect([byNumber.uid, byNumber.gid]).toEqual([otherUid, otherGid]);
    const mine = await stat(box.path('mine'));
    expect([mine.uid, mine.gid]).toEqual([users.get(userName!), 0]); // group left alone
    expect(readFileSync(box.path('mine'), 'utf8')).toBe('already here\n');
    const dir = await stat(box.path('a-dir'));
    expect([dir.isDirectory(), dir.uid, dir.gid]).toEqual([true, 0, groups.get(groupName!)]);
  });

  it('repairs a chown while running', async () => {
    const yaml = box.path('owners.yaml');
    const f = box.path('owned');
    const uid = users.get(userName!)!;
    const gid = groups.get(groupName!)!;
    await writeFile(
      yaml,
      lines('graph: owners', 'resources:', '  file:', '    - name: owned', `      path: ${f}`, '      content: "x"', `      owner: ${userName}`, `      group: ${groupName}`),
    );
    const owned = async () => {
      const st = await stat(f);
      return st.uid === uid && st.gid === gid;
    };
    const mgmt = startCli(['run', '-f', yaml]);
    await mgmt.waitFor(owned, `owned to belong to ${userName}:${groupName}`);
    await chown(f, 0, 0);
    await mgmt.waitFor(owned, 'the chown to root:root to be undone');
    mgmt.signal('SIGINT');
    expect((await mgmt.waitForExit()).code).toBe(0);
  });
});
