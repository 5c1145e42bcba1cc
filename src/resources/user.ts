// user: a local account in /etc/passwd, its ids, primary and supplementary groups, home and
// shell, made so with useradd/usermod/userdel. Fields follow mgmt's user resource, so mgmt
// graphs run unchanged.
import { type Observable, merge } from 'rxjs';
import { posix } from 'node:path';
import type { Change, ChangeSink } from '../model/events.js';
import type { ResourceSpec } from '../model/spec.js';
import type { Logger } from '../util/logger.js';
import { lookupGroup, lookupUser } from '../util/accounts.js';
import { watchPath } from '../watch/index.js';
import { badAccountName, badColumn, badId } from './user/names.js';
import { type ShadowPlan, applyShadowPlan } from './user/shadow-tools.js';
import { GROUP_TABLE, memberOf } from './user/tables.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';

const fields: Record<string, FieldSchema> = {
  state: { type: 'string', enum: ['exists', 'absent'], default: 'exists', doc: 'whether the user must exist or be absent' },
  uid: { type: 'integer', doc: 'the user id; absent: useradd picks one, and an existing user keeps its own' },
  gid: { type: 'integer', doc: "the primary group's id (use this or group); absent leaves it alone" },
  group: { type: 'string', doc: 'the primary group by name (use this or gid); absent leaves it alone' },
  groups: { type: 'string[]', doc: 'the supplementary groups, exactly these ([] for none); absent leaves them alone' },
  homedir: { type: 'string', doc: 'absolute home directory, ending in "/"; recorded in /etc/passwd, not created' },
  shell: { type: 'string', doc: 'absolute path of the login shell, like /bin/bash or /usr/sbin/nologin; absent leaves it alone' },
  allowduplicateuid: { type: 'boolean', default: false, doc: 'allow uid to be shared with another user (useradd --non-unique)' },
};

const present = (v: unknown): boolean => v !== undefined && v !== null;

function validate(params: Record<string, unknown>, name?: string): string | undefined {
  if (name !== undefined) {
    const bad = badAccountName(name);
    if (bad) return `user ${bad}`;
  }
  for (const key of ['uid', 'gid'] as const) {
    const bad = badId(key, params[key]);
    if (bad) return bad;
  }
  if (present(params.gid) && present(params.group)) return 'give either `gid` or `group` for the primary group, not both';
  if (present(params.group)) {
    const bad = badAccountName(String(params.group));
    if (bad) return `\`group\` ${bad}`;
  }
  if (present(params.groups)) {
    for (const g of params.groups as string[]) {
      const bad = badAccountName(g);
      if (bad) return `\`groups\` has ${bad}`;
      if (present(params.group) && g === params.group) return `the primary group "${g}" must not be in \`groups\` too`;
      if (name !== undefined && g === name) return `\`groups\` must not hold the user's own name "${g}"`;
    }
  }
  if (present(params.homedir)) {
    const home = String(params.homedir);
    if (!posix.isAbsolute(home)) return `\`homedir\` must be an absolute path, got ${JSON.stringify(home)}`;
    if (!home.endsWith('/')) return `\`homedir\` names a directory and must end in "/", got ${JSON.stringify(home)}`;
    const bad = badColumn('homedir', home);
    if (bad) return bad;
  }
  if (present(params.shell)) {
    const shell = String(params.shell);
    if (!posix.isAbsolute(shell)) return `\`shell\` must be an absolute path like /bin/bash, got ${JSON.stringify(shell)}`;
    const bad = badColumn('shell', shell);
    if (bad) return bad;
  }
  const state = params.state ?? 'exists';
  if (state !== 'exists' && state !== 'absent') return `\`state\` must be "exists" or "absent", got ${JSON.stringify(state)}`;
  return undefined;
}

