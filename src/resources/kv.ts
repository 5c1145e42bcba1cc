// kv: a string in the World that every host shares (mgmt's kv resource, same fields). A global
// key is one value for the whole fleet; a mapped key holds one value per host (this host
// writes its own). With `--seeds` the World is etcd, otherwise the in-process one.
import { type Observable, defer, firstValueFrom, map, skip } from 'rxjs';
import type { FieldSchema, Resource, ResourceEnv, ResourceKind, WorldStrings } from '../model/resource.js';
import type { ResourceSpec } from '../model/spec.js';

/** mgmt's SkipCmpStyle: 0 compares as integers, 1 as strings. */
const CMP_INT = 0;
const CMP_STRING = 1;

const fields: Record<string, FieldSchema> = {
  key: { type: 'string', doc: 'the key to set; absent or empty: the resource\'s name' },
  value: { type: 'string', doc: 'the value the key must have; absent: the key must not exist (it is deleted)' },
  mapped: { type: 'boolean', default: false, doc: 'keep one value per host under the key (this host writes its own) instead of one global value' },
  skiplessthan: {
    type: 'boolean',
    default: false,
    doc: 'leave a greater value in place: only raise the key (a refresh still sets it)',
  },
  skipcmpstyle: { type: 'integer', default: 0, doc: 'how skiplessthan compares: 0 as integers, 1 as strings' },
};

interface Want {
  key: string;
  value?: string;
  mapped: boolean;
  skipLessThan: boolean;
  cmpStyle: number;
}

function validate(params: Record<string, unknown>): string | undefined {
  const style = params.skipcmpstyle ?? CMP_INT;
  if (style !== CMP_INT && style !== CMP_STRING) return `\`skipcmpstyle\` must be 0 (integers) or 1 (strings), got ${JSON.stringify(style)}`;
  if (params.skiplessthan === true && style === CMP_INT && typeof params.value === 'string' && !/^[-+]?\d+$/.test(params.value.trim())) {
    return `\`value\` "${params.value}" is not an integer, which skiplessthan with skipcmpstyle 0 compares as`;
  }
  return undefined;
}

/**
 * Whether `current` may stay although it differs from `want` (skiplessthan: it is already
 * greater). An unreadable current integer is overwritten, as mgmt does (an old value).
 */
function greaterStays(w: Want, current: string, refresh: boolean): boolean {
  if (!w.skipLessThan || refresh || w.value === undefined) return false;
  if (w.cmpStyle === CMP_STRING) return w.value < current;
  if (!/^[-+]?\d+$/.test(current.trim())) return false;
  return Number.parseInt(w.value, 10) < Number.parseInt(current, 10);
}

class KvResource implements Resource {
  readonly kind = 'kv';

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    private readonly want: Want,
    private readonly env: ResourceEnv,
    private readonly log = env.log.child(`kv[${name}]`),
  ) {}

  get fingerprint(): string {
    const { key, value, mapped, skipLessThan, cmpStyle } = this.want;
    return JSON.stringify({ key, value: value ?? null, mapped, skipLessThan, cmpStyle });
  }

  /** The World, read when used: a graph may be built before the World is connected. */
  private get world(): WorldStrings {
    const w = this.env.world;
    if (!w) throw new Error(`kv[${this.name}]: no World to keep key "${this.want.key}" in`);
    return w;
  }

  /** This host's view of the key: the global value, or this host's entry of a mapped key. */
  private current$(): Observable<string | undefined> {
    const { key, mapped } = this.want;
    return mapped ? this.world.strMapValues(key).pipe(map((m) => m.get(this.env.hostname))) : this.world.strValues(key);
  }

  /** Every change of the key in the World (the current value on subscribe is not a change). */
  watch(): Observable<void> {
    return defer(() => this.current$()).pipe(
      skip(1),
      map(() => undefined),
    );
  }

  checkApply(apply: boolean, refresh: boolean): Observable<boolean> {
    return defer(() => this.run(apply, refresh));
  }

  private async run(apply: boolean, refresh: boolean): Promise<boolean> {
    const w = this.want;
    const current = await firstValueFrom(this.current$());
    if (current === w.value) return true;
    if (current !== undefined && greaterStays(w, current, refresh)) return true;
    const set = (v: string | undefined) => (w.mapped ? this.world.strMapSet(w.key, v) : this.world.strSet(w.key, v));
    const what = w.value === undefined ? 'delete' : `set to ${JSON.stringify(w.value)}`;
    if (apply) await set(w.value);
    this.log.info(`key "${w.key}"${w.mapped ? ` (of host ${this.env.hostname})` : ''}: ${apply ? '' : 'noop, would '}${what}`);
    return false;
  }
}

export const kvKind: ResourceKind = {
  kind: 'kv',
  doc:
    'A string in the World shared by every host (mgmt\'s kv): a global key, or with mapped one value per ' +
    'host. The value is set (or, without one, the key deleted); skiplessthan only ever raises it. Watched ' +
    'through the World: a change by any host is seen at once.',
  fields,
  validate,
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params);
    if (problem) throw new Error(`kv[${spec.name}]: ${problem}`);
    const p = spec.params;
    const key = typeof p.key === 'string' && p.key !== '' ? p.key : spec.name;
    const want: Want = {
      key,
      value: typeof p.value === 'string' ? p.value : undefined,
      mapped: p.mapped === true,
      skipLessThan: p.skiplessthan === true,
      cmpStyle: typeof p.skipcmpstyle === 'number' ? p.skipcmpstyle : CMP_INT,
    };
    return new KvResource(spec.name, spec.meta, want, env);
  },
};
