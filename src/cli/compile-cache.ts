// V8's compile cache for the command line (Node's module.enableCompileCache): the bytecode of
// the bundle, kept between runs, so a start does not compile it again.
//
// The cache is code the process runs. rxmgmt runs as root, so a cache anyone else can write
// (Node's default, the OS temp dir) would let a local user plant bytecode in the root daemon.
// It lives in the package's own directory instead (`.compile-cache/`, beside `dist/`): whoever
// can write there can already rewrite the JavaScript itself, so it is trusted exactly as much
// as the code. It is used only when it is a real directory (not a symlink) that this process's
// user owns and that no group or other user may write; otherwise rxmgmt runs without it.
import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

/** The cache's directory under the package root. */
export const CACHE_DIR = '.compile-cache';

/** Turns the cache on under `packageRoot` when it is safe; never throws, never slows a start that cannot have one. */
export function enableCompileCache(packageRoot: URL): void {
  // Node 22.1+; NODE_DISABLE_COMPILE_CACHE=1 turns it off (Node reports that itself).
  if (typeof module.enableCompileCache !== 'function') return;
  const dir = fileURLToPath(new URL(CACHE_DIR, packageRoot));
  if (!ownedPrivateDir(dir)) return;
  module.enableCompileCache(dir);
}

/** `dir` exists or is created (0700), is no symlink, belongs to us, and only we may write to it. */
export function ownedPrivateDir(dir: string): boolean {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    // Already there (checked below), or we may not create it (another user's install): no cache.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return false;
  }
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === process.geteuid?.() && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
