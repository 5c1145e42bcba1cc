// file: a file or a directory, its content (given, or copied from a source), mode and owner.
// Fields and behaviour follow mgmt's file resource, so mgmt graphs run unchanged.
import { Observable, type SchedulerLike, type Subscriber, defer, merge } from 'rxjs';
import type { BigIntStats, Stats } from 'node:fs';
import { posix } from 'node:path';
import { semaphore } from '../../operators/semaphore.js';
import type { ResourceSpec } from '../model/spec.js';
import { accountProblem, resolveGid, resolveUid } from '../util/accounts.js';
import { symlinkAtomic, tempNamePid, writeFileAtomic, writeFileAtomicSync, type AtomicWriteOptions } from '../util/atomic-write.js';
import { escapeControl, normalizePath, quoted } from '../util/paths.js';
import type { Logger } from '../util/logger.js';
import { OwnRenames, watchPath, watchTree } from '../watch/index.js';
import { mkdirSync, unlinkSync } from 'node:fs';
import { copiedMode, lchown, readdir, readFileNoFollow, readlink, errCode, kindOf, lstatBigOrMissing, mkdir, octal, readFile, rm, rmdir, setMetadataNoFollow, stat, step, unlink } from './file/fs-steps.js';
import { lstatOrMissingSync, readSmallNoFollowSync, stepError, stepSync } from './file/fs-steps.js'; // the quick path's
import { isLocalDir } from './file/local-fs.js';
import { parentIds } from './file/parent-ids.js';
import { slicesFor } from './file/sync-slices.js';
import { ChangeReporter, contentChange } from './file/changes.js';
import { mirrorTree } from './file/mirror-tree.js';
import { type Declared, declaredOf, purgeDecision, recordDeclared } from './file/purge.js';
import { removeStaleTemps, staleTempsFor } from './file/stale-temps.js';
import { type Verified, sameIdentity, settled, verifiedOf } from './file/verified.js';
import type { AutoEdges, FieldSchema, Resource, ResourceEnv, ResourceKind } from '../model/resource.js';
import type { ChangeSink } from '../model/events.js';

const fields: Record<string, FieldSchema> = {
  path: {
    type: 'string',
    doc: 'absolute path of the file; a trailing "/" makes it a directory. Use this or dirname + basename',
  },
  dirname: { type: 'string', doc: 'directory of the file (mgmt\'s older form; needs basename)' },
  basename: { type: 'string', doc: 'name of the file in dirname; a trailing "/" makes it a directory' },
  content: {
    type: 'string',
    doc: 'exact content of the file; absent leaves the content alone. Ignored on a directory, as mgmt does',
  },
  source: {
    type: 'string',
    doc: 'absolute path whose content the file must have (instead of content); for a directory with recurse, the directory to mirror',
  },
  recurse: {
    type: 'boolean',
    default: false,
    doc: 'for a directory with source: mirror the whole source tree into it (with force, also remove what the source lacks)',
  },
  state: { type: 'string', enum: ['exists', 'absent'], default: 'exists', doc: 'whether the file must exist or be absent' },
  mode: { type: 'string', doc: 'permission bits as octal digits, like "0644" or "4755"; absent leaves them alone' },
  owner: { type: 'string', doc: 'owning user, a name from /etc/passwd or a numeric uid; absent leaves it alone' },
  group: { type: 'string', doc: 'owning group, a name from /etc/group or a numeric gid; absent leaves it alone' },
  symlink: {
    type: 'boolean',
    default: false,
    doc: 'the path is a symbolic link to `source` (absolute or relative; it need not exist), never followed',
  },
  fragments: {
    type: 'string[]',
    doc: 'absolute paths whose contents, in order, make the file\'s content; a path ending in "/" is a directory whose files (one level, by name) are taken',
  },
  purge: {
    type: 'boolean',
    default: false,
    doc: 'for a directory with recurse: remove every entry below it that no file resource of the graph declares (and, with source, that the source lacks)',
  },
  sensitive: {
    type: 'boolean',
    default: false,
    doc: 'the content is secret: changes report only which field changed, never values or a diff',
  },
  force: {
    type: 'boolean',
    default: false,
    doc: 'allow removing a non-empty directory, replacing one type of file by another, and removing from a mirrored tree what the source lacks',
  },
};

/** mgmt's way to say "an empty directory" as a source. */
const EMPTY_SOURCE = '/dev/null';

/** The desired state, resolved from the params. */
interface Desired {
  /** Normalized, without a trailing slash (except for "/" itself). */
  path: string;
  isDir: boolean;
  state: 'exists' | 'absent';
  /**
   * Files only: a directory's content is ignored. The string of the graph, kept as it is (bytes
   * are made when a check needs them, not held by every resource); a Buffer only for content
   * read back from the disk (meta reverse restoring what was there).
   */
  content?: string | Buffer;
  /** Normalized, without a trailing slash; set only where it is used (see usesSource). */
  source?: string;
  /** The source as written, for messages. */
  sourceText?: string;
  /** A directory whose tree mirrors `source`. */
  recurse: boolean;
  mode?: number;
  owner?: string;
  group?: string;
  force: boolean;
  sensitive: boolean;
  /** The path is a symlink to this target (the `source`, as written: never normalised). */
  symlink?: string;
  /** Normalised paths; a directory keeps its trailing "/". */
  fragments?: string[];
  purge: boolean;
}

/** The autoedge identity of an owner: `user:NAME`, or `uid:N` for digits (always an id, as chown reads it). */
const accountId = (account: string, byName: string, byId: string): string => (/^\d+$/.test(account) ? `${byId}:${Number(account)}` : `${byName}:${account}`);

const present = (v: unknown): boolean => v !== undefined && v !== null;
const asText = (v: unknown): string | undefined => (present(v) ? String(v) : undefined);

/** The path as written: `path`, or `dirname` joined with `basename`. */
function rawPath(params: Record<string, unknown>): string {
  return present(params.path) ? String(params.path) : posix.join(String(params.dirname), String(params.basename));
}


const within = (inner: string, outer: string): boolean => inner === outer || outer === '/' || inner.startsWith(outer + '/');

/** The fields that name a path or an account, and so can hold no NUL byte. */
const NUL_FREE = ['path', 'dirname', 'basename', 'source', 'owner', 'group', 'mode'] as const;

/**
 * The cross-field check of a file's params. It runs twice per resource, at load (where its
 * answer gets the resource's line) and in create() (params may come from elsewhere: collected,
 * rxmgmt/testing), so it makes nothing for params that are fine: no array, closure or string,
 * each field read once, the rare fields looked at only when given. (Remembering the params found
 * fine in a WeakSet cost more than checking them again: 0.5 us a resource, and its ephemeron
 * table slowed every major GC.)
 */
