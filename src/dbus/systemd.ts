// A client of systemd's manager (org.freedesktop.systemd1) on one bus connection: unit state,
// start/stop/restart as jobs whose end (JobRemoved) is awaited, enable/disable, reload, and the
// signals that say a unit may have changed.
//
// systemd only broadcasts its signals while some client is subscribed (Manager.Subscribe), so
// every Observable here that needs signals holds a (refcounted) subscription while it runs.
import { Observable, defer, filter, map, merge, share } from 'rxjs';
import type { Message } from 'dbus-next';
import { BusCallError, type BusConnection, type SignalMatch, text } from './bus.js';
import { unitObjectPath } from './systemd-names.js';

export const SYSTEMD = {
  name: 'org.freedesktop.systemd1',
  path: '/org/freedesktop/systemd1',
  manager: 'org.freedesktop.systemd1.Manager',
  unit: 'org.freedesktop.systemd1.Unit',
  service: 'org.freedesktop.systemd1.Service',
} as const;

/** What the svc resource needs to know about one unit. */
export interface UnitStatus {
  unit: string;
  path: string;
  /** loaded, not-found, bad-setting, error, masked, stub, merged. */
  loadState: string;
  activeState: string;
  subState: string;
  /** From GetUnitFileState (read from disk each time); "" when there is no unit file. */
  unitFileState: string;
  /** The unit file changed on disk since systemd loaded it. */
  needDaemonReload: boolean;
  /** Service.Result: success, exit-code, signal, timeout, start-limit-hit, ... ("" if unknown). */
  result: string;
  mainPid: number;
  execMainStatus: number;
  /**
   * When the unit last left the active state, and when its main process last exited (µs of
   * CLOCK_MONOTONIC; 0 or absent: never, or systemd unloaded the unit since, see `referenced`).
   */
  activeExitUsec?: number;
  execMainExitUsec?: number;
}

/** How a job ended: JobRemoved's result ("done" is success). */
export interface JobOutcome {
  job: string;
  unit: string;
  result: string;
}

/** Manager.Subscribe is per connection: count our users, subscribe once, unsubscribe last. */
const subscriptions = new WeakMap<BusConnection, Observable<never>>();

/** A match rule (or the Ping) is in place; counted by `unitEventsReady`. */
const INSTALLED = '\0installed';

/** Unit properties that mean "the state may have drifted" when they change. */
const WATCHED_PROPS = new Set(['ActiveState', 'LoadState', 'UnitFileState', 'NeedDaemonReload']);

export class SystemdManager {
  constructor(readonly conn: BusConnection) {}

  private call(member: string, signature = '', body: unknown[] = []): Promise<unknown[]> {
    return this.conn.call(SYSTEMD.name, SYSTEMD.path, SYSTEMD.manager, member, signature, body);
  }

  /** Holds a Manager.Subscribe while subscribed; never emits. Shared per connection. */
  subscribed(): Observable<never> {
    let s = subscriptions.get(this.conn);
    if (!s) {
      s = new Observable<never>(() => {
        let done = false;
        this.call('Subscribe').catch((err: unknown) => {
          // Already subscribed (another client of this connection): systemd counts us once.
          if (!(err instanceof BusCallError && /AlreadySubscribed/.test(err.errorName))) {
            if (!done) this.conn.fail(err as Error);
          }
        });
        return () => {
          done = true;
          this.call('Unsubscribe').catch(() => undefined);
        };
      }).pipe(share());
      subscriptions.set(this.conn, s);
    }
    return s;
  }

  /**
   * Holds a client reference on the unit (Unit.Ref, dropped by Unref or when the connection
   * closes) while subscribed; never emits. systemd unloads an inactive unit nobody references
   * a moment after it stops, and with it how and when it stopped: held, a unit keeps them.
   * Refused (no rights, a systemd without Ref): `refused` is told, and the unit is unheld.
   */
  referenced(unit: string, refused: (err: Error) => void): Observable<never> {
    const path = unitObjectPath(unit);
    const ref = (member: 'Ref' | 'Unref') => this.conn.call(SYSTEMD.name, path, SYSTEMD.unit, member);
    return new Observable<never>(() => {
      const held = ref('Ref').then(
        () => true,
        (err: unknown) => (refused(err as Error), false),
      );
      return () => {
        void held.then((ok) => {
          if (ok) ref('Unref').catch(() => undefined);
        });
      };
    });
  }

