// group: a local group in /etc/group and its gid, made so with groupadd/groupmod/groupdel.
// Fields follow mgmt's group resource, so mgmt graphs run unchanged.
import type { Observable } from 'rxjs';
import type { Change, ChangeSink } from '../model/events.js';
import type { ResourceSpec } from '../model/spec.js';
import type { Logger } from '../util/logger.js';
import { lookupGroup } from '../util/accounts.js';
import { watchPath } from '../watch/index.js';
import { badAccountName, badId } from './user/names.js';
import { type ShadowPlan, applyShadowPlan } from './user/shadow-tools.js';
import { GROUP_TABLE } from './user/tables.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';

const fields: Record<string, FieldSchema> = {
  state: { type: 'string', enum: ['exists', 'absent'], default: 'exists', doc: 'whether the group must exist or be absent' },
  gid: { type: 'integer', doc: 'the group id; absent: groupadd picks one, and an existing group keeps its own' },
};

function validate(params: Record<string, unknown>, name?: string): string | undefined {
  if (name !== undefined) {
    const bad = badAccountName(name);
    if (bad) return `group ${bad}`;
  }
  const bad = badId('gid', params.gid);
  if (bad) return bad;
  const state = params.state ?? 'exists';
  if (state !== 'exists' && state !== 'absent') return `\`state\` must be "exists" or "absent", got ${JSON.stringify(state)}`;
  return undefined;
}

interface Desired {
  state: 'exists' | 'absent';
  gid?: number;
}

type Plan = ShadowPlan<'groupadd' | 'groupmod' | 'groupdel'>;

export class GroupResource implements Resource {
  readonly kind = 'group';
  readonly fingerprint: string;
  /** This resource ran groupadd: what meta reverse undoes. */
  private created = false;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly want: Desired,
    private readonly env: ResourceEnv,
    private readonly log: Logger,
  ) {
    this.fingerprint = JSON.stringify({ state: want.state, gid: want.gid ?? null });
  }

  watch(): Observable<void> {
    return watchPath(GROUP_TABLE);
  }

  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    const target = { who: `group[${this.name}]`, name: this.name, log: this.log, scheduler: this.env.scheduler };
    return applyShadowPlan(target, () => this.plan(), apply, changes, (tool) => {
      if (tool === 'groupadd') this.created = true;
    });
  }

  /**
   * Users (and files owned by the group) come after it, by name or by gid. An absent group
   * comes after an absent user whose primary group it is (groupdel refuses it before).
   */
  autoEdges(): AutoEdges {
    const { gid, state } = this.want;
    const wants = state === 'absent' ? [[`leaving-user:group:${this.name}`], ...(gid !== undefined ? [[`leaving-user:gid:${gid}`]] : [])] : [];
    return { provides: [`group:${this.name}`, ...(gid !== undefined ? [`gid:${gid}`] : [])], wants };
  }

  manages(): string[] {
    const { state, gid } = this.want;
    return [`group:${this.name}`, ...(state === 'exists' && gid !== undefined ? [`gid:${gid}`] : [])];
  }

  /** A group this resource created is removed again; one that was there before is left as it is. */
  reversed(): Resource | undefined {
    if (this.want.state !== 'exists' || !this.created) return undefined;
    return new GroupResource(this.name, { ...this.meta, reverse: false }, { state: 'absent' }, this.env, this.log);
  }

  private async plan(): Promise<Plan | undefined> {
    const { name, want } = this;
    const seen = await this.lookup(name);
    if (want.state === 'absent') {
      if (!seen) return undefined;
      return { tool: 'groupdel', args: [], changes: [{ field: 'state', from: 'exists', to: 'absent' }], action: `delete group ${name}` };
    }
    if (want.gid !== undefined) {
      const owner = await this.lookup(String(want.gid));
      if (owner && owner.name !== name) throw new Error(`group[${name}]: gid ${want.gid} already belongs to group "${owner.name}"`);
    }
    const args = want.gid !== undefined ? ['--gid', String(want.gid)] : [];
    if (!seen) {
      const changes: Change[] = [{ field: 'state', from: 'absent', to: 'exists' }, ...(want.gid !== undefined ? [{ field: 'gid', to: String(want.gid) }] : [])];
      return { tool: 'groupadd', args, changes, action: `add group ${name}` };
    }
    if (want.gid === undefined || seen.gid === want.gid) return undefined;
    const change = { field: 'gid', from: String(seen.gid), to: String(want.gid) };
    return { tool: 'groupmod', args, changes: [change], action: `modify group ${name}: gid ${change.from} -> ${change.to}` };
  }

  private async lookup(nameOrGid: string) {
    try {
      return await lookupGroup(nameOrGid);
    } catch (err) {
      throw new Error(`group[${this.name}]: ${(err as Error).message}`, { cause: err });
    }
  }
}

export const groupKind: ResourceKind = {
  kind: 'group',
  doc:
    'A local group: present or absent, and its gid, made so with groupadd, groupmod and groupdel. ' +
    'Drift is seen at once through inotify on /etc/group.',
  fields,
  validate: (params) => validate(params),
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params, spec.name);
    if (problem) throw new Error(`group[${spec.name}]: ${problem}`);
    const p = spec.params;
    const want: Desired = { state: p.state === 'absent' ? 'absent' : 'exists', gid: p.gid === undefined || p.gid === null ? undefined : Number(p.gid) };
    return new GroupResource(spec.name, spec.meta, want, env, env.log.child(`group[${spec.name}]`));
  },
};