function validate(params: Record<string, unknown>): string | undefined {
  const path = params.path;
  const hasPath = present(path);
  const hasDirname = present(params.dirname);
  const hasBasename = present(params.basename);
  if (hasPath && (hasDirname || hasBasename)) return 'give either `path`, or `dirname` with `basename`, not both';
  if (!hasPath && !(hasDirname && hasBasename)) {
    return hasDirname || hasBasename
      ? '`dirname` and `basename` go together: both are needed'
      : 'needs `path` (or `dirname` with `basename`)';
  }
  for (let i = 0; i < NUL_FREE.length; i++) {
    const v = params[NUL_FREE[i]];
    if (!present(v)) continue;
    if ((typeof v === 'string' ? v : String(v)).includes('\0')) return `\`${NUL_FREE[i]}\` contains a NUL byte, which no path or name can hold: ${quoted(String(v))}`;
  }
  const raw = typeof path === 'string' ? path : rawPath(params);
  if (raw.charCodeAt(0) !== SLASH) {
    return hasPath ? `\`path\` must be absolute, got ${quoted(raw)}` : `\`dirname\` must be absolute, got ${quoted(String(params.dirname))}`;
  }
  const isDir = raw.charCodeAt(raw.length - 1) === SLASH;
  const source = asText(params.source);
  if (source !== undefined) {
    const problem = sourceProblem(params, source, raw, isDir);
    if (problem) return problem;
  } else if (params.recurse === true && !isDir) return recurseOnFile(raw);
  if (present(params.fragments) || params.symlink === true || params.purge === true) {
    const more = validateAdditions(params, raw, isDir);
    if (more) return more;
  }
  const mode = params.mode;
  if (present(mode) && !/^[0-7]{3,4}$/.test(String(mode))) {
    return `\`mode\` must be 3 or 4 octal digits like "0644", got ${quoted(String(mode))}`;
  }
  const owner = params.owner;
  if (present(owner)) {
    const problem = accountFieldProblem('owner', String(owner), 'user');
    if (problem) return problem;
  }
  const group = params.group;
  if (present(group)) {
    const problem = accountFieldProblem('group', String(group), 'group');
    if (problem) return problem;
  }
  const state = params.state ?? 'exists';
  if (state !== 'exists' && state !== 'absent') return `\`state\` must be "exists" or "absent", got ${typeof state === 'string' ? quoted(state) : JSON.stringify(state)}`;
  if (state === 'absent' && posix.normalize(raw) === '/') return 'refusing to make "/" absent';
  return undefined;
}

const SLASH = 47;

const recurseOnFile = (raw: string): string =>
  `\`recurse\` is for directories (with \`source\`), but ${quoted(raw)} names a file; remove recurse or end the path in "/"`;

/** `source` with the rest: what it may be, and with recurse, that it and the path stay apart. */
function sourceProblem(params: Record<string, unknown>, source: string, raw: string, isDir: boolean): string | undefined {
  if (params.symlink !== true) {
    if (!posix.isAbsolute(source)) return `\`source\` must be an absolute path, got ${quoted(source)}`;
    if (!isDir) {
      if (present(params.content)) return 'give either `content` or `source`, not both: each one sets the content of the file';
      if (source.endsWith('/')) {
        return `\`source\` ${quoted(source)} ends in "/" and so names a directory, but ${quoted(raw)} names a file; end the path in "/" too (with recurse: true) to mirror a directory`;
      }
      if (normalizePath(source) === normalizePath(raw)) return `\`source\` is the file itself (${quoted(source)})`;
    }
  }
  if (params.recurse === true) {
    if (!isDir) return recurseOnFile(raw);
    const s = normalizePath(source);
    if (s !== EMPTY_SOURCE) {
      const p = normalizePath(raw);
      if (within(s, p) || within(p, s)) {
        return `\`source\` ${quoted(source)} and \`path\` ${quoted(raw)} overlap: a directory cannot mirror itself, its parent or its child`;
      }
    }
  }
  return undefined;
}

function accountFieldProblem(key: 'owner' | 'group', value: string, what: 'user' | 'group'): string | undefined {
  if (value === '') return `\`${key}\` must not be empty`;
  const problem = accountProblem(value, what);
  return problem ? `\`${key}\`: ${problem}` : undefined;
}

/** symlink, fragments and purge: what goes with what (mgmt's rules, same messages in spirit). */
function validateAdditions(params: Record<string, unknown>, raw: string, isDir: boolean): string | undefined {
  const state = params.state ?? 'exists';
  const frags = params.fragments;
  if (present(frags)) {
    if (!Array.isArray(frags) || frags.some((f) => typeof f !== 'string')) return '`fragments` must be a list of absolute paths';
    if (present(params.content) || present(params.source)) return 'give only one of `content`, `source` and `fragments`: each one sets the content of the file';
    if (isDir) return `\`fragments\` build a file's content, but ${quoted(raw)} names a directory`;
    if (state === 'absent') return '`fragments` set the content of a file that exists; with `state: absent` there is none';
    for (const f of frags as string[]) {
      if (f.includes('\0')) return `\`fragments\` entry contains a NUL byte: ${quoted(f)}`;
      if (!posix.isAbsolute(f)) return `\`fragments\` entries must be absolute paths, got ${quoted(f)}`;
      if (within(normalizePath(raw), normalizePath(f))) return `the file is inside its own fragment ${quoted(f)}: it would read itself`;
    }
  }
  if (params.symlink === true) {
    if (!present(params.source) && state !== 'absent') return '`symlink: true` makes the path a link to `source`, so it needs `source`';
    if (present(params.content) || present(frags)) return '`symlink` cannot go with `content` or `fragments`: a link has no content of its own';
    if (isDir) return `\`symlink\`: ${quoted(raw)} ends in "/" and so names a directory; a link is written without the "/"`;
    if (params.recurse === true || params.purge === true) return '`symlink` cannot go with `recurse` or `purge`';
    if (present(params.mode)) return '`symlink`: a link has no permission bits of its own (Linux ignores them); remove `mode`';
    if (present(params.source) && String(params.source) === '') return '`source` (the link target) must not be empty';
  }
  if (params.purge === true) {
    if (!isDir) return `\`purge\` empties a directory of what the graph does not declare, but ${quoted(raw)} names a file; end the path in "/"`;
    if (params.recurse !== true) return '`purge` needs `recurse: true` (as in mgmt): it works on the whole tree below the directory';
    if (state === 'absent') return '`purge` keeps a directory clean; with `state: absent` the directory goes anyway';
  }
  return undefined;
}

