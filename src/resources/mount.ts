// mount: a file system mounted (or not) at a path, and its /etc/fstab entry kept in step, as
// mgmt's mount resource has it (same fields, so mgmt graphs run unchanged). It applies through
// systemd: fstab written atomically, daemon-reload (systemd-fstab-generator makes the mount unit
// from it), then the mount unit started, reloaded (remount) or stopped over D-Bus.
import { type Observable, type SchedulerLike, defer, distinctUntilChanged, firstValueFrom, from, interval, map, merge, skip, switchMap, take, throwError, timeout } from 'rxjs';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ResourceSpec } from '../model/spec.js';
import type { ChangeSink } from '../model/events.js';
import type { Logger } from '../util/logger.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { watchPath } from '../watch/index.js';
import { useBus } from '../dbus/bus.js';
import { SystemdManager } from '../dbus/systemd.js';
import { describeJobResult } from '../dbus/systemd-names.js';
import { type FstabEntry, type MountInfo, fstabEntryFor, fstabLine, fstabWith, mountAt, mountUnitName, optionsText, parseMountInfo } from './mount/tables.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';

const fields: Record<string, FieldSchema> = {
  state: { type: 'string', enum: ['exists', 'absent'], required: true, doc: 'exists: in fstab and mounted; absent: unmounted and out of fstab' },
  device: { type: 'string', doc: 'what to mount: a device or image path, UUID=..., LABEL=..., PARTUUID=..., PARTLABEL=..., or a name (tmpfs)' },
  type: { type: 'string', doc: 'the file system type, one /proc/filesystems lists (ext4, xfs, tmpfs, ...)' },
  options: { type: 'map', default: { defaults: '' }, doc: 'mount options: a key with "" stands alone (ro), others are key=value (size: 16m)' },
  freq: { type: 'integer', default: 0, doc: 'the dump frequency (fstab field 5)' },
  passno: { type: 'integer', default: 0, doc: 'the fsck order (fstab field 6)' },
};

export const MOUNT_PATHS = { fstab: '/etc/fstab', mountinfo: '/proc/self/mountinfo', filesystems: '/proc/filesystems' };
/** How often /proc/self/mountinfo is read for changes systemd does not announce (on the scheduler). */
export const MOUNTINFO_POLL_MS = 2_000;
/** Deadlines on the engine's scheduler: a plain call, a mount or unmount job. */
export const MOUNT_TIMEOUTS = { callMs: 2 * 60_000, jobMs: 15 * 60_000 };

interface MountWant {
  point: string;
  state: 'exists' | 'absent';
  entry: FstabEntry;
}

/** One read-modify-write of fstab at a time in this process (mount resources run in parallel). */
let fstabQueue: Promise<unknown> = Promise.resolve();
function withFstab<T>(work: () => Promise<T>): Promise<T> {
  const next = fstabQueue.then(work, work);
  fstabQueue = next.catch(() => undefined);
  return next;
}

/** The file system types this kernel knows (nodev ones included); undefined when unreadable. */
function knownTypes(): Set<string> | undefined {
  try {
    return new Set(readFileSync(MOUNT_PATHS.filesystems, 'utf8').split('\n').map((l) => l.trim().split(/\s+/).pop()!).filter(Boolean));
  } catch {
    return undefined;
  }
}

function want(params: Record<string, unknown>, name: string | undefined): MountWant | string {
  const point = name ?? '/x';
  if (!posix.isAbsolute(point) || point.includes('//') || point === '/' || /[\n\0]/.test(point)) {
    return `"${point}" is not a mount point (an absolute path other than "/", without "//")`;
  }
  const state = params.state === 'absent' ? 'absent' : 'exists';
  const device = typeof params.device === 'string' ? params.device : '';
  const type = typeof params.type === 'string' ? params.type : '';
  const options = (params.options ?? { defaults: '' }) as Record<string, string>;
  for (const [k, v] of Object.entries(options)) {
    if (k === '' || /[\s,=]/.test(k) || /[\s,]/.test(v)) return `\`options\` "${k}: ${v}" is not a mount option (no spaces or commas; "=" only between key and value)`;
  }
  for (const f of ['freq', 'passno'] as const) {
    const v = params[f] ?? 0;
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0)) return `\`${f}\` must be an integer >= 0, got ${JSON.stringify(v)}`;
  }
  if (state === 'exists') {
    if (device.trim() === '' || /\s/.test(device)) return '`device` must be set (one word: a path, UUID=..., LABEL=..., or a name such as tmpfs) for a mount that exists';
    if (type === '' || /\s/.test(type)) return '`type` must be set for a mount that exists (ext4, xfs, tmpfs, ...)';
    const types = knownTypes();
    const base = type.startsWith('fuse.') ? 'fuse' : type;
    if (types && !types.has(base)) return `\`type\` "${type}" is not a file system this kernel knows (see /proc/filesystems)`;
  }
  const point0 = point.length > 1 ? point.replace(/\/$/, '') : point;
  const entry: FstabEntry = { device, point: point0, type, options: optionsText(options), freq: Number(params.freq ?? 0), passno: Number(params.passno ?? 0) };
  return { point: point0, state, entry };
}

