// sysctl: a kernel parameter, set now (/proc/sys) and kept across reboots (a sysctl.d file).
// Fields follow mgmt's sysctl resource, so mgmt graphs run unchanged.
import { type Observable, EMPTY, defer, merge } from 'rxjs';
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { diffLib } from '../util/unified-diff.js';
import type { ChangeSink } from '../model/events.js';
import type { ResourceSpec } from '../model/spec.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { normalizePath } from '../util/paths.js';
import { OwnRenames, watchPath } from '../watch/index.js';
import { pollChanges } from './sysctl/poll.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';

const fields: Record<string, FieldSchema> = {
  value: { type: 'string', required: true, doc: 'the value, as `sysctl -w` takes it (several numbers separated by spaces for some keys)' },
  runtime: { type: 'boolean', default: true, doc: 'set the running kernel\'s value (/proc/sys)' },
  persist: { type: 'boolean', default: true, doc: 'keep it across reboots in a sysctl.d file' },
  path: { type: 'string', doc: 'absolute path of that file, ending in .conf; default /etc/sysctl.d/99-NAME.conf' },
};

export const SYSCTL_CONF_DIR = '/etc/sysctl.d';

/** How often the running value is read (procfs has no inotify). Tests may shorten it. */
export const SYSCTL_POLL = { ms: 5_000 };

const procRoot = '/proc/sys';
const procPath = (name: string): string => posix.join(procRoot, ...name.split('.'));
const defaultConf = (name: string): string => `${SYSCTL_CONF_DIR}/99-${name}.conf`;
/** Values compare with any run of whitespace as one space (procfs shows some with tabs). */
const canonical = (v: string): string => v.trim().split(/\s+/).join(' ');

function validateName(name: string): string | undefined {
  if (name.includes('/')) return `"${name}" contains "/"; use the dotted form, like net.ipv4.ip_forward`;
  if (name.includes('=')) return `"${name}" contains "="; give the value in \`value\``;
  if (/\s/.test(name)) return `"${name}" contains whitespace`;
  if (name.split('.').some((part) => part === '')) return `"${name}" has an empty part (leading, trailing or doubled ".")`;
  return undefined;
}

function validate(params: Record<string, unknown>, name?: string): string | undefined {
  if (name !== undefined) {
    const bad = validateName(name);
    if (bad) return `the name ${bad}`;
  }
  const value = params.value;
  if (typeof value !== 'string' || value === '') return 'needs a non-empty `value`';
  if (value.trim() !== value) return `\`value\` ${JSON.stringify(value)} has leading or trailing whitespace`;
  if (/[\n\r]/.test(value)) return '`value` must be one line';
  const runtime = params.runtime !== false;
  const persist = params.persist !== false;
  if (!runtime && !persist) return '`runtime` and `persist` are both false: there is nothing to do; set at least one';
  const path = params.path;
  if (path !== undefined && path !== null) {
    if (typeof path !== 'string') return `\`path\` must be a string, got ${JSON.stringify(path)}`;
    if (!posix.isAbsolute(path)) return `\`path\` must be absolute, got ${JSON.stringify(path)}`;
    if (!path.endsWith('.conf')) return `\`path\` must end in .conf (systemd-sysctl reads only those), got ${JSON.stringify(path)}`;
  }
  return undefined;
}

interface Desired {
  value: string;
  runtime: boolean;
  /** The sysctl.d file, when persisted. */
  conf?: string;
}