function desiredFrom(params: Record<string, unknown>): Desired {
  const raw = rawPath(params);
  const path = normalizePath(raw);
  const isDir = raw.endsWith('/') || path === '/';
  const state = params.state === 'absent' ? 'absent' : 'exists';
  const content = isDir ? undefined : asText(params.content);
  const mode = asText(params.mode);
  const recurse = isDir && params.recurse === true;
  const source = asText(params.source);
  // The source matters to an existing file, and to a directory that mirrors it.
  const usesSource = source !== undefined && state === 'exists' && (!isDir || recurse) && params.symlink !== true;
  // The common fields in the literal, the rare ones only when given: there is one desired state
  // per resource, and a field added later than the literal costs a separate property array.
  const want: Desired = {
    path,
    isDir,
    state,
    content,
    mode: mode === undefined ? undefined : parseInt(mode, 8),
    owner: asText(params.owner),
    group: asText(params.group),
    recurse,
    force: params.force === true,
    sensitive: params.sensitive === true,
    purge: params.purge === true,
  };
  if (usesSource) {
    want.source = normalizePath(source);
    want.sourceText = source;
  }
  if (params.symlink === true) want.symlink = source ?? '';
  if (Array.isArray(params.fragments)) {
    want.fragments = (params.fragments as string[]).map((f) => normalizePath(f) + (f.endsWith('/') && normalizePath(f) !== '/' ? '/' : ''));
  }
  return want;
}

/** The bytes of a content (see Desired.content). */
const bytesOf = (content: string | Buffer): Buffer => (typeof content === 'string' ? Buffer.from(content) : content);

/** The size of a content in bytes, without making its bytes. */
const byteLengthOf = (content: string | Buffer): number => (typeof content === 'string' ? Buffer.byteLength(content) : content.length);

/** Where sameBytes encodes a content that is not ASCII: made once, at most QUICK_MAX_BYTES. */
let encoded: Buffer | undefined;

/**
 * Whether `bytes` are exactly `content`, making no Buffer for a string: ASCII is compared char
 * by char (the common case, and cheaper for small files than a trip into Buffer's compare),
 * anything else encoded into a buffer kept for that.
 */
function sameBytes(bytes: Buffer, content: string | Buffer): boolean {
  if (typeof content !== 'string') return bytes.equals(content);
  if (bytes.length === content.length) {
    let i = 0;
    for (let c; i < content.length && (c = content.charCodeAt(i)) < 0x80; i++) if (bytes[i] !== c) return false;
    if (i === content.length) return true;
  }
  if (Buffer.byteLength(content) > QUICK_MAX_BYTES) return bytes.equals(Buffer.from(content));
  encoded ??= Buffer.allocUnsafeSlow(QUICK_MAX_BYTES);
  const n = encoded.write(content);
  return n === bytes.length && bytes.compare(encoded, 0, n) === 0;
}

/** An lstat of the quick path (numbers) or of the asynchronous one (BigInts). */
type AnyStats = Stats | BigIntStats;

/** `root (0)`; a number given as such stays a number. */
const account = (given: string, id: number): string => (given === String(id) ? given : `${escapeControl(given)} (${id})`);

/** A file type, as changes name it. */
const typeName = (st: Pick<Stats, 'isDirectory' | 'isSymbolicLink' | 'isFile'>): string =>
  st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'special file';

const displayPath = (d: Desired): string => (d.isDir && d.path !== '/' ? d.path + '/' : d.path);

interface Ids {
  uid?: number;
  gid?: number;
}

/** The ids of a resource that manages neither owner nor group: one object for all of them. */
const NO_IDS: Readonly<Ids> = Object.freeze({});

/** Old content kept for meta reverse, at most (a bigger file is left as it is on reverse). */
const MAX_REVERSE_BYTES = 1 << 20;

/** What the path was before a resource with meta reverse first applied. */
type Before =
  | { existed: false }
  | { existed: true; kind: 'file'; mode: number; content?: Buffer }
  | { existed: true; kind: 'symlink'; target: string }
  | { existed: true; kind: 'directory'; mode: number }
  | { existed: true; kind: 'other' };

/** A desired state that manages only existence: the base of a reversal. */
function plainDesired(path: string, isDir: boolean): Desired {
  return { path, isDir, state: 'exists', recurse: false, force: false, sensitive: false, purge: false };
}

/** What a source gives a file: its bytes, and the mode a new copy gets. */
interface SourceData {
  data: Buffer;
  /** Absent for fragments: a new file gets the default mode. */
  mode?: number;
}

/**
 * At most this many file CheckApply bodies run at once, over all the file resources of the
 * process. A graph starts every independent vertex at once: 10 000 files would put 10 000
 * lstat and readFile requests in libuv's queue (4 threads) and hold all their buffers and
 * promises at the same time. A few dozen keep the threads busy at a fraction of the memory.
 * The bound is innermost (inside checkApply, after the engine's own semaphores) and a body
 * waits on nothing but the file system, so it cannot deadlock with them.
 */
export const FILE_CHECKS_IN_FLIGHT = 32;
const fileChecks = semaphore<boolean>(FILE_CHECKS_IN_FLIGHT);

/**
 * The quick path: a file whose content is given inline (or not managed), up to this size, on a
 * local file system, is checked and written with synchronous calls, in the bounded slices of
 * sync-slices.ts. A trip through the thread pool costs more than such a call (issue 15: the
 * cold 10 000-file run spent 28 % of its time in writeFileAtomic's trips). Anything else (a
 * source, fragments, a directory, a symlink, something other than a regular file at the path,
 * a bigger file, a file system that may hang) takes the asynchronous path.
 */
export const QUICK_MAX_BYTES = 64 * 1024;

/**
 * How often one check may wait, in line, for what is looked at once per directory before the
 * quick path may run: its file system, then its stale temp files. Checks queued while the
 * first was under way meet the second once it is answered; with one wait they all took the
 * asynchronous path instead (most of a run's checks). Bounded: a directory that cannot be
 * asked about yet is asked again at each call, and must not hold a check in line forever.
 */
const QUICK_WAITS = 2;

/** One clock function per scheduler for the OwnRenames of all its file resources, not one each. */
const clocks = new WeakMap<SchedulerLike, () => number>();
/** The last one asked for: a graph's resources share one scheduler. */
let lastClock: { scheduler: SchedulerLike; clock: () => number } | undefined;
function clockOf(scheduler: SchedulerLike): () => number {
  if (lastClock?.scheduler === scheduler) return lastClock.clock;
  let clock = clocks.get(scheduler);
  if (!clock) clocks.set(scheduler, (clock = () => scheduler.now()));
  lastClock = { scheduler, clock };
  return clock;
}

// ---------------------------------------------------------------------------------------------

class FileResource implements Resource {
  /** The path as errors and logs show it: directories end in "/", control characters escaped. */
  private readonly shown: string;
  private ids?: Ids;
  /** See Verified. */
  private verified?: Verified;
  /** meta reverse: what the path was before this resource first applied (in this process). */
  private before?: Before;
  /** Stale temp files of a killed run are looked for once (see stale-temps.ts). */
  private sweptTemps = false;
  /** Our own writes, so that the watch does not report them back (a check per write saved). */
  private readonly ownRenames: OwnRenames;

  constructor(
    readonly name: string,
    readonly meta: ResourceSpec['meta'],
    private readonly want: Desired,
    /** Shared by the resources of a graph: its log is the parent of this resource's (see `log`). */
    private readonly env: ResourceEnv,
    /** Said once, at the first run: a graph rebuilt (swap, collect) creates resources again. */
    private warnings?: string[],
    /** purge: the spec, to look up what the rest of the graph declares (see purge.ts). */
    private readonly spec?: ResourceSpec,
  ) {
    this.ownRenames = new OwnRenames(clockOf(env.scheduler));
    this.shown = escapeControl(displayPath(want)); // the same string when nothing is escaped
  }

