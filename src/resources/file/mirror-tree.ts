// mirrorTree: make a directory's tree mirror a source directory's, for `source` + `recurse`.
//
// For every entry of the source, recursively: a regular file is copied (its content compared
// first, written atomically when it differs), a directory is created, a symlink is recreated
// with the same target (never followed). Entries of the destination that are not in the source
// are removed only with `force`; otherwise they are left alone. An entry of the wrong type
// (a file where the source has a directory, ...) is replaced only with `force`.
//
// Created files and directories get the source's permission bits (rwx only: never setuid, setgid
// or sticky); a rewritten file keeps its own mode and owner. Special files (fifos, sockets,
// devices) in the source are an error, naming the entry.
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { symlinkAtomic, writeFileAtomic } from '../../util/atomic-write.js';
import { escapeControl } from '../../util/paths.js';
import { copiedMode, readFileNoFollow, setMetadataNoFollow, errCode, kindOf, lstatOrMissing, mkdir, readdir, readFile, readlink, rm, step, unlink } from './fs-steps.js';

export interface MirrorContext {
  /** The resource's display path, for errors. */
  shown: string;
  force: boolean;
  /**
   * Logs `action` and, when applying, runs `op` first (noop only logs). Always resolves false:
   * something was wrong.
   */
  change(action: string, op: () => Promise<void>): Promise<false>;
  /**
   * `purge`: what to do with an entry the source lacks (by its absolute path): keep it, go into
   * it (a directory above something declared), or remove it. Absent: removed only with force.
   */
  purge?: (path: string) => 'keep' | 'descend' | 'remove';
}

/**
 * Mirrors the directory `source` into the directory `dest`; `source` undefined is an empty
 * source (mgmt's /dev/null), which only matters with force. `destExists` is false when `dest`
 * is not there (in noop, where it was not created): then every entry is reported as missing
 * without looking. Resolves true when everything already matched.
 */
export async function mirrorTree(source: string | undefined, dest: string, destExists: boolean, ctx: MirrorContext): Promise<boolean> {
  return new Mirror(ctx).dir(source, dest, '', destExists);
}

class Mirror {
  constructor(private readonly ctx: MirrorContext) {}

  private fail(message: string): never {
    throw new Error(`file ${this.ctx.shown}: ${escapeControl(message)}`);
  }

  private wrongType(rel: string, found: Stats, wanted: string): never {
    this.fail(`${rel} is ${kindOf(found)}, not ${wanted} as in the source; set force: true to replace it`);
  }

  /** One directory level: `rel` is its path relative to the roots ('' for the roots). */
  async dir(src: string | undefined, dst: string, rel: string, dstExists: boolean): Promise<boolean> {
    const shown = this.ctx.shown;
    const names = src === undefined ? [] : (await step(shown, `read source directory ${src}`, () => readdir(src))).sort();
    let ok = true;
    for (const name of names) {
      if (!(await this.entry(join(src!, name), join(dst, name), rel + name, dstExists))) ok = false;
    }
    const { purge, force } = this.ctx;
    if ((force || purge) && dstExists) {
      const wanted = new Set(names);
      const extra = (await step(shown, `read directory ${dst}`, () => readdir(dst))).sort().filter((n) => !wanted.has(n));
      for (const name of extra) {
        const path = join(dst, name);
        const decision = purge ? purge(path) : 'remove';
        if (decision === 'keep') continue;
        if (decision === 'descend') {
          // Above something the graph declares: its other entries go, it stays. Not a link.
          const st = await step(shown, `inspect ${rel + name}`, () => lstatOrMissing(path));
          if (st?.isDirectory() && !(await this.dir(undefined, path, rel + name + '/', true))) ok = false;
          continue;
        }
        ok = false;
        const why = purge ? (src === undefined ? 'not declared in the graph' : 'not in the source nor declared in the graph') : 'not in the source';
        await this.ctx.change(`remove ${rel + name} (${why})`, () =>
          step(shown, `remove ${rel + name}`, () => rm(path, { recursive: true, force: true })),
        );
      }
    }
    return ok;
  }