export class SysctlResource implements Resource {
  readonly kind = 'sysctl';
  readonly fingerprint: string;
  private readonly proc: string;
  private readonly ownRenames: OwnRenames;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly want: Desired,
    private readonly env: ResourceEnv,
    private readonly log: Logger,
  ) {
    this.fingerprint = JSON.stringify({ value: want.value, runtime: want.runtime, conf: want.conf ?? null });
    this.proc = procPath(name);
    this.ownRenames = new OwnRenames(() => env.scheduler.now());
  }

  /** The running value, polled on the engine's scheduler; the persisted file, through inotify. */
  watch(): Observable<void> {
    const { runtime, conf } = this.want;
    const read = () => defer(() => readFile(this.proc, 'utf8').then(canonical, (err: Error) => `unreadable: ${err.message}`));
    return merge(
      runtime ? pollChanges(read, SYSCTL_POLL.ms, this.env.scheduler) : EMPTY,
      conf ? watchPath(conf, this.ownRenames) : EMPTY,
    );
  }

  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return defer(async () => {
      const runtimeOk = await this.ensureRuntime(apply, changes);
      const persistOk = await this.ensurePersisted(apply, changes);
      return runtimeOk && persistOk;
    });
  }

  /** After the nearest managed directory of its sysctl.d file. */
  autoEdges(): AutoEdges {
    const wants: string[][] = [];
    const { conf } = this.want;
    if (conf) {
      const dirs: string[] = [];
      for (let dir = conf; dir !== '/'; ) {
        dir = posix.dirname(dir);
        dirs.push(`file:${dir === '/' ? '/' : dir + '/'}`);
      }
      wants.push(dirs);
    }
    return { provides: [`sysctl:${this.name}`], wants };
  }

  /** The kernel parameter, and the file it is persisted in (no file resource may manage it too). */
  manages(): string[] {
    return [`sysctl:${this.name}`, ...(this.want.conf ? [`file:${this.want.conf}`] : [])];
  }

  private async ensureRuntime(apply: boolean, changes?: ChangeSink): Promise<boolean> {
    if (!this.want.runtime) return true;
    const now = await this.readRuntime();
    const want = canonical(this.want.value);
    if (now === want) return true;
    changes?.({ field: 'value', from: now, to: want });
    this.log.info(`${apply ? '' : 'noop, would '}set ${this.name} from ${now} to ${want}`);
    if (!apply) return false;
    try {
      await writeFile(this.proc, `${this.want.value}\n`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'EINVAL' ? `the kernel refused the value ${JSON.stringify(this.want.value)}`
        : code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? `${this.proc} is not writable here (${code}: not root, or a container's read-only /proc/sys)`
        : (err as Error).message;
      throw new Error(`sysctl[${this.name}]: cannot set it: ${why}`, { cause: err });
    }
    // The kernel may take a value and keep another (clamped, rounded): say so, or we would loop.
    const after = await this.readRuntime();
    if (after !== want) throw new Error(`sysctl[${this.name}]: wrote ${JSON.stringify(want)} but the kernel now reports ${JSON.stringify(after)}`);
    return false;
  }

  private async readRuntime(): Promise<string> {
    try {
      return canonical(await readFile(this.proc, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new Error(`sysctl[${this.name}]: this kernel has no parameter ${this.name} (no ${this.proc})`, { cause: err });
      }
      throw new Error(`sysctl[${this.name}]: cannot read ${this.proc}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async ensurePersisted(apply: boolean, changes?: ChangeSink): Promise<boolean> {
    const { conf } = this.want;
    if (!conf) return true;
    const wanted = `${this.name} = ${this.want.value}\n`;
    const old = await this.readConf(conf);
    if (old === wanted) return true;
    changes?.({ field: 'persist', ...(old === undefined ? { from: 'absent' } : {}), to: conf, diff: diffLib().createPatch(conf, old ?? '', wanted) });
    this.log.info(`${conf}: ${apply ? '' : 'noop, would '}${old === undefined ? 'create' : 'rewrite'} it with ${this.name} = ${this.want.value}`);
    if (!apply) return false;
    try {
      await writeFileAtomic(conf, wanted, { mode: 0o644, announce: this.ownRenames });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? `its directory ${posix.dirname(conf)} does not exist` : (err as Error).message;
      throw new Error(`sysctl[${this.name}]: cannot write ${conf}: ${why}`, { cause: err });
    }
    return false;
  }

  /** The persisted file's text, undefined when missing. A link or a directory there is an error. */
  private async readConf(conf: string): Promise<string | undefined> {
    try {
      const st = await lstat(conf);
      if (st.isSymbolicLink()) throw new Error(`${conf} is a symbolic link; it is never written through: remove it or set \`path\``);
      if (!st.isFile()) throw new Error(`${conf} is not a regular file`);
      return await readFile(conf, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new Error(`sysctl[${this.name}]: ${(err as Error).message}`, { cause: err });
    }
  }
}

export const sysctlKind: ResourceKind = {
  kind: 'sysctl',
  doc:
    'A kernel parameter (net.ipv4.ip_forward, vm.swappiness, ...): its running value in /proc/sys, ' +
    'and a sysctl.d file that sets it at boot, written atomically. The running value is polled ' +
    '(procfs has no inotify); the file is watched through inotify.',
  fields,
  validate: (params) => validate(params),
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params, spec.name);
    if (problem) throw new Error(`sysctl[${spec.name}]: ${problem}`);
    const p = spec.params;
    const persist = p.persist !== false;
    const path = typeof p.path === 'string' ? p.path : defaultConf(spec.name);
    const want: Desired = { value: String(p.value), runtime: p.runtime !== false, conf: persist ? normalizePath(path) : undefined };
    return new SysctlResource(spec.name, spec.meta, want, env, env.log.child(`sysctl[${spec.name}]`));
  },
};