  get kind(): string {
    return 'file';
  }

  /** The path as identities (autoedges, manages) and the fingerprint use it: directories end in "/". */
  private get id(): string {
    return displayPath(this.want);
  }

  /**
   * Made for each message rather than held: most resources log once or never, and a logger
   * kept by each of 100 000 resources costs about 0.1 KB apiece.
   */
  private get log(): Logger {
    return this.env.log.child(`file[${escapeControl(this.name)}]`);
  }

  private sayWarnings(): void {
    if (!this.warnings) return;
    for (const warning of this.warnings) this.log.warn(warning);
    this.warnings = undefined;
  }

  /** Made when first asked for (a graph swap compares them); most resources never are. */
  get fingerprint(): string {
    const { want } = this;
    return JSON.stringify({
      path: this.id,
      state: want.state,
      content: typeof want.content === 'string' ? want.content : null,
      source: want.source ?? null,
      recurse: want.recurse,
      mode: want.mode === undefined ? null : octal(want.mode),
      owner: want.owner ?? null,
      group: want.group ?? null,
      force: want.force,
      sensitive: want.sensitive,
      ...(want.symlink !== undefined ? { symlink: want.symlink } : {}),
      ...(want.fragments ? { fragments: want.fragments } : {}),
      ...(want.purge ? { purge: true } : {}),
    });
  }

  /**
   * The path itself; and a file's source, or for a mirrored tree both trees in full (one watch
   * per directory). An empty source (/dev/null) is not watched.
   */
  watch(): Observable<void> {
    const { path, source, recurse, fragments, purge } = this.want;
    if (fragments) {
      const parts = fragments.map((f) => (f.endsWith('/') ? watchTree(f.slice(0, -1) || '/') : watchPath(f)));
      return merge(watchPath(path, this.ownRenames), ...parts);
    }
    if (purge && (source === undefined || source === EMPTY_SOURCE)) return watchTree(path);
    if (source === undefined || source === EMPTY_SOURCE) return watchPath(path, this.ownRenames);
    if (!recurse) return merge(watchPath(path, this.ownRenames), watchPath(source));
    return merge(watchTree(path), watchTree(source));
  }

  /**
   * The quick path where it may apply (quickCheck, run in the slices of sync-slices.ts), else,
   * or when it declines, the asynchronous run().
   */
  checkApply(apply: boolean, refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    if (!this.quickKind()) return this.fullCheck(apply, changes);
    return new Observable<boolean>((subscriber) => this.checkApplyInto(apply, refresh, changes, subscriber));
  }

  /** checkApply told straight to the engine's run (Resource.checkApplyInto): no Observable per check. */
  checkApplyInto(apply: boolean, _refresh: boolean, changes: ChangeSink | undefined, subscriber: Subscriber<boolean>): void {
    if (!this.quickKind()) {
      subscriber.add(this.fullCheck(apply, changes).subscribe(subscriber));
      return;
    }
    const slices = slicesFor(this.env.scheduler);
    let waits = 0;
    const job = (): void => {
      let ok: ReturnType<FileResource['quickCheck']>;
      try {
        ok = this.quickCheck(apply, ChangeReporter.of(changes, this.want.sensitive), waits < QUICK_WAITS);
      } catch (err) {
        subscriber.error(err);
        return;
      }
      if (ok === undefined) subscriber.add(this.fullCheck(apply, changes).subscribe(subscriber));
      else if (typeof ok !== 'boolean') {
        // The directory is being looked at (once per directory): back in line when it is.
        waits++;
        void ok.then(() => !subscriber.closed && subscriber.add(slices.run(job)));
      } else {
        subscriber.next(ok);
        subscriber.complete();
      }
    };
    subscriber.add(slices.run(job));
  }

  /** The asynchronous path: run(), bounded by fileChecks. */
  private fullCheck(apply: boolean, changes: ChangeSink | undefined): Observable<boolean> {
    return defer(() => this.run(apply, ChangeReporter.of(changes, this.want.sensitive))).pipe(fileChecks);
  }

  /** Whether this resource may ever take the quick path (see QUICK_MAX_BYTES). */
  private quickKind(): boolean {
    const { isDir, source, fragments, symlink, content } = this.want;
    return !isDir && source === undefined && fragments === undefined && symlink === undefined && (content === undefined || Buffer.byteLength(content) <= QUICK_MAX_BYTES);
  }

  /**
   * run() for a quickKind resource with synchronous calls: the same decisions, the same
   * messages and changes. Undefined, before anything was changed, when this check must take
   * the asynchronous path after all: the directory's file system is not local, its stale temp
   * files are to be removed, owners are not resolved yet, meta reverse has not recorded the
   * path yet, what is there is no regular file (a fifo is never opened), it is bigger than
   * QUICK_MAX_BYTES, or its mode or owner is to be fixed. With `mayWait`, a promise instead
   * while the directory's file system or stale temps are being looked at (once per directory;
   * QUICK_WAITS).
   */
  private quickCheck(apply: boolean, out: ChangeReporter, mayWait: boolean): boolean | undefined | Promise<unknown> {
    const { path, content, state } = this.want;
    const dir = posix.dirname(path);
    const local = isLocalDir(dir);
    if (local !== true) return local !== false && mayWait ? local : undefined;
    if (apply && this.meta.reverse && !this.before) return undefined;
    if (apply && !this.sweptTemps) {
      const stale = staleTempsFor(path, dir);
      if (stale !== false) return stale !== true && mayWait ? stale : undefined;
      this.sweptTemps = true;
    }
    const managesOwner = this.want.owner !== undefined || this.want.group !== undefined;
    if (managesOwner && !this.ids) return undefined;
    const ids = this.ids ?? NO_IDS;
    this.sayWarnings();
    const observedAt = Date.now(); // before the lstat: see Verified
    let st: Stats | undefined;
    try {
      st = lstatOrMissingSync(path);
    } catch (err) {
      throw stepError(this.shown, 'inspect it', err);
    }
    if (!st?.isFile()) this.verified = undefined;
    if (state === 'absent') {
      if (!st) return true;
      if (!st.isFile()) return undefined;
      return this.changeNow(apply, 'remove a regular file', () => stepSync(this.shown, 'remove it', () => unlinkSync(path)), () =>
        out.report({ field: 'state', from: 'exists', to: 'absent' }),
      );
    }
    if (!st) {
      return this.changeNow(apply, 'create file', () => this.writeNow(ids, undefined, content), () => {
        out.report({ field: 'state', from: 'absent', to: 'exists' });
        if (content !== undefined) out.report(() => contentChange(path, undefined, bytesOf(content)));
        this.reportNewMetadata(ids, out);
      });
    }
    if (!st.isFile() || st.size > QUICK_MAX_BYTES) return undefined;
    if (content !== undefined && !this.isVerified(st, content)) {
      this.verified = undefined;
      const sameSize = st.size === byteLengthOf(content);
      let old: Buffer | undefined;
      if (sameSize || out.listening) {
        try {
          old = readSmallNoFollowSync(path, QUICK_MAX_BYTES);
        } catch (err) {
          throw stepError(this.shown, 'read it', err);
        }
        if (old === undefined) return undefined; // no longer a small regular file
      }
      if (!(sameSize && sameBytes(old!, content))) {
        const bytes = bytesOf(content);
        return this.changeNow(apply, 'write content', () => this.writeNow(ids, st, bytes), () => {
          out.report(() => contentChange(path, old, bytes));
          this.reportMetadata(st, ids, out);
        });
      }
      if (settled(st, observedAt)) this.verified = verifiedOf(st, content);
    }
    const { mode } = this.want;
    const modeWrong = mode !== undefined && (st.mode & 0o7777) !== mode;
    const ownerWrong = (ids.uid !== undefined && st.uid !== ids.uid) || (ids.gid !== undefined && st.gid !== ids.gid);
    return modeWrong || ownerWrong ? undefined : true;
  }

