// Two resources that manage one thing (a file, a unit, a package) would fight over it forever,
// each undoing the other on every event: that is a load error, found with Resource.manages().
import type { Resource } from '../model/resource.js';
import type { ResourceSpec, SourcePos } from '../model/spec.js';
import { type Logger, escapeControl } from '../util/logger.js';

/** Where a collected resource's spec says it came from (see loader/collected.ts): `world:HOST`. */
const COLLECTED = 'world:';

export const collectedFrom = (spec: ResourceSpec): string | undefined =>
  spec.pos.file.startsWith(COLLECTED) ? spec.pos.file.slice(COLLECTED.length) : undefined;

export interface Claim {
  key: string;
  pos: SourcePos;
  /** The host it was collected from; undefined for a resource of the graph file. */
  host?: string;
}

/** One thing managed by two resources of the graph file: `first` is the one written first. */
export interface Conflict {
  /** What both manage, normalised: `file:/etc/foo`, `svc:nginx.service`, `pkg:nginx`. */
  thing: string;
  first: Claim;
  second: Claim;
}

/** One line; control characters in names escaped. */
export const formatConflict = ({ thing, first, second }: Conflict): string =>
  escapeControl(`${second.pos.file}:${second.pos.line}: ${second.key}: manages ${thing}, as does ${first.key} (${first.pos.file}:${first.pos.line}); expected one resource per thing managed`);

export interface ConflictResult {
  /** Conflicts between resources of the graph file: the graph must not be built. */
  conflicts: Conflict[];
  /** Collected resources refused because a resource already in the graph manages the same thing. */
  refused: Conflict[];
}

/**
 * Checks every resource's `manages()` against the others. Resources of the graph file come
 * first, then collected ones in order: a collected resource that manages what a resource before
 * it does is refused (`refused`, its `second` the collected one) and the first one is kept; two
 * resources of the graph file are a conflict. `keys[i]` is the key of `specs[i]`, `held[i]` the
 * resource the graph holds under it. One index of thing -> the first claimant's position; a
 * claim is made only for a clash.
 */
export function findConflicts(specs: readonly ResourceSpec[], keys: readonly string[], held: readonly Resource[]): ConflictResult {
  const owners = new Map<string, number>();
  const conflicts: Conflict[] = [];
  const refused: Conflict[] = [];
  const claim = (i: number): Claim => {
    const host = collectedFrom(specs[i]);
    return host === undefined ? { key: keys[i], pos: specs[i].pos } : { key: keys[i], pos: specs[i].pos, host };
  };
  const check = (i: number, host: string | undefined): void => {
    const things = held[i].manages?.();
    if (things === undefined || things.length === 0) return;
    let clashes: Conflict[] | undefined;
    for (let t = 0; t < things.length; t++) {
      const first = owners.get(things[t]);
      if (first !== undefined) (clashes ??= []).push({ thing: things[t], first: claim(first), second: claim(i) });
    }
    if (clashes === undefined) {
      for (let t = 0; t < things.length; t++) owners.set(things[t], i);
      return;
    }
    if (host !== undefined) {
      refused.push(...clashes);
      return;
    }
    conflicts.push(...clashes);
    for (const thing of things) if (!owners.has(thing)) owners.set(thing, i);
  };
  const collected: number[] = [];
  for (let i = 0; i < specs.length; i++) {
    if (collectedFrom(specs[i]) === undefined) check(i, undefined);
    else collected.push(i);
  }
  for (const i of collected) check(i, collectedFrom(specs[i]));
  return { conflicts, refused };
}

/** The warning for a refused collected resource: its host, its key and what it collides with. */
export function warnRefused(log: Logger, { thing, first, second }: Conflict): void {
  const other = first.host === undefined ? `${first.key} of the graph file (${first.pos.file}:${first.pos.line})` : `${first.key} collected from host ${first.host}`;
  log.warn(`collect: refusing ${second.key} from host ${second.host}: it manages ${thing}, as does ${other}`);
}
