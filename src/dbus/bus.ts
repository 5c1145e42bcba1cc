// A D-Bus connection as the resources need it: method calls as Promises, signals as
// Observables (one refcounted AddMatch per rule), and one shared connection per bus that
// opens with its first user and closes with its last, so a process that has nothing left to
// watch is not held open by a socket.
//
// Built on dbus-next's low-level MessageBus (call + 'message'), not its proxy objects: a proxy
// introspects on creation, which costs a round trip per object and D-Bus-activates services
// (packagekitd) just to be looked at.
import { Observable, share, ReplaySubject, filter } from 'rxjs';
import { createRequire } from 'node:module';
import type { Message, MessageBus } from 'dbus-next';

// dbus-next (and its XML and socket dependencies) is loaded at the first D-Bus use, not at
// start-up: most graphs have no svc or pkg resource, and loading it costs ~50 ms.
const require = createRequire(import.meta.url);
let dbusModule: typeof import('dbus-next') | undefined;
const dbusLib = (): typeof import('dbus-next') => (dbusModule ??= require('dbus-next') as typeof import('dbus-next'));

export type BusKind = 'system' | 'session';

/** A match rule; every key given must equal the signal's header field. */
export interface SignalMatch {
  /** A unique name or a well-known one (the bus daemon resolves it to the current owner). */
  sender?: string;
  path?: string;
  interface?: string;
  member?: string;
  /** The first body argument, when it is a string. */
  arg0?: string;
}