  /** change() for the quick path: the same log line and report, synchronously. */
  private changeNow(apply: boolean, action: string, op: () => void, report: () => void): false {
    if (apply) op();
    report();
    this.log.info(`${this.shown}: ${apply ? '' : 'noop, would '}${action}`);
    return false;
  }

  /** write() for the quick path. */
  private writeNow(ids: Ids, old: AnyStats | undefined, content: string | Buffer | undefined): void {
    const opts = this.writeOptions(ids, old, undefined);
    const data = content === undefined ? Buffer.alloc(0) : bytesOf(content);
    stepSync(this.shown, 'write it', () => {
      try {
        writeFileAtomicSync(this.want.path, data, opts);
      } catch (err) {
        if (errCode(err) !== 'ENOENT') throw err;
        mkdirSync(posix.dirname(this.want.path), { recursive: true }); // state exists implies its parents
        writeFileAtomicSync(this.want.path, data, opts);
      }
    });
  }

  /**
   * The path, one spelling whatever the form (`/x`, `/x/`, `//x`, dirname + basename): two file
   * resources of one graph on one path are a load error, not an endless fight.
   */
  manages(): string[] {
    return [`file:${this.want.path}`];
  }

  /**
   * Wants its nearest managed parent directory and, when it copies from a source, the resource
   * that manages the source (so a generated source is written first). A file that exists also
   * wants the user and group it is owned by (by name, or by id for digits), so that chown finds
   * them; an absent file has no owner to wait for.
   */
  autoEdges(): AutoEdges {
    const self = `file:${this.id}`; // one string for both: the graph finds it provided by itself alone
    const parents = parentIds(this.want.path);
    // Its own path first, on its own: what installs it (a pkg shipping it) comes before it.
    const wants = parents.length ? [[self], parents] : [[self]];
    const { source, isDir } = this.want;
    if (source !== undefined && source !== EMPTY_SOURCE) wants.push([`file:${isDir && source !== '/' ? source + '/' : source}`]);
    for (const f of this.want.fragments ?? []) wants.push([`file:${f}`]);
    const { owner, group, state } = this.want;
    if (state === 'exists' && owner !== undefined) wants.push([accountId(owner, 'user', 'uid')]);
    if (state === 'exists' && group !== undefined) wants.push([accountId(group, 'group', 'gid')]);
    return { provides: [self], wants };
  }

  private async run(apply: boolean, out: ChangeReporter): Promise<boolean> {
    this.sayWarnings();
    const { path, source, isDir } = this.want;
    // The source is read first: a missing one fails the run before anything is changed.
    const fromSource = this.want.fragments
      ? await this.readFragments(this.want.fragments)
      : source !== undefined && !isDir
        ? await this.readSource(source)
        : undefined;
    const sourceDir = source !== undefined && isDir ? await this.sourceDirectory(source) : undefined;
    const observedAt = Date.now(); // before the lstat: see Verified
    const st = await step(this.shown, 'inspect it', () => lstatBigOrMissing(path));
    if (!st?.isFile()) this.verified = undefined;
    if (apply && this.meta.reverse && !this.before) this.before = await this.observeBefore(st);
    if (apply && !isDir && !this.sweptTemps) {
      this.sweptTemps = true;
      for (const name of await removeStaleTemps(path)) this.log.info(`${this.shown}: removed ${escapeControl(name)}, a temporary file left by a killed run`);
    }
    if (this.want.symlink !== undefined) return this.ensureSymlink(st, apply, out, this.want.symlink);
    if (this.want.state === 'absent') return this.ensureAbsent(st, apply, out);
    const ids = await this.resolveIds();
    if (!isDir) return this.ensureFile(st, ids, apply, out, fromSource, observedAt);
    const dirOk = await this.ensureDirectory(st, ids, apply, out, sourceDir?.stats);
    if (!sourceDir && !this.want.purge) return dirOk;
    const purge = this.purgeRule();
    // In noop a directory still to be created (or replaced) is not there to look into.
    const treeOk = await mirrorTree(sourceDir?.path, path, apply || st?.isDirectory() === true, {
      shown: this.shown,
      force: this.want.force,
      purge,
      change: (action, op) => this.change(apply, action, op, () => out.report({ field: 'tree', to: action })),
    });
    return dirOk && treeOk;
  }

  /** The path before this resource changes it, for reversed(): only with meta reverse. */
  private async observeBefore(st: BigIntStats | undefined): Promise<Before> {
    if (!st) return { existed: false };
    const mode = Number(st.mode) & 0o7777;
    if (st.isSymbolicLink()) return { existed: true, kind: 'symlink', target: await step(this.shown, 'read the link', () => readlink(this.want.path)) };
    if (st.isDirectory()) return { existed: true, kind: 'directory', mode };
    if (!st.isFile()) return { existed: true, kind: 'other' };
    const content = st.size <= BigInt(MAX_REVERSE_BYTES) ? await step(this.shown, 'read it', () => readFileNoFollow(this.want.path)) : undefined;
    return { existed: true, kind: 'file', mode, content };
  }

