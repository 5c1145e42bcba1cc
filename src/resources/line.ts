// line: a line (or a block of consecutive lines) present in a text file or absent from it,
// leaving the rest of the file alone. The file is rewritten atomically, never through a
// symbolic link. Fields follow mgmt's line resource, so mgmt graphs run unchanged.
import { type Observable, defer } from 'rxjs';
import { lstat, readFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { diffLib } from '../util/unified-diff.js';
import type { ChangeSink } from '../model/events.js';
import type { ResourceSpec } from '../model/spec.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Logger } from '../util/logger.js';
import { normalizePath } from '../util/paths.js';
import { OwnRenames, watchPath } from '../watch/index.js';
import { blockOf, hasBlock, withBlock, withoutBlock } from './line/blocks.js';
import { exclusive } from './line/exclusive.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';

const fields: Record<string, FieldSchema> = {
  file: { type: 'string', required: true, doc: 'absolute path of the file (or ~/path: rxmgmt\'s own home)' },
  state: { type: 'string', enum: ['exists', 'absent'], default: 'exists', doc: 'whether the line must be in the file or nowhere in it' },
  content: { type: 'string', default: '', doc: 'the line; several lines are a block that must appear in this order, one after another' },
  trim: { type: 'boolean', default: false, doc: 'strip leading and trailing whitespace from content first' },
};

/** Mode of a file that a line creates (mgmt's choice: the line may be a secret). */
export const NEW_FILE_MODE = 0o600;

/** `file` as an absolute path: "~" and "~/x" are rxmgmt's own home. */
function expand(file: string): string {
  if (file === '~' || file.startsWith('~/')) return posix.join(homedir(), file.slice(1));
  return file;
}

function validate(params: Record<string, unknown>): string | undefined {
  const file = params.file;
  if (typeof file !== 'string' || file === '') return 'needs `file`, the absolute path of the file to edit';
  if (file.startsWith('~') && !(file === '~' || file.startsWith('~/'))) {
    return `\`file\` ${JSON.stringify(file)}: only "~/" (rxmgmt's own home) is expanded; give another user's file by its absolute path`;
  }
  if (!posix.isAbsolute(expand(file))) return `\`file\` must be an absolute path, got ${JSON.stringify(file)}`;
  if (file.endsWith('/')) return `\`file\` names a file and must not end in "/", got ${JSON.stringify(file)}`;
  const state = params.state ?? 'exists';
  if (state !== 'exists' && state !== 'absent') return `\`state\` must be "exists" or "absent", got ${JSON.stringify(state)}`;
  const content = params.content;
  if (content !== undefined && content !== null && typeof content !== 'string') return `\`content\` must be a string, got ${JSON.stringify(content)}`;
  return undefined;
}

interface Desired {
  /** Normalized absolute path. */
  path: string;
  state: 'exists' | 'absent';
  /** The lines to find; [] (empty content) means there is nothing to do. */
  block: string[];
}

const kindOf = (st: Stats): string =>
  st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : st.isFIFO() ? 'a fifo' : st.isSocket() ? 'a socket' : 'a device';

export class LineResource implements Resource {
  readonly kind = 'line';
  readonly fingerprint: string;
  /** This resource put the block into the file: what meta reverse takes out. */
  private added = false;
  private warnedEmpty = false;
  private readonly ownRenames: OwnRenames;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    readonly want: Desired,
    private readonly env: ResourceEnv,
    private readonly log: Logger,
  ) {
    this.fingerprint = JSON.stringify(want);
    this.ownRenames = new OwnRenames(() => env.scheduler.now());
  }

  watch(): Observable<void> {
    return watchPath(this.want.path, this.ownRenames);
  }

  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    return defer(() => exclusive(this.want.path, () => this.run(apply, changes)));
  }

  /** After the file resource that manages the file, and after its nearest managed directory. */
  autoEdges(): AutoEdges {
    const { path } = this.want;
    const dirs: string[] = [];
    for (let dir = path; dir !== '/'; ) {
      dir = posix.dirname(dir);
      dirs.push(`file:${dir === '/' ? '/' : dir + '/'}`);
    }
    return { provides: [`line:${path}:${this.want.block.join('\n')}`], wants: [[`file:${path}`], ...(dirs.length ? [dirs] : [])] };
  }

  /** The line in its file: the same block wanted present and absent is a conflict. */
  manages(): string[] {
    return [`line:${this.want.path}:${this.want.block.join('\n')}`];
  }

  /** A block this resource added is taken out again; one that was there before stays. */
  reversed(): Resource | undefined {
    if (this.want.state !== 'exists' || !this.added) return undefined;
    return new LineResource(this.name, { ...this.meta, reverse: false }, { ...this.want, state: 'absent' }, this.env, this.log);
  }

  private async run(apply: boolean, changes?: ChangeSink): Promise<boolean> {
    const { path, state, block } = this.want;
    if (block.length === 0) {
      if (!this.warnedEmpty) this.log.warn('content is empty: nothing to do (as in mgmt)');
      this.warnedEmpty = true;
      return true;
    }
    const st = await this.inspect();
    // Bytes as latin1 text: every byte one char, so a file that is not UTF-8 is kept as it is.
    const bytes = block.map((l) => Buffer.from(l, 'utf8').toString('latin1'));
    const old = st ? await this.read() : undefined;
    const there = old !== undefined && hasBlock(old, bytes);
    if ((state === 'exists') === there) return true;

    const next = state === 'exists' ? withBlock(old ?? '', bytes) : withoutBlock(old!, bytes).text;
    const utf8 = (t: string) => Buffer.from(t, 'latin1').toString('utf8');
    const action = state === 'exists' ? (st ? 'add the line' : `create the file (mode ${NEW_FILE_MODE.toString(8).padStart(4, '0')}) with the line`) : 'take the line out';
    changes?.({ field: 'state', from: there ? 'exists' : 'absent', to: state, diff: diffLib().createPatch(path, utf8(old ?? ''), utf8(next)) });
    this.log.info(`${path}: ${apply ? '' : 'noop, would '}${action}`);
    if (!apply) return false;
    // Written whole, beside the file, then renamed over it: never through a link, never half done.
    const opts = st
      ? { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, ownerBestEffort: true, announce: this.ownRenames }
      : { mode: NEW_FILE_MODE, announce: this.ownRenames };
    try {
      await writeFileAtomic(path, Buffer.from(next, 'latin1'), opts);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? `its directory ${posix.dirname(path)} does not exist` : (err as Error).message;
      throw new Error(`line[${this.name}]: cannot write ${path}: ${why}`, { cause: err });
    }
    if (state === 'exists') this.added = true;
    return false;
  }

  /** The file's stats, undefined when it is missing; anything but a regular file is an error. */
  private async inspect(): Promise<Stats | undefined> {
    const { path } = this.want;
    let st: Stats;
    try {
      st = await lstat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new Error(`line[${this.name}]: cannot inspect ${path}: ${(err as Error).message}`, { cause: err });
    }
    if (st.isSymbolicLink()) {
      throw new Error(`line[${this.name}]: ${path} is a symbolic link; a line never edits through one: give the link's target as \`file\``);
    }
    if (!st.isFile()) throw new Error(`line[${this.name}]: ${path} is ${kindOf(st)}, not a regular file`);
    return st;
  }

  private async read(): Promise<string | undefined> {
    try {
      return await readFile(this.want.path, 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // removed meanwhile
      throw new Error(`line[${this.name}]: cannot read ${this.want.path}: ${(err as Error).message}`, { cause: err });
    }
  }
}

export const lineKind: ResourceKind = {
  kind: 'line',
  doc:
    'A line, or a block of consecutive lines, present in a text file or absent from it; the rest ' +
    'of the file is left alone. The file is rewritten atomically (never through a symbolic link) ' +
    'and watched through inotify.',
  fields,
  validate,
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params);
    if (problem) throw new Error(`line[${spec.name}]: ${problem}`);
    const p = spec.params;
    const want: Desired = {
      path: normalizePath(expand(String(p.file))),
      state: p.state === 'absent' ? 'absent' : 'exists',
      block: blockOf(typeof p.content === 'string' ? p.content : '', p.trim === true),
    };
    return new LineResource(spec.name, spec.meta, want, env, env.log.child(`line[${spec.name}]`));
  },
};
