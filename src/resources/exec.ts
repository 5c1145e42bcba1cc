// exec: runs a command, as mgmt's exec resource does, so mgmt graphs run unchanged. When it runs
// is decided by, in order: `creates` (the path exists: nothing to do), `ifcmd` (exit 0: run),
// and otherwise by what happened since the last run (the graph started, a `watchcmd` line, a
// refresh through a notify edge). Each command runs in its own process group, which a timeout
// or an abandoned run kills as a whole.
import { EMPTY, NEVER, type Observable, concatMap, defer, map, merge, of, repeat, tap } from 'rxjs';
import { longTimer } from '../../operators/long-timer.js';
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ResourceSpec } from '../model/spec.js';
import { accountProblem } from '../util/accounts.js';
import { escapeControl, quoted } from '../util/paths.js';
import type { Logger } from '../util/logger.js';
import { argvFor, shellSyntaxHint, shown } from './exec/argv.js';
import { type Credentials, resolveCredentials } from './exec/ids.js';
import { type ProcessResult, type ProcessSpec, defaults, runProcess, watchLines } from './exec/process.js';
import type { Tail } from './exec/tail.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';
import type { ChangeSink } from '../model/events.js';

const fields: Record<string, FieldSchema> = {
  cmd: { type: 'string', required: true, doc: 'the command to run' },
  shell: { type: 'string', default: '', doc: 'shell to run cmd with (`shell -c cmd`); empty: split cmd on whitespace, no shell' },
  timeout: { type: 'integer', default: 0, doc: 'seconds before cmd (or ifcmd) and its process group are killed; 0: no limit' },
  watchcmd: { type: 'string', default: '', doc: 'long-running command: each line it prints makes cmd run again' },
  watchshell: { type: 'string', default: '', doc: 'shell for watchcmd; empty: no shell' },
  ifcmd: { type: 'string', default: '', doc: 'guard run on every check: exit 0 means cmd must run, non-zero means all is well' },
  ifshell: { type: 'string', default: '', doc: 'shell for ifcmd; empty: no shell' },
  pollint: { type: 'integer', default: 0, doc: 'seconds between re-checks of ifcmd (needs ifcmd); 0: only on events' },
  state: { type: 'string', enum: ['present', ''], default: 'present', doc: "accepted for mgmt compatibility; exec has no other state" },
  cwd: { type: 'string', doc: 'absolute working directory for cmd (default: rxmgmt\'s own)' },
  ifcwd: { type: 'string', doc: 'absolute working directory for ifcmd (default: rxmgmt\'s own)' },
  watchcwd: { type: 'string', doc: 'absolute working directory for watchcmd (default: rxmgmt\'s own)' },
  env: { type: 'map', doc: 'environment variables added to rxmgmt\'s own for the commands' },
  user: { type: 'string', doc: 'run the commands as this user (name or uid; needs root)' },
  group: { type: 'string', doc: 'run the commands with this group (name or gid; needs root); default: the user\'s group' },
  creates: { type: 'string', doc: 'absolute path: when it exists, state is OK and cmd does not run' },
  sensitive: {
    type: 'boolean',
    default: false,
    doc: 'the command or its output holds secrets: neither is logged, and changes name only the field',
  },
};

/** The longest timeout or pollint taken: 10 years (waits that long are chained: longTimer). */
export const MAX_SECONDS = 10 * 366 * 24 * 3600;

const present = (v: unknown): boolean => v !== undefined && v !== null;
const text = (v: unknown): string => (present(v) ? String(v) : '');