  /**
   * meta reverse: the resource that undoes what this one did, from what the path was before its
   * first apply in this process. Created by it: removed (a directory only if empty, a link only
   * if it is still a link). Replaced or removed by it: a file is restored with its old content
   * and mode (up to 1 MiB kept), a link relinked to its old target, a directory re-created.
   * Undefined when nothing is to be undone, or it never applied in this process.
   */
  reversed(): Resource | undefined {
    const b = this.before;
    if (!b) return undefined;
    const { path, isDir, state } = this.want;
    const undo = (d: Partial<Desired>): Resource =>
      new FileResource(this.name, { ...this.meta, reverse: false }, { ...plainDesired(path, isDir), sensitive: this.want.sensitive, ...d }, this.env);
    if (state === 'exists') {
      if (!b.existed) return undo({ state: 'absent', symlink: this.want.symlink !== undefined ? '' : undefined });
      if (b.kind === 'file' && !isDir && (this.manageContent() || this.want.mode !== undefined)) {
        if (this.manageContent() && !b.content) {
          this.log.warn(`${this.shown}: not restored on reverse: it was over ${MAX_REVERSE_BYTES} bytes, its old content was not kept`);
          return undefined;
        }
        return undo({ content: this.manageContent() ? b.content : undefined, mode: this.want.mode !== undefined ? b.mode : undefined, force: this.want.force });
      }
      if (b.kind === 'symlink' && this.want.symlink !== undefined && b.target !== this.want.symlink) return undo({ symlink: b.target });
      if (b.kind === 'directory' && this.want.mode !== undefined && b.mode !== this.want.mode) return undo({ mode: b.mode });
      return undefined;
    }
    if (!b.existed) return undefined;
    if (b.kind === 'file' && b.content) return undo({ content: b.content, mode: b.mode });
    if (b.kind === 'symlink') return undo({ symlink: b.target });
    if (b.kind === 'directory') return undo({ isDir: true, mode: b.mode });
    return undefined;
  }

  private manageContent(): boolean {
    return this.want.content !== undefined || this.want.fragments !== undefined || this.want.source !== undefined;
  }

  /** purge's rule, from what the graph declares; none known is an error: nothing is removed blind. */
  private purgeRule(): ((path: string) => 'keep' | 'descend' | 'remove') | undefined {
    if (!this.want.purge) return undefined;
    const declared: Declared | undefined = this.spec && declaredOf(this.spec);
    if (!declared) {
      throw new Error(`file ${this.shown}: purge needs to know the graph's other file resources, and this graph was built without the file kind's prepare(); nothing removed`);
    }
    return (p) => purgeDecision(declared, p);
  }

  /**
   * `fragments`: the files, in order, and for a directory its files by name (one level;
   * subdirectories skipped, as mgmt does). Fails naming the fragment that cannot be read.
   */
  private async readFragments(fragments: string[]): Promise<SourceData> {
    const parts: Buffer[] = [];
    const read = async (f: string, listed = false) => {
      try {
        const st = await stat(f).catch((err: unknown) => {
          // Listed, then gone: removed meanwhile, and the watch says so.
          if (listed && errCode(err) === 'ENOENT') return undefined;
          throw err;
        });
        if (!st) return;
        if (st.isDirectory()) return; // inside a fragment directory: skipped
        if (!st.isFile()) throw new Error(`is ${kindOf(st)}, not a regular file`);
        parts.push(await readFile(f));
      } catch (err) {
        const why = errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR' ? 'does not exist' : (err as Error).message;
        throw new Error(`file ${this.shown}: fragment ${escapeControl(f)} ${why}`, { cause: err });
      }
    };
    for (const f of fragments) {
      if (!f.endsWith('/')) {
        await read(f);
        continue;
      }
      const names = await step(this.shown, `read fragment directory ${f}`, () => readdir(f));
      // An atomic write in flight there (ours or another rxmgmt's) is not a fragment.
      for (const name of names.sort()) if (tempNamePid(name) === undefined) await read(f + name, true);
    }
    return { data: Buffer.concat(parts) };
  }

  /**
   * `symlink`: the path is a link to `target` (state exists) or no link (absent). A wrong link
   * is replaced atomically; anything else there is replaced (or, for absent, removed) only with
   * force. Owner and group apply to the link itself (lchown); nothing is ever followed.
   */
  private async ensureSymlink(st: BigIntStats | undefined, apply: boolean, out: ChangeReporter, target: string): Promise<boolean> {
    const { path, force, state } = this.want;
    const now = st?.isSymbolicLink() ? await step(this.shown, 'read the link', () => readlink(path)) : undefined;
    const removeOther = async () => {
      if (st?.isDirectory()) await step(this.shown, 'remove directory', () => rm(path, { recursive: true }));
    };
    if (state === 'absent') {
      if (!st) return true;
      if (!st.isSymbolicLink() && !force) throw new Error(`file ${this.shown}: is ${kindOf(st)}, not a symlink; set force: true to remove it`);
      return this.change(apply, `remove ${kindOf(st)}`, async () => {
        await removeOther();
        if (!st.isDirectory()) await step(this.shown, 'remove it', () => unlink(path));
      }, () => out.report({ field: 'state', from: 'exists', to: 'absent' }));
    }
    const ids = await this.resolveIds();
    const link = async () => {
      await removeOther();
      await step(this.shown, `link it to ${escapeControl(target)}`, () =>
        symlinkAtomic(target, path, { uid: ids.uid, gid: ids.gid, announce: this.ownRenames }),
      );
    };
    if (!st) {
      return this.change(apply, `link to ${target}`, link, () => {
        out.report({ field: 'state', from: 'absent', to: 'exists' });
        out.report({ field: 'symlink', to: target });
      });
    }
    if (!st.isSymbolicLink()) {
      if (!force) throw new Error(`file ${this.shown}: is ${kindOf(st)}, not a symlink; set force: true to replace it`);
      return this.change(apply, `replace ${kindOf(st)} by a link to ${target}`, link, () => {
        out.report({ field: 'type', from: typeName(st), to: 'symlink' });
        out.report({ field: 'symlink', to: target });
      });
    }
    if (now !== target) {
      return this.change(apply, `relink to ${target}`, link, () => out.report({ field: 'symlink', from: now, to: target }));
    }
    const ownerWrong = (ids.uid !== undefined && Number(st.uid) !== ids.uid) || (ids.gid !== undefined && Number(st.gid) !== ids.gid);
    if (!ownerWrong) return true;
    return this.change(
      apply,
      `chown the link ${this.want.owner ?? ''}:${this.want.group ?? ''}`,
      () => step(this.shown, 'change the link\'s owner', () => lchown(path, ids.uid ?? -1, ids.gid ?? -1)),
      () => this.reportMetadata(st, ids, out),
    );
  }

  /** A file's source: its bytes and mode. Fails naming the source when it cannot be used. */
  private async readSource(source: string): Promise<SourceData> {
    const fail = (why: string): never => {
      throw new Error(`file ${this.shown}: source ${this.want.sourceText} ${why}`);
    };
    let st: Stats;
    try {
      st = await stat(source);
    } catch (err) {
      if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') fail('does not exist');
      fail(`cannot be read: ${(err as Error).message}`);
    }
    if (st!.isDirectory()) fail('is a directory; to mirror a directory, end the path in "/" and set recurse: true');
    // A fifo would block the read and /dev/zero never end it: only /dev/null of the specials.
    if (!st!.isFile() && source !== EMPTY_SOURCE) fail(`is ${kindOf(st!)}, not a regular file`);
    try {
      return { data: await readFile(source), mode: copiedMode(st!) };
    } catch (err) {
      return fail(`cannot be read: ${(err as Error).message}`);
    }
  }