  /** Loads the unit (systemd keeps "not-found" units too) and reads its state. */
  async status(unit: string): Promise<UnitStatus> {
    const [path] = (await this.call('LoadUnit', 's', [unit])) as [string];
    const [props, service, fileState] = await Promise.all([
      this.conn.getAllProperties(SYSTEMD.name, path, SYSTEMD.unit),
      this.conn.getAllProperties(SYSTEMD.name, path, SYSTEMD.service).catch((): Record<string, unknown> => ({})),
      this.unitFileState(unit),
    ]);
    return {
      unit,
      path,
      loadState: text(props.LoadState),
      activeState: text(props.ActiveState),
      subState: text(props.SubState),
      unitFileState: fileState,
      needDaemonReload: props.NeedDaemonReload === true,
      result: text(service.Result),
      mainPid: Number(service.MainPID ?? 0),
      execMainStatus: Number(service.ExecMainStatus ?? 0),
      activeExitUsec: Number(props.ActiveExitTimestampMonotonic ?? 0),
      execMainExitUsec: Number(service.ExecMainExitTimestampMonotonic ?? 0),
    };
  }

  /** GetUnitFileState, or "" when there is no unit file for it. */
  async unitFileState(unit: string): Promise<string> {
    try {
      const [state] = await this.call('GetUnitFileState', 's', [unit]);
      return String(state);
    } catch (err) {
      if (err instanceof BusCallError && /NoSuchUnit|FileNotFound|No such file/i.test(`${err.errorName} ${err.text}`)) return '';
      throw err;
    }
  }

  /**
   * Runs a job method (StartUnit, StopUnit, RestartUnit, ...) and emits how it ended, once
   * JobRemoved says so. The JobRemoved match is in place before the call, so a job that ends
   * at once is not missed.
   */
  job(method: 'StartUnit' | 'StopUnit' | 'RestartUnit' | 'TryRestartUnit', unit: string, mode = 'replace'): Observable<JobOutcome> {
    return new Observable<JobOutcome>((sub) => {
      const seen = new Map<string, JobOutcome>();
      let jobPath: string | undefined;
      const removed$ = this.conn.signalsReady({ sender: SYSTEMD.name, path: SYSTEMD.path, interface: SYSTEMD.manager, member: 'JobRemoved' });
      const inner = merge(this.subscribed(), removed$).subscribe({
        next: (msg) => {
          if (msg === 'ready') {
            this.call(method, 'ss', [unit, mode]).then(
              ([path]) => {
                jobPath = String(path);
                const done = seen.get(jobPath);
                if (done) finish(done);
              },
              (err: unknown) => sub.error(err),
            );
            return;
          }
          const [, job, unitName, result] = (msg).body as [number, string, string, string];
          const outcome = { job, unit: unitName, result };
          if (jobPath === undefined) seen.set(job, outcome);
          else if (job === jobPath) finish(outcome);
        },
        error: (err) => sub.error(err),
      });
      const finish = (o: JobOutcome) => {
        sub.next(o);
        sub.complete();
      };
      return () => inner.unsubscribe();
    });
  }

  /** EnableUnitFiles([unit], runtime=false, force=true), then a daemon reload as systemctl does. */
  async enable(unit: string): Promise<void> {
    await this.call('EnableUnitFiles', 'asbb', [[unit], false, true]);
    await this.reload();
  }

  /** DisableUnitFiles([unit], runtime), then a daemon reload. */
  async disable(unit: string, runtime = false): Promise<void> {
    await this.call('DisableUnitFiles', 'asb', [[unit], runtime]);
    await this.reload();
  }

  /** Manager.Reload (daemon-reload): re-reads every unit file. Returns once systemd is done. */
  async reload(): Promise<void> {
    await this.call('Reload');
  }

  /**
   * Emits (a short reason) whenever `unit` may have changed: its ActiveState, LoadState or
   * UnitFileState changed (PropertiesChanged on its object, which exists even before the unit
   * does), unit files were enabled or disabled (UnitFilesChanged) or systemd reloaded
   * (Reloading). Holds a Subscribe meanwhile.
   *
   * UnitNew / UnitRemoved are NOT events: they say that systemd loaded the unit into memory or
   * garbage-collected it, not that its state changed. Reading an inactive unit (status(), and
   * `systemctl status` too) loads it, and systemd drops it again a moment later: reacting to
   * that pair made every check of a stopped unit cause the next one, forever. A real change
   * of an unloaded unit (a start) still comes as PropertiesChanged on its object.
   */
  unitEvents(unit: string): Observable<string> {
    return this.unitEventsReady(unit).pipe(filter((e) => e !== 'ready'));
  }