function validate(params: Record<string, unknown>): string | undefined {
  if (text(params.cmd).trim() === '') return '`cmd` must not be empty';
  const texts = ['cmd', 'shell', 'watchcmd', 'watchshell', 'ifcmd', 'ifshell', 'cwd', 'ifcwd', 'watchcwd', 'user', 'group', 'creates'] as const;
  for (const key of texts) {
    if (text(params[key]).includes('\0')) return `\`${key}\` contains a NUL byte, which no command, path or name can hold: ${quoted(text(params[key]))}`;
  }
  for (const key of ['timeout', 'pollint'] as const) {
    const v = params[key];
    if (present(v) && !(typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
      return `\`${key}\` must be an integer >= 0 (seconds), got ${JSON.stringify(v)}`;
    }
    if (typeof v === 'number' && v > MAX_SECONDS) {
      return `\`${key}\` must be at most ${MAX_SECONDS} seconds (10 years), got ${v}`;
    }
  }
  if (Number(params.pollint ?? 0) > 0 && text(params.ifcmd).trim() === '') {
    return '`pollint` is how often `ifcmd` is re-checked, so it needs `ifcmd`';
  }
  const state = params.state ?? 'present';
  if (state !== 'present' && state !== '') return `\`state\` must be "present" (an exec has no other state), got ${typeof state === 'string' ? quoted(state) : JSON.stringify(state)}`;
  for (const key of ['cwd', 'ifcwd', 'watchcwd', 'creates'] as const) {
    const v = params[key];
    if (present(v) && !posix.isAbsolute(String(v))) return `\`${key}\` must be an absolute path, got ${quoted(String(v))}`;
  }
  for (const key of ['user', 'group'] as const) {
    if (present(params[key]) && text(params[key]).trim() === '') return `\`${key}\` must not be empty`;
    const problem = present(params[key]) ? accountProblem(text(params[key]), key) : undefined;
    if (problem) return `\`${key}\`: ${problem}`;
  }
  const env = params.env;
  if (present(env)) {
    if (typeof env !== 'object' || Array.isArray(env)) return '`env` must be a mapping of names to strings';
    for (const [name, value] of Object.entries(env as object)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `\`env\` name ${quoted(name)} is not a valid variable name`;
      if (String(value).includes('\0')) return `\`env\` ${name} contains a NUL byte, which no environment variable can hold`;
    }
  }
  return undefined;
}

/** One command as configured: what runs, where. */
interface Command {
  role: 'cmd' | 'ifcmd' | 'watchcmd';
  cmd: string;
  shell: string;
  cwd?: string;
}

interface Config {
  cmd: Command;
  ifcmd?: Command;
  watchcmd?: Command;
  timeoutSec: number;
  pollint: number;
  env: Record<string, string>;
  user?: string;
  group?: string;
  creates?: string;
  sensitive: boolean;
}

// As in mgmt, each command has its own working directory: cwd is for cmd only. (A watchcmd
// starts with the graph, before any parent could have created cmd's directory.)
function configFrom(p: Record<string, unknown>): Config {
  const command = (role: Command['role'], cmd: unknown, shell: unknown, cwd: unknown): Command | undefined =>
    text(cmd).trim() === '' ? undefined : { role, cmd: String(cmd), shell: text(shell), cwd: present(cwd) ? String(cwd) : undefined };
  return {
    cmd: command('cmd', p.cmd, p.shell, p.cwd)!,
    ifcmd: command('ifcmd', p.ifcmd, p.ifshell, p.ifcwd),
    watchcmd: command('watchcmd', p.watchcmd, p.watchshell, p.watchcwd),
    timeoutSec: Number(p.timeout ?? 0),
    pollint: Number(p.pollint ?? 0),
    env: present(p.env) ? { ...(p.env as Record<string, string>) } : {},
    user: present(p.user) ? String(p.user) : undefined,
    group: present(p.group) ? String(p.group) : undefined,
    creates: present(p.creates) ? String(p.creates) : undefined,
    sensitive: p.sensitive === true,
  };
}

/** A stable JSON of the params: same keys in the same order whatever the YAML's order. */
function canonical(params: Record<string, unknown>): string {
  const keys = Object.keys(params).filter((k) => present(params[k])).sort();
  return JSON.stringify(keys.map((k) => [k, params[k]]));
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
      throw new Error(`cannot check creates path ${path}: ${err.message}`);
    },
  );