/** Signal type, for comparing `msg.type` without depending on the enum's runtime shape. */
const SIGNAL = 4;
const DBUS = { name: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', iface: 'org.freedesktop.DBus' };
const PROPS = 'org.freedesktop.DBus.Properties';

/** The match rule text for AddMatch / RemoveMatch. Values are quoted; quotes cannot occur in them. */
export function matchRule(m: SignalMatch): string {
  const parts = ["type='signal'"];
  if (m.sender) parts.push(`sender='${m.sender}'`);
  if (m.path) parts.push(`path='${m.path}'`);
  if (m.interface) parts.push(`interface='${m.interface}'`);
  if (m.member) parts.push(`member='${m.member}'`);
  if (m.arg0 !== undefined) parts.push(`arg0='${m.arg0}'`);
  return parts.join(',');
}

/** Does `msg` satisfy the rule locally? (The bus sends every matching signal to the connection.) */
function matches(msg: Message, m: SignalMatch, senders: Map<string, string>): boolean {
  if (msg.type !== SIGNAL) return false;
  if (m.path && msg.path !== m.path) return false;
  if (m.interface && msg.interface !== m.interface) return false;
  if (m.member && msg.member !== m.member) return false;
  if (m.arg0 !== undefined && msg.body?.[0] !== m.arg0) return false;
  if (m.sender) {
    // Signals carry the sender's unique name. A well-known name is checked against its current
    // owner when we know it; when we do not, the bus already filtered by the rule we added.
    if (m.sender.startsWith(':')) return msg.sender === m.sender;
    const owner = senders.get(m.sender);
    if (owner && owner !== msg.sender) return false;
  }
  return true;
}

/** Unwraps dbus-next Variants (recursively through arrays and dicts). */
/** A D-Bus string property, or '' when it is absent or not a string. */
export const text = (v: unknown): string => (typeof v === 'string' ? v : '');

export function unwrap(v: unknown): unknown {
  if (v && typeof v === 'object') {
    if (dbusModule && v instanceof dbusModule.Variant) return unwrap(v.value);
    if (Array.isArray(v)) return v.map(unwrap);
    if (Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
    }
  }
  return v;
}

/** A D-Bus error reply, with the error name kept apart for callers that branch on it. */
export class BusCallError extends Error {
  constructor(
    readonly call: string,
    readonly errorName: string,
    readonly text: string,
  ) {
    super(`${call}: ${errorName}${text ? `: ${text}` : ''}`);
    this.name = 'BusCallError';
  }
}

export class BusConnection {
  private readonly rules = new Map<string, number>();
  /** Well-known name -> current unique owner, for the names signal matches use. */
  private readonly owners = new Map<string, string>();
  private readonly pending = new Set<(err: Error) => void>();
  private closedError: Error | undefined;
  private readonly closeListeners = new Set<(err: Error) => void>();
  /**
   * Every signal stream's listener, fed by the connection's ONE 'message' listener: one
   * EventEmitter listener per stream would pass Node's limit of 10 with a handful of svc and
   * pkg resources and print a MaxListenersExceededWarning on every run.
   */
  private readonly signalListeners = new Set<(msg: Message) => void>();

  constructor(
    readonly kind: BusKind,
    readonly address: string,
    private readonly bus: MessageBus,
  ) {
    bus.on('message', (msg: Message) => {
      if (msg.type !== SIGNAL) return;
      if (msg.path === DBUS.path && msg.member === 'NameOwnerChanged' && msg.sender === DBUS.name) {
        const [name, , owner] = msg.body as string[];
        if (this.owners.has(name)) this.owners.set(name, owner);
      }
      // A copy, as EventEmitter does: a stream that subscribes while handling this signal
      // starts with the next one.
      for (const listener of [...this.signalListeners]) listener(msg);
    });
  }

  /** Marks the connection dead: pending calls reject, signal streams error. */
  fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const reject of this.pending) reject(err);
    this.pending.clear();
    for (const l of this.closeListeners) l(err);
    this.closeListeners.clear();
  }

  /** Calls a method; resolves with the reply body. A D-Bus error reply rejects as BusCallError. */
  call(destination: string, path: string, iface: string, member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    const what = `${iface}.${member} on ${path}`;
    if (this.closedError) return Promise.reject(new Error(`${what}: ${this.closedError.message}`));
    return new Promise<unknown[]>((resolve, reject) => {
      const onClose = (err: Error) => reject(new Error(`${what}: ${err.message}`));
      this.pending.add(onClose);
      const msg = new (dbusLib().Message)({ destination, path, interface: iface, member, signature, body });
      this.bus.call(msg).then(
        (reply) => {
          this.pending.delete(onClose);
          resolve(reply?.body ?? []);
        },
        (err: unknown) => {
          this.pending.delete(onClose);
          const e = err as { type?: string; text?: string; message?: string };
          reject(e.type ? new BusCallError(what, e.type, e.text ?? '') : new Error(`${what}: ${e.message ?? String(err)}`));
        },
      );
    });
  }

  async getProperty(destination: string, path: string, iface: string, name: string): Promise<unknown> {
    const [v] = await this.call(destination, path, PROPS, 'Get', 'ss', [iface, name]);
    return unwrap(v);
  }

  async getAllProperties(destination: string, path: string, iface: string): Promise<Record<string, unknown>> {
    const [v] = await this.call(destination, path, PROPS, 'GetAll', 's', [iface]);
    return unwrap(v) as Record<string, unknown>;
  }

  /** The unique name owning `name` now, or undefined when nobody does. */
  async nameOwner(name: string): Promise<string | undefined> {
    try {
      const [owner] = await this.call(DBUS.name, DBUS.path, DBUS.iface, 'GetNameOwner', 's', [name]);
      return owner as string;
    } catch (err) {
      if (err instanceof BusCallError && err.errorName === 'org.freedesktop.DBus.Error.NameHasNoOwner') return undefined;
      throw err;
    }
  }

  /**
   * The signals matching `m`, from the moment the bus has accepted the rule: the Observable
   * emits `undefined`-free Messages only; subscribe BEFORE making the call whose signals you
   * want, and await `ready` (see `signalsReady`) when ordering matters.
   */
  signals(m: SignalMatch): Observable<Message> {
    return this.signalsReady(m).pipe(filter((x): x is Message => x !== 'ready'));
  }

  /**
   * Like `signals`, but first emits 'ready' once AddMatch has been acknowledged, so a caller
   * can make a method call knowing that every signal it causes will be seen.
   */
  signalsReady(m: SignalMatch): Observable<Message | 'ready'> {
    return new Observable<Message | 'ready'>((sub) => {
      if (this.closedError) {
        sub.error(this.closedError);
        return;
      }
      const rule = matchRule(m);
      const listener = (msg: Message) => {
        if (matches(msg, m, this.owners)) sub.next(msg);
      };
      const onClose = (err: Error) => sub.error(err);
      this.closeListeners.add(onClose);
      this.signalListeners.add(listener);
      let active = true;
      this.addMatch(rule, m.sender)
        .then(() => active && sub.next('ready'))
        .catch((err: Error) => active && sub.error(err));
      return () => {
        active = false;
        this.signalListeners.delete(listener);
        this.closeListeners.delete(onClose);
        this.removeMatch(rule);
      };
    });
  }

  private async addMatch(rule: string, sender: string | undefined): Promise<void> {
    const n = this.rules.get(rule) ?? 0;
    this.rules.set(rule, n + 1);
    if (sender && !sender.startsWith(':') && !this.owners.has(sender)) {
      // Track the owner of the well-known name, so that signals from a previous owner of the
      // name (or from a different process using the same path) are not taken for its own.
      this.owners.set(sender, '');
      const ownerRule = matchRule({ sender: DBUS.name, path: DBUS.path, interface: DBUS.iface, member: 'NameOwnerChanged', arg0: sender });
      await this.call(DBUS.name, DBUS.path, DBUS.iface, 'AddMatch', 's', [ownerRule]);
      const owner = await this.nameOwner(sender);
      if (this.owners.get(sender) === '') this.owners.set(sender, owner ?? '');
    }
    if (n === 0) await this.call(DBUS.name, DBUS.path, DBUS.iface, 'AddMatch', 's', [rule]);
  }

  private removeMatch(rule: string): void {
    const n = this.rules.get(rule) ?? 0;
    if (n > 1) {
      this.rules.set(rule, n - 1);
      return;
    }
    this.rules.delete(rule);
    if (!this.closedError) this.call(DBUS.name, DBUS.path, DBUS.iface, 'RemoveMatch', 's', [rule]).catch(() => undefined);
  }

  /** Emits (with the error) when the connection is lost. */
  closed(): Observable<never> {
    return new Observable<never>((sub) => {
      if (this.closedError) {
        sub.error(this.closedError);
        return;
      }
      const l = (err: Error) => sub.error(err);
      this.closeListeners.add(l);
      return () => this.closeListeners.delete(l);
    });
  }

  disconnect(): void {
    this.fail(new Error(`${this.kind} bus connection closed`));
    try {
      this.bus.disconnect();
    } catch {
      // already gone
    }
  }
}

