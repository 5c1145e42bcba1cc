// msg: a message in the log. It is logged the first time the resource runs and again on every
// refresh (a notify edge from a timer makes a periodic message); with `journal: true` it is also
// sent to the systemd journal, with its priority and fields. Fields follow mgmt's msg resource.
import { NEVER, type Observable, defer } from 'rxjs';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ResourceSpec } from '../model/spec.js';
import type { Level, Logger } from '../util/logger.js';
import type { FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';
import type { ChangeSink } from '../model/events.js';

/** mgmt's priorities (syslog's), most urgent first: their index is the syslog level. */
export const priorities = ['Emerg', 'Alert', 'Crit', 'Err', 'Warning', 'Notice', 'Info', 'Debug'] as const;
export type Priority = (typeof priorities)[number];

const levelOf: Record<Priority, Level> = {
  Emerg: 'error',
  Alert: 'error',
  Crit: 'error',
  Err: 'error',
  Warning: 'warn',
  Notice: 'info',
  Info: 'info',
  Debug: 'debug',
};

const fields: Record<string, FieldSchema> = {
  body: { type: 'string', default: '', doc: 'the message' },
  priority: { type: 'string', enum: priorities, default: 'Info', doc: 'syslog priority, which also sets the log level' },
  fields: { type: 'map', doc: 'extra journal fields, NAME: value (letters, digits, _; not starting with _)' },
  journal: { type: 'boolean', default: false, doc: 'also send the message to the systemd journal' },
  syslog: { type: 'boolean', default: false, doc: 'also send the message to syslog (through `logger`)' },
};

const fieldName = /^[A-Za-z0-9_]+$/;

function validate(params: Record<string, unknown>): string | undefined {
  const p = params.priority ?? 'Info';
  if (!priorities.includes(p as Priority)) return `\`priority\` must be one of ${priorities.join(', ')}, got ${JSON.stringify(p)}`;
  const f = params.fields;
  if (f !== undefined && f !== null) {
    if (typeof f !== 'object' || Array.isArray(f)) return '`fields` must be a mapping of names to strings';
    for (const name of Object.keys(f)) {
      if (!fieldName.test(name)) return `\`fields\` name ${JSON.stringify(name)} may only hold letters, digits and _`;
      if (name.startsWith('_')) return `\`fields\` name ${JSON.stringify(name)} must not start with _ (reserved by the journal)`;
    }
  }
  return undefined;
}

/** Where msg looks for the journal and its tools; tests point these elsewhere. */
export interface MsgOptions {
  /** The journal's native socket: journal output is attempted only when it exists. */
  journalSocket?: string;
  /** The PATH searched for `logger` and `systemd-cat`. */
  path?: string;
}

function findProgram(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs `file args` with `input` on stdin; rejects with its stderr when it fails. */
function pipeTo(file: string, args: string[], input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      if (stderr.length < 2048) stderr += b.toString();
    });
    child.on('error', (e) => reject(new Error(`cannot start ${file}: ${e.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${file} ${code === null ? `was killed by ${signal}` : `exited with code ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
    child.stdin.on('error', () => undefined); // a failure shows in the exit code
    child.stdin.end(input);
  });
}

const oneLine = (s: string): string => s.replace(/\r?\n$/, '').replace(/\r?\n/g, ' ');

class MsgResource implements Resource {
  readonly kind = 'msg';
  readonly fingerprint: string;
  private logged = false;
  private journaled = false;
  private syslogged = false;
  private warned = new Set<string>();

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    private readonly body: string,
    private readonly priority: Priority,
    private readonly extra: Record<string, string>,
    private readonly journal: boolean,
    private readonly syslog: boolean,
    private readonly opts: Required<MsgOptions>,
    private readonly log: Logger,
  ) {
    this.fingerprint = JSON.stringify({ body, priority, fields: Object.entries(extra).sort(), journal, syslog });
  }

  /** Nothing outside can change a message that was logged. */
  watch(): Observable<void> {
    return NEVER;
  }

  /**
   * `false` when the message was (or, in noop, would be) sent somewhere; `true` when all sent.
   * Each place it goes is reported as a change: `log: (none) -> the body`.
   */
  checkApply(apply: boolean, refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return defer(() => this.run(apply, refresh, changes));
  }

  private async run(apply: boolean, refresh: boolean, changes?: ChangeSink): Promise<boolean> {
    if (refresh) {
      this.logged = false;
      this.journaled = false;
      this.syslogged = false;
    }
    const todo = [!this.logged && 'log', this.journal && !this.journaled && 'journal', this.syslog && !this.syslogged && 'syslog'].filter(
      (x): x is string => !!x,
    );
    if (todo.length === 0) return true;
    if (!apply) {
      for (const where of todo) changes?.({ field: where, to: this.body });
      this.log.info(`noop: would send to ${todo.join(', ')}: ${this.body}`);
      return false;
    }
    if (!this.logged) {
      const shownFields = Object.entries(this.extra).map(([k, v]) => `${k}=${v}`);
      this.log[levelOf[this.priority]](`${this.body}${shownFields.length ? ` [${shownFields.join(' ')}]` : ''}`);
      this.logged = true;
      changes?.({ field: 'log', to: this.body });
    }
    if (this.journal && !this.journaled) {
      await this.toJournal();
      this.journaled = true;
      changes?.({ field: 'journal', to: this.body });
    }
    if (this.syslog && !this.syslogged) {
      await this.toSyslog();
      this.syslogged = true;
      changes?.({ field: 'syslog', to: this.body });
    }
    return false;
  }

  private warnOnce(key: string, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.log.warn(msg);
  }

  /** One journal entry: through `logger --journald` (keeps fields), else `systemd-cat`. */
  private async toJournal(): Promise<void> {
    const { journalSocket, path } = this.opts;
    if (!existsSync(journalSocket)) {
      this.warnOnce('no-journal', `journal: ${journalSocket} does not exist (no systemd journal here); logged only`);
      return;
    }
    const level = priorities.indexOf(this.priority);
    const logger = findProgram('logger', path);
    if (logger) {
      const entry = [
        `MESSAGE=${oneLine(this.body)}`,
        `PRIORITY=${level}`,
        'SYSLOG_IDENTIFIER=rxmgmt',
        ...Object.entries(this.extra).map(([k, v]) => `${k.toUpperCase()}=${oneLine(v)}`),
      ];
      await pipeTo(logger, ['--journald'], entry.join('\n') + '\n');
      return;
    }
    const cat = findProgram('systemd-cat', path);
    if (cat) {
      if (Object.keys(this.extra).length) this.warnOnce('no-fields', 'journal: `logger` not found; sending through systemd-cat, which drops fields');
      await pipeTo(cat, ['-t', 'rxmgmt', '-p', String(level)], this.body.endsWith('\n') ? this.body : this.body + '\n');
      return;
    }
    this.warnOnce('no-tool', 'journal: neither `logger` nor `systemd-cat` found on PATH; logged only');
  }

  private async toSyslog(): Promise<void> {
    const logger = findProgram('logger', this.opts.path);
    if (!logger) {
      this.warnOnce('no-logger', 'syslog: `logger` not found on PATH; logged only');
      return;
    }
    const pri = `user.${['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'][priorities.indexOf(this.priority)]}`;
    await pipeTo(logger, ['-t', 'rxmgmt', '-p', pri], this.body.endsWith('\n') ? this.body : this.body + '\n');
  }
}

/** The msg kind, with where to find the journal; `msgKind` uses the real places. */
export function createMsgKind(opts: MsgOptions = {}): ResourceKind {
  return {
    kind: 'msg',
    doc:
      'Logs a message the first time it runs and on every refresh, at a level set by its priority; ' +
      'optionally also to the systemd journal (with fields) and to syslog.',
    fields,
    validate,
    create(spec: ResourceSpec, env: ResourceEnv): Resource {
      const problem = validate(spec.params);
      if (problem) throw new Error(`msg[${spec.name}]: ${problem}`);
      const p = spec.params;
      const where: Required<MsgOptions> = {
        journalSocket: opts.journalSocket ?? '/run/systemd/journal/socket',
        path: opts.path ?? process.env.PATH ?? '/usr/bin:/bin',
      };
      return new MsgResource(
        spec.name,
        spec.meta,
        typeof p.body === 'string' ? p.body : '',
        (p.priority ?? 'Info') as Priority,
        { ...((p.fields as Record<string, string> | undefined) ?? {}) },
        p.journal === true,
        p.syslog === true,
        where,
        env.log.child(`msg[${spec.name}]`),
      );
    },
  };
}

export const msgKind: ResourceKind = createMsgKind();