const bytes = (n: number): string => (n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`);

/** What the decision step found. */
type Verdict = { run: false } | { run: true; why: string };

class ExecResource implements Resource {
  readonly kind = 'exec';
  /** Watch events (watchcmd lines) seen, and how many a successful run of cmd has covered. */
  private events = 0;
  private eventsHandled = 0;
  /** cmd has succeeded since this resource started (graph start, or it changed). */
  private ranOnce = false;
  private hinted = false;
  private creds?: Credentials;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly fingerprint: string,
    private readonly c: Config,
    private readonly env: ResourceEnv,
    private readonly log: Logger,
  ) {}

  watch(): Observable<void> {
    const { watchcmd, pollint, ifcmd } = this.c;
    const lines$ = watchcmd
      ? defer(() => this.spec(watchcmd)).pipe(
          concatMap((spec) =>
            watchLines(spec, {
              scheduler: this.env.scheduler,
              label: `watchcmd ${this.label(watchcmd)}`,
              onStderrLine: (l) => this.c.sensitive || this.log.info(`watchcmd stderr: ${escapeControl(l)}`),
            }),
          ),
          tap((line) => {
            this.events++;
            if (!this.c.sensitive) this.log.debug(`watchcmd: ${escapeControl(line)}`);
          }),
        )
      : EMPTY;
    // pollint only re-runs the check: ifcmd decides, the tick itself is not an event for cmd.
    const polls$ = pollint > 0 && ifcmd ? defer(() => longTimer(pollint * 1000, this.env.scheduler)).pipe(repeat()) : EMPTY;
    if (!watchcmd && !(pollint > 0 && ifcmd)) return NEVER; // nothing can drift on its own
    return merge(lines$, polls$).pipe(map(() => undefined));
  }

  checkApply(apply: boolean, refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return defer(() => {
      const seen = this.events;
      if (!this.hinted) {
        this.hinted = true;
        for (const c of [this.c.cmd, this.c.ifcmd, this.c.watchcmd]) {
          const hint = c && shellSyntaxHint(c.cmd, c.shell);
          if (hint) this.log.warn(`${c.role} ${hint}`);
        }
      }
      return this.decide(apply, refresh, seen).pipe(
        concatMap((v): Observable<boolean> => {
          if (!v.run) return of(true);
          const ran = { field: 'cmd', ...(this.c.sensitive ? {} : { to: shown(this.c.cmd.cmd) }) };
          if (!apply) {
            this.log.info(`noop: would run ${this.label(this.c.cmd)} (${v.why})`);
            changes?.(ran);
            return of(false);
          }
          this.log.info(`running ${this.label(this.c.cmd)} (${v.why})`);
          return this.execute(this.c.cmd).pipe(
            map(() => {
              changes?.(ran);
              this.ranOnce = true;
              this.eventsHandled = Math.max(this.eventsHandled, seen);
              return false;
            }),
          );
        }),
      );
    });
  }

  autoEdges(): AutoEdges {
    const wants: string[][] = [];
    for (const c of [this.c.cmd, this.c.ifcmd, this.c.watchcmd]) {
      if (!c) continue;
      const program = argvFor(c.cmd, c.shell).file;
      if (posix.isAbsolute(program)) wants.push([`file:${posix.normalize(program)}`]);
      if (c.cwd) wants.push([`file:${posix.normalize(c.cwd + '/')}`]);
    }
    return { provides: [`exec:${this.c.cmd.cmd}`], wants };
  }

  /** Whether cmd must run now, and why. Runs ifcmd (read-only by contract) when there is one. */
  private decide(apply: boolean, refresh: boolean, seen: number): Observable<Verdict> {
    const { creates, ifcmd } = this.c;
    const createsGone$ = creates
      ? defer(() => exists(creates)).pipe(
          tap((there) => there && this.log.debug(`${creates} exists: state OK, cmd not run`)),
          map((there) => !there),
        )
      : of(true);
    return createsGone$.pipe(
      concatMap((go): Observable<Verdict> => {
        if (!go) return of({ run: false });
        if (ifcmd) return this.ifcmdSays(apply);
        if (creates) return of({ run: true, why: `${creates} does not exist` });
        if (refresh) return of({ run: true, why: 'refresh' });
        if (!this.ranOnce) return of({ run: true, why: 'first run since start' });
        if (seen > this.eventsHandled) return of({ run: true, why: 'watchcmd event' });
        return of({ run: false });
      }),
    );
  }

  private ifcmdSays(apply: boolean): Observable<Verdict> {
    const ifcmd = this.c.ifcmd!;
    return this.execute(ifcmd, true).pipe(
      map((r): Verdict => {
        const noop = apply ? '' : 'noop: ran ifcmd (read-only): ';
        if (r.code === 0) return { run: true, why: `ifcmd ${this.label(ifcmd)} exited 0` };
        const msg = `${noop}ifcmd ${this.label(ifcmd)} exited ${r.code}: state OK, cmd not run`;
        if (apply) this.log.debug(msg);
        else this.log.info(msg);
        return { run: false };
      }),
    );
  }

  /** How logs and errors name a command: the command itself, unless it is sensitive. */
  private label(c: Command): string {
    return this.c.sensitive ? '(sensitive)' : `\`${shown(c.cmd)}\``;
  }

  /** The process to start for `c`: argv, cwd (checked), environment and credentials. */
  private async spec(c: Command): Promise<ProcessSpec> {
    const { file, args } = argvFor(c.cmd, c.shell);
    if (c.cwd) {
      const st = await stat(c.cwd).catch(() => undefined);
      if (!st?.isDirectory()) throw new Error(`${c.role} cannot start: its working directory ${c.cwd} is not an existing directory`);
    }
    if (!this.creds) {
      try {
        this.creds = await resolveCredentials(this.c.user, this.c.group);
      } catch (err) {
        throw new Error(`${c.role} cannot start: ${(err as Error).message}`, { cause: err });
      }
    }
    const { uid, gid, env: userEnv } = this.creds;
    return { file, args, cwd: c.cwd, env: { ...process.env, ...userEnv, ...this.c.env }, uid, gid };
  }

  /**
   * Runs `c` to its end and logs its output. A timeout, a signal or (unless `anyExit`) a
   * non-zero exit is an error. Unsubscribing kills its process group.
   */
  private execute(c: Command, anyExit = false): Observable<ProcessResult> {
    const { scheduler } = this.env;
    const label = `${c.role} ${this.label(c)}`;
    return defer(() => this.spec(c)).pipe(
      concatMap((spec) => {
        const started = scheduler.now();
        return runProcess(spec, { scheduler, timeoutMs: this.c.timeoutSec * 1000 }).pipe(
          tap((r) => this.logRun(label, r, scheduler.now() - started)),
          tap((r) => {
            const tail = this.c.sensitive ? '' : stderrTail(r.stderr);
            if (r.timedOut) {
              throw new Error(`${label} timed out after ${this.c.timeoutSec} s; its process group was killed${tail}`);
            }
            if (r.code === null) throw new Error(`${label} was killed by ${r.signal ?? 'a signal'}${tail}`);
            if (r.code !== 0 && !anyExit) throw new Error(`${label} exited with code ${r.code}${tail}`);
          }),
        );
      }),
    );
  }

  private logRun(label: string, r: ProcessResult, ms: number): void {
    const how = r.timedOut ? 'timed out' : r.code !== null ? `exited ${r.code}` : `killed by ${r.signal}`;
    // ifcmd is run on every check: its details are debug unless it failed badly.
    const loud = label.startsWith('cmd') || r.timedOut || r.code === null;
    const detail = (m: string): void => (loud ? this.log.info(m) : this.log.debug(m));
    detail(`${label} ${how} after ${(ms / 1000).toFixed(2)} s (stdout ${bytes(r.stdout.total)}, stderr ${bytes(r.stderr.total)})`);
    if (this.c.sensitive) return; // its output may hold the secrets
    for (const [name, tail] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      if (tail.dropped > 0) detail(`${name}: first ${bytes(tail.dropped)} dropped, last ${bytes(tail.max)} follow`);
      for (const line of tail.lines()) detail(`${name}| ${escapeControl(line)}`);
    }
    if (r.outputHeldOpen) this.log.debug(`${label}: a background process still holds its output open; no longer reading it`);
  }
}

function stderrTail(t: Tail): string {
  const last = t.lastLines(5).filter((l) => l.trim() !== '');
  return last.length ? `; stderr: ${escapeControl(last.join(' | '))}` : '';
}

export const execKind: ResourceKind = {
  kind: 'exec',
  doc:
    'Runs a command: once when the graph starts, again on a refresh (notify edge) or a watchcmd ' +
    'line; or whenever ifcmd exits 0; never while the creates path exists. A non-zero exit is a ' +
    'failure. Commands run in their own process group; a timeout kills the whole group.',
  fields,
  validate,
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params);
    if (problem) throw new Error(`exec[${escapeControl(spec.name)}]: ${problem}`);
    return new ExecResource(spec.name, spec.meta, canonical(spec.params), configFrom(spec.params), env, env.log.child(`exec[${escapeControl(spec.name)}]`));
  },
};

/** The grace between SIGTERM and SIGKILL, and the output kept per stream, for the docs and tests. */
export const execLimits = { killGraceMs: defaults.graceMs, outputBytes: defaults.maxOutput };
