// cron: a systemd timer, as mgmt's cron resource has it (same fields, so mgmt graphs run
// unchanged): a `NAME.timer` unit file written atomically under /etc/systemd/system (or the
// user's ~/.config/systemd/user with `session`), systemd reloaded, the timer enabled and started
// over D-Bus. The service it activates is not written here: a file resource or a package
// provides it (autoedges put them first).
import { type Observable, defer, firstValueFrom, from, map, merge, switchMap, take, throwError, timeout } from 'rxjs';
import { lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { diffLib } from '../util/unified-diff.js';
import type { ResourceSpec } from '../model/spec.js';
import type { ChangeSink } from '../model/events.js';
import type { Logger } from '../util/logger.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { watchPath } from '../watch/index.js';
import { type BusKind, useBus } from '../dbus/bus.js';
import { SystemdManager, type UnitStatus } from '../dbus/systemd.js';
import { describeJobResult, enablement } from '../dbus/systemd-names.js';
import { TRIGGERS, type TimerSpec, type Trigger, activatedUnit, timerPath, timerProblem, timerUnitName, timerUnitText } from './cron/timer-unit.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';

const fields: Record<string, FieldSchema> = {
  unit: { type: 'string', doc: 'the unit the timer activates (Unit=), when not NAME.service' },
  state: { type: 'string', enum: ['exists', 'absent'], default: 'exists', doc: 'whether the timer exists (written, running) or is removed' },
  startup: { type: 'string', enum: ['enabled', 'disabled', ''], default: 'enabled', doc: 'whether the timer starts at boot; "" leaves it alone' },
  session: { type: 'boolean', default: false, doc: "a timer of the user's own systemd (session bus, ~/.config/systemd/user)" },
  trigger: { type: 'string', enum: TRIGGERS, doc: 'the kind of timer (systemd.timer(5))' },
  time: { type: 'string', doc: 'a calendar event for OnCalendar, a time span for the others (systemd.time(7))' },
  accuracysec: { type: 'string', doc: 'AccuracySec=, a time span (systemd: 1min)' },
  randomizeddelaysec: { type: 'string', doc: 'RandomizedDelaySec=, a time span' },
  persistent: { type: 'boolean', default: false, doc: 'Persistent=: catch up on runs missed while the timer was off' },
  wakesystem: { type: 'boolean', default: false, doc: 'WakeSystem=: resume from suspend to elapse' },
  remainafterelapse: { type: 'boolean', default: true, doc: 'RemainAfterElapse=: an elapsed timer stays loaded' },
  description: { type: 'string', doc: 'Description= of the timer; "" for none' },
};

/** Deadlines on the engine's scheduler: one plain call, and one start/stop job. */
export const CRON_TIMEOUTS = { callMs: 2 * 60_000, jobMs: 15 * 60_000 };

/** Where systemd looks for system unit files, most specific first. */
const SYSTEM_UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];

interface CronWant extends TimerSpec {
  state: 'exists' | 'absent';
  startup: 'enabled' | 'disabled' | '';
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The desired timer from the params, or what is wrong with them. */
function want(params: Record<string, unknown>, name: string | undefined): CronWant | string {
  const timer = timerUnitName(name ?? 'x');
  if (!timer) return `"${name}" is not a timer name (letters, digits and ":_.\\@-", optionally ending in ".timer")`;
  const state = params.state === 'absent' ? 'absent' : 'exists';
  const trigger = str(params.trigger) as Trigger | undefined;
  const time = str(params.time);
  if (state === 'exists' && (trigger === undefined || time === undefined)) return '`trigger` and `time` must be set together (a timer that exists needs both)';
  if (trigger !== undefined && !TRIGGERS.includes(trigger)) return `\`trigger\` must be one of ${TRIGGERS.join(', ')}`;
  const w: CronWant = {
    timer,
    unit: str(params.unit) || undefined,
    session: params.session === true,
    trigger: trigger ?? 'OnCalendar',
    time: time ?? '',
    accuracySec: str(params.accuracysec) || undefined,
    randomizedDelaySec: str(params.randomizeddelaysec) || undefined,
    persistent: params.persistent === true,
    wakeSystem: params.wakesystem === true,
    remainAfterElapse: params.remainafterelapse !== false,
    description: str(params.description),
    state,
    startup: params.startup === 'disabled' ? 'disabled' : params.startup === '' ? '' : 'enabled',
  };
  if (state === 'exists' || trigger !== undefined) {
    const problem = timerProblem(w);
    if (problem) return problem;
  }
  return w;
}

export class CronResource implements Resource {
  readonly kind = 'cron';
  readonly fingerprint: string;
  readonly path: string;
  private readonly log: Logger;
  private readonly bus: BusKind;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly want: CronWant,
    private readonly env: ResourceEnv,
  ) {
    this.path = timerPath(want);
    this.fingerprint = JSON.stringify({ ...want, path: this.path });
    this.log = env.log.child(`cron[${name}]`);
    this.bus = want.session ? 'session' : 'system';
  }

