// svc: a systemd service, running or stopped, enabled or disabled, through systemd's D-Bus API
// (org.freedesktop.systemd1). Fields follow mgmt's svc resource, so mgmt graphs run unchanged.
import { type Observable, defer, map, merge, switchMap, take, throwError, timeout, concatMap, of, EMPTY, from } from 'rxjs';
import type { ResourceSpec } from '../model/spec.js';
import type { Logger } from '../util/logger.js';
import { watchPath } from '../watch/index.js';
import { type BusKind, useBus } from '../dbus/bus.js';
import { SystemdManager, type UnitStatus } from '../dbus/systemd.js';
import { describeJobResult, enablement, isTransient, serviceUnitName } from '../dbus/systemd-names.js';
import { type AutoEdges, type FieldSchema, type Resource, type ResourceEnv, type ResourceKind, WATCH_READY } from '../model/resource.js';
import type { Change, ChangeSink } from '../model/events.js';
import { posix } from 'node:path';
import { readUnitFile, unitNeeds } from './svc/unit-needs.js';

const fields: Record<string, FieldSchema> = {
  state: { type: 'string', enum: ['running', 'stopped'], doc: 'whether the service must be running or stopped; absent leaves it alone' },
  startup: {
    type: 'string',
    enum: ['enabled', 'disabled'],
    doc: 'whether the service starts at boot (systemctl enable/disable); absent leaves it alone',
  },
  session: { type: 'boolean', default: false, doc: "manage the user's own services on the session bus instead of the system's" },
};

/** Deadlines, generous: systemd's own job timeouts (TimeoutStartSec, ...) normally end a job first. */
export const SVC_TIMEOUTS = {
  /** Waiting out activating/deactivating/reloading before deciding anything. */
  settleMs: 10 * 60_000,
  /** Waiting for a start/stop/restart job's JobRemoved. */
  jobMs: 15 * 60_000,
  /** One plain method call (status, enable, reload). */
  callMs: 2 * 60_000,
};

/** Where systemd looks for system unit files, most specific first; tests point it elsewhere. */
export const SVC_PATHS = { unitDirs: ['/etc/systemd/system', '/run/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'] };

interface Desired {
  unit: string;
  state?: 'running' | 'stopped';
  startup?: 'enabled' | 'disabled';
  session: boolean;
}

/** The resource name is the unit: only names systemd would take. */
function validateName(name: string): string | undefined {
  if (serviceUnitName(name) === undefined) {
    return `"${name}" is not a valid service name (letters, digits and ":_.\\@-", optionally ending in ".service")`;
  }
  return undefined;
}

