// Users and groups for `user` / `group`: names resolved through /etc/passwd and /etc/group.
import { readFile } from 'node:fs/promises';

export interface Credentials {
  uid?: number;
  gid?: number;
  /** Set when `user` was given: HOME, USER and LOGNAME for the command. */
  env?: Record<string, string>;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Overridable for tests. */
export const idFiles = { passwd: '/etc/passwd', group: '/etc/group' };

const isNumeric = (s: string): boolean => /^\d+$/.test(s);

async function passwd(): Promise<PasswdEntry[]> {
  const text = await readFile(idFiles.passwd, 'utf8');
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (name && uid && gid && isNumeric(uid) && isNumeric(gid)) out.push({ name, uid: Number(uid), gid: Number(gid), home: home ?? '/' });
  }
  return out;
}

async function groupId(name: string): Promise<number> {
  if (isNumeric(name)) return Number(name);
  const text = await readFile(idFiles.group, 'utf8');
  for (const line of text.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid && isNumeric(gid)) return Number(gid);
  }
  throw new Error(`unknown group "${name}" (not in ${idFiles.group})`);
}

/**
 * The uid and gid to run as. `user` alone also takes the user's primary group, as `su` does.
 * Only root can switch: anything else asking for another identity is an error.
 */
export async function resolveCredentials(user: string | undefined, group: string | undefined): Promise<Credentials> {
  if (user === undefined && group === undefined) return {};
  const creds: Credentials = {};
  if (user !== undefined) {
    const entries = await passwd();
    const entry = isNumeric(user) ? entries.find((e) => e.uid === Number(user)) : entries.find((e) => e.name === user);
    if (!entry && !isNumeric(user)) throw new Error(`unknown user "${user}" (not in ${idFiles.passwd})`);
    if (!entry && group === undefined) {
      throw new Error(`user ${user} has no entry in ${idFiles.passwd}, so its group is unknown: set group too`);
    }
    creds.uid = entry?.uid ?? Number(user);
    creds.gid = entry?.gid;
    if (entry) creds.env = { HOME: entry.home || '/', USER: entry.name, LOGNAME: entry.name };
  }
  if (group !== undefined) creds.gid = await groupId(group);

  const myUid = process.getuid?.() ?? -1;
  const myGid = process.getgid?.() ?? -1;
  const switching = (creds.uid !== undefined && creds.uid !== myUid) || (creds.gid !== undefined && creds.gid !== myGid);
  if (switching && myUid !== 0) {
    const who = [user && `user ${user}`, group && `group ${group}`].filter(Boolean).join(' and ');
    throw new Error(`running as ${who} needs rxmgmt to run as root (it runs as uid ${myUid})`);
  }
  return creds;
}
