// file: a file or a directory, its content, mode and owner. Fields and behaviour follow mgmt's
// file resource, so mgmt graphs run unchanged.
import { defer, type Observable } from 'rxjs';
import * as fs from 'node:fs';
import type { Stats } from 'node:fs';
import { posix } from 'node:path';
import { promisify } from 'node:util';
import type { ResourceSpec } from '../graph/spec.js';
import type { Logger } from '../util/logger.js';
import { watchPath } from '../watch/index.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from './resource.js';

// The callback API, promisified: on 10 000 small files fs/promises' readFile (FileHandle based,
// several thread-pool round trips per file) took 3 to 5 times as long as fs.readFile.
const lstat = promisify(fs.lstat);
const stat = promisify(fs.stat);
const readFile = promisify(fs.readFile);
const writeFile = promisify(fs.writeFile);
const rename = promisify(fs.rename);
const chmod = promisify(fs.chmod);
const chown = promisify(fs.chown);
const mkdir = promisify(fs.mkdir);
const rmdir = promisify(fs.rmdir);
const rm = promisify(fs.rm);
const unlink = promisify(fs.unlink);

const fields: Record<string, FieldSchema> = {
  path: {
    type: 'string',
    doc: 'absolute path of the file; a trailing "/" makes it a directory. Use this or dirname + basename',
  },
  dirname: { type: 'string', doc: 'directory of the file (mgmt\'s older form; needs basename)' },
  basename: { type: 'string', doc: 'name of the file in dirname; a trailing "/" makes it a directory' },
  content: { type: 'string', doc: 'exact content of the file; absent leaves the content alone (files only)' },
  state: { type: 'string', enum: ['exists', 'absent'], default: 'exists', doc: 'whether the file must exist or be absent' },
  mode: { type: 'string', doc: 'permission bits as octal digits, like "0644" or "4755"; absent leaves them alone' },
  owner: { type: 'string', doc: 'owning user, a name from /etc/passwd or a numeric uid; absent leaves it alone' },
  group: { type: 'string', doc: 'owning group, a name from /etc/group or a numeric gid; absent leaves it alone' },
  force: {
    type: 'boolean',
    default: false,
    doc: 'allow removing a non-empty directory, and replacing a file by a directory or anything else by a file',
  },
};

/** The desired state, resolved from the params. */
interface Desired {
  /** Normalized, without a trailing slash (except for "/" itself). */
  path: string;
  isDir: boolean;
  state: 'exists' | 'absent';
  content?: Buffer;
  contentText?: string;
  mode?: number;
  owner?: string;
  group?: string;
  force: boolean;
}

const present = (v: unknown): boolean => v !== undefined && v !== null;
const asText = (v: unknown): string | undefined => (present(v) ? String(v) : undefined);

/** The path as written: `path`, or `dirname` joined with `basename`. */
function rawPath(params: Record<string, unknown>): string {
  return present(params.path) ? String(params.path) : posix.join(String(params.dirname), String(params.basename));
}

function validate(params: Record<string, unknown>): string | undefined {
  const hasPath = present(params.path);
  const hasDirname = present(params.dirname);
  const hasBasename = present(params.basename);
  if (hasPath && (hasDirname || hasBasename)) return 'give either `path`, or `dirname` with `basename`, not both';
  if (!hasPath && !(hasDirname && hasBasename)) {
    return hasDirname || hasBasename
      ? '`dirname` and `basename` go together: both are needed'
      : 'needs `path` (or `dirname` with `basename`)';
  }
  const raw = rawPath(params);
  if (!posix.isAbsolute(raw)) {
    return hasPath ? `\`path\` must be absolute, got "${raw}"` : `\`dirname\` must be absolute, got "${String(params.dirname)}"`;
  }
  const isDir = raw.endsWith('/');
  if (isDir && present(params.content)) {
    return `\`content\` is for files, but "${raw}" ends in "/" and so names a directory`;
  }
  const mode = asText(params.mode);
  if (mode !== undefined && !/^[0-7]{3,4}$/.test(mode)) {
    return `\`mode\` must be 3 or 4 octal digits like "0644", got "${mode}"`;
  }
  for (const key of ['owner', 'group'] as const) {
    if (asText(params[key]) === '') return `\`${key}\` must not be empty`;
  }
  const state = params.state ?? 'exists';
  if (state !== 'exists' && state !== 'absent') return `\`state\` must be "exists" or "absent", got "${String(state)}"`;
  if (state === 'absent' && posix.normalize(raw) === '/') return 'refusing to make "/" absent';
  return undefined;
}