  /**
   * A mirrored tree's source: the directory (followed if a symlink) and its stats, or neither
   * for the empty source /dev/null. Fails naming the source when it is missing or no directory.
   */
  private async sourceDirectory(source: string): Promise<{ path?: string; stats?: Stats }> {
    if (source === EMPTY_SOURCE) return {};
    let st: Stats;
    try {
      st = await stat(source);
    } catch (err) {
      const why = errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR' ? 'does not exist' : `cannot be read: ${(err as Error).message}`;
      throw new Error(`file ${this.shown}: source ${this.want.sourceText} ${why}`, { cause: err });
    }
    if (!st.isDirectory()) {
      const what = `source ${this.want.sourceText} is ${kindOf(st)}`;
      throw new Error(`file ${this.shown}: ${what}, not a directory to mirror (use ${EMPTY_SOURCE} for an empty one)`);
    }
    return { path: source, stats: st };
  }

  /**
   * The one way a run changes anything: in noop it only logs what it would do; otherwise it
   * does it, then logs it. Returns false, the answer of a run that found something wrong.
   */
  private async change(apply: boolean, action: string, op: () => Promise<void>, report: () => void): Promise<false> {
    if (apply) await op();
    report(); // after op: a change that failed was not made
    this.log.info(`${this.shown}: ${apply ? '' : 'noop, would '}${escapeControl(action)}`);
    return false;
  }

  private async ensureAbsent(st: BigIntStats | undefined, apply: boolean, out: ChangeReporter): Promise<boolean> {
    if (!st) return true;
    const { path, force } = this.want;
    const gone = () => out.report({ field: 'state', from: 'exists', to: 'absent' });
    if (!st.isDirectory()) {
      return this.change(apply, `remove ${kindOf(st)}`, () => step(this.shown, 'remove it', () => unlink(path)), gone);
    }
    return this.change(apply, 'remove directory', () =>
      step(this.shown, 'remove directory', async () => {
        try {
          await rmdir(path);
        } catch (err) {
          if (errCode(err) !== 'ENOTEMPTY' && errCode(err) !== 'EEXIST') throw err;
          if (!force) throw new Error('it is not empty; set force: true to remove it with its contents', { cause: err });
          await rm(path, { recursive: true });
        }
      }),
      gone,
    );
  }

  /** `source`: a mirrored tree's source directory, whose mode a new directory gets. */
  private async ensureDirectory(st: BigIntStats | undefined, ids: Ids, apply: boolean, out: ChangeReporter, source?: Stats): Promise<boolean> {
    const { path, force } = this.want;
    const create = async () => {
      await step(this.shown, 'create directory', async () => {
        // recursive: a directory someone else created meanwhile is fine; a file there is not.
        await mkdir(path, { recursive: true });
        if (source && this.want.mode === undefined) await setMetadataNoFollow(path, true, { mode: copiedMode(source) });
      });
      await this.setMetadata(ids, true);
    };
    const created = () => {
      out.report({ field: 'state', from: 'absent', to: 'exists' });
      this.reportNewMetadata(ids, out);
    };
    if (!st) return this.change(apply, 'create directory', create, created);
    if (st.isDirectory()) return this.ensureMetadata(st, ids, apply, out);
    if (!force) throw new Error(`file ${this.shown}: is ${kindOf(st)}, not a directory; set force: true to replace it`);
    return this.change(apply, `replace ${kindOf(st)} by a directory`, async () => {
      await step(this.shown, 'remove it', () => unlink(path));
      await create();
    }, () => {
      out.report({ field: 'type', from: typeName(st), to: 'directory' });
      this.reportNewMetadata(ids, out);
    });
  }

  private async ensureFile(
    st: BigIntStats | undefined,
    ids: Ids,
    apply: boolean,
    out: ChangeReporter,
    source: SourceData | undefined,
    observedAt: number,
  ): Promise<boolean> {
    const { path, force } = this.want;
    const content = this.want.content ?? source?.data;
    const fresh = () => {
      if (content !== undefined) out.report(() => contentChange(path, undefined, bytesOf(content)));
      this.reportNewMetadata(ids, out, source);
    };
    if (!st) {
      return this.change(apply, 'create file', () => this.write(ids, undefined, content, source), () => {
        out.report({ field: 'state', from: 'absent', to: 'exists' });
        fresh();
      });
    }
    if (!st.isFile()) {
      if (!force) throw new Error(`file ${this.shown}: is ${kindOf(st)}, not a regular file; set force: true to replace it`);
      // A symlink's target is read for the report before it is replaced (never followed).
      const target = st.isSymbolicLink() && out.listening ? await readlink(path).catch(() => undefined) : undefined;
      return this.change(apply, `replace ${kindOf(st)} by a file`, async () => {
        // rename() cannot replace a directory; anything else it replaces in one step.
        if (st.isDirectory()) await step(this.shown, 'remove directory', () => rm(path, { recursive: true }));
        await this.write(ids, undefined, content, source);
      }, () => {
        out.report({ field: 'type', from: typeName(st), to: 'file' });
        if (target !== undefined) out.report({ field: 'symlink', from: target });
        fresh();
      });
    }
    if (content !== undefined && !this.isVerified(st, content)) {
      this.verified = undefined;
      const bytes = bytesOf(content);
      const sameSize = st.size === BigInt(bytes.length);
      // The old content is read for a diff only when someone listens and the sizes differ.
      const old = sameSize || out.listening ? await step(this.shown, 'read it', () => readFileNoFollow(path)) : undefined;
      if (!(sameSize && old!.equals(bytes))) {
        const action = this.want.fragments ? 'write content from its fragments' : source ? `write content of ${this.want.sourceText}` : 'write content';
        return this.change(apply, action, () => this.write(ids, st, bytes, undefined), () => {
          out.report(() => contentChange(path, old, bytes));
          this.reportMetadata(st, ids, out);
        });
      }
      if (settled(st, observedAt)) {
        this.verified = verifiedOf(st, content);
      }
    }
    return this.ensureMetadata(st, ids, apply, out);
  }

  /** The file is as it was when its content was last found right, and that is still what we want. */
  private isVerified(st: AnyStats, content: string | Buffer): boolean {
    const v = this.verified;
    if (v === undefined || !sameIdentity(v, st)) return false;
    // A given content is the resource's own string; a source's is read again at every check.
    return v.content === content || (typeof v.content !== 'string' && typeof content !== 'string' && v.content.equals(content));
  }

  /**
   * Writes `content` (or an empty file), keeping unmanaged metadata of `old`; a new copy of a
   * source gets the source's permission bits unless `mode` is managed.
   */
  private async write(ids: Ids, old: BigIntStats | undefined, content: string | Buffer | undefined, source: SourceData | undefined): Promise<void> {
    const { path } = this.want;
    const opts = this.writeOptions(ids, old, source);
    const data = content === undefined ? Buffer.alloc(0) : bytesOf(content);
    await step(this.shown, 'write it', async () => {
      try {
        await writeFileAtomic(path, data, opts);
      } catch (err) {
        if (errCode(err) !== 'ENOENT') throw err;
        await mkdir(posix.dirname(path), { recursive: true }); // state exists implies its parents
        await writeFileAtomic(path, data, opts);
      }
    });
  }

