// examples/resources/textline.ts: a complete resource kind, `textline`, written against rxmgmt's public
// API only (docs/writing-a-resource.md walks through it). It keeps one line present in (or
// absent from) a text file, as Puppet's file_line does, and leaves the rest of the file alone.
//
//   line:
//     - name: motd-banner
//       path: /etc/motd
//       line: "Managed by rxmgmt"
//       state: present            # present | absent
//
// Register it beside the built-in kinds: `new Registry([...builtinKinds(), textlineKind])`.
import { randomBytes } from 'node:crypto';
import { type FSWatcher, existsSync, watch } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { Observable, type Subscription, defer } from 'rxjs';
import type { ChangeSink, FieldSchema, Logger, MetaParams, Resource, ResourceEnv, ResourceKind, ResourceSpec } from 'rxmgmt';

const fields: Record<string, FieldSchema> = {
  path: { type: 'string', required: true, doc: 'the file, an absolute path' },
  line: { type: 'string', required: true, doc: 'the line, without its newline' },
  state: { type: 'string', enum: ['present', 'absent'], default: 'present', doc: 'present or absent' },
};

/** Checks across fields; the YAML layer has already checked types, enums and required fields. */
function validate(params: Record<string, unknown>): string | undefined {
  if (!isAbsolute(String(params.path))) return `\`path\` must be an absolute path, got "${String(params.path)}"`;
  if (/[\n\r]/.test(String(params.line))) return '`line` must be one line (no newline in it)';
  return undefined;
}

interface Want {
  path: string;
  line: string;
  state: 'present' | 'absent';
}

class LineResource implements Resource {
  readonly kind = 'textline';
  readonly fingerprint: string;

  constructor(
    readonly name: string,
    readonly meta: MetaParams,
    private readonly want: Want,
    private readonly log: Logger,
  ) {
    // Everything that defines the desired state, in a fixed order: a graph swap keeps the
    // running resource when this is unchanged.
    this.fingerprint = JSON.stringify([want.path, want.line, want.state]);
  }

  /**
   * Emits when the file may have changed: its entry in its directory (created, replaced by a
   * rename, removed) or its content. The OS watch is installed synchronously on subscription,
   * so the watch is ready as soon as `subscribe` returns: no change after that can be missed.
   */
  watch(): Observable<void> {
    return entryChanges(dirname(this.want.path), basename(this.want.path));
  }

  /** true: already right; false: was wrong (and, with `apply`, fixed). Noop changes nothing. */
  checkApply(apply: boolean, _refresh: boolean, changes?: ChangeSink): Observable<boolean> {
    // defer: nothing runs until the engine subscribes, and an unsubscribe drops the result.
    return defer(async () => {
      const { path, line, state } = this.want;
      const text = await readIfExists(path);
      const lines = text === undefined ? [] : text.split('\n');
      if (lines.at(-1) === '') lines.pop(); // the final newline ends the last line
      const has = lines.includes(line);
      if (has === (state === 'present')) return true;

      changes?.({ field: 'line', from: has ? 'present' : 'absent', to: state });
      if (!apply) {
        this.log.info(`noop: would ${state === 'present' ? 'add' : 'remove'} the line in ${path}`);
        return false;
      }
      const next = state === 'present' ? [...lines, line] : lines.filter((l) => l !== line);
      await replaceFile(path, next.length === 0 ? '' : `${next.join('\n')}\n`);
      this.log.info(`${state === 'present' ? 'added' : 'removed'} the line in ${path}`);
      return false;
    });
  }

  /** Two `line` resources fighting over one line of one file are a load error. */
  manages(): string[] {
    return [`textline:${this.want.path}:${this.want.line}`];
  }

  /** After the file itself (a `file` resource for it) and its directory, when the graph has them. */
  autoEdges() {
    return { provides: [], wants: [[`file:${this.want.path}`], [`file:${dirname(this.want.path)}/`]] };
  }

  /** meta `reverse: true`: when this resource leaves the graph, its line is taken out again. */
  reversed(): Resource | undefined {
    if (this.want.state === 'absent') return undefined; // nothing was added, nothing to undo
    return new LineResource(this.name, this.meta, { ...this.want, state: 'absent' }, this.log);
  }
}

/**
 * Changes to the entry `name` of directory `dir`. A directory that is missing (or goes away) is
 * waited for in its parent, and so on up: a line in a file whose directory another resource
 * creates later is still watched from the start.
 */
function entryChanges(dir: string, name: string): Observable<void> {
  return new Observable<void>((subscriber) => {
    let watcher: FSWatcher | undefined;
    let parent: Subscription | undefined;
    const install = (): void => {
      try {
        watcher = watch(dir, (_event, entry) => {
          if (!existsSync(dir)) {
            watcher?.close(); // the directory itself went away: wait for it again
            install();
            subscriber.next();
          } else if (entry === null || String(entry) === name) {
            subscriber.next();
          }
        });
        watcher.on('error', (err) => subscriber.error(err)); // the engine retries per the meta params
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) return subscriber.error(err);
        const appeared = (): void => {
          if (!existsSync(dir)) return;
          parent?.unsubscribe();
          install();
          subscriber.next();
        };
        parent = entryChanges(dirname(dir), basename(dir)).subscribe({ next: appeared, error: (e) => subscriber.error(e) });
        appeared(); // it may have appeared before the parent's watch was there
      }
    };
    install();
    return () => {
      watcher?.close();
      parent?.unsubscribe();
    };
  });
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Writes `text` to a new file beside `path` and renames it over `path`: a reader sees the old
 * file or the new one, never half of one, and a symlink at `path` is replaced, never followed.
 * The file keeps its mode (0644 when it is new).
 */
async function replaceFile(path: string, text: string): Promise<void> {
  const mode = await stat(path).then((s) => s.mode & 0o7777, () => 0o644);
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text);
    await handle.chmod(mode); // open's mode is filtered by the umask
    await handle.sync();
    await handle.close();
    await rename(temp, path);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

export const textlineKind: ResourceKind = {
  kind: 'textline',
  doc: 'Keeps one line present in (or absent from) a text file, leaving the rest of the file alone.',
  fields,
  validate,
  create(spec: ResourceSpec, env: ResourceEnv): Resource {
    const problem = validate(spec.params);
    if (problem) throw new Error(`texttextline[${spec.name}]: ${problem}`);
    const { path, line, state } = spec.params as { path: string; line: string; state: Want['state'] };
    return new LineResource(spec.name, spec.meta, { path, line, state }, env.log);
  },
};
