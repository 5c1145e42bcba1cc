// Users and groups by name or number, from /etc/passwd and /etc/group, for resources that set
// owners (file) or run things as someone (exec's `user` and `group`).
//
//   import { resolveUid, resolveGid, lookupUser } from './accounts.js';
//   await resolveUid('www-data');   // 33; '33' gives 33 without reading anything
//   await resolveGid('nogroup');    // 65534; an unknown name rejects with UnknownAccountError
//   await lookupUser('nobody');     // { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: ... }
//
// Each table is parsed once and shared by every caller (thousands of resources with an owner
// cost one read), and read again when it changes: every lookup stats the table and compares
// inode, mtime and size, so a user created earlier in the same graph run is found.
//
// Only the files are read, not other NSS sources (LDAP, systemd-homed): use numeric ids for
// those accounts. A string of digits is always an id, never a name (as `chown 1000` does).
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { escapeControl } from './paths.js';

const stat = promisify(fs.stat);
const readFile = promisify(fs.readFile);

/** One line of the passwd table. */
export interface UserEntry {
  name: string;
  uid: number;
  /** The primary group. */
  gid: number;
  home: string;
  shell: string;
}

/** One line of the group table. */
export interface GroupEntry {
  name: string;
  gid: number;
  /** Users listed as supplementary members (not those whose primary group this is). */
  members: string[];
}

/** A user or group name that is in neither form known: not digits, not in the table. */
export class UnknownAccountError extends Error {
  constructor(
    readonly what: 'user' | 'group',
    readonly account: string,
    readonly table: string,
  ) {
    super(`unknown ${what} "${account}" (not in ${table})`);
    this.name = 'UnknownAccountError';
  }
}

/** Where the tables live; tests point these at files of their own. */
export interface AccountTables {
  passwd: string;
  group: string;
}

export const systemTables: Readonly<AccountTables> = Object.freeze({ passwd: '/etc/passwd', group: '/etc/group' });

const isId = (s: string): boolean => /^\d+$/.test(s);

/** Lines of `name:x:id:...`; comments, blanks, NIS `+`/`-` lines and malformed ids are skipped. */
function rows(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const cols = line.split(':');
    if (cols[0] && cols[2] !== undefined && isId(cols[2])) out.push(cols);
  }
  return out;
}

/** A parsed table indexed both ways; the first line for a name or an id wins, as getpwnam's does. */
class Index<T extends { name: string }> {
  readonly byName = new Map<string, T>();
  readonly byId = new Map<number, T>();
  constructor(entries: T[], id: (e: T) => number) {
    for (const e of entries) {
      if (!this.byName.has(e.name)) this.byName.set(e.name, e);
      if (!this.byId.has(id(e))) this.byId.set(id(e), e);
    }
  }
}

const parseUsers = (text: string) =>
  new Index<UserEntry>(
    rows(text)
      .filter((cols) => cols[3] !== undefined && isId(cols[3]))
      .map(([name, , uid, gid, , home, shell]) => ({
      name: name,
      uid: Number(uid),
      gid: Number(gid),
      home: home ?? '',
      shell: (shell ?? '').trim(),
    })),
    (u) => u.uid,
  );

const parseGroups = (text: string) =>
  new Index<GroupEntry>(
    rows(text).map(([name, , gid, members]) => ({
      name: name,
      gid: Number(gid),
      members: (members ?? '').trim().split(',').filter(Boolean),
    })),
    (g) => g.gid,
  );

/** One table file, parsed at most once per version of the file. */
class CachedTable<T> {
  private cached?: { version: string; parsed: Promise<T> };

  constructor(
    readonly path: string,
    private readonly parse: (text: string) => T,
  ) {}

  async get(): Promise<T> {
    let version: string;
    try {
      const st = await stat(this.path);
      version = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.ctimeMs}:${st.size}`;
    } catch (err) {
      throw new Error(`cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    if (this.cached?.version !== version) {
      const entry = {
        version,
        parsed: readFile(this.path, 'utf8').then(this.parse, (err: Error) => {
          if (this.cached === entry) this.cached = undefined; // retry on the next lookup
          throw new Error(`cannot read ${this.path}: ${err.message}`, { cause: err });
        }),
      };
      this.cached = entry;
    }
    return this.cached.parsed;
  }
}