export class SvcResource implements Resource {
  readonly kind = 'svc';
  readonly fingerprint: string;
  private readonly log: Logger;
  private readonly bus: BusKind;
  /**
   * This process started (or restarted) the unit and has not seen it stopped on purpose since.
   * Kept across checks: a check that finds the unit dead by itself then knows that what it
   * started died, and fails (see `ensureState`).
   */
  private startedByUs = false;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly want: Desired,
    private readonly env: ResourceEnv,
  ) {
    this.fingerprint = JSON.stringify({ unit: want.unit, state: want.state ?? null, startup: want.startup ?? null, session: want.session });
    this.log = env.log.child(`svc[${name}]`);
    this.bus = want.session ? 'session' : 'system';
  }

  /** Runs `work` with the shared bus connection held open for as long as it takes. */
  private withManager<T>(work: (m: SystemdManager) => Observable<T>): Observable<T> {
    return useBus(this.bus).pipe(switchMap((conn) => work(new SystemdManager(conn))));
  }

  /**
   * Emits when the unit may have drifted: its ActiveState or UnitFileState changed, unit files
   * were enabled or disabled, systemd reloaded, or (system units) one of its unit files changed
   * on this host. A unit that does not exist yet is covered: its object path is known in advance
   * and Reloading (or the unit file's inotify event) announces its arrival.
   *
   * The D-Bus match rules and systemd's Subscribe are installed asynchronously: the watch says
   * WATCH_READY once they are (the file watches are in place at subscription), and the engine
   * runs the first check only then, so a change in between cannot be missed.
   */
  readonly watchAnnouncesReady = true;

  watch(): Observable<void | typeof WATCH_READY> {
    // Held first: its Ref is sent before the checks' calls, so from the first check on the
    // unit keeps how it last stopped (see `diedByItself`).
    const refused = (e: Error) => this.log.debug(`cannot hold a reference on ${this.want.unit} (Unit.Ref: ${e.message}): a stop from outside and a service that exited by itself look alike`);
    const events$ = this.withManager((m) => merge(m.referenced(this.want.unit, refused), m.unitEventsReady(this.want.unit)));
    const files$ = this.want.session ? EMPTY : merge(...SVC_PATHS.unitDirs.map((d) => watchPath(`${d}/${this.want.unit}`)));
    return merge(files$, events$).pipe(map((e) => (e === 'ready' ? WATCH_READY : undefined)));
  }

  checkApply(apply: boolean, refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return this.withManager((m) => this.run(m, apply, refresh, changes)).pipe(take(1));
  }

  /** The unit, as systemd names it (`nginx` and `nginx.service` are one), per bus. */
  manages(): string[] {
    return [`${this.want.session ? 'svc-session' : 'svc'}:${this.want.unit}`];
  }

  autoEdges(): AutoEdges {
    // Each place a unit file may come from is its own group: a file resource writing the unit
    // into /etc and a pkg shipping it under /lib both come first.
    const unit = this.want.unit;
    if (this.want.session) return { provides: [`svc:${unit}`], wants: [] };
    const wants = [...SVC_PATHS.unitDirs.map((d) => [`file:${d}/${unit}`]), [`file:${SVC_PATHS.unitDirs[0]}/${unit}.d/`]];
    return { provides: [`svc:${unit}`], wants: [...wants, ...this.namedInUnit()] };
  }

  /**
   * After the accounts it runs as and the mounts it needs, as its unit file on disk names them
   * (User=, Group=, SupplementaryGroups=, RequiresMountsFor=, WorkingDirectory=), each its own
   * parent. One small synchronous read per resource, at graph build: a unit the graph itself
   * writes is seen once it is on disk (the next build). Every mount on the way to a path is
   * needed, as systemd's RequiresMountsFor has it, so each is a group.
   */
  private namedInUnit(): string[][] {
    const needs = unitNeeds(readUnitFile(SVC_PATHS.unitDirs, this.want.unit) ?? '');
    const id = (s: string, byName: string, byId: string) => (/^\d+$/.test(s) ? `${byId}:${Number(s)}` : `${byName}:${s}`);
    const mounts = new Set<string>();
    for (const p of needs.paths) for (let d = p; d !== '/'; d = posix.dirname(d)) mounts.add(`mount:${d}`);
    return [
      ...needs.users.map((u) => [id(u, 'user', 'uid')]),
      ...needs.groups.map((g) => [id(g, 'group', 'gid')]),
      ...[...mounts].map((m) => [m]),
      ...(needs.workingDirectory ? [[`file:${needs.workingDirectory.replace(/\/?$/, '/')}`]] : []),
    ];
  }

  private call<T>(what: string, f: () => Promise<T>, ms = SVC_TIMEOUTS.callMs): Observable<T> {
    return defer(() => from(f())).pipe(
      timeout({ first: ms, scheduler: this.env.scheduler, with: () => throwError(() => this.error(`${what}: no answer from systemd within ${ms / 1000} s`)) }),
    );
  }

  private error(msg: string): Error {
    return new Error(`svc[${this.name}]: ${msg}`);
  }

  /** The unit's status once it is not activating/deactivating/reloading. */
  private settled(m: SystemdManager): Observable<UnitStatus> {
    const ms = SVC_TIMEOUTS.settleMs;
    return m.settled(this.want.unit, (s) => isTransient(s.activeState)).pipe(
      timeout({
        first: ms,
        scheduler: this.env.scheduler,
        with: () => throwError(() => this.error(`${this.want.unit} stayed in a transient state for ${ms / 1000} s`)),
      }),
    );
  }

  /** Runs a start/stop/restart job and fails unless JobRemoved says "done". */
  private job(m: SystemdManager, method: 'StartUnit' | 'StopUnit' | 'RestartUnit', verb: string): Observable<void> {
    const ms = SVC_TIMEOUTS.jobMs;
    return m.job(method, this.want.unit).pipe(
      timeout({ first: ms, scheduler: this.env.scheduler, with: () => throwError(() => this.error(`${verb} ${this.want.unit}: no JobRemoved within ${ms / 1000} s`)) }),
      concatMap((outcome) => {
        if (outcome.result === 'done') return of(undefined);
        // Say what systemd says: the job's result and the service's own Result and exit status.
        return this.call('read the unit after the failed job', () => m.status(this.want.unit)).pipe(
          concatMap((s) => throwError(() => this.error(`${verb} ${this.want.unit} failed: ${describeJobResult(outcome.result)} (job result "${outcome.result}")${unitDetails(s)}`))),
        );
      }),
    );
  }

  /**
   * One check (and repair): wait out transient states, reload systemd if the unit file
   * changed on disk, then enablement, then the active state, then the refresh. Each step that
   * changes something logs it and tells `changes` (field, from, to); in noop it logs what it
   * would do.
   */
  private run(m: SystemdManager, apply: boolean, refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    const { unit, state, startup } = this.want;
    const would = apply ? '' : 'noop, would ';
    let ok = true;
    const changed: Changed = (action, change) => {
      ok = false;
      this.log.info(`${would}${action}`);
      changes?.(change);
    };

    return this.settled(m).pipe(
      // A unit file edited since systemd read it: reload, or start/restart would use the old one.
      concatMap((s) => {
        if (!s.needDaemonReload) return of(s);
        changed(`reload systemd: ${unit} changed on disk`, { field: 'unit file', from: 'changed on disk', to: 'reloaded' });
        if (!apply) return of(s);
        return this.call('daemon reload', () => m.reload()).pipe(concatMap(() => this.settled(m)));
      }),
      concatMap((s) => {
        const present = s.loadState !== 'not-found' && s.loadState !== '';
        if (!present && (state === 'running' || startup === 'enabled')) {
          return throwError(() => this.error(`${unit} does not exist (no unit file; LoadState "${s.loadState}")`));
        }
        if ((s.loadState === 'bad-setting' || s.loadState === 'error') && state === 'running') {
          return throwError(() => this.error(`${unit} cannot be loaded (LoadState "${s.loadState}"); check it with systemd-analyze verify ${unit}`));
        }
        return concatWith(
          this.ensureStartup(m, s, apply, changed),
          () => this.ensureState(m, s, apply, refresh, changed),
        );
      }),
      map(() => ok),
    );
  }

  private ensureStartup(m: SystemdManager, s: UnitStatus, apply: boolean, changed: Changed): Observable<void> {
    const { unit, startup } = this.want;
    if (!startup) return of(undefined);
    const now = enablement(s.unitFileState);
    if (startup === 'enabled') {
      if (now === 'enabled') return of(undefined);
      if (now === 'masked') return throwError(() => this.error(`${unit} is masked (UnitFileState "${s.unitFileState}"); unmask it to enable it`));
      if (now === 'static') {
        return throwError(() => this.error(`${unit} cannot be enabled: it has no [Install] section (UnitFileState "${s.unitFileState}")`));
      }
      if (now === 'missing') return throwError(() => this.error(`${unit} cannot be enabled: it has no unit file`));
      changed(`enable ${unit} (was ${s.unitFileState})`, { field: 'startup', from: s.unitFileState, to: 'enabled' });
      return apply ? this.call(`enable ${unit}`, () => m.enable(unit)) : of(undefined);
    }
    if (now !== 'enabled') return of(undefined);
    changed(`disable ${unit} (was ${s.unitFileState})`, { field: 'startup', from: s.unitFileState, to: 'disabled' });
    return apply ? this.call(`disable ${unit}`, () => m.disable(unit, s.unitFileState === 'enabled-runtime')) : of(undefined);
  }

  /**
   * The active state. A unit that rxmgmt started and that died by itself since (it failed, or
   * its main process exited) is started again, but the run fails: each start of a service that
   * dies a moment later succeeds, so without that failure the engine would restart it on every
   * crash; with it the restarts follow the failure backoff, and once the service stays up the
   * next check passes. A unit stopped on purpose (`systemctl stop`) is plain drift: started, ok.
   */
  private ensureState(m: SystemdManager, s: UnitStatus, apply: boolean, refresh: boolean, changed: Changed): Observable<void> {
    const { unit, state } = this.want;
    const active = s.activeState === 'active';
    if (state === 'running' && !active) {
      const died = this.startedByUs && diedByItself(s);
      this.startedByUs = false;
      changed(`start ${unit} (was ${s.activeState}${s.activeState === 'failed' ? `, result ${s.result}` : ''})`, {
        field: 'state',
        from: s.activeState,
        to: 'running',
      });
      if (!apply) return of(undefined);
      return this.job(m, 'StartUnit', 'start').pipe(
        concatMap(() => this.settled(m)),
        concatMap((after) => {
          if (after.activeState === 'failed') {
            return throwError(() => this.error(`start ${unit} failed: the unit failed right after starting${unitDetails(after)}`));
          }
          if (after.activeState === 'inactive') {
            return throwError(() => this.error(`start ${unit}: it is inactive right after starting${EXITS_HINT}${unitDetails(after)}`));
          }
          this.startedByUs = true;
          if (!died) return of(undefined);
          const hint = s.activeState === 'inactive' ? EXITS_HINT : '';
          return throwError(() => this.error(`${unit} died after rxmgmt started it; started it again${hint}${unitDetails(s)}`));
        }),
      );
    }
    if (state === 'stopped' && (active || s.activeState === 'maintenance')) {
      changed(`stop ${unit}`, { field: 'state', from: s.activeState, to: 'stopped' });
      return apply ? this.job(m, 'StopUnit', 'stop') : of(undefined);
    }
    if (refresh && active && state !== 'stopped') {
      changed(`restart ${unit} (refresh)`, { field: 'state', from: s.activeState, to: 'restarted (refresh)' });
      if (!apply) return of(undefined);
      return this.job(m, 'RestartUnit', 'restart').pipe(map(() => void (this.startedByUs = true)));
    }
    return of(undefined);
  }
}