  /** How a write keeps unmanaged metadata of `old` (see write). Forgets the verified content. */
  private writeOptions(ids: Ids, old: AnyStats | undefined, source: SourceData | undefined): AtomicWriteOptions {
    this.verified = undefined;
    return {
      mode: this.want.mode ?? (old ? Number(old.mode) & 0o7777 : source?.mode),
      uid: ids.uid ?? (old ? Number(old.uid) : undefined),
      gid: ids.gid ?? (old ? Number(old.gid) : undefined),
      ownerBestEffort: ids.uid === undefined && ids.gid === undefined,
      announce: this.ownRenames,
    };
  }

  private async ensureMetadata(st: BigIntStats, ids: Ids, apply: boolean, out: ChangeReporter): Promise<boolean> {
    const { mode } = this.want;
    const modeWrong = mode !== undefined && (Number(st.mode) & 0o7777) !== mode;
    const ownerWrong = (ids.uid !== undefined && Number(st.uid) !== ids.uid) || (ids.gid !== undefined && Number(st.gid) !== ids.gid);
    if (!modeWrong && !ownerWrong) return true;
    const actions = [
      ownerWrong ? `chown ${this.want.owner ?? ''}:${this.want.group ?? ''}` : '',
      modeWrong ? `chmod ${octal(mode)}` : '',
    ];
    return this.change(
      apply,
      actions.filter(Boolean).join(', '),
      () => this.setMetadata(ownerWrong ? ids : {}, st.isDirectory(), st),
      () => this.reportMetadata(st, ids, out),
    );
  }

  /** mode, owner and group that differ between `st` and what is wanted, old -> new. */
  private reportMetadata(st: AnyStats, ids: Ids, out: ChangeReporter): void {
    const { mode, owner, group } = this.want;
    const oldMode = Number(st.mode) & 0o7777;
    if (mode !== undefined && oldMode !== mode) out.report({ field: 'mode', from: octal(oldMode), to: octal(mode) });
    if (ids.uid !== undefined && Number(st.uid) !== ids.uid) out.report({ field: 'owner', from: String(st.uid), to: account(owner!, ids.uid) });
    if (ids.gid !== undefined && Number(st.gid) !== ids.gid) out.report({ field: 'group', from: String(st.gid), to: account(group!, ids.gid) });
  }

  /** What a new file or directory gets that is managed: mode (or a source's), owner, group. */
  private reportNewMetadata(ids: Ids, out: ChangeReporter, source?: SourceData): void {
    const { mode, owner, group } = this.want;
    const newMode = mode ?? source?.mode;
    if (newMode !== undefined) out.report({ field: 'mode', to: octal(newMode) });
    if (ids.uid !== undefined) out.report({ field: 'owner', to: account(owner!, ids.uid) });
    if (ids.gid !== undefined) out.report({ field: 'group', to: account(group!, ids.gid) });
  }

  /**
   * chown when `ids` names anyone, then chmod when a mode is wanted: chown may clear the setuid
   * and setgid bits, and a fresh mkdir's mode was narrowed by the umask.
   */
  private async setMetadata(ids: Ids, dir: boolean, inspected?: BigIntStats): Promise<void> {
    const { path, mode } = this.want;
    const owner = ids.uid !== undefined || ids.gid !== undefined;
    const what = owner && mode !== undefined ? `change owner and mode to ${octal(mode)}` : owner ? 'change owner' : `change mode to ${octal(mode ?? 0)}`;
    await step(this.shown, what, () =>
      setMetadataNoFollow(path, dir, { uid: ids.uid, gid: ids.gid, mode }, inspected),
    );
  }

  /** Resolves owner and group once; an unknown name fails this run and is retried next time. */
  private async resolveIds(): Promise<Ids> {
    if (this.ids) return this.ids;
    const { owner, group } = this.want;
    if (owner === undefined && group === undefined) return (this.ids = NO_IDS);
    const resolve = async (name: string | undefined, lookup: (name: string) => Promise<number>) => {
      if (name === undefined) return undefined;
      try {
        return await lookup(name);
      } catch (err) {
        // "unknown user "x" (not in /etc/passwd)", or "cannot read /etc/passwd: ...".
        throw new Error(`file ${this.shown}: ${(err as Error).message}`, { cause: err });
      }
    };
    this.ids = { uid: await resolve(owner, resolveUid), gid: await resolve(group, resolveGid) };
    return this.ids;
  }
}

/** What a directory's params say that has no effect, to be said at its first run; undefined for nothing. */
function directoryWarnings(want: Desired, params: Record<string, unknown>): string[] | undefined {
  const shown = escapeControl(displayPath(want));
  const warnings: string[] = [];
  if (present(params.content)) warnings.push(`${shown}: content is ignored on a directory (as mgmt does)`);
  if (want.recurse && !present(params.source) && !want.purge) {
    const hint = want.state === 'absent' ? ' (force: true removes a non-empty directory)' : '';
    warnings.push(`${shown}: recurse has no effect without source${hint}`);
  }
  return warnings.length ? warnings : undefined;
}

export const fileKind: ResourceKind = {
  kind: 'file',
  doc:
    'A file or directory: its existence, content (given, or copied from a source file), ' +
    'permission bits, owner and group; a directory can mirror a source directory\'s tree. Content ' +
    'is written atomically (a temporary file renamed into place). Drift is seen at once through ' +
    'inotify, with one watch per directory however many files it holds.',
  fields,
  validate,
  // What a file manages and provides is its path; a purging directory is made again anyway
  // (src/graph/incremental.ts: its prepare() records the graph's files by spec object).
  madeFromSpec: true,
  /**
   * A file collected from another host lands in the `collect` entry's pattern directory, under
   * its own base name (mgmt: the pattern replaces the dirname). A directory stays a directory.
   */
  collect(params: Record<string, unknown>, pattern: string): Record<string, unknown> {
    const raw = rawPath(params);
    const { dirname: _dirname, basename: _basename, ...rest } = params;
    const base = posix.basename(raw);
    return { ...rest, path: posix.join(pattern, base) + (raw.endsWith('/') && base ? '/' : '') };
  },
  /** Records, for each purging directory, what the rest of the graph declares (see purge.ts). */
  prepare(specs: ResourceSpec[]): Promise<void> {
    recordDeclared(specs);
    return Promise.resolve();
  },
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const { params } = spec;
    const problem = validate(params);
    if (problem) throw new Error(`file[${escapeControl(spec.name)}]: ${problem}`);
    const want = desiredFrom(params);
    return new FileResource(spec.name, spec.meta, want, env, want.isDir ? directoryWarnings(want, params) : undefined, want.purge ? spec : undefined);
  },
};