  private async entry(src: string, dst: string, rel: string, dstExists: boolean): Promise<boolean> {
    const shown = this.ctx.shown;
    const s = await step(shown, `read source ${src}`, () => lstatOrMissing(src));
    if (!s) return true; // removed from the source since it was listed: the watch reports that
    const d = dstExists ? await step(shown, `inspect ${rel}`, () => lstatOrMissing(dst)) : undefined;
    if (s.isDirectory()) return this.subdir(src, dst, rel, s, d);
    if (s.isFile()) return this.file(src, dst, rel, s, d);
    if (s.isSymbolicLink()) return this.symlink(src, dst, rel, d);
    this.fail(`cannot copy ${rel}: source ${src} is ${kindOf(s)} (only files, directories and symlinks are copied)`);
  }

  private async subdir(src: string, dst: string, rel: string, s: Stats, d: Stats | undefined): Promise<boolean> {
    const shown = this.ctx.shown;
    const create = () =>
      step(shown, `create directory ${rel}/`, async () => {
        await mkdir(dst);
        await setMetadataNoFollow(dst, true, { mode: copiedMode(s) }); // mkdir's mode was narrowed by the umask
      });
    if (d?.isDirectory()) return this.dir(src, dst, rel + '/', true);
    if (!d) await this.ctx.change(`create directory ${rel}/`, create);
    else {
      if (!this.ctx.force) this.wrongType(rel, d, 'a directory');
      await this.ctx.change(`replace ${kindOf(d)} ${rel} by a directory`, async () => {
        await step(shown, `remove ${rel}`, () => unlink(dst));
        await create();
      });
    }
    // Created (or, in noop, to be created): report what it would hold. Nothing there to read.
    await this.dir(src, dst, rel + '/', false);
    return false;
  }

  private async file(src: string, dst: string, rel: string, s: Stats, d: Stats | undefined): Promise<boolean> {
    const shown = this.ctx.shown;
    const data = await step(shown, `read source ${src}`, () => readFile(src));
    const write = (opts: Parameters<typeof writeFileAtomic>[2]) =>
      step(shown, `copy ${rel}`, () => writeFileAtomic(dst, data, opts));
    if (!d) return this.ctx.change(`copy ${rel}`, () => write({ mode: copiedMode(s) }));
    if (d.isFile()) {
      if (d.size === data.length && (await step(shown, `read ${rel}`, () => readFileNoFollow(dst))).equals(data)) return true;
      return this.ctx.change(`rewrite ${rel}`, () =>
        write({ mode: d.mode & 0o7777, uid: d.uid, gid: d.gid, ownerBestEffort: true }),
      );
    }
    if (!this.ctx.force) this.wrongType(rel, d, 'a regular file');
    return this.ctx.change(`replace ${kindOf(d)} ${rel} by a file`, async () => {
      // rename() cannot replace a directory; anything else it replaces in one step.
      if (d.isDirectory()) await step(shown, `remove ${rel}`, () => rm(dst, { recursive: true }));
      await write({ mode: copiedMode(s) });
    });
  }

  private async symlink(src: string, dst: string, rel: string, d: Stats | undefined): Promise<boolean> {
    const shown = this.ctx.shown;
    const target = await step(shown, `read source ${src}`, () => readlink(src));
    const link = () => step(shown, `link ${rel}`, () => symlinkAtomic(target, dst));
    if (!d) return this.ctx.change(`link ${rel} -> ${target}`, link);
    if (d.isSymbolicLink()) {
      const now = await step(shown, `read link ${rel}`, () => readlink(dst).catch((err: unknown) => {
        if (errCode(err) === 'ENOENT') return undefined; // removed meanwhile: relink
        throw err;
      }));
      if (now === target) return true;
      return this.ctx.change(`relink ${rel} -> ${target}`, link);
    }
    if (!this.ctx.force) this.wrongType(rel, d, 'a symlink');
    return this.ctx.change(`replace ${kindOf(d)} ${rel} by a symlink`, async () => {
      if (d.isDirectory()) await step(shown, `remove ${rel}`, () => rm(dst, { recursive: true }));
      await link();
    });
  }
}