function desiredFrom(params: Record<string, unknown>): Desired {
  const raw = rawPath(params);
  const normalized = posix.normalize(raw);
  const content = asText(params.content);
  const mode = asText(params.mode);
  return {
    path: normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized,
    isDir: raw.endsWith('/') || normalized === '/',
    state: params.state === 'absent' ? 'absent' : 'exists',
    content: content === undefined ? undefined : Buffer.from(content),
    contentText: content,
    mode: mode === undefined ? undefined : parseInt(mode, 8),
    owner: asText(params.owner),
    group: asText(params.group),
    force: params.force === true,
  };
}

const displayPath = (d: Desired): string => (d.isDir && d.path !== '/' ? d.path + '/' : d.path);
const octal = (mode: number): string => '0' + mode.toString(8).padStart(3, '0');

// ---------------------------------------------------------------------------------------------
// Users and groups: names resolved through /etc/passwd and /etc/group, parsed once per change of
// the file, so that thousands of resources with an owner share one read.

const idTables = new Map<string, { version: string; ids: Promise<Map<string, number>> }>();

function parseIdTable(text: string): Map<string, number> {
  const ids = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id && /^\d+$/.test(id) && !ids.has(name)) ids.set(name, Number(id));
  }
  return ids;
}

async function lookupId(table: string, name: string): Promise<number | undefined> {
  if (/^\d+$/.test(name)) return Number(name);
  const st = await stat(table);
  const version = `${st.ino}:${st.mtimeMs}:${st.size}`;
  let cached = idTables.get(table);
  if (cached?.version !== version) {
    cached = { version, ids: readFile(table, 'utf8').then(parseIdTable) };
    idTables.set(table, cached);
  }
  return (await cached.ids).get(name);
}

interface Ids {
  uid?: number;
  gid?: number;
}

// ---------------------------------------------------------------------------------------------
// File-system steps. Every failure names the resource's path and what was being done.

/** Runs `op`; a failure names the resource (`shown`, its display path) and what failed. */
async function step<T>(shown: string, what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new Error(`file ${shown}: cannot ${what}: ${(err as Error).message}`, { cause: err });
  }
}

const errCode = (err: unknown): string | undefined => (err as NodeJS.ErrnoException)?.code;

/** lstat, or undefined when nothing is there (including "a parent is not a directory"). */
async function lstatOrMissing(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

const kindOf = (st: Stats): string =>
  st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symlink' : st.isFile() ? 'a regular file' : 'a special file';

let tempCounter = 0;

/** A hidden, unique name next to `path`, so that the final rename stays on one file system. */
function tempPathFor(path: string): string {
  const base = posix.basename(path).slice(0, 200); // room for the suffix within NAME_MAX
  return posix.join(posix.dirname(path), `.${base}.rxmgmt-${process.pid}-${++tempCounter}`);
}

interface WriteOptions {
  mode?: number;
  uid?: number;
  gid?: number;
  /** Ownership copied from the old file: best effort, as only root may give files away. */
  ownerBestEffort?: boolean;
}

/**
 * Writes `data` to `path` atomically: readers see the old file or the new one, never a part.
 * Owner and mode are set on the temporary file, before the rename makes it visible.
 */
async function writeAtomically(path: string, data: Buffer, opts: WriteOptions): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, data, { flag: 'wx', mode: opts.mode ?? 0o666 });
    if (opts.uid !== undefined || opts.gid !== undefined) {
      // chown before chmod: chown clears the setuid and setgid bits.
      await chown(temp, opts.uid ?? -1, opts.gid ?? -1).catch((err: unknown) => {
        if (!(opts.ownerBestEffort && errCode(err) === 'EPERM')) throw err;
      });
    }
    if (opts.mode !== undefined) await chmod(temp, opts.mode); // the umask narrowed writeFile's mode
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------