  manages(): string[] {
    return [`cron:${this.want.session ? 'user:' : ''}${this.want.timer}`, `file:${this.path}`];
  }

  /**
   * It provides its unit file; it comes after whatever writes or ships the unit it activates
   * (a file resource under /etc/systemd/system, a package under /lib/systemd/system).
   */
  autoEdges(): AutoEdges {
    const unit = activatedUnit(this.want);
    const wants = this.want.session || this.want.state === 'absent' ? [] : SYSTEM_UNIT_DIRS.map((d) => [`file:${d}/${unit}`]);
    return { provides: [`file:${this.path}`], wants };
  }

  /** meta reverse: the timer stopped, disabled and its file removed. */
  reversed(): Resource | undefined {
    if (this.want.state === 'absent') return undefined;
    return new CronResource(this.name, { ...this.meta, reverse: false }, { ...this.want, state: 'absent' }, this.env);
  }

  /** systemd's signals about the timer unit, and its unit file on this host (inotify). */
  watch(): Observable<void> {
    const events$ = useBus(this.bus).pipe(switchMap((conn) => new SystemdManager(conn).unitEvents(this.want.timer)));
    return merge(events$, watchPath(this.path)).pipe(map(() => undefined));
  }

  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return useBus(this.bus).pipe(
      switchMap((conn) => defer(() => this.run(new SystemdManager(conn), apply, changes))),
      take(1),
    );
  }

  private error(msg: string): Error {
    return new Error(`cron[${this.name}]: ${msg}`);
  }

  private within<T>(what: string, work: () => Promise<T> | Observable<T>, ms = CRON_TIMEOUTS.callMs): Promise<T> {
    return firstValueFrom(
      defer(() => from(work())).pipe(
        timeout({ first: ms, scheduler: this.env.scheduler, with: () => throwError(() => this.error(`${what}: no answer from systemd within ${ms / 1000} s`)) }),
      ),
    ).catch((e: Error) => {
      throw e.message.startsWith('cron[') ? e : this.error(`${what}: ${e.message}`);
    });
  }

  private async job(m: SystemdManager, method: 'StartUnit' | 'StopUnit' | 'RestartUnit', verb: string): Promise<void> {
    const outcome = await this.within(`${verb} ${this.want.timer}`, () => m.job(method, this.want.timer), CRON_TIMEOUTS.jobMs);
    if (outcome.result !== 'done') throw this.error(`${verb} ${this.want.timer} failed: ${describeJobResult(outcome.result)} (job result "${outcome.result}"); see journalctl -u ${this.want.timer}`);
  }

  private async run(m: SystemdManager, apply: boolean, changes?: ChangeSink): Promise<boolean> {
    let ok = true;
    const would = apply ? '' : 'noop, would ';
    const change = (field: string, from: string, to: string, action: string, diff?: string) => {
      ok = false;
      changes?.({ field, from, to, ...(diff ? { diff } : {}) });
      this.log.info(`${would}${action}`);
    };
    if (this.want.state === 'absent') await this.remove(m, apply, change);
    else await this.ensure(m, apply, change);
    return ok;
  }

  private async ensure(m: SystemdManager, apply: boolean, change: (f: string, a: string, b: string, action: string, diff?: string) => void): Promise<void> {
    const { timer } = this.want;
    const text = timerUnitText(this.want, `cron[${this.name}]`);
    const current = await readUnitFile(this.path);
    const wrote = current !== text;
    if (wrote) {
      const diff = diffLib().createTwoFilesPatch(this.path, this.path, current ?? '', text);
      change('content', current === undefined ? 'absent' : 'other', 'timer unit', `${current === undefined ? 'write' : 'rewrite'} ${this.path}`, diff);
      if (apply) {
        await mkdir(dirname(this.path), { recursive: true });
        await writeFileAtomic(this.path, text, { mode: 0o644 });
      }
    }
    if (!apply && current === undefined) {
      // Nothing to load yet (and loading it would make systemd announce and collect it).
      const s = (await this.within(`read ${timer}`, () => m.loadedStatus(timer))) ?? notLoaded(timer, await this.within(`read ${timer}`, () => m.unitFileState(timer)));
      return this.wouldStart(s, change);
    }
    if (apply && wrote) await this.within('daemon reload', () => m.reload());
    // The unit it activates first: starting a timer whose unit is missing fails, and a timer
    // loaded but never started is collected again, which the watch would see, again and again.
    const target = activatedUnit(this.want);
    const activated = await this.within(`read ${target}`, () => m.status(target));
    if (activated.loadState === 'not-found') {
      throw this.error(`${timer} activates ${target}, which does not exist (no unit file): write it with a file resource or install the package that ships it`);
    }
    let s = await this.within(`read ${timer}`, () => m.status(timer));
    if (apply && s.needDaemonReload) {
      await this.within('daemon reload', () => m.reload());
      s = await this.within(`read ${timer}`, () => m.status(timer));
    }
    if (s.loadState === 'bad-setting' || s.loadState === 'error' || s.loadState === 'not-found') {
      throw this.error(`systemd cannot load ${timer} (LoadState "${s.loadState}"); check it with systemd-analyze verify ${this.path}`);
    }
    await this.ensureStartup(m, s, apply, change);
    if (s.activeState !== 'active') {
      change('state', s.activeState || 'inactive', 'active', `start ${timer} (was ${s.activeState || 'inactive'})`);
      if (apply) await this.job(m, 'StartUnit', 'start');
    } else if (wrote) {
      // Its triggers changed: restart, so they count from the new definition.
      this.log.info(`${apply ? '' : 'noop, would '}restart ${timer} (its unit file changed)`);
      if (apply) await this.job(m, 'RestartUnit', 'restart');
    }
  }

  /** Noop on a timer whose file is not written yet: say what would follow, from what is known. */
  private wouldStart(s: UnitStatus, change: (f: string, a: string, b: string, action: string) => void): void {
    const { timer, startup } = this.want;
    if (startup === 'enabled' && enablement(s.unitFileState) !== 'enabled') change('startup', s.unitFileState || 'missing', 'enabled', `enable ${timer}`);
    if (s.activeState !== 'active') change('state', s.activeState || 'inactive', 'active', `start ${timer}`);
  }

  private async ensureStartup(m: SystemdManager, s: UnitStatus, apply: boolean, change: (f: string, a: string, b: string, action: string) => void): Promise<void> {
    const { timer, startup } = this.want;
    const now = enablement(s.unitFileState);
    if (startup === 'enabled' && now !== 'enabled') {
      if (now === 'masked') throw this.error(`${timer} is masked (UnitFileState "${s.unitFileState}"); unmask it to enable it`);
      change('startup', s.unitFileState || 'missing', 'enabled', `enable ${timer} (was ${s.unitFileState || 'missing'})`);
      if (apply) await this.within(`enable ${timer}`, () => m.enable(timer));
    } else if (startup === 'disabled' && now === 'enabled') {
      change('startup', s.unitFileState, 'disabled', `disable ${timer} (was ${s.unitFileState})`);
      if (apply) await this.within(`disable ${timer}`, () => m.disable(timer, s.unitFileState === 'enabled-runtime'));
    }
  }

  private async remove(m: SystemdManager, apply: boolean, change: (f: string, a: string, b: string, action: string) => void): Promise<void> {
    const { timer } = this.want;
    const s = (await this.within(`read ${timer}`, () => m.loadedStatus(timer))) ?? notLoaded(timer, await this.within(`read ${timer}`, () => m.unitFileState(timer)));
    if (s.activeState === 'active' || s.activeState === 'activating') {
      change('state', s.activeState, 'inactive', `stop ${timer}`);
      if (apply) await this.job(m, 'StopUnit', 'stop');
    }
    if (enablement(s.unitFileState) === 'enabled') {
      change('startup', s.unitFileState, 'disabled', `disable ${timer}`);
      if (apply) await this.within(`disable ${timer}`, () => m.disable(timer, s.unitFileState === 'enabled-runtime'));
    }
    const present = await lstat(this.path).then(() => true, () => false);
    if (present) {
      change('content', 'timer unit', 'absent', `remove ${this.path}`);
      if (apply) {
        await rm(this.path, { force: true });
        await this.within('daemon reload', () => m.reload());
      }
    }
  }
}

/** The status of a unit systemd has not loaded: inactive, with its enablement from disk. */
const notLoaded = (unit: string, unitFileState: string): UnitStatus => ({
  unit,
  path: '',
  loadState: '',
  activeState: 'inactive',
  subState: '',
  unitFileState,
  needDaemonReload: false,
  result: '',
  mainPid: 0,
  execMainStatus: 0,
});

/** The unit file's text; undefined when there is none, "" for a symlink (never read through). */
async function readUnitFile(path: string): Promise<string | undefined> {
  const st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!st) return undefined;
  if (!st.isFile()) return '';
  return readFile(path, 'utf8');
}

export const cronKind: ResourceKind = {
  kind: 'cron',
  doc:
    'A systemd timer (mgmt\'s cron): its unit file written under /etc/systemd/system or the ' +
    "user's ~/.config/systemd/user, systemd reloaded, the timer enabled and started over D-Bus.",
  fields,
  validate: (params) => {
    const w = want(params, undefined);
    return typeof w === 'string' && !w.includes('timer name') ? w : undefined;
  },
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const w = want(spec.params, spec.name);
    if (typeof w === 'string') throw new Error(`cron[${spec.name}]: ${w}`);
    return new CronResource(spec.name, spec.meta, w, env);
  },
};