/** Does the mounted source match the device asked for (symlinks such as /dev/disk/by-uuid resolved)? */
function sameSource(m: MountInfo, device: string): boolean {
  if (m.source === device) return true;
  const tag = /^(UUID|LABEL|PARTUUID|PARTLABEL)=(.*)$/.exec(device);
  const path = tag ? `/dev/disk/by-${tag[1].toLowerCase()}/${tag[2]}` : device;
  if (!path.startsWith('/')) return false;
  try {
    const real = realpathSync(path);
    if (real === m.source) return true;
    return statSync(real).isFile() && m.source.startsWith('/dev/loop'); // an image file, through a loop device
  } catch {
    return false;
  }
}

/**
 * Emits when the mount at `point` in /proc/self/mountinfo changes (appears, goes, another source,
 * type or options), read every MOUNTINFO_POLL_MS on `scheduler`; the first reading is the baseline.
 *
 *   reads:  a---a---b---b---()---
 *   emits:  --------x-------x----
 */
export function mountinfoChanges(point: string, scheduler: SchedulerLike, read: () => Promise<string> = () => readFile(MOUNT_PATHS.mountinfo, 'utf8')): Observable<void> {
  return interval(MOUNTINFO_POLL_MS, scheduler).pipe(
    switchMap(() => from(read())),
    map((text) => JSON.stringify(mountAt(parseMountInfo(text), point) ?? null)),
    distinctUntilChanged(),
    skip(1),
    map(() => undefined),
  );
}