class FileResource implements Resource {
  readonly kind = 'file';
  readonly fingerprint: string;
  /** The path as errors and logs show it: directories end in "/". */
  private readonly shown: string;
  private ids?: Ids;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    private readonly want: Desired,
    private readonly log: Logger,
  ) {
    this.shown = displayPath(want);
    this.fingerprint = JSON.stringify({
      path: this.shown,
      state: want.state,
      content: want.contentText ?? null,
      mode: want.mode === undefined ? null : octal(want.mode),
      owner: want.owner ?? null,
      group: want.group ?? null,
      force: want.force,
    });
  }

  watch(): Observable<void> {
    return watchPath(this.want.path);
  }

  checkApply(apply: boolean, _refresh: boolean): Observable<boolean> {
    return defer(() => this.run(apply));
  }

  autoEdges(): AutoEdges {
    const parents: string[] = [];
    for (let dir = this.want.path; dir !== '/'; ) {
      dir = posix.dirname(dir);
      parents.push(`file:${dir === '/' ? '/' : dir + '/'}`);
    }
    return { provides: [`file:${this.shown}`], wants: parents.length ? [parents] : [] };
  }

  private async run(apply: boolean): Promise<boolean> {
    const { path } = this.want;
    const st = await step(this.shown, 'inspect it', () => lstatOrMissing(path));
    if (this.want.state === 'absent') return this.ensureAbsent(st, apply);
    const ids = await this.resolveIds();
    return this.want.isDir ? this.ensureDirectory(st, ids, apply) : this.ensureFile(st, ids, apply);
  }

  /**
   * The one way a run changes anything: in noop it only logs what it would do; otherwise it
   * does it, then logs it. Returns false, the answer of a run that found something wrong.
   */
  private async change(apply: boolean, action: string, op: () => Promise<void>): Promise<false> {
    if (apply) await op();
    this.log.info(`${this.shown}: ${apply ? '' : 'noop, would '}${action}`);
    return false;
  }

  private async ensureAbsent(st: Stats | undefined, apply: boolean): Promise<boolean> {
    if (!st) return true;
    const { path, force } = this.want;
    if (!st.isDirectory()) {
      return this.change(apply, `remove ${kindOf(st)}`, () => step(this.shown, 'remove it', () => unlink(path)));
    }
    return this.change(apply, 'remove directory', () =>
      step(this.shown, 'remove directory', async () => {
        try {
          await rmdir(path);
        } catch (err) {
          if (errCode(err) !== 'ENOTEMPTY' && errCode(err) !== 'EEXIST') throw err;
          if (!force) throw new Error('it is not empty; set force: true to remove it with its contents');
          await rm(path, { recursive: true });
        }
      }),
    );
  }

  private async ensureDirectory(st: Stats | undefined, ids: Ids, apply: boolean): Promise<boolean> {
    const { path, force } = this.want;
    const create = async () => {
      await step(this.shown, 'create directory', async () => {
        await mkdir(posix.dirname(path), { recursive: true });
        await mkdir(path);
      });
      await this.setMetadata(ids);
    };
    if (!st) return this.change(apply, 'create directory', create);
    if (st.isDirectory()) return this.ensureMetadata(st, ids, apply);
    if (!force) throw new Error(`file ${this.shown}: is ${kindOf(st)}, not a directory; set force: true to replace it`);
    return this.change(apply, `replace ${kindOf(st)} by a directory`, async () => {
      await step(this.shown, 'remove it', () => unlink(path));
      await create();
    });
  }

  private async ensureFile(st: Stats | undefined, ids: Ids, apply: boolean): Promise<boolean> {
    const { path, content, force } = this.want;
    if (!st) return this.change(apply, 'create file', () => this.write(ids, undefined));
    if (!st.isFile()) {
      if (!force) throw new Error(`file ${this.shown}: is ${kindOf(st)}, not a regular file; set force: true to replace it`);
      return this.change(apply, `replace ${kindOf(st)} by a file`, async () => {
        // rename() cannot replace a directory; anything else it replaces in one step.
        if (st.isDirectory()) await step(this.shown, 'remove directory', () => rm(path, { recursive: true }));
        await this.write(ids, undefined);
      });
    }
    if (content && !(st.size === content.length && (await step(this.shown, 'read it', () => readFile(path))).equals(content))) {
      return this.change(apply, 'write content', () => this.write(ids, st));
    }
    return this.ensureMetadata(st, ids, apply);
  }

  /** Writes the desired content (or an empty file), keeping unmanaged metadata of `old`. */
  private async write(ids: Ids, old: Stats | undefined): Promise<void> {
    const { path, content, mode } = this.want;
    const opts: WriteOptions = {
      mode: mode ?? (old ? old.mode & 0o7777 : undefined),
      uid: ids.uid ?? old?.uid,
      gid: ids.gid ?? old?.gid,
      ownerBestEffort: ids.uid === undefined && ids.gid === undefined,
    };
    const data = content ?? Buffer.alloc(0);
    await step(this.shown, 'write it', async () => {
      try {
        await writeAtomically(path, data, opts);
      } catch (err) {
        if (errCode(err) !== 'ENOENT') throw err;
        await mkdir(posix.dirname(path), { recursive: true }); // state exists implies its parents
        await writeAtomically(path, data, opts);
      }
    });
  }

  private async ensureMetadata(st: Stats, ids: Ids, apply: boolean): Promise<boolean> {
    const { mode } = this.want;
    const modeWrong = mode !== undefined && (st.mode & 0o7777) !== mode;
    const ownerWrong = (ids.uid !== undefined && st.uid !== ids.uid) || (ids.gid !== undefined && st.gid !== ids.gid);
    if (!modeWrong && !ownerWrong) return true;
    const actions = [
      ownerWrong ? `chown ${this.want.owner ?? ''}:${this.want.group ?? ''}` : '',
      modeWrong ? `chmod ${octal(mode!)}` : '',
    ];
    return this.change(apply, actions.filter(Boolean).join(', '), () => this.setMetadata(ownerWrong ? ids : {}));
  }

  /**
   * chown when `ids` names anyone, then chmod when a mode is wanted: chown may clear the setuid
   * and setgid bits, and a fresh mkdir's mode was narrowed by the umask.
   */
  private async setMetadata(ids: Ids): Promise<void> {
    const { path, mode } = this.want;
    if (ids.uid !== undefined || ids.gid !== undefined) {
      await step(this.shown, 'change owner', () => chown(path, ids.uid ?? -1, ids.gid ?? -1));
    }
    if (mode !== undefined) await step(this.shown, `change mode to ${octal(mode)}`, () => chmod(path, mode));
  }

  /** Resolves owner and group once; an unknown name fails this run and is retried next time. */
  private async resolveIds(): Promise<Ids> {
    if (this.ids) return this.ids;
    const { owner, group } = this.want;
    const resolve = async (table: string, name: string | undefined, what: string) => {
      if (name === undefined) return undefined;
      const id = await step(this.shown, `read ${table}`, () => lookupId(table, name));
      if (id === undefined) throw new Error(`file ${this.shown}: unknown ${what} "${name}" (not in ${table})`);
      return id;
    };
    this.ids = { uid: await resolve('/etc/passwd', owner, 'user'), gid: await resolve('/etc/group', group, 'group') };
    return this.ids;
  }
}

export const fileKind: ResourceKind = {
  kind: 'file',
  doc:
    'A file or directory: its existence, content, permission bits, owner and group. Content is ' +
    'written atomically (a temporary file renamed into place). Drift is seen at once through ' +
    'inotify, with one watch per directory however many files it holds.',
  fields,
  validate,
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params);
    if (problem) throw new Error(`file[${spec.name}]: ${problem}`);
    return new FileResource(spec.name, spec.meta, desiredFrom(spec.params), env.log);
  },
};
