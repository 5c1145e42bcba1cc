// Accounts against tables written to a fresh temporary directory per test, and the system's.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Accounts, UnknownAccountError, lookupGroup, lookupUser, resolveGid, resolveUid } from './accounts.js';

let tmp: string;
let tables: { passwd: string; group: string };
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'rxmgmt-accounts-'));
  tables = { passwd: join(tmp, 'passwd'), group: join(tmp, 'group') };
  fs.writeFileSync(
    tables.passwd,
    [
      '# a comment',
      'root:x:0:0:root:/root:/bin/bash',
      'alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh',
      '',
      'broken:x:notanumber:1::/:/bin/sh',
      '+nisuser::::::',
      'alice:x:2000:2000::/home/alice2:/bin/sh', // a second alice: the first one wins
      'toor:x:0:0::/root:/bin/sh', // a second uid 0: root stays the entry for 0
    ].join('\n') + '\n',
  );
  fs.writeFileSync(tables.group, ['root:x:0:', 'staff:x:50:alice,bob', 'alice:x:1000:'].join('\n') + '\n');
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Rewrites a table through a new inode, as useradd and vipw do. */
function replace(path: string, text: string): void {
  fs.writeFileSync(path + '.new', text);
  fs.renameSync(path + '.new', path);
}

describe('Accounts', () => {
  it('resolves names and numeric ids to uids and gids', async () => {
    const a = new Accounts(tables);
    expect(await a.uid('root')).toBe(0);
    expect(await a.uid('alice')).toBe(1000);
    expect(await a.gid('staff')).toBe(50);
    // Digits are the id itself, known or not.
    expect(await a.uid('4242')).toBe(4242);
    expect(await a.gid('4343')).toBe(4343);
  });

  it('returns whole entries by name or by id; the first line for a name or id wins', async () => {
    const a = new Accounts(tables);
    expect(await a.user('alice')).toEqual({ name: 'alice', uid: 1000, gid: 1000, home: '/home/alice', shell: '/bin/zsh' });
    expect(await a.user('0')).toMatchObject({ name: 'root' });
    expect(await a.user('2000')).toMatchObject({ name: 'alice', home: '/home/alice2' });
    expect(await a.group('staff')).toEqual({ name: 'staff', gid: 50, members: ['alice', 'bob'] });
    expect(await a.group('0')).toEqual({ name: 'root', gid: 0, members: [] });
    expect(await a.user('nobody-here')).toBeUndefined();
    expect(await a.user('4242')).toBeUndefined();
  });

  it('skips comments, NIS lines and malformed lines', async () => {
    const a = new Accounts(tables);
    expect(await a.user('broken')).toBeUndefined();
    expect(await a.user('+nisuser')).toBeUndefined();
    expect(await a.user('# a comment')).toBeUndefined();
  });

  it('rejects an unknown name with an error naming it and the table', async () => {
    const a = new Accounts(tables);
    await expect(a.uid('mallory')).rejects.toThrow(`unknown user "mallory" (not in ${tables.passwd})`);
    await expect(a.gid('wheel')).rejects.toThrow(`unknown group "wheel" (not in ${tables.group})`);
    const err = await a.uid('mallory').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownAccountError);
    expect(err).toMatchObject({ what: 'user', account: 'mallory', table: tables.passwd });
  });

  it('reads a table again when it changes, and only then', async () => {
    const a = new Accounts(tables);
    await expect(a.uid('carol')).rejects.toThrow(UnknownAccountError);
    replace(tables.passwd, fs.readFileSync(tables.passwd, 'utf8') + 'carol:x:1001:1001::/home/carol:/bin/sh\n');
    expect(await a.uid('carol')).toBe(1001);
    fs.appendFileSync(tables.group, 'carol:x:1001:\n'); // in place: same inode, new size and mtime
    expect(await a.gid('carol')).toBe(1001);
    replace(tables.passwd, 'root:x:0:0::/root:/bin/sh\n');
    await expect(a.uid('carol')).rejects.toThrow(UnknownAccountError);
  });

  it('parses a table once for many lookups, at the same time or later, until it changes', async () => {
    const a = new Accounts(tables);
    // One parse means one entry object, handed to every caller.
    const entries = await Promise.all(Array.from({ length: 100 }, () => a.user('alice')));
    expect(new Set(entries).size).toBe(1);
    expect(await a.user('alice')).toBe(entries[0]);
    replace(tables.passwd, fs.readFileSync(tables.passwd, 'utf8'));
    const reread = await a.user('alice');
    expect(reread).not.toBe(entries[0]);
    expect(reread).toEqual(entries[0]);
  });

  it('fails clearly when a table cannot be read, and recovers when it can', async () => {
    const a = new Accounts({ passwd: join(tmp, 'missing'), group: tables.group });
    await expect(a.uid('alice')).rejects.toThrow(`cannot read ${join(tmp, 'missing')}: ENOENT`);
    expect(await a.uid('1000')).toBe(1000); // ids need no table
    fs.copyFileSync(tables.passwd, join(tmp, 'missing'));
    expect(await a.uid('alice')).toBe(1000);
  });
});

describe('the system accounts', () => {
  it('resolve root and nobody from /etc/passwd and /etc/group', async () => {
    expect(await resolveUid('root')).toBe(0);
    expect(await resolveGid('root')).toBe(0);
    expect(await resolveUid('nobody')).toBe(65534);
    expect((await lookupUser('root'))?.home).toBe('/root');
    expect((await lookupGroup('0'))?.name).toBe('root');
    await expect(resolveUid('no-such-user-rxmgmt')).rejects.toThrow('unknown user "no-such-user-rxmgmt" (not in /etc/passwd)');
  });
});