/** The desired state; undefined fields are left alone. */
interface Desired {
  state: 'exists' | 'absent';
  uid?: number;
  gid?: number;
  group?: string;
  /** Sorted, without duplicates. */
  groups?: string[];
  /** Cleaned: no trailing slash (as /etc/passwd spells it). */
  homedir?: string;
  shell?: string;
  allowDuplicateUid: boolean;
}

function desiredFrom(p: Record<string, unknown>): Desired {
  return {
    state: p.state === 'absent' ? 'absent' : 'exists',
    uid: present(p.uid) ? Number(p.uid) : undefined,
    gid: present(p.gid) ? Number(p.gid) : undefined,
    group: present(p.group) ? String(p.group) : undefined,
    groups: present(p.groups) ? [...new Set(p.groups as string[])].sort() : undefined,
    homedir: present(p.homedir) ? posix.normalize(String(p.homedir)).replace(/(.)\/$/, '$1') : undefined,
    shell: present(p.shell) ? String(p.shell) : undefined,
    allowDuplicateUid: p.allowduplicateuid === true,
  };
}

/** What a run found to do: the command, its arguments, and the changes it makes. */
type Plan = ShadowPlan<'useradd' | 'usermod' | 'userdel'>;

export class UserResource implements Resource {
  readonly kind = 'user';
  readonly fingerprint: string;
  /** This resource ran useradd: what meta reverse undoes. */
  private created = false;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly want: Desired,
    private readonly env: ResourceEnv,
    private readonly log: Logger,
  ) {
    this.fingerprint = JSON.stringify({ ...want, groups: want.groups ?? null });
  }

  /**
   * The three tables a user lives in: passwd (ids, home, shell), shadow (usermod and userdel
   * rewrite it) and group (supplementary membership, which `gpasswd -a` changes alone).
   */
  watch(): Observable<void> {
    return merge(watchPath('/etc/passwd'), watchPath('/etc/shadow'), watchPath(GROUP_TABLE));
  }

  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    const target = { who: `user[${this.name}]`, name: this.name, log: this.log, scheduler: this.env.scheduler };
    return applyShadowPlan(target, () => this.plan(), apply, changes, (tool) => {
      if (tool === 'useradd') this.created = true;
    });
  }

  /**
   * Its groups come first (they must exist before it can be in them). An absent user goes the
   * other way, before the absent group it names as primary (groupdel refuses a user's primary
   * group): it provides `leaving-user:group:G` / `leaving-user:gid:N` for that group to want.
   */
  autoEdges(): AutoEdges {
    const { state, uid, gid, group, groups } = this.want;
    const provides = [`user:${this.name}`, ...(uid !== undefined ? [`uid:${uid}`] : [])];
    if (state === 'absent') {
      if (gid !== undefined) provides.push(`leaving-user:gid:${gid}`);
      if (group !== undefined) provides.push(`leaving-user:group:${group}`);
      return { provides, wants: [] };
    }
    const wants: string[][] = [];
    if (gid !== undefined) wants.push([`gid:${gid}`]);
    if (group !== undefined) wants.push([`group:${group}`]);
    for (const g of groups ?? []) wants.push([`group:${g}`]);
    return { provides, wants };
  }

  /** The account; and its uid, unless it may be shared. */
  manages(): string[] {
    const { state, uid, allowDuplicateUid } = this.want;
    const shared = state === 'absent' || uid === undefined || allowDuplicateUid;
    return [`user:${this.name}`, ...(shared ? [] : [`uid:${uid}`])];
  }

  /** A user this resource created is removed again; one that was there before is left as it is. */
  reversed(): Resource | undefined {
    if (this.want.state !== 'exists' || !this.created) return undefined;
    const meta = { ...this.meta, reverse: false };
    return new UserResource(this.name, meta, { state: 'absent', allowDuplicateUid: false }, this.env, this.log);
  }

  private async plan(): Promise<Plan | undefined> {
    const { want, name } = this;
    const seen = await this.lookup(() => lookupUser(name));
    if (want.state === 'absent') {
      if (!seen) return undefined;
      return { tool: 'userdel', args: [], changes: [{ field: 'state', from: 'exists', to: 'absent' }], action: `delete user ${name}` };
    }
    if (want.uid !== undefined && !want.allowDuplicateUid) {
      const owner = await this.lookup(() => lookupUser(String(want.uid)));
      if (owner && owner.name !== name) {
        throw new Error(`user[${name}]: uid ${want.uid} is already taken by user "${owner.name}" (set allowduplicateuid: true to share it)`);
      }
    }
    if (!seen) {
      const args = this.argsFor(new Set(['uid', 'gid', 'group', 'groups', 'homedir', 'shell']));
      const made: Change[] = [{ field: 'state', from: 'absent', to: 'exists' }];
      const set = { uid: want.uid?.toString(), gid: want.gid?.toString(), group: want.group, groups: want.groups?.join(','), homedir: want.homedir, shell: want.shell };
      for (const [field, to] of Object.entries(set)) if (to !== undefined) made.push({ field, to });
      return { tool: 'useradd', args, changes: made, action: `add user ${name}` };
    }
    const diff: Change[] = [];
    const differs = (field: string, from: string, to: string | undefined) => {
      if (to !== undefined && from !== to) diff.push({ field, from, to });
    };
    differs('uid', String(seen.uid), want.uid?.toString());
    differs('gid', String(seen.gid), want.gid?.toString());
    const primary = want.group !== undefined || want.groups !== undefined ? await this.lookup(() => lookupGroup(String(seen.gid))) : undefined;
    differs('group', primary?.name ?? String(seen.gid), want.group);
    if (want.groups !== undefined) {
      const have = (await this.lookup(() => memberOf(name))).filter((g) => g !== primary?.name);
      differs('groups', have.join(','), want.groups.join(','));
    }
    differs('homedir', seen.home === '' ? '' : posix.normalize(seen.home).replace(/(.)\/$/, '$1'), want.homedir);
    differs('shell', seen.shell, want.shell);
    if (diff.length === 0) return undefined;
    const args = this.argsFor(new Set(diff.map((c) => c.field)));
    const what = diff.map((c) => `${c.field} ${c.from || '""'} -> ${c.to || '""'}`).join(', ');
    return { tool: 'usermod', args, changes: diff, action: `modify user ${name}: ${what}` };
  }

  /** useradd/usermod options for the given fields (those that are set). */
  private argsFor(which: Set<string>): string[] {
    const { uid, gid, group, groups, homedir, shell, allowDuplicateUid } = this.want;
    const args: string[] = [];
    if (which.has('uid') && uid !== undefined) args.push(...(allowDuplicateUid ? ['--non-unique'] : []), '--uid', String(uid));
    if (which.has('gid') && gid !== undefined) args.push('--gid', String(gid));
    if (which.has('group') && group !== undefined) args.push('--gid', group);
    if (which.has('groups') && groups !== undefined) args.push('--groups', groups.join(','));
    if (which.has('homedir') && homedir !== undefined) args.push('--home', homedir);
    if (which.has('shell') && shell !== undefined) args.push('--shell', shell);
    return args;
  }

  /** A table lookup whose failure names this resource. */
  private async lookup<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      throw new Error(`user[${this.name}]: ${(err as Error).message}`, { cause: err });
    }
  }
}

export const userKind: ResourceKind = {
  kind: 'user',
  doc:
    'A local user account: present or absent, its uid, primary group (gid or group), supplementary ' +
    'groups, home directory and shell, made so with useradd, usermod and userdel. Drift is seen at ' +
    'once through inotify on /etc/passwd, /etc/shadow and /etc/group.',
  fields,
  validate: (params) => validate(params),
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params, spec.name);
    if (problem) throw new Error(`user[${spec.name}]: ${problem}`);
    return new UserResource(spec.name, spec.meta, desiredFrom(spec.params), env, env.log.child(`user[${spec.name}]`));
  },
};