/**
 * Dead without being stopped: failed, or inactive because its main process ended before the
 * unit left the active state. A stop (`systemctl stop`, even of a service that exits 0 on
 * SIGTERM) leaves the active state first and then ends the process. Without the timestamps (a
 * unit systemd unloaded: no reference held) an inactive unit counts as stopped.
 */
function diedByItself(s: UnitStatus): boolean {
  if (s.activeState === 'failed') return true;
  const exited = s.execMainExitUsec ?? 0;
  return s.activeState === 'inactive' && exited > 0 && exited <= (s.activeExitUsec ?? 0);
}

/** For a service that is inactive by itself: why it does not stay running. */
const EXITS_HINT = ' (its main process exits by itself with success; a Type=oneshot service without RemainAfterExit=yes, say, never stays running)';

/** Logs one change (`action`, in words) and reports it (`change`: the field, from what, to what). */
type Changed = (action: string, change: Change) => void;

/** Runs `first`, then the Observable `next()` makes; emits once when both are done. */
function concatWith(first: Observable<void>, next: () => Observable<void>): Observable<void> {
  return first.pipe(
    take(1),
    concatMap(() => next().pipe(take(1))),
  );
}

/** ", unit result exit-code, status 1, ActiveState failed" and the journalctl hint. */
function unitDetails(s: UnitStatus): string {
  const parts = [`ActiveState "${s.activeState}"`];
  if (s.result && s.result !== 'success') parts.push(`unit result "${s.result}"`);
  if (s.execMainStatus) parts.push(`exit status ${s.execMainStatus}`);
  return `; ${parts.join(', ')}; see journalctl -u ${s.unit}`;
}

export const svcKind: ResourceKind = {
  kind: 'svc',
  doc:
    'A systemd service: running or stopped, enabled or disabled at boot, on the system bus or ' +
    "the user's session bus. Started, stopped, enabled and disabled through systemd's D-Bus API, " +
    'waiting for each job to finish; drift is seen at once through systemd signals.',
  fields,
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validateName(spec.name);
    if (problem) throw new Error(`svc[${spec.name}]: ${problem}`);
    const p = spec.params;
    return new SvcResource(
      spec.name,
      spec.meta,
      {
        unit: serviceUnitName(spec.name)!,
        state: p.state === 'running' || p.state === 'stopped' ? p.state : undefined,
        startup: p.startup === 'enabled' || p.startup === 'disabled' ? p.startup : undefined,
        session: p.session === true,
      },
      env,
    );
  },
};
