// The whole group table, for what accounts.ts's lookups by one name cannot answer: which groups
// list a user as a member. Read fresh on every call (a check wants the table as it is now).
import { readFile } from 'node:fs/promises';
import type { GroupEntry } from '../../util/accounts.js';

export const GROUP_TABLE = '/etc/group';

/** Every well-formed line of the group table; comments, NIS lines and bad gids are skipped. */
export async function readGroups(path = GROUP_TABLE): Promise<GroupEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, , gid, members] = line.split(':');
    if (!name || gid === undefined || !/^\d+$/.test(gid)) continue;
    out.push({ name, gid: Number(gid), members: (members ?? '').trim().split(',').filter(Boolean) });
  }
  return out;
}

/** The names of the groups that list `user` as a supplementary member, sorted. */
export async function memberOf(user: string, path = GROUP_TABLE): Promise<string[]> {
  return (await readGroups(path))
    .filter((g) => g.members.includes(user))
    .map((g) => g.name)
    .sort();
}