export class MountResource implements Resource {
  readonly kind = 'mount';
  readonly fingerprint: string;
  readonly unit: string;
  private readonly log: Logger;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly want: MountWant,
    private readonly env: ResourceEnv,
  ) {
    this.unit = mountUnitName(want.point);
    this.fingerprint = JSON.stringify(want);
    this.log = env.log.child(`mount[${name}]`);
  }

  manages(): string[] {
    return [`mount:${this.want.point}`];
  }

  /** meta reverse: unmounted and its fstab entry removed. */
  reversed(): Resource | undefined {
    if (this.want.state === 'absent') return undefined;
    return new MountResource(this.name, { ...this.meta, reverse: false }, { ...this.want, state: 'absent' }, this.env);
  }

  /** After the mount point's directory (a file resource), nearest first; after an image file it mounts. */
  autoEdges(): AutoEdges {
    const parents: string[] = [];
    for (let d = posix.dirname(this.want.point); ; d = posix.dirname(d)) {
      parents.push(`file:${d === '/' ? '/' : `${d}/`}`);
      if (d === '/') break;
    }
    const wants = [[`file:${this.want.point}/`], parents];
    if (this.want.state === 'exists' && this.want.entry.device.startsWith('/') && !this.want.entry.device.startsWith('/dev/')) wants.push([`file:${this.want.entry.device}`]);
    return { provides: [`mount:${this.want.point}`], wants };
  }

  /**
   * systemd's signals for the mount unit (it follows mountinfo itself and says when the mount
   * comes or goes), fstab through inotify, and /proc/self/mountinfo read every few seconds on
   * the scheduler for what systemd does not announce (a mount it has no unit for yet).
   */
  watch(): Observable<void> {
    const unit$ = useBus('system').pipe(switchMap((conn) => new SystemdManager(conn).unitEvents(this.unit)));
    return merge(unit$, mountinfoChanges(this.want.point, this.env.scheduler), watchPath(MOUNT_PATHS.fstab)).pipe(map(() => undefined));
  }

  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return useBus('system').pipe(
      switchMap((conn) => defer(() => this.run(new SystemdManager(conn), apply, changes))),
      take(1),
    );
  }

  private error(msg: string): Error {
    return new Error(`mount[${this.name}]: ${msg}`);
  }

  private within<T>(what: string, work: () => Promise<T> | Observable<T>, ms = MOUNT_TIMEOUTS.callMs): Promise<T> {
    return firstValueFrom(
      defer(() => from(work())).pipe(timeout({ first: ms, scheduler: this.env.scheduler, with: () => throwError(() => this.error(`${what}: no answer from systemd within ${ms / 1000} s`)) })),
    ).catch((e: Error) => {
      throw e.message.startsWith('mount[') ? e : this.error(`${what}: ${e.message}`);
    });
  }

  private async job(m: SystemdManager, method: 'StartUnit' | 'StopUnit' | 'ReloadUnit', verb: string): Promise<void> {
    const run = () => (method === 'ReloadUnit' ? m.reloadJob(this.unit) : m.job(method, this.unit));
    const outcome = await this.within(`${verb} ${this.unit}`, run, MOUNT_TIMEOUTS.jobMs);
    if (outcome.result !== 'done') throw this.error(`${verb} ${this.unit} failed: ${describeJobResult(outcome.result)} (job result "${outcome.result}"); see journalctl -u ${this.unit}`);
  }

  private async mounted(): Promise<MountInfo | undefined> {
    return mountAt(parseMountInfo(await readFile(MOUNT_PATHS.mountinfo, 'utf8')), this.want.point);
  }

  private async run(m: SystemdManager, apply: boolean, changes?: ChangeSink): Promise<boolean> {
    let ok = true;
    const would = apply ? '' : 'noop, would ';
    const change = (field: string, from: string, to: string, action: string) => {
      ok = false;
      changes?.({ field, from, to });
      this.log.info(`${would}${action}`);
    };
    const { point, entry } = this.want;
    const exists = this.want.state === 'exists';

    // fstab first: systemd makes the mount unit from it.
    const fstabChanged = await withFstab(async () => {
      const text = await readFile(MOUNT_PATHS.fstab, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '' : Promise.reject(e)));
      const have = fstabEntryFor(text, point);
      if (exists ? have !== undefined && fstabLine(have) === fstabLine(entry) : have === undefined) return false;
      change('fstab', have ? fstabLine(have) : 'absent', exists ? fstabLine(entry) : 'absent', `${exists ? (have ? 'rewrite' : 'add') : 'remove'} the ${MOUNT_PATHS.fstab} entry for ${point}: ${exists ? fstabLine(entry) : fstabLine(have!)}`);
      if (apply) await writeFileAtomic(MOUNT_PATHS.fstab, fstabWith(text, point, exists ? entry : undefined), { mode: 0o644 });
      return true;
    });
    if (apply && fstabChanged) await this.within('daemon reload', () => m.reload());

    const now = await this.mounted();
    if (exists) {
      if (!now) {
        change('state', 'unmounted', 'mounted', `mount ${entry.device} (${entry.type}) at ${point}`);
        if (apply) await this.job(m, 'StartUnit', 'mount');
      } else if (now.type !== entry.type || !sameSource(now, entry.device)) {
        change('state', `${now.source} (${now.type})`, `${entry.device} (${entry.type})`, `unmount ${now.source} (${now.type}) from ${point} and mount ${entry.device} (${entry.type})`);
        if (apply) {
          await this.job(m, 'StopUnit', 'unmount');
          await this.job(m, 'StartUnit', 'mount');
        }
      } else if (fstabChanged) {
        this.log.info(`${would}remount ${point} with ${entry.options}`);
        if (apply) await this.job(m, 'ReloadUnit', 'remount');
      }
      if (apply && !ok) {
        const after = await this.mounted();
        if (!after || after.type !== entry.type) throw this.error(`systemd says ${this.unit} started, yet ${point} is ${after ? `a ${after.type} mount` : 'not mounted'}`);
      }
    } else if (now) {
      change('state', 'mounted', 'unmounted', `unmount ${now.source} (${now.type}) from ${point}`);
      if (apply) {
        await this.job(m, 'StopUnit', 'unmount');
        if (await this.mounted()) throw this.error(`systemd stopped ${this.unit}, yet ${point} is still mounted`);
      }
    }
    return ok;
  }
}

export const mountKind: ResourceKind = {
  kind: 'mount',
  doc:
    'A file system mounted at a path (the resource name) or not, with its /etc/fstab entry kept ' +
    'in step; applied through systemd mount units over D-Bus, drift seen through systemd and mountinfo.',
  fields,
  validate: (params) => {
    const w = want(params, undefined);
    return typeof w === 'string' && !w.includes('mount point') ? w : undefined;
  },
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const w = want(spec.params, spec.name);
    if (typeof w === 'string') throw new Error(`mount[${spec.name}]: ${w}`);
    return new MountResource(spec.name, spec.meta, w, env);
  },
};