  /**
   * `unitEvents`, first emitting 'ready' once every match rule is installed (AddMatch
   * acknowledged) and systemd has taken our Subscribe (a Ping sent after it has come back: one
   * connection's calls to systemd are handled in order): from then on no change is missed.
   */
  unitEventsReady(unit: string): Observable<string> {
    const path = unitObjectPath(unit);
    const sd = { sender: SYSTEMD.name };
    const mgr = { ...sd, path: SYSTEMD.path, interface: SYSTEMD.manager };
    /** One match rule's signals, its own 'ready' as INSTALLED, the rest as `what(msg)` (or dropped). */
    const signals = (m: SignalMatch, what: (msg: Message) => string | undefined) =>
      this.conn.signalsReady(m).pipe(
        map((x) => (x === 'ready' ? INSTALLED : what(x))),
        filter((x): x is string => x !== undefined),
      );
    const props$ = signals({ ...sd, path, interface: 'org.freedesktop.DBus.Properties', member: 'PropertiesChanged' }, (msg) => {
      const [iface, changed, invalidated] = msg.body as [string, Record<string, unknown>, string[]];
      if (iface !== SYSTEMD.unit) return undefined;
      const watched = Object.keys(changed ?? {}).some((k) => WATCHED_PROPS.has(k)) || (invalidated ?? []).some((k) => WATCHED_PROPS.has(k));
      return watched ? 'properties changed' : undefined;
    });
    const reload$ = signals({ ...mgr, member: 'Reloading' }, (msg) => (msg.body[0] === false ? 'reloaded' : undefined));
    const files$ = signals({ ...mgr, member: 'UnitFilesChanged' }, () => 'unit files changed');
    // Subscribed after the Subscribe (merge subscribes in order), so its answer comes after it.
    const pinged$ = defer(() => this.conn.call(SYSTEMD.name, SYSTEMD.path, 'org.freedesktop.DBus.Peer', 'Ping')).pipe(map(() => INSTALLED));
    return defer(() => {
      let waiting = 4; // three match rules and the Ping
      return merge(this.subscribed(), props$, reload$, files$, pinged$).pipe(
        filter((e) => e !== INSTALLED || --waiting === 0),
        map((e) => (e === INSTALLED ? 'ready' : e)),
      );
    });
  }

  /**
   * Emits the unit's status once it is not in a transient state (activating, deactivating,
   * reloading): reads it, and while it is transient, reads it again on each change.
   */
  settled(unit: string, isTransient: (s: UnitStatus) => boolean): Observable<UnitStatus> {
    return new Observable<UnitStatus>((sub) => {
      let reading = false;
      let again = false;
      const read = () => {
        if (reading) {
          again = true;
          return;
        }
        reading = true;
        this.status(unit).then(
          (s) => {
            reading = false;
            if (!isTransient(s)) {
              sub.next(s);
              sub.complete();
            } else if (again) {
              again = false;
              read();
            }
          },
          (err: unknown) => sub.error(err),
        );
      };
      const events = this.conn.signalsReady({
        sender: SYSTEMD.name,
        path: unitObjectPath(unit),
        interface: 'org.freedesktop.DBus.Properties',
        member: 'PropertiesChanged',
      });
      const inner = merge(this.subscribed(), events).subscribe({ next: () => read(), error: (e) => sub.error(e) });
      return () => inner.unsubscribe();
    });
  }

  /**
   * The unit's status if systemd has it loaded now, else undefined, WITHOUT loading it: LoadUnit
   * on a unit nobody holds makes systemd announce it (UnitNew) and collect it again (UnitRemoved),
   * which a watch of that unit would take for a change, forever. The enablement is read from
   * disk as in `status`.
   */
  async loadedStatus(unit: string): Promise<UnitStatus | undefined> {
    let path: string;
    try {
      [path] = (await this.call('GetUnit', 's', [unit])) as [string];
    } catch (err) {
      if (err instanceof BusCallError && /NoSuchUnit/.test(err.errorName)) return undefined;
      throw err;
    }
    const [props, fileState] = await Promise.all([this.conn.getAllProperties(SYSTEMD.name, path, SYSTEMD.unit), this.unitFileState(unit)]);
    return {
      unit,
      path,
      loadState: text(props.LoadState),
      activeState: text(props.ActiveState),
      subState: text(props.SubState),
      unitFileState: fileState,
      needDaemonReload: props.NeedDaemonReload === true,
      result: '',
      mainPid: 0,
      execMainStatus: 0,
    };
  }

  /** ReloadUnit as a job (a mount unit's reload is a remount with its current options). */
  reloadJob(unit: string, mode = 'replace'): Observable<JobOutcome> {
    return (this.job as (method: string, unit: string, mode: string) => Observable<JobOutcome>).call(this, 'ReloadUnit', unit, mode);
  }
}