/** The address a new connection to `kind` would use now (tests point it at a sandbox). */
export function busAddress(kind: BusKind): string {
  if (kind === 'system') return process.env.DBUS_SYSTEM_BUS_ADDRESS || 'unix:path=/var/run/dbus/system_bus_socket';
  return process.env.DBUS_SESSION_BUS_ADDRESS || `unix:path=/run/user/${process.getuid?.() ?? 0}/bus`;
}

/** Opens a connection; emits it once the bus has said Hello, errors if that fails or it drops. */
function connect(kind: BusKind, address: string): Observable<BusConnection> {
  return new Observable<BusConnection>((sub) => {
    let bus: MessageBus;
    try {
      bus = kind === 'system' ? dbusLib().systemBus() : dbusLib().sessionBus({ busAddress: address });
    } catch (err) {
      sub.error(new Error(`cannot connect to the ${kind} bus at ${address}: ${(err as Error).message}`));
      return;
    }
    const conn = new BusConnection(kind, address, bus);
    let connected = false;
    const lost = (why: string) => {
      const err = new Error(connected ? `lost the ${kind} bus connection (${address}): ${why}` : `cannot connect to the ${kind} bus at ${address}: ${why}`);
      conn.fail(err);
      sub.error(err);
    };
    bus.on('connect', () => {
      connected = true;
      sub.next(conn);
    });
    bus.on('error', (err: Error) => lost(err?.message ?? String(err)));
    // dbus-next does not forward the end of the stream; without this, calls would hang forever.
    const raw = (bus as unknown as { _connection?: NodeJS.EventEmitter })._connection;
    raw?.on('end', () => lost('the bus closed the connection'));
    return () => conn.disconnect();
  });
}

const shared = new Map<string, Observable<BusConnection>>();

/**
 * The shared connection to `kind` as an Observable: it emits the connection (once), opens it
 * for the first subscriber and closes it when the last one unsubscribes; it errors when the
 * connection is lost, and the next subscriber gets a fresh one. Keep the subscription for as
 * long as the connection is in use, e.g. `bus$.pipe(switchMap(c => work(c)), take(1))`.
 */
export function useBus(kind: BusKind): Observable<BusConnection> {
  const address = busAddress(kind);
  const key = `${kind} ${address}`;
  let bus$ = shared.get(key);
  if (!bus$) {
    bus$ = connect(kind, address).pipe(
      share({ connector: () => new ReplaySubject<BusConnection>(1), resetOnError: true, resetOnComplete: true, resetOnRefCountZero: true }),
    );
    shared.set(key, bus$);
  }
  return bus$;
}
