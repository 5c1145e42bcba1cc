// A client of systemd-hostnamed (org.freedesktop.hostname1): the three host names, their
// setters, and the signal that says one changed. hostnamed is D-Bus activated by the first call
// and exits when idle; the signal match stays on the bus daemon meanwhile.
import { type Observable, map } from 'rxjs';
import { type BusConnection, text } from './bus.js';

export const HOSTNAMED = {
  name: 'org.freedesktop.hostname1',
  path: '/org/freedesktop/hostname1',
  iface: 'org.freedesktop.hostname1',
} as const;

/** The names as hostnamed reports them. */
export interface HostNames {
  /** The kernel's host name now (the transient one): `Hostname`. */
  transient: string;
  /** /etc/hostname: `StaticHostname` ("" when unset). */
  static: string;
  /** /etc/machine-info PRETTY_HOSTNAME: `PrettyHostname`. */
  pretty: string;
}

export type HostNameKind = keyof HostNames;

/** The setter of each name. */
const SETTERS: Record<HostNameKind, string> = { transient: 'SetHostname', static: 'SetStaticHostname', pretty: 'SetPrettyHostname' };

/** A property hostnamed declares as a string (`s`); absent reads as "". */

export class HostnamedClient {
  constructor(readonly conn: BusConnection) {}

  async names(): Promise<HostNames> {
    const p = await this.conn.getAllProperties(HOSTNAMED.name, HOSTNAMED.path, HOSTNAMED.iface);
    return { transient: text(p.Hostname), static: text(p.StaticHostname), pretty: text(p.PrettyHostname) };
  }

  /** Sets one name; `interactive` false: never waits for a polkit agent. */
  async set(kind: HostNameKind, value: string): Promise<void> {
    await this.conn.call(HOSTNAMED.name, HOSTNAMED.path, HOSTNAMED.iface, SETTERS[kind], 'sb', [value, false]);
  }

  /** Emits the changed property names whenever hostnamed says a name changed. */
  changes(): Observable<string[]> {
    return this.conn
      .signals({ sender: HOSTNAMED.name, path: HOSTNAMED.path, interface: 'org.freedesktop.DBus.Properties', member: 'PropertiesChanged' })
      .pipe(
        map((msg) => {
          const [, changed, invalidated] = msg.body as [string, Record<string, unknown>, string[]];
          return [...Object.keys(changed ?? {}), ...(invalidated ?? [])];
        }),
      );
  }
}
