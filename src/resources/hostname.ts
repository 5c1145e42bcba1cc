// hostname: the machine's host names (pretty, static, transient) through systemd-hostnamed's
// D-Bus API (org.freedesktop.hostname1). Fields and their fallbacks follow mgmt's hostname
// resource, so mgmt graphs run unchanged: `hostname` (else the resource's name) stands for every
// name not given; a name given as "" is left alone.
import { type Observable, defer, from, map, merge, switchMap, take, throwError, timeout } from 'rxjs';
import type { ResourceSpec } from '../model/spec.js';
import type { ChangeSink } from '../model/events.js';
import type { Logger } from '../util/logger.js';
import { watchPath } from '../watch/index.js';
import { useBus } from '../dbus/bus.js';
import { HostnamedClient, type HostNameKind, type HostNames } from '../dbus/hostnamed.js';
import type { FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';

const fields: Record<string, FieldSchema> = {
  hostname: { type: 'string', doc: 'the name every other field falls back to (default: the resource name)' },
  pretty_hostname: { type: 'string', doc: 'free-form name for people (/etc/machine-info); "" leaves it alone' },
  static_hostname: { type: 'string', doc: 'the configured name (/etc/hostname); "" leaves it alone' },
  transient_hostname: { type: 'string', doc: "the kernel's current name (sethostname); \"\" leaves it alone" },
};

/** One plain call to hostnamed (D-Bus activation included); on the engine's scheduler. */
export const HOSTNAME_CALL_MS = 2 * 60_000;

/** The YAML field of each name, in the order they are applied (as mgmt does). */
const FIELDS: ReadonlyArray<[HostNameKind, string]> = [
  ['pretty', 'pretty_hostname'],
  ['static', 'static_hostname'],
  ['transient', 'transient_hostname'],
];

type Wanted = Partial<Record<HostNameKind, string>>;

/** A host name hostnamed accepts as static or transient: dot-separated labels, 64 chars at most. */
const HOST_NAME = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;

/** The names to manage, after the fallbacks; or what is wrong. */
function wanted(params: Record<string, unknown>, name: string): Wanted | string {
  const base = typeof params.hostname === 'string' && params.hostname !== '' ? params.hostname : name;
  const out: Wanted = {};
  for (const [kind, field] of FIELDS) {
    const v = typeof params[field] === 'string' ? (params[field]) : base;
    if (v === '') continue;
    if (kind !== 'pretty' && (v.length > 64 || !HOST_NAME.test(v))) {
      const from = typeof params[field] === 'string' ? `\`${field}\`` : typeof params.hostname === 'string' && params.hostname !== '' ? '`hostname`' : 'the resource name (no `hostname` given)';
      return `${from} gives the ${kind} host name "${v}", which is not a valid host name (letters, digits and "-" in dot-separated labels, 64 characters at most)`;
    }
    out[kind] = v;
  }
  if (Object.keys(out).length === 0) return 'every host name is "" (left alone): nothing to manage';
  if (out.static !== undefined && out.transient !== undefined && out.static !== out.transient) {
    return `the transient host name "${out.transient}" differs from the static one "${out.static}": systemd-hostnamed keeps the kernel's name at the static host name whenever one is set; make them equal, or set one of them to ""`;
  }
  return out;
}

export class HostnameResource implements Resource {
  readonly kind = 'hostname';
  readonly fingerprint: string;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly want: Wanted,
    private readonly env: ResourceEnv,
  ) {
    this.fingerprint = JSON.stringify(want);
    this.log = env.log.child(`hostname[${name}]`);
  }

  /** One machine has one set of host names. */
  manages(): string[] {
    return ['hostname:'];
  }

  /**
   * hostnamed's PropertiesChanged (any name set through it: hostnamectl, another tool), and the
   * files it keeps them in, /etc/hostname and /etc/machine-info, edited by hand.
   */
  watch(): Observable<void> {
    const bus$ = useBus('system').pipe(switchMap((conn) => new HostnamedClient(conn).changes()));
    return merge(bus$, watchPath('/etc/hostname'), watchPath('/etc/machine-info')).pipe(map(() => undefined));
  }

  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return useBus('system').pipe(
      switchMap((conn) => defer(() => this.run(new HostnamedClient(conn), apply, changes))),
      take(1),
    );
  }

  private within<T>(what: string, f: () => Promise<T>): Promise<T> {
    const ms = HOSTNAME_CALL_MS;
    return new Promise<T>((resolve, reject) => {
      defer(() => from(f()))
        .pipe(timeout({ first: ms, scheduler: this.env.scheduler, with: () => throwError(() => new Error(`${what}: no answer from systemd-hostnamed within ${ms / 1000} s`)) }))
        .subscribe({ next: resolve, error: (e: Error) => reject(new Error(`hostname[${this.name}]: ${e.message}`, { cause: e })) });
    });
  }

  /** Pretty, then static, then transient: each read fresh (setting one may change the next). */
  private async run(hn: HostnamedClient, apply: boolean, changes?: ChangeSink): Promise<boolean> {
    let ok = true;
    let now: HostNames = await this.within('read the host names', () => hn.names());
    for (const [kind, field] of FIELDS) {
      const to = this.want[kind];
      if (to === undefined || now[kind] === to) continue;
      ok = false;
      changes?.({ field, from: now[kind], to });
      this.log.info(`${apply ? '' : 'noop, would '}set the ${kind} host name: "${now[kind]}" -> "${to}"`);
      if (!apply) continue;
      await this.within(`set the ${kind} host name`, () => hn.set(kind, to));
      now = await this.within('read the host names', () => hn.names());
      if (now[kind] !== to) {
        const why = kind === 'transient' && now.static !== '' ? ` (the static host name "${now.static}" takes precedence over a transient one)` : '';
        throw new Error(`hostname[${this.name}]: systemd-hostnamed accepted the ${kind} host name "${to}" but reports "${now[kind]}"${why}`);
      }
    }
    return ok;
  }
}

export const hostnameKind: ResourceKind = {
  kind: 'hostname',
  doc:
    "The machine's host names: pretty, static (/etc/hostname) and transient (the kernel's), set " +
    'through systemd-hostnamed over D-Bus; changes made behind its back are seen at once.',
  fields,
  validate: (params) => {
    // The name is not known here; check what the fields alone decide.
    const w = wanted(params, 'x');
    return typeof w === 'string' && !w.includes('resource name') ? w : undefined;
  },
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const w = wanted(spec.params, spec.name);
    if (typeof w === 'string') throw new Error(`hostname[${spec.name}]: ${w}`);
    return new HostnameResource(spec.name, spec.meta, w, env);
  },
};