/** Lookups against one pair of tables. Most code wants the module functions below instead. */
export class Accounts {
  private readonly users: CachedTable<Index<UserEntry>>;
  private readonly groups: CachedTable<Index<GroupEntry>>;

  constructor(readonly tables: AccountTables = systemTables) {
    this.users = new CachedTable(tables.passwd, parseUsers);
    this.groups = new CachedTable(tables.group, parseGroups);
  }

  /** The passwd entry for a user name or a numeric uid; undefined when there is none. */
  async user(nameOrUid: string): Promise<UserEntry | undefined> {
    const t = await this.users.get();
    return isId(nameOrUid) ? t.byId.get(Number(nameOrUid)) : t.byName.get(nameOrUid);
  }

  /** The group entry for a group name or a numeric gid; undefined when there is none. */
  async group(nameOrGid: string): Promise<GroupEntry | undefined> {
    const t = await this.groups.get();
    return isId(nameOrGid) ? t.byId.get(Number(nameOrGid)) : t.byName.get(nameOrGid);
  }

  /**
   * The uid for a user name or numeric uid. Digits are the uid itself (no table is read, the
   * user need not exist). Rejects with UnknownAccountError for an unknown name, or with
   * "cannot read /etc/passwd: ..." when the table cannot be read.
   */
  async uid(user: string): Promise<number> {
    if (isId(user)) return Number(user);
    const entry = await this.user(user);
    if (!entry) throw new UnknownAccountError('user', user, this.tables.passwd);
    return entry.uid;
  }

  /** The gid for a group name or numeric gid; as uid(), against the group table. */
  async gid(group: string): Promise<number> {
    if (isId(group)) return Number(group);
    const entry = await this.group(group);
    if (!entry) throw new UnknownAccountError('group', group, this.tables.group);
    return entry.gid;
  }
}

/** The system's accounts: /etc/passwd and /etc/group, shared by the whole process. */
export const systemAccounts = new Accounts();

/** uid of a user name or numeric uid, from /etc/passwd (see Accounts.uid). */
export const resolveUid = (user: string): Promise<number> => systemAccounts.uid(user);
/** gid of a group name or numeric gid, from /etc/group (see Accounts.gid). */
export const resolveGid = (group: string): Promise<number> => systemAccounts.gid(group);
/** The /etc/passwd entry of a user name or uid (home, shell, primary gid), or undefined. */
export const lookupUser = (nameOrUid: string): Promise<UserEntry | undefined> => systemAccounts.user(nameOrUid);
/** The /etc/group entry of a group name or gid (with its members), or undefined. */
export const lookupGroup = (nameOrGid: string): Promise<GroupEntry | undefined> => systemAccounts.group(nameOrGid);

/** The largest uid or gid: 2^32-1 is (uid_t)-1, which chown(2) reads as "leave it". */
export const MAX_ID = 2 ** 32 - 2;

/**
 * Why `value` cannot name a user (or group), or undefined when it can: a numeric id within
 * 0..MAX_ID, or a name of the characters account tools accept (letters, digits, `_`, `.`,
 * `-`, `@`, a final `$`; not starting with `-`). Whether the name exists is for the run to
 * find: a graph may create it first.
 */
export function accountProblem(value: string, what: 'user' | 'group'): string | undefined {
  if (isId(value)) {
    return Number(value) > MAX_ID ? `${quotedValue(value)} is not a possible ${what} id: ids go from 0 to ${MAX_ID}` : undefined;
  }
  if (/^[-+]?[\d.eE+-]*\d[\d.eE+-]*$/.test(value)) {
    return `${quotedValue(value)} is not a possible ${what} id: an id is a whole number from 0 to ${MAX_ID}`;
  }
  if (value.length > 256 || !/^[A-Za-z0-9_.@][A-Za-z0-9_.@-]*\$?$/.test(value)) {
    return `${quotedValue(value)} is neither a numeric id nor a possible ${what} name (letters, digits, "_", ".", "-", "@")`;
  }
  return undefined;
}

const quotedValue = (v: string): string => `"${escapeControl(v.length > 64 ? v.slice(0, 61) + '...' : v)}"`;
